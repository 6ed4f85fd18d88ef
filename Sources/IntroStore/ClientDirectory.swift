import Foundation

/// The people and introductions a command addresses messages from, on either
/// backend: the rep's SQLite file (``Store``) or the team's PostgreSQL
/// database (``PostgresStore``), where the client list is shared by every rep.
public protocol ClientDirectory: AnyObject, Sendable {
  /// The contact with this id, if any.
  func contact(id: Int64) throws(StoreError) -> Contact?
  /// The contact with this normalised address, if any.
  func contact(normalizedEmail: String) throws(StoreError) -> Contact?
  /// The contacts with these ids that exist, by id, in one read.
  func contacts(ids: Set<Int64>) throws(StoreError) -> [Int64: Contact]
  /// Contacts sorted by name (ASCII case folded) then address; `clientsOnly`
  /// keeps clients, `search` matches name, email or company (case-insensitive).
  func contacts(clientsOnly: Bool, search: String?) throws(StoreError) -> [Contact]
  /// One referral.
  func referral(id: Int64) throws(StoreError) -> Referral?
}

extension Store: ClientDirectory {}

import Foundation
internal import GRDB

/// A call, meeting, email or note a rep records about a contact.
public struct Touch: Sendable, Equatable, Codable {
  public enum Kind: String, Sendable, CaseIterable, Codable {
    case call, meeting, note, email
  }

  public var id: Int64
  public var contactID: Int64
  public var kind: Kind
  public var note: String
  public var happenedAt: String
}

extension Store {
  /// Records a touch and moves the contact's last contact time.
  public func addTouch(contactID: Int64, kind: Touch.Kind, note: String, at date: Date = Date())
    throws(StoreError)
    -> Touch
  {
    guard !note.allSatisfy(\.isWhitespace) else { throw StoreError(.invalidInput, "the note is empty") }
    let stamp = Timestamp.format(date)
    return try write { db in
      _ = try Self.fetchContact(db, id: contactID)
      try db.execute(
        sql: "INSERT INTO touches (contact_id, kind, note, happened_at) VALUES (?, ?, ?, ?)",
        arguments: [contactID, kind.rawValue, note, stamp])
      let id = db.lastInsertedRowID
      try db.execute(
        sql:
          "UPDATE contacts SET last_contact_at = max(coalesce(last_contact_at, ''), ?), updated_at = ? WHERE id = ?",
        arguments: [stamp, stamp, contactID])
      return Touch(id: id, contactID: contactID, kind: kind, note: note, happenedAt: stamp)
    }
  }

  /// A contact's touches, oldest first.
  public func touches(contactID: Int64) throws(StoreError) -> [Touch] {
    try read { db in
      try Row.fetchAll(
        db, sql: "SELECT * FROM touches WHERE contact_id = ? ORDER BY happened_at, id", arguments: [contactID]
      )
      .map { row in
        Touch(
          id: row["id"], contactID: row["contact_id"], kind: Touch.Kind(rawValue: row["kind"]) ?? .note,
          note: row["note"], happenedAt: row["happened_at"])
      }
    }
  }
}

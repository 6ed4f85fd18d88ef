import Foundation
internal import GRDB

/// Why an address is never emailed.
public enum SuppressionReason: String, Sendable, CaseIterable {
  case optOut = "opt-out"
  case hardBounce = "hard-bounce"
  case forgotten
  case doNotContact = "do-not-contact"
}

/// What `forget` removed.
public struct ForgetReport: Sendable, Equatable {
  public var contacts = 0
  public var referrals = 0
  public var messages = 0
}

extension Store {
  public func suppress(normalizedEmail: String, reason: SuppressionReason = .doNotContact, now: Date = Date())
    throws(StoreError)
  {
    try session {
      try ContactRecords.suppress(normalizedEmail: normalizedEmail, reason: reason, now: now, $0)
    }
    try optOuts.raise()
  }

  /// Whether `normalizedEmail` must never be emailed.
  public func isSuppressed(normalizedEmail: String) throws(StoreError) -> Bool {
    try read { db in try Self.isSuppressed(db, normalizedEmail) }
  }

  /// Erases a person everywhere: the contact, their referrals (as introducer or
  /// prospect), their touches, every message to them, bodies included, and
  /// their address in the stored command lines and audiences of batches.
  /// Deleted pages are overwritten (`secure_delete`) and the write-ahead log is
  /// checkpointed and truncated, so the plaintext is gone from the files. Only a
  /// keyed hash of the address stays, in `suppressions`, so a later import of
  /// the same address is still suppressed.
  public func forget(normalizedEmail: String, now: Date = Date()) throws(StoreError) -> ForgetReport {
    let report = try session { try ContactRecords.forget(normalizedEmail: normalizedEmail, now: now, $0) }
    try optOuts.raise()
    do {
      try database.writeWithoutTransaction { db in
        try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
      }
    } catch {
      throw StoreError(
        .database, "the contact is deleted but the log could not be cleared: \(Self.describe(error))")
    }
    return report
  }

  /// The text every erased address is replaced with in a batch's command and audience.
  public static let erasedAddress = "[forgotten]"

  static func isSuppressed(_ db: Database, _ normalizedEmail: String) throws -> Bool {
    try SuppressionList(db).contains(normalizedEmail, db)
  }

  static func addressHash(_ db: Database, _ normalizedEmail: String) throws -> String {
    try ContactRecords.addressHash(normalizedEmail, SQLiteSession(db: db))
  }
}

/// The suppression list as one transaction sees it: the store's key and
/// whether anyone is on the list are read once, so checking a batch or an
/// import of thousands costs nothing while the list is empty (most stores).
struct SuppressionList {
  /// The HMAC key; nil when nothing was ever suppressed.
  private let key: [UInt8]?
  private let isEmpty: Bool

  init(_ db: Database) throws {
    key = try String.fetchOne(db, sql: "SELECT value FROM store_settings WHERE name = 'suppression_key'")
      .map { Array($0.utf8) }
    let anyone = try Int.fetchOne(db, sql: "SELECT 1 FROM suppressions LIMIT 1") != nil
    isEmpty = key == nil || !anyone
  }

  /// ``contains(_:_:)`` for a batch's recorder or inspector, whose callers see ``StoreError``s.
  func check(_ normalizedEmail: String, _ db: Database) throws(StoreError) -> Bool {
    do {
      return try contains(normalizedEmail, db)
    } catch {
      throw StoreError(.database, "checking suppressions: \(Store.describe(error))")
    }
  }

  /// Whether the normalised address is on the list. Call inside the same transaction.
  func contains(_ normalizedEmail: String, _ db: Database) throws -> Bool {
    guard !isEmpty, let key else { return false }
    let hash = SHA256.hex(SHA256.hmac(key: key, message: Array(normalizedEmail.utf8)))
    return try Int.fetchOne(
      db.cachedStatement(sql: "SELECT 1 FROM suppressions WHERE address_hash = ?"), arguments: [hash]) != nil
  }
}

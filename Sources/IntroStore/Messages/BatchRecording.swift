import Foundation
internal import GRDB

/// Adds a batch's messages inside the batch's one transaction (SQLite).
public final class BatchRecorder: BatchRecording {
  let db: Database
  private let stamp: String
  /// The new batch.
  public let batchID: Int64
  /// Messages added to this batch, and messages found in earlier ones, in order.
  public private(set) var messageIDs: [Int64] = []
  /// How many were new.
  public private(set) var added = 0

  private let suppressions: SuppressionList

  init(db: Database, batchID: Int64, stamp: String) throws {
    self.db = db
    self.batchID = batchID
    self.stamp = stamp
    suppressions = try SuppressionList(db)
  }

  /// Whether `normalizedEmail` is suppressed, read inside the batch's transaction.
  public func isSuppressed(_ normalizedEmail: String) throws(StoreError) -> Bool {
    try suppressions.check(normalizedEmail, db)
  }

  /// Stores `message` in this batch; a message with the same idempotency key is
  /// not stored again, and the one already there is returned.
  @discardableResult
  public func add(_ message: NewMessage) throws(StoreError) -> ExistingMessage? {
    do {
      try db.cachedStatement(
        sql: """
          INSERT INTO messages (batch_id, contact_id, referral_id, recipient, recipient_key, envelope_sender,
            message_id, idempotency_key, template, subject, body, purpose, state, created_at, updated_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)
          ON CONFLICT (idempotency_key) DO NOTHING
          """
      ).execute(arguments: [
        batchID, message.contactID, message.referralID, message.recipient, message.recipientKey,
        message.sender, message.messageID, message.idempotencyKey, message.template, message.subject,
        Data(message.body), message.purpose?.rawValue, stamp, stamp,
      ])
      if db.changesCount == 1 {
        messageIDs.append(db.lastInsertedRowID)
        added += 1
        return nil
      }
      guard let existing = try Store.existingMessage(db, idempotencyKey: message.idempotencyKey) else {
        throw StoreError(.database, "a message vanished while its batch was stored")
      }
      messageIDs.append(existing.id)
      return existing
    } catch let error as StoreError {
      throw error
    } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
      throw StoreError(.invalidInput, "the store refused a message: \(error.message ?? "constraint failed")")
    } catch {
      throw StoreError(.database, "storing a message: \(Store.describe(error))")
    }
  }
}

/// Answers a dry run's questions inside one read transaction, which never
/// blocks a running send's writes (SQLite).
public final class BatchInspector: BatchInspecting {
  private let db: Database
  private let suppressions: SuppressionList

  init(db: Database) throws {
    self.db = db
    suppressions = try SuppressionList(db)
  }

  /// Whether `normalizedEmail` is suppressed.
  public func isSuppressed(_ normalizedEmail: String) throws(StoreError) -> Bool {
    try suppressions.check(normalizedEmail, db)
  }

  /// The message already stored with this idempotency key, if any.
  public func existing(idempotencyKey: String) throws(StoreError) -> ExistingMessage? {
    do {
      return try Store.existingMessage(db, idempotencyKey: idempotencyKey)
    } catch {
      throw StoreError(.database, "looking up a message: \(Store.describe(error))")
    }
  }
}

extension Store: BatchStore {
  public func recordBatch(
    template: String, command: String, audience: String, now: Date = Date(),
    _ body: (any BatchRecording) throws -> Bool
  ) throws -> (any BatchRecording)? {
    try recordSQLiteBatch(template: template, command: command, audience: audience, now: now, body)
  }

  /// ``recordBatch(template:command:audience:now:_:)`` in one durable
  /// transaction, with the recorder's database for what else goes in it.
  func recordSQLiteBatch(
    template: String, command: String, audience: String, now: Date,
    _ body: (BatchRecorder) throws -> Bool
  ) throws -> BatchRecorder? {
    let stamp = Timestamp.format(now)
    do {
      return try database.writeWithoutTransaction { db -> BatchRecorder? in
        try setDurable(true, db)
        var recorder: BatchRecorder?
        try db.inTransaction(.immediate) {
          try db.execute(
            sql: "INSERT INTO batches (template, command, audience, created_at) VALUES (?, ?, ?, ?)",
            arguments: [template, command, audience, stamp])
          let batch = try BatchRecorder(db: db, batchID: db.lastInsertedRowID, stamp: stamp)
          guard try body(batch) else { return .rollback }
          if batch.added == 0 {
            try db.execute(sql: "DELETE FROM batches WHERE id = ?", arguments: [batch.batchID])
          }
          try injectFault(at: .recordBatch)
          recorder = batch
          return .commit
        }
        return recorder
      }
    } catch let error as StoreError {
      throw error
    } catch let error as DatabaseError {
      throw storeError(error, doing: "storing the batch in \(path)")
    }
  }

  /// Runs `body` with an inspector in one read transaction (a dry run).
  /// Errors thrown by `body` are rethrown as they are.
  public func inspect<T>(_ body: (any BatchInspecting) throws -> T) throws -> T {
    do {
      return try database.read { db in try body(try BatchInspector(db: db)) }
    } catch let error as DatabaseError {
      throw storeError(error, doing: "reading \(path)")
    }
  }

  static func existingMessage(_ db: Database, idempotencyKey: String) throws -> ExistingMessage? {
    try Row.fetchOne(
      db.cachedStatement(sql: "SELECT id, batch_id, state FROM messages WHERE idempotency_key = ?"),
      arguments: [idempotencyKey]
    ).map { row in
      ExistingMessage(
        id: row["id"], batchID: row["batch_id"], state: MessageState(rawValue: row["state"]) ?? .pending)
    }
  }
}

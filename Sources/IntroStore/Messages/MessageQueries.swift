import Foundation
internal import GRDB

/// A message, its batch and its attempts, for `intro log`.
public struct LoggedMessage: Sendable, Codable {
  public var id: Int64
  public var batchID: Int64?
  public var recipient: String
  public var messageID: String
  public var template: String?
  /// The referral it is about, if any.
  public var referralID: Int64?
  public var subject: String?
  public var state: MessageState
  public var attemptCount: Int
  public var nextAttemptAt: Date?
  public var lastError: String?
  public var createdAt: Date
  public var updatedAt: Date
  public var attempts: [AttemptRecord]
}

/// Which messages `intro log` shows.
public struct MessageFilter: Sendable {
  public var since: Date?
  public var states: [MessageState] = []
  public var recipientKey: String?
  public var batchID: Int64?
  public var ids: [Int64] = []
  public var limit: Int?

  public init() {}
}

/// How many messages of a batch are in each state.
public typealias StateCounts = [MessageState: Int]

extension Store {
  /// The messages of `batchID` still to send (pending or deferred), in order.
  public func unsettledMessages(batchID: Int64) throws(StoreError) -> [Int64] {
    try read { db in
      guard try Int.fetchOne(db, sql: "SELECT 1 FROM batches WHERE id = ?", arguments: [batchID]) != nil
      else {
        throw StoreError(.notFound, "there is no batch \(batchID); see 'intro log'")
      }
      return try Int64.fetchAll(
        db,
        sql: "SELECT id FROM messages WHERE batch_id = ? AND state IN ('pending', 'deferred') ORDER BY id",
        arguments: [batchID])
    }
  }

  /// Deferred messages whose next attempt is due, oldest first.
  public func dueMessages(now: Date = Date()) throws(StoreError) -> [Int64] {
    try read { db in
      try Int64.fetchAll(
        db,
        sql:
          "SELECT id FROM messages WHERE state = 'deferred' AND next_attempt_at <= ? ORDER BY next_attempt_at, id",
        arguments: [Timestamp.format(now)])
    }
  }

  /// Counts by state of the messages `ids`.
  public func stateCounts(ids: [Int64]) throws(StoreError) -> StateCounts {
    try read { db in
      var counts: StateCounts = [:]
      // A few hundred ids a statement: one query per id cost 0.1 s for a 10,000-message batch.
      var start = ids.startIndex
      while start < ids.endIndex {
        let chunk = ids[start..<min(start + 500, ids.endIndex)]
        start = chunk.endIndex
        let marks = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
        let rows = try Row.fetchCursor(
          db, sql: "SELECT state, count(*) FROM messages WHERE id IN (\(marks)) GROUP BY state",
          arguments: StatementArguments(Array(chunk)))
        while let row = try rows.next() {
          if let state = MessageState(rawValue: row[0]) { counts[state, default: 0] += row[1] as Int }
        }
      }
      return counts
    }
  }

  /// Messages with their attempts, newest first, as `intro log` shows them.
  public func messages(_ filter: MessageFilter) throws(StoreError) -> [LoggedMessage] {
    try read { db in
      // Every column but the body: a log of thousands of messages reads no message text.
      var sql = """
        SELECT id, batch_id, recipient, message_id, template, referral_id, subject, state, attempt_count,
          next_attempt_at, last_error, created_at, updated_at
        FROM messages WHERE 1
        """
      var arguments: StatementArguments = []
      if let since = filter.since {
        sql += " AND updated_at >= ?"
        arguments += [Timestamp.format(since)]
      }
      if !filter.states.isEmpty {
        sql += " AND state IN (\(filter.states.map { _ in "?" }.joined(separator: ", ")))"
        arguments += StatementArguments(filter.states.map(\.rawValue))
      }
      if let key = filter.recipientKey {
        sql += " AND (recipient_key = ? OR lower(recipient) = ?)"
        arguments += [key, key]
      }
      if let batch = filter.batchID {
        sql += " AND batch_id = ?"
        arguments += [batch]
      }
      if !filter.ids.isEmpty {
        sql += " AND id IN (\(filter.ids.map { _ in "?" }.joined(separator: ", ")))"
        arguments += StatementArguments(filter.ids)
      }
      sql += " ORDER BY id DESC"
      if let limit = filter.limit { sql += " LIMIT \(max(0, limit))" }
      let attempts = try db.cachedStatement(
        sql: "SELECT * FROM delivery_attempts WHERE message_id = ? ORDER BY id")
      return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
        let id: Int64 = row["id"]
        return LoggedMessage(
          id: id, batchID: row["batch_id"], recipient: row["recipient"], messageID: row["message_id"],
          template: row["template"], referralID: row["referral_id"], subject: row["subject"],
          state: MessageState(rawValue: row["state"]) ?? .pending, attemptCount: row["attempt_count"] ?? 0,
          nextAttemptAt: (row["next_attempt_at"] as String?).flatMap(Timestamp.parse),
          lastError: row["last_error"],
          createdAt: Timestamp.parse(row["created_at"]) ?? .distantPast,
          updatedAt: Timestamp.parse(row["updated_at"]) ?? .distantPast,
          attempts: try Row.fetchAll(attempts, arguments: [id]).map { attempt in
            AttemptRecord(
              startedAt: Timestamp.parse(attempt["started_at"]) ?? .distantPast,
              finishedAt: (attempt["finished_at"] as String?).flatMap(Timestamp.parse),
              outcome: attempt["outcome"] ?? "", stage: attempt["stage"], smtpCode: attempt["smtp_code"],
              smtpText: attempt["smtp_text"], detail: attempt["detail"], bootID: attempt["boot_id"])
          })
      }
    }
  }

  /// The message with this row id or Message-ID (with or without angle brackets).
  public func message(reference: String) throws(StoreError) -> LoggedMessage? {
    let trimmed = reference.trimmingCharacters(in: CharacterSet(charactersIn: "<> "))
    let id: Int64? = try read { db in
      if let number = Int64(trimmed),
        try Int.fetchOne(db, sql: "SELECT 1 FROM messages WHERE id = ?", arguments: [number]) != nil
      {
        return number
      }
      return try Int64.fetchOne(db, sql: "SELECT id FROM messages WHERE message_id = ?", arguments: [trimmed])
    }
    guard let id else { return nil }
    var filter = MessageFilter()
    filter.ids = [id]
    return try messages(filter).first
  }

  /// Settles an `uncertain` message: the rep checked that it arrived (`sent`),
  /// or asks for it to go again with its Message-ID unchanged (`deferred`, due now).
  public func resolve(messageID id: Int64, sent: Bool, now: Date = Date()) throws(StoreError) -> MessageState
  {
    try write(durable: true) { db in
      guard
        let state = try String.fetchOne(db, sql: "SELECT state FROM messages WHERE id = ?", arguments: [id])
      else { throw StoreError(.notFound, "there is no message \(id); see 'intro log'") }
      guard state == MessageState.uncertain.rawValue else {
        throw StoreError(
          .invalidInput, "message \(id) is \(state), not uncertain; only an uncertain message needs resolving"
        )
      }
      return try Self.settleUncertain(id, sent: sent, now: now, db)
    }
  }

  /// Settles every uncertain message of batch `batchID` at once, as after a
  /// power loss mid-batch; returns their ids (none when nothing was uncertain).
  public func resolveUncertain(batchID: Int64, sent: Bool, now: Date = Date()) throws(StoreError) -> [Int64] {
    try write(durable: true) { db in
      guard try Int.fetchOne(db, sql: "SELECT 1 FROM batches WHERE id = ?", arguments: [batchID]) != nil
      else {
        throw StoreError(.notFound, "there is no batch \(batchID); see 'intro log'")
      }
      let ids = try Int64.fetchAll(
        db, sql: "SELECT id FROM messages WHERE batch_id = ? AND state = 'uncertain' ORDER BY id",
        arguments: [batchID])
      for id in ids { _ = try Self.settleUncertain(id, sent: sent, now: now, db) }
      return ids
    }
  }

  /// Marks an uncertain message sent, or queues it again with its Message-ID, with an attempt saying so.
  private static func settleUncertain(_ id: Int64, sent: Bool, now: Date, _ db: Database) throws
    -> MessageState
  {
    let newState: MessageState = sent ? .sent : .deferred
    let attempt = AttemptRecord(
      startedAt: now, finishedAt: now, outcome: sent ? "delivered" : "temporary",
      detail: sent
        ? "resolved by hand: the recipient has it" : "resolved by hand: send it again (same Message-ID)")
    try apply(
      .finished(
        id: id, state: newState, attempt: attempt, nextAttemptAt: sent ? nil : now, note: attempt.detail,
        charged: false),
      db)
    return newState
  }
}

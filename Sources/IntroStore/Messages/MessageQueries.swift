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

  public func messages(_ filter: MessageFilter) throws(StoreError) -> [LoggedMessage] {
    try session(writing: false) { try MessageRecords.messages(filter, $0) }
  }

  public func message(reference: String) throws(StoreError) -> LoggedMessage? {
    try session(writing: false) { try MessageRecords.message(reference: reference, $0) }
  }

  public func resolve(messageID id: Int64, sent: Bool, now: Date = Date()) throws(StoreError) -> MessageState
  {
    try write(durable: true) { db in
      try MessageRecords.resolve(id, sent: sent, now: now, SQLiteSession(db: db)) { try Self.apply($0, db) }
    }
  }

  public func resolveUncertain(batchID: Int64, sent: Bool, now: Date = Date()) throws(StoreError) -> [Int64] {
    try write(durable: true) { db in
      try MessageRecords.resolveUncertain(batchID: batchID, sent: sent, now: now, SQLiteSession(db: db)) {
        try Self.apply($0, db)
      }
    }
  }
}

/// What `intro log` and `intro resolve` need of a store, on either backend.
public protocol MessageLog: AnyObject, Sendable {
  /// Messages with their attempts, newest first, as `intro log` shows them.
  func messages(_ filter: MessageFilter) throws(StoreError) -> [LoggedMessage]
  /// The message with this row id or Message-ID (with or without angle brackets).
  func message(reference: String) throws(StoreError) -> LoggedMessage?
  /// Settles an `uncertain` message: the rep checked that it arrived (`sent`),
  /// or asks for it to go again with its Message-ID unchanged (`deferred`, due now).
  func resolve(messageID id: Int64, sent: Bool, now: Date) throws(StoreError) -> MessageState
  /// Settles every uncertain message of batch `batchID` at once, as after a
  /// power loss mid-batch; returns their ids (none when nothing was uncertain).
  func resolveUncertain(batchID: Int64, sent: Bool, now: Date) throws(StoreError) -> [Int64]
}

extension Store: MessageLog {}

/// The log's reads and the settling of uncertain messages, the same on both
/// backends; `apply` records a step as the backend's delivery log does.
enum MessageRecords {
  static func messages(_ filter: MessageFilter, _ sql: any SQLSession) throws -> [LoggedMessage] {
    // Every column but the body: a log of thousands of messages reads no message text.
    var query = """
      SELECT id, batch_id, recipient, message_id, template, referral_id, subject, state, attempt_count,
        next_attempt_at, last_error, created_at, updated_at
      FROM messages WHERE 1 = 1
      """
    var arguments: [any SQLBindable] = []
    if let since = filter.since {
      query += " AND updated_at >= ?"
      arguments.append(Timestamp.format(since))
    }
    if !filter.states.isEmpty {
      query += " AND state IN (\(filter.states.map { _ in "?" }.joined(separator: ", ")))"
      arguments += filter.states.map(\.rawValue)
    }
    if let key = filter.recipientKey {
      query += " AND (recipient_key = ? OR lower(recipient) = ?)"
      arguments += [key, key]
    }
    if let batch = filter.batchID {
      query += " AND batch_id = ?"
      arguments.append(batch)
    }
    if !filter.ids.isEmpty {
      query += " AND id IN (\(filter.ids.map { _ in "?" }.joined(separator: ", ")))"
      arguments += filter.ids
    }
    query += " ORDER BY id DESC"
    if let limit = filter.limit { query += " LIMIT \(max(0, limit))" }
    return try sql.rows(query, arguments).map { row in
      let id = row.integer(0) ?? 0
      return LoggedMessage(
        id: id, batchID: row.integer(1), recipient: row.string(2), messageID: row.string(3),
        template: row.text(4), referralID: row.integer(5), subject: row.text(6),
        state: row.text(7).flatMap(MessageState.init(rawValue:)) ?? .pending,
        attemptCount: Int(row.integer(8) ?? 0), nextAttemptAt: row.text(9).flatMap(Timestamp.parse),
        lastError: row.text(10), createdAt: Timestamp.parse(row.string(11)) ?? .distantPast,
        updatedAt: Timestamp.parse(row.string(12)) ?? .distantPast,
        attempts: try sql.rows(
          """
          SELECT started_at, finished_at, outcome, stage, smtp_code, smtp_text, detail, boot_id
          FROM delivery_attempts WHERE message_id = ? ORDER BY id
          """, [id]
        ).map { attempt in
          AttemptRecord(
            startedAt: Timestamp.parse(attempt.string(0)) ?? .distantPast,
            finishedAt: attempt.text(1).flatMap(Timestamp.parse), outcome: attempt.string(2),
            stage: attempt.text(3), smtpCode: attempt.integer(4).map(Int.init), smtpText: attempt.text(5),
            detail: attempt.text(6), bootID: attempt.text(7))
        })
    }
  }

  static func message(reference: String, _ sql: any SQLSession) throws -> LoggedMessage? {
    let trimmed = reference.trimmingCharacters(in: CharacterSet(charactersIn: "<> "))
    var id: Int64?
    if let number = Int64(trimmed), try sql.row("SELECT 1 FROM messages WHERE id = ?", [number]) != nil {
      id = number
    } else {
      id = try sql.row("SELECT id FROM messages WHERE message_id = ?", [trimmed])?.integer(0)
    }
    guard let id else { return nil }
    var filter = MessageFilter()
    filter.ids = [id]
    return try messages(filter, sql).first
  }

  static func resolve(
    _ id: Int64, sent: Bool, now: Date, _ sql: any SQLSession, apply: (DeliveryUpdate) throws -> Void
  ) throws -> MessageState {
    guard let state = try sql.row("SELECT state FROM messages WHERE id = ?", [id])?.text(0) else {
      throw StoreError(.notFound, "there is no message \(id); see 'intro log'")
    }
    guard state == MessageState.uncertain.rawValue else {
      throw StoreError(
        .invalidInput, "message \(id) is \(state), not uncertain; only an uncertain message needs resolving")
    }
    return try settleUncertain(id, sent: sent, now: now, apply: apply)
  }

  static func resolveUncertain(
    batchID: Int64, sent: Bool, now: Date, _ sql: any SQLSession, apply: (DeliveryUpdate) throws -> Void
  ) throws -> [Int64] {
    guard try sql.row("SELECT 1 FROM batches WHERE id = ?", [batchID]) != nil else {
      throw StoreError(.notFound, "there is no batch \(batchID); see 'intro log'")
    }
    let ids = try sql.rows(
      "SELECT id FROM messages WHERE batch_id = ? AND state = 'uncertain' ORDER BY id", [batchID]
    ).compactMap { $0.integer(0) }
    for id in ids { _ = try settleUncertain(id, sent: sent, now: now, apply: apply) }
    return ids
  }

  /// Marks an uncertain message sent, or queues it again with its Message-ID, with an attempt saying so.
  private static func settleUncertain(
    _ id: Int64, sent: Bool, now: Date, apply: (DeliveryUpdate) throws -> Void
  )
    throws -> MessageState
  {
    let newState: MessageState = sent ? .sent : .deferred
    let attempt = AttemptRecord(
      startedAt: now, finishedAt: now, outcome: sent ? "delivered" : "temporary",
      detail: sent
        ? "resolved by hand: the recipient has it" : "resolved by hand: send it again (same Message-ID)")
    try apply(
      .finished(
        id: id, state: newState, attempt: attempt, nextAttemptAt: sent ? nil : now, note: attempt.detail,
        charged: false))
    return newState
  }
}

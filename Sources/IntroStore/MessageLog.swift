import Foundation
internal import GRDB

/// Where a message is in its life. Each step is committed before the next
/// network step, so after a crash the store says what may have happened:
///
/// `pending → sending → in_data → sent | failed | deferred | uncertain | suppressed`
///
/// - `sending`: claimed by a run, nothing of the body handed over yet; if the
///   run dies here the server cannot have accepted the message, and it is sent again.
/// - `in_data`: the server said 354 and the body started to go out; if the run
///   dies here the server may have accepted it, so it becomes `uncertain` and
///   waits for a person (`intro resolve`).
public enum MessageState: String, Sendable, CaseIterable, Codable {
  case pending
  case sending
  case inData = "in_data"
  case sent
  case failed
  case deferred
  case uncertain
  case suppressed

  /// The state is final for the pipeline: nothing will send this message again by itself.
  public var isSettled: Bool {
    switch self {
    case .sent, .failed, .uncertain, .suppressed: true
    case .pending, .sending, .inData, .deferred: false
    }
  }
}

/// A rendered, composed message to store before anything is sent.
public struct NewMessage: Sendable {
  /// The envelope recipient, `local@domain`.
  public var recipient: String
  /// The recipient as suppressions know it (the normalised address).
  public var recipientKey: String
  /// The envelope sender.
  public var sender: String
  /// The Message-ID header's value, without angle brackets; reused on every attempt.
  public var messageID: String
  /// Same template, same recipient, same content, same day: same key, one message.
  public var idempotencyKey: String
  public var template: String
  public var subject: String
  /// The RFC 5322 bytes, CRLF line endings.
  public var body: [UInt8]
  public var contactID: Int64?
  public var referralID: Int64?

  public init(
    recipient: String, recipientKey: String, sender: String, messageID: String, idempotencyKey: String,
    template: String, subject: String, body: [UInt8], contactID: Int64? = nil, referralID: Int64? = nil
  ) {
    self.recipient = recipient
    self.recipientKey = recipientKey
    self.sender = sender
    self.messageID = messageID
    self.idempotencyKey = idempotencyKey
    self.template = template
    self.subject = subject
    self.body = body
    self.contactID = contactID
    self.referralID = referralID
  }
}

/// A message that already existed when a batch tried to add it again.
public struct ExistingMessage: Sendable, Equatable {
  public var id: Int64
  public var batchID: Int64?
  public var state: MessageState
}

/// Adds a batch's messages inside the batch's one transaction.
public final class BatchRecorder {
  private let db: Database
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
    do {
      return try suppressions.contains(normalizedEmail, db)
    } catch {
      throw StoreError(.database, "checking suppressions: \(Store.describe(error))")
    }
  }

  /// Stores `message` in this batch; a message with the same idempotency key is
  /// not stored again, and the one already there is returned.
  @discardableResult
  public func add(_ message: NewMessage) throws(StoreError) -> ExistingMessage? {
    do {
      try db.cachedStatement(
        sql: """
          INSERT INTO messages (batch_id, contact_id, referral_id, recipient, recipient_key, envelope_sender,
            message_id, idempotency_key, template, subject, body, state, created_at, updated_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)
          ON CONFLICT (idempotency_key) DO NOTHING
          """
      ).execute(arguments: [
        batchID, message.contactID, message.referralID, message.recipient, message.recipientKey,
        message.sender, message.messageID, message.idempotencyKey, message.template, message.subject,
        Data(message.body), stamp, stamp,
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
/// blocks a running send's writes.
public final class BatchInspector {
  private let db: Database
  private let suppressions: SuppressionList

  init(db: Database) throws {
    self.db = db
    suppressions = try SuppressionList(db)
  }

  /// Whether `normalizedEmail` is suppressed.
  public func isSuppressed(_ normalizedEmail: String) throws(StoreError) -> Bool {
    do {
      return try suppressions.contains(normalizedEmail, db)
    } catch {
      throw StoreError(.database, "checking suppressions: \(Store.describe(error))")
    }
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

/// A message a run has claimed (`sending`): everything needed to deliver it.
public struct ClaimedMessage: Sendable {
  public var id: Int64
  public var messageID: String
  public var recipient: String
  public var sender: String
  public var body: [UInt8]
  /// The state it was claimed from, to put it back if the run stops before trying it.
  public var previousState: MessageState
  /// Attempts before this one.
  public var attemptCount: Int
  /// When it was first tried; nil before the first attempt.
  public var firstAttemptAt: Date?
}

/// One delivery attempt, as `intro log` shows it.
public struct AttemptRecord: Sendable, Equatable, Codable {
  public var startedAt: Date
  public var finishedAt: Date?
  /// `delivered`, `temporary`, `permanent`, `uncertain`, `configuration`.
  public var outcome: String
  /// The SMTP stage it ended at (`rcpt-to`, `end-of-data`, …).
  public var stage: String?
  public var smtpCode: Int?
  public var smtpText: String?
  public var detail: String?
  public var bootID: String?

  public init(
    startedAt: Date, finishedAt: Date?, outcome: String, stage: String? = nil, smtpCode: Int? = nil,
    smtpText: String? = nil, detail: String? = nil, bootID: String? = nil
  ) {
    self.startedAt = startedAt
    self.finishedAt = finishedAt
    self.outcome = outcome
    self.stage = stage
    self.smtpCode = smtpCode
    self.smtpText = smtpText
    self.detail = detail
    self.bootID = bootID
  }
}

/// A state change the delivery journal records.
public enum DeliveryUpdate: Sendable {
  /// The server said 354 and the body is about to go out.
  case bodyStarted(id: Int64)
  /// An attempt ended: the message's new state, the attempt, and when to try again.
  /// An attempt that is not `charged` (the relay could not be reached, so the
  /// message never left) is logged but does not count towards retries.
  case finished(
    id: Int64, state: MessageState, attempt: AttemptRecord, nextAttemptAt: Date?, note: String?,
    charged: Bool = true)
  /// The run stopped before trying a claimed message: it goes back as it was.
  case released(id: Int64, state: MessageState)
}

/// What a run found left over by a run that did not finish.
public struct RecoveryReport: Sendable, Equatable {
  /// Claimed but not started: safe to send again.
  public var requeued = 0
  /// The body may have gone out: now `uncertain`.
  public var uncertain: [Int64] = []
}

/// A message, its batch and its attempts, for `intro log`.
public struct LoggedMessage: Sendable, Codable {
  public var id: Int64
  public var batchID: Int64?
  public var recipient: String
  public var messageID: String
  public var template: String?
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
  /// Stores a batch and its messages in one durable transaction.
  ///
  /// `body` adds the messages through the recorder; when it returns false (the
  /// preflight found errors) nothing is kept, not even the batch. A batch that
  /// added no message of its own (every one already stored today) is not kept
  /// either; its `messageIDs` still list the earlier messages to resume.
  /// Errors thrown by `body` are rethrown as they are; the store's own are ``StoreError``.
  public func recordBatch(
    template: String, command: String, audience: String, now: Date = Date(),
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
          recorder = batch
          return .commit
        }
        return recorder
      }
    } catch let error as DatabaseError {
      throw StoreError(.database, "storing the batch in \(path): \(Self.describe(error))")
    }
  }

  /// Runs `body` with an inspector in one read transaction (a dry run).
  /// Errors thrown by `body` are rethrown as they are.
  public func inspect<T>(_ body: (BatchInspector) throws -> T) throws -> T {
    do {
      return try database.read { db in try body(try BatchInspector(db: db)) }
    } catch let error as DatabaseError {
      throw StoreError(.database, "reading \(path): \(Self.describe(error))")
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

  /// Settles what a run that did not finish left behind. Call with the send lock held.
  ///
  /// - `sending` from a run on this boot: the process died before the body went
  ///   out, so the server cannot have the message: back to pending (or deferred).
  /// - `sending` from an earlier boot: the machine lost power or crashed, and
  ///   with it the unflushed tail of the log, which may have said `in_data` or
  ///   `sent`: `uncertain`.
  /// - `in_data`: the body may have been accepted: `uncertain`.
  ///
  /// First, the journal lines of interrupted runs are folded in (see ``DeliveryJournal``).
  public func recoverInterrupted(bootID: String, now: Date = Date()) throws(StoreError) -> RecoveryReport {
    var replayed: [String] = []
    let report = try write(durable: true) { db in
      replayed = try DeliveryJournal.replay(path, db)
      var report = RecoveryReport()
      let rows = try Row.fetchAll(
        db,
        sql: "SELECT id, state, boot_id, attempt_count FROM messages WHERE state IN ('sending', 'in_data')")
      for row in rows {
        let id: Int64 = row["id"]
        let state: String = row["state"]
        let claimedOnBoot: String? = row["boot_id"]
        let attempts: Int = row["attempt_count"]
        let attempt: AttemptRecord
        let newState: MessageState
        if state == MessageState.sending.rawValue && claimedOnBoot == bootID {
          newState = attempts == 0 ? .pending : .deferred
          attempt = AttemptRecord(
            startedAt: now, finishedAt: now, outcome: "temporary", stage: "connect",
            detail: "the run stopped before the message body was sent; it will be sent again", bootID: bootID)
          report.requeued += 1
        } else {
          newState = .uncertain
          let why =
            state == MessageState.inData.rawValue
            ? "the run stopped while the message body was being sent; the server may have accepted it"
            : "the machine restarted while the message was being sent; the server may have accepted it"
          attempt = AttemptRecord(
            startedAt: now, finishedAt: now, outcome: "uncertain",
            stage: state == MessageState.inData.rawValue ? "body" : nil, detail: why, bootID: claimedOnBoot)
          report.uncertain.append(id)
        }
        try Self.apply(
          .finished(
            id: id, state: newState, attempt: attempt, nextAttemptAt: newState == .deferred ? now : nil,
            note: newState == .uncertain ? attempt.detail : nil, charged: newState == .uncertain),
          db)
      }
      return report
    }
    for file in replayed { unlink(file) }
    return report
  }

  /// Claims `ids` for delivery (`sending`) in one durable commit, skipping those
  /// already settled or not yet due, and settling as `suppressed` any recipient
  /// suppressed since the batch was made.
  ///
  /// This is the one flush per group of messages: once it returns, no crash or
  /// power loss can bring these messages back to `pending` behind the run's back.
  ///
  /// With a `journal`, the same commit first folds in everything the run's
  /// sessions appended since the last claim (see ``DeliveryJournal``).
  public func claim(
    _ ids: [Int64], bootID: String, now: Date = Date(), journal: DeliveryJournal? = nil
  ) throws(StoreError) -> (claimed: [ClaimedMessage], suppressed: Int) {
    let stamp = Timestamp.format(now)
    let rotated = try journal?.rotate()
    let result = try write(durable: true) { db in
      if let rotated {
        for update in DeliveryJournal.coalesced(rotated.updates) { try Self.apply(update, db) }
        try DeliveryJournal.setApplied(rotated.number, db)
      }
      var claimed: [ClaimedMessage] = []
      var suppressed = 0
      guard !ids.isEmpty else { return (claimed, suppressed) }
      // One query and one update for the group: a statement per message cost
      // more in binding and stepping than the rows themselves.
      let marks = Array(repeating: "?", count: ids.count).joined(separator: ", ")
      var rows: [Int64: Row] = [:]
      let found = try Row.fetchCursor(
        db.cachedStatement(
          sql: """
            SELECT id, message_id, recipient, recipient_key, envelope_sender, body, state, next_attempt_at,
              attempt_count, first_attempt_at
            FROM messages WHERE id IN (\(marks)) AND state IN ('pending', 'deferred')
            """), arguments: StatementArguments(ids))
      while let row = try found.next() { rows[row["id"]] = row.copy() }
      let suppressions = try SuppressionList(db)
      for id in ids {
        guard let row = rows[id], let state = MessageState(rawValue: row["state"]) else { continue }
        if state == .deferred, let next: String = row["next_attempt_at"], next > stamp { continue }
        let key: String = row["recipient_key"] ?? row["recipient"]
        if try suppressions.contains(key, db) {
          try db.cachedStatement(
            sql:
              "UPDATE messages SET state = 'suppressed', boot_id = NULL, last_error = ?, updated_at = ? WHERE id = ?"
          ).execute(arguments: ["suppressed: the address is on the do-not-contact list", stamp, id])
          suppressed += 1
          continue
        }
        let body: Data = row["body"]
        claimed.append(
          ClaimedMessage(
            id: id, messageID: row["message_id"], recipient: row["recipient"],
            sender: row["envelope_sender"], body: Array(body), previousState: state,
            attemptCount: row["attempt_count"],
            firstAttemptAt: (row["first_attempt_at"] as String?).flatMap(Timestamp.parse)))
      }
      if !claimed.isEmpty {
        let claimedMarks = Array(repeating: "?", count: claimed.count).joined(separator: ", ")
        try db.cachedStatement(
          sql:
            "UPDATE messages SET state = 'sending', boot_id = ?, updated_at = ? WHERE id IN (\(claimedMarks))"
        ).execute(arguments: [bootID, stamp] + StatementArguments(claimed.map(\.id)))
      }
      return (claimed, suppressed)
    }
    if let rotated { unlink(DeliveryJournal.path(path, rotated.number)) }
    return result
  }

  /// Records state changes straight into the store, in one commit (flushed
  /// when `durable`). A sending run does not use this per step: it appends to
  /// its ``DeliveryJournal``, which each claim folds in.
  public func record(_ updates: [DeliveryUpdate], durable: Bool = true) throws(StoreError) {
    guard !updates.isEmpty else { return }
    try write(durable: durable) { db in
      for update in updates { try Self.apply(update, db) }
    }
  }

  static func apply(_ update: DeliveryUpdate, _ db: Database) throws {
    switch update {
    case .bodyStarted(let id):
      try db.cachedStatement(sql: "UPDATE messages SET state = 'in_data' WHERE id = ? AND state = 'sending'")
        .execute(arguments: [id])
    case .released(let id, let state):
      try db.cachedStatement(sql: "UPDATE messages SET state = ? WHERE id = ? AND state = 'sending'")
        .execute(arguments: [state.rawValue, id])
    case .finished(let id, let state, let attempt, let next, let note, let charged):
      let started = Timestamp.format(attempt.startedAt)
      let finished = attempt.finishedAt.map(Timestamp.format)
      try db.cachedStatement(
        sql: """
          UPDATE messages SET state = ?, attempt_count = attempt_count + ?,
            first_attempt_at = coalesce(first_attempt_at, ?), next_attempt_at = ?, last_error = ?,
            sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END, updated_at = ?
          WHERE id = ?
          """
      ).execute(arguments: [
        state.rawValue, charged ? 1 : 0, charged ? started : nil, next.map(Timestamp.format), note,
        state.rawValue, finished ?? started, finished ?? started, id,
      ])
      // The message may have been forgotten (`contact forget`) while a run was on it.
      guard db.changesCount == 1 else { return }
      try db.cachedStatement(
        sql: """
          INSERT INTO delivery_attempts (message_id, started_at, finished_at, outcome, stage, smtp_code,
            smtp_text, detail, boot_id)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
          """
      ).execute(arguments: [
        id, started, finished, attempt.outcome, attempt.stage, attempt.smtpCode, attempt.smtpText,
        attempt.detail, attempt.bootID,
      ])
    }
  }

  /// Messages with their attempts, newest first, as `intro log` shows them.
  public func messages(_ filter: MessageFilter) throws(StoreError) -> [LoggedMessage] {
    try read { db in
      var sql = "SELECT * FROM messages WHERE 1"
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
          template: row["template"], subject: row["subject"],
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

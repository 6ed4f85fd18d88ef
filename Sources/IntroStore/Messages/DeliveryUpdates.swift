import Foundation
internal import GRDB

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
  /// The recipient was suppressed after the message was claimed, before it went out.
  case suppressed(id: Int64)
  /// The message no longer applies (a reminder whose referral moved on, an ask
  /// the fatigue guard holds back): it is not sent, and `note` says why.
  case withheld(id: Int64, note: String)
}

extension Store {
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
    case .suppressed(let id):
      try markSuppressed(id, stamp: Timestamp.format(Date()), db)
    case .withheld(let id, let note):
      try markSuppressed(id, stamp: Timestamp.format(Date()), note: note, db)
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
      if state == .sent {
        // An ask or a thank-you that went out is a touch with the client.
        try db.cachedStatement(
          sql: """
            INSERT INTO touches (contact_id, kind, note, happened_at)
            SELECT contact_id, 'email', purpose || ': ' || coalesce(template, 'message'), ?
            FROM messages WHERE id = ? AND purpose IS NOT NULL AND contact_id IS NOT NULL
            """
        ).execute(arguments: [finished ?? started, id])
      }
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
}

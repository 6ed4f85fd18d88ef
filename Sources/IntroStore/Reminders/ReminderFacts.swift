import Foundation
internal import GRDB

/// What reminders are computed from, read in one transaction.
public struct ReminderFacts: Sendable {
  /// A referral, with the moment it entered its current stage.
  public struct ReferralFacts: Sendable, Equatable {
    public var id: Int64
    public var introducerID: Int64
    public var prospectID: Int64
    public var stage: ReferralStage
    /// `YYYY-MM-DD`, when the client promised the introduction.
    public var promisedBy: String?
    /// When it entered `stage` (its creation, if it never moved).
    public var stageEnteredAt: Date
  }

  /// A client, with their last contact.
  public struct ClientFacts: Sendable, Equatable {
    public var id: Int64
    /// `YYYY-MM-DD`.
    public var saleClosedOn: String?
    /// The last touch, or the last message sent to them; nil when there was none.
    public var lastContactAt: Date?
    /// When they were added, for a client never contacted.
    public var createdAt: Date
    public var doNotContact: Bool
  }

  public var referrals: [ReferralFacts] = []
  public var clients: [ClientFacts] = []
  /// Every firing recorded so far.
  public var fired: Set<FiringKey> = []
}

/// What makes a firing unique: the rule, its subject, and the occurrence
/// (the local date of the event that made it due).
public struct FiringKey: Sendable, Hashable, Codable {
  public var rule: String
  /// `referral:12`, `contact:5`, `rep`.
  public var subject: String
  /// `YYYY-MM-DD` in the rep's zone.
  public var occurrence: String

  public init(rule: String, subject: String, occurrence: String) {
    self.rule = rule
    self.subject = subject
    self.occurrence = occurrence
  }
}

/// A firing to record, and the message it sends (nil for a rep task, which
/// goes into the digest recorded with it).
public struct NewFiring: Sendable {
  public var key: FiringKey
  public var dueAt: Date
  public var late: Bool
  public var message: NewMessage?

  public init(key: FiringKey, dueAt: Date, late: Bool, message: NewMessage?) {
    self.key = key
    self.dueAt = dueAt
    self.late = late
    self.message = message
  }
}

extension Store {
  public func reminderFacts() throws(StoreError) -> ReminderFacts {
    try read { db in
      var facts = ReminderFacts()
      let referrals = try Row.fetchCursor(db, sql: ReminderFacts.referralSQL)
      while let row = try referrals.next() { facts.referrals.append(ReminderFacts.ReferralFacts(row: row)) }
      // Columns by position, in the SELECT's order: a name lookup per column
      // per row was a measurable part of a run over 100,000 referrals.
      let clients = try Row.fetchCursor(db, sql: ReminderFacts.clientSQL(greatest: "max"))
      while let row = try clients.next() { facts.clients.append(ReminderFacts.ClientFacts(row: row)) }
      let fired = try Row.fetchCursor(db, sql: ReminderFacts.firingsSQL)
      while let row = try fired.next() { facts.fired.insert(FiringKey(row: row)) }
      return facts
    }
  }

  public func referralFacts(id: Int64) throws(StoreError) -> ReminderFacts.ReferralFacts? {
    try read { db in
      try Row.fetchOne(db, sql: ReminderFacts.referralSQL + " WHERE r.id = ?", arguments: [id]).map(
        ReminderFacts.ReferralFacts.init(row:))
    }
  }

  public func firing(messageID id: Int64) throws(StoreError) -> FiringKey? {
    try read { db in
      try Row.fetchOne(db, sql: ReminderFacts.firingsSQL + " WHERE message_id = ? LIMIT 1", arguments: [id])
        .map { FiringKey(row: $0) }
    }
  }

  public func recordFirings(
    _ firings: [NewFiring], tasks: [NewFiring], digest: NewFiring?, command: String, now: Date = Date()
  ) throws(StoreError) -> (messageIDs: [Int64], fired: [FiringKey]) {
    let stamp = Timestamp.format(now)
    var recorded: (messageIDs: [Int64], fired: [FiringKey]) = ([], [])
    do {
      _ = try recordSQLiteBatch(template: "reminders", command: command, audience: "reminders due", now: now)
      {
        recorder in
        recorded = try ReminderFacts.record(
          firings, tasks: tasks, digest: digest, recorder: recorder,
          insert: { firing, messageID in
            try recorder.db.execute(
              sql: """
                INSERT INTO reminder_firings (rule, subject_key, occurrence, fired_at, message_id, due_at, late)
                VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (rule, subject_key, occurrence) DO NOTHING
                """,
              arguments: [
                firing.key.rule, firing.key.subject, firing.key.occurrence, stamp, messageID,
                Timestamp.format(firing.dueAt), firing.late,
              ])
            return recorder.db.changesCount == 1
          },
          link: { key, messageID in
            try recorder.db.execute(
              sql:
                "UPDATE reminder_firings SET message_id = ? WHERE rule = ? AND subject_key = ? AND occurrence = ?",
              arguments: [messageID, key.rule, key.subject, key.occurrence])
          })
        return true
      }
    } catch let error as StoreError {
      throw error
    } catch {
      throw storeError(error, doing: "recording reminders in \(path)")
    }
    return recorded
  }

  /// Reminder messages not yet sent (pending or deferred) with their firings,
  /// to cancel those that no longer apply.
  public func unsentReminders() throws(StoreError) -> [(messageID: Int64, key: FiringKey)] {
    try read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT m.id, f.rule, f.subject_key, f.occurrence FROM messages m
          JOIN reminder_firings f ON f.message_id = m.id
          WHERE m.state IN ('pending', 'deferred')
          """
      ).map { row in (row[0], FiringKey(rule: row[1], subject: row[2], occurrence: row[3])) }
    }
  }

  /// Marks messages that will not be sent, each with why (`suppressed`, the note as its last error).
  public func withhold(_ notes: [(messageID: Int64, note: String)], now: Date = Date()) throws(StoreError) {
    guard !notes.isEmpty else { return }
    let stamp = Timestamp.format(now)
    try write { db in
      for (id, note) in notes {
        try db.execute(
          sql: """
            UPDATE messages SET state = 'suppressed', last_error = ?, updated_at = ?
            WHERE id = ? AND state IN ('pending', 'deferred')
            """, arguments: [note, stamp, id])
      }
    }
  }

  /// Reminder messages a run left unsent (pending, or deferred and due).
  public func unsentReminderMessages(now: Date = Date()) throws(StoreError) -> [Int64] {
    let stamp = Timestamp.format(now)
    return try read { db in
      try Int64.fetchAll(
        db,
        sql: """
          SELECT m.id FROM messages m JOIN reminder_firings f ON f.message_id = m.id
          WHERE m.state = 'pending' OR (m.state = 'deferred' AND coalesce(m.next_attempt_at, '') <= ?)
          GROUP BY m.id ORDER BY m.id
          """, arguments: [stamp])
    }
  }

  /// When the asks (messages with purpose `ask`) to contact `id` went out
  /// since `since`, oldest first, leaving out message `excluding`. A message
  /// whose body may have gone (`in_data`, `uncertain`) counts.
  public func asks(toContact id: Int64, since: Date, excluding: Int64? = nil) throws(StoreError) -> [Date] {
    try read { db in
      try String.fetchAll(
        db.cachedStatement(
          sql: """
            SELECT coalesce(sent_at, updated_at) AS at FROM messages INDEXED BY messages_asks
            WHERE contact_id = ? AND id <> ? AND \(Self.countedAsk) AND coalesce(sent_at, updated_at) >= ?
            ORDER BY at
            """), arguments: [id, excluding ?? -1, Timestamp.format(since)]
      ).compactMap(Timestamp.parse)
    }
  }

  /// ``asks(toContact:since:excluding:)`` for many clients in one read: the
  /// asks since `since` to each of `ids` that had any, oldest first. `intro
  /// due` checks every due ask at once (one read per ask took seconds on a
  /// store with 100,000 referrals).
  public func asks(toContacts ids: Set<Int64>, since: Date) throws(StoreError) -> [Int64: [Date]] {
    guard !ids.isEmpty else { return [:] }
    return try read { db in
      var asks: [Int64: [Date]] = [:]
      let rows = try Row.fetchCursor(
        db,
        sql: """
          SELECT contact_id, coalesce(sent_at, updated_at) AS at FROM messages INDEXED BY messages_asks
          WHERE contact_id IS NOT NULL AND \(Self.countedAsk) AND coalesce(sent_at, updated_at) >= ?
          ORDER BY contact_id, at
          """, arguments: [Timestamp.format(since)])
      while let row = try rows.next() {
        let id: Int64 = row[0]
        guard ids.contains(id), let at = Timestamp.parse(row[1]) else { continue }
        asks[id, default: []].append(at)
      }
      return asks
    }
  }

  /// A message the fatigue guard counts: an ask whose body may have gone.
  static let countedAsk = "purpose = 'ask' AND state IN ('sent', 'in_data', 'uncertain')"

  /// A value kept in the store (`paused_until`), or nil.
  public func setting(_ name: String) throws(StoreError) -> String? {
    try read { db in
      try String.fetchOne(db, sql: "SELECT value FROM store_settings WHERE name = ?", arguments: [name])
    }
  }

  /// Sets (or, with nil, removes) a value kept in the store.
  public func setSetting(_ name: String, to value: String?) throws(StoreError) {
    try write { db in
      if let value {
        try db.execute(
          sql: "INSERT OR REPLACE INTO store_settings (name, value) VALUES (?, ?)", arguments: [name, value])
      } else {
        try db.execute(sql: "DELETE FROM store_settings WHERE name = ?", arguments: [name])
      }
    }
  }
}

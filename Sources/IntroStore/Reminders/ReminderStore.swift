import Foundation

/// What `intro due` and `intro remind` need of a store, on either backend.
///
/// On a team's PostgreSQL store each rep's reminders are about the
/// referrals that rep owns (and those nobody owns, copied from a file);
/// clients are the team's, so a client's check-in fires once for the team,
/// sent by whichever rep's run gets there first. A firing is a unique row
/// (rule, subject, occurrence) inserted with `ON CONFLICT DO NOTHING` in the
/// same transaction as its message: however many runs on however many hosts
/// find a reminder due, one stores it and its message.
public protocol ReminderStore: BatchStore {
  /// The rep whose reminders these are on a shared store; nil on a rep's own file.
  var rep: String? { get }
  /// Referrals, clients and firings as one transaction sees them.
  func reminderFacts() throws(StoreError) -> ReminderFacts
  /// One referral's facts now, to check at send time that a reminder still applies.
  func referralFacts(id: Int64) throws(StoreError) -> ReminderFacts.ReferralFacts?
  /// The firing that made message `id`, if a reminder made it.
  func firing(messageID id: Int64) throws(StoreError) -> FiringKey?
  /// Records firings and their messages in one transaction, committed before
  /// anything is sent: a firing already recorded (by an earlier or a
  /// concurrent run) is skipped with its message, so each fires once. Rep
  /// tasks are recorded only with the digest that lists them.
  /// - Returns: the new messages' ids, in order, the digest last.
  func recordFirings(
    _ firings: [NewFiring], tasks: [NewFiring], digest: NewFiring?, command: String, now: Date
  ) throws(StoreError) -> (messageIDs: [Int64], fired: [FiringKey])
  /// Reminder messages not yet sent (pending or deferred) with their firings.
  func unsentReminders() throws(StoreError) -> [(messageID: Int64, key: FiringKey)]
  /// Marks messages that will not be sent, each with why (`suppressed`, the note as its last error).
  func withhold(_ notes: [(messageID: Int64, note: String)], now: Date) throws(StoreError)
  /// Reminder messages a run left unsent (pending, or deferred and due); on a
  /// team store only this rep's, which only this rep's relay may send.
  func unsentReminderMessages(now: Date) throws(StoreError) -> [Int64]
  /// The asks since `since` to each of `ids` that had any (by any rep), oldest first.
  func asks(toContacts ids: Set<Int64>, since: Date) throws(StoreError) -> [Int64: [Date]]
  /// A value kept in the store, or nil.
  func setting(_ name: String) throws(StoreError) -> String?
  /// Sets (or, with nil, removes) a value kept in the store.
  func setSetting(_ name: String, to value: String?) throws(StoreError)
}

extension ReminderStore {
  /// The setting that holds this rep's pause (`intro pause`): one per rep on a shared store.
  public var pauseSetting: String { "paused_until" + (rep.map { ":" + $0 } ?? "") }

  /// The subject of this rep's daily digest firing: one per rep on a shared store.
  public var digestSubject: String { "rep" + (rep.map { ":" + $0 } ?? "") }
}

extension Store: ReminderStore {
  /// A rep's own file: every row is theirs.
  public var rep: String? { nil }
}

extension ReminderFacts.ReferralFacts {
  /// A row of ``ReminderFacts/referralSQL``, its columns by position.
  init(row: some ColumnReader) {
    let entered = row.text(6).flatMap(Timestamp.parse)
    self.init(
      id: row.integer(0) ?? 0, introducerID: row.integer(1) ?? 0, prospectID: row.integer(2) ?? 0,
      stage: row.text(3).flatMap(ReferralStage.init(rawValue:)) ?? .asked, promisedBy: row.text(4),
      stageEnteredAt: entered ?? Timestamp.parse(row.string(5)) ?? Date(timeIntervalSince1970: 0))
  }
}

extension ReminderFacts.ClientFacts {
  /// A row of ``ReminderFacts/clientSQL(greatest:)``, its columns by position.
  init(row: some ColumnReader) {
    self.init(
      id: row.integer(0) ?? 0, saleClosedOn: row.text(1), lastContactAt: Timestamp.parse(row.string(4)),
      createdAt: Timestamp.parse(row.string(2)) ?? Date(timeIntervalSince1970: 0), doNotContact: row.flag(3))
  }
}

extension FiringKey {
  /// A row whose columns `first`, `first + 1`, `first + 2` are rule, subject and occurrence.
  init(row: some ColumnReader, from first: Int = 0) {
    self.init(rule: row.string(first), subject: row.string(first + 1), occurrence: row.string(first + 2))
  }
}

extension ReminderFacts {
  /// A referral with the moment it entered its current stage (its last real move there).
  static let referralSQL = """
    SELECT r.id, r.introducer_id, r.prospect_id, r.stage, r.promised_by, r.created_at,
      (SELECT max(c.changed_at) FROM referral_stage_changes c
        WHERE c.referral_id = r.id AND c.to_stage = r.stage AND coalesce(c.from_stage, '') <> c.to_stage)
        AS entered_at
    FROM referrals r
    """

  /// Clients with their last contact (a touch, or a message sent): `greatest`
  /// is the dialect's two-argument maximum (`max` in SQLite, `GREATEST` in PostgreSQL).
  static func clientSQL(greatest: String) -> String {
    """
    SELECT c.id, c.sale_closed_on, c.created_at, c.do_not_contact,
      \(greatest)(coalesce(c.last_contact_at, ''),
        coalesce((SELECT max(m.sent_at) FROM messages m WHERE m.contact_id = c.id AND m.state = 'sent'), ''))
        AS last_contact
    FROM contacts c WHERE c.is_client = 1
    """
  }

  static let firingsSQL = "SELECT rule, subject_key, occurrence FROM reminder_firings"

  /// Stores `firings` and their messages through `recorder`, the same way on
  /// both backends: `insert` adds a firing row unless its key is there (true
  /// when it did), `link` points a firing at its message.
  static func record(
    _ firings: [NewFiring], tasks: [NewFiring], digest: NewFiring?, recorder: any BatchRecording,
    insert: (NewFiring, _ messageID: Int64?) throws -> Bool,
    link: (FiringKey, _ messageID: Int64) throws -> Void
  ) throws -> (messageIDs: [Int64], fired: [FiringKey]) {
    var ids: [Int64] = []
    var fired: [FiringKey] = []
    for firing in firings {
      guard try insert(firing, nil) else { continue }
      fired.append(firing.key)
      guard let message = firing.message else { continue }
      try recorder.add(message)
      let messageID = recorder.messageIDs[recorder.messageIDs.count - 1]
      try link(firing.key, messageID)
      ids.append(messageID)
    }
    if let digest, let message = digest.message, !tasks.isEmpty, try insert(digest, nil) {
      try recorder.add(message)
      let messageID = recorder.messageIDs[recorder.messageIDs.count - 1]
      try link(digest.key, messageID)
      fired.append(digest.key)
      for task in tasks where try insert(task, messageID) { fired.append(task.key) }
      ids.append(messageID)
    }
    return (ids, fired)
  }
}

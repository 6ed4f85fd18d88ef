import Foundation
internal import GRDB

/// What one claim gave a run.
public struct Claim: Sendable {
  /// The messages now `sending` for this run, in the order they were asked for.
  public var claimed: [ClaimedMessage] = []
  /// How many were settled as `suppressed` instead: their recipient opted out since the batch was made.
  public var suppressed = 0
  /// Asked for and waiting, but held by another run's claim at that moment
  /// (a team store, where runs share a batch): that run sends them and
  /// answers for them, so they are not work left for this one.
  public var heldElsewhere: [Int64] = []

  public init(claimed: [ClaimedMessage] = [], suppressed: Int = 0, heldElsewhere: [Int64] = []) {
    self.claimed = claimed
    self.suppressed = suppressed
    self.heldElsewhere = heldElsewhere
  }
}

/// A message a run has claimed (`sending`): everything needed to deliver it.
public struct ClaimedMessage: Sendable {
  public var id: Int64
  public var messageID: String
  public var recipient: String
  /// The recipient as suppressions know it (the normalised address).
  public var recipientKey: String
  public var sender: String
  public var body: [UInt8]
  /// The state it was claimed from, to put it back if the run stops before trying it.
  public var previousState: MessageState
  /// Attempts before this one.
  public var attemptCount: Int
  /// When it was first tried; nil before the first attempt.
  public var firstAttemptAt: Date?
  /// An ask or a thank-you, when it is one.
  public var purpose: MessagePurpose?
  /// The contact it goes to, when it came from the store's contacts.
  public var contactID: Int64?
  /// A reminder made it: whether it still applies is checked before it goes.
  public var isReminder = false
  /// The ``OptOutSignal/generation`` its recipient was checked against the
  /// suppression list at; when the signal has moved since, check again.
  public var checkedAtOptOuts: UInt64?
}

/// What a run found left over by a run that did not finish.
public struct RecoveryReport: Sendable, Equatable {
  /// Claimed but not started: safe to send again.
  public var requeued = 0
  /// The body may have gone out: now `uncertain`.
  public var uncertain: [Int64] = []
}

extension Store {
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
    let report = try write(durable: true, .recover) { db in
      replayed = try DeliveryJournal.replay(path, db)
      var report = RecoveryReport()
      let rows = try Row.fetchAll(
        db,
        sql: "SELECT id, state, boot_id, attempt_count FROM messages WHERE state IN ('sending', 'in_data')")
      for row in rows {
        let id: Int64 = row["id"]
        let state: String = row["state"]
        let claimedOnBoot: String? = row["boot_id"]
        let (update, uncertain) = Self.recoveryUpdate(
          id: id, state: state, attempts: row["attempt_count"], claimedOnBoot: claimedOnBoot,
          requeue: state == MessageState.sending.rawValue && claimedOnBoot == bootID, bootID: bootID, now: now
        )
        if uncertain { report.uncertain.append(id) } else { report.requeued += 1 }
        try Self.apply(update, db)
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
  ) throws(StoreError) -> Claim {
    let stamp = Timestamp.format(now)
    // Read before the transaction: a suppression committed after this raises
    // the signal past it, so the hand-out checks that message again.
    let optOutGeneration = optOuts.generation
    let rotation = try journal?.rotate()
    let result: Claim
    do {
      result = try write(durable: true, ids.isEmpty ? .fold : .claim) { db in
        if let rotation, let last = rotation.numbers.last {
          for update in DeliveryJournal.coalesced(rotation.updates) { try Self.apply(update, db) }
          try DeliveryJournal.setApplied(last, db)
        }
        var claim = try Self.claimRows(ids, bootID: bootID, stamp: stamp, db)
        for index in claim.claimed.indices { claim.claimed[index].checkedAtOptOuts = optOutGeneration }
        return claim
      }
    } catch {
      // Not folded: the lines stay in memory (and in their files) for the next fold.
      if let rotation { journal?.requeue(rotation) }
      throw error
    }
    for number in rotation?.numbers ?? [] { unlink(DeliveryJournal.path(path, number)) }
    return result
  }

  /// How recovery settles a message a run left `sending` or `in_data`: back
  /// to pending (or deferred, after earlier attempts) when it can be sure the
  /// body never left (`requeue`), else `uncertain`.
  static func recoveryUpdate(
    id: Int64, state: String, attempts: Int, claimedOnBoot: String?, requeue: Bool, bootID: String, now: Date
  ) -> (update: DeliveryUpdate, uncertain: Bool) {
    if requeue {
      let attempt = AttemptRecord(
        startedAt: now, finishedAt: now, outcome: "temporary", stage: "connect",
        detail: "the run stopped before the message body was sent; it will be sent again", bootID: bootID)
      let newState: MessageState = attempts == 0 ? .pending : .deferred
      return (
        .finished(
          id: id, state: newState, attempt: attempt, nextAttemptAt: newState == .deferred ? now : nil,
          note: nil,
          charged: false), false
      )
    }
    let inData = state == MessageState.inData.rawValue
    let why =
      inData
      ? "the run stopped while the message body was being sent; the server may have accepted it"
      : "the machine restarted while the message was being sent; the server may have accepted it"
    let attempt = AttemptRecord(
      startedAt: now, finishedAt: now, outcome: "uncertain", stage: inData ? "body" : nil, detail: why,
      bootID: claimedOnBoot)
    return (
      .finished(id: id, state: .uncertain, attempt: attempt, nextAttemptAt: nil, note: why, charged: true),
      true
    )
  }

  private static func claimRows(_ ids: [Int64], bootID: String, stamp: String, _ db: Database) throws
    -> Claim
  {
    var claimed: [ClaimedMessage] = []
    var suppressed = 0
    guard !ids.isEmpty else { return Claim() }
    // One query and one update for the group: a statement per message cost
    // more in binding and stepping than the rows themselves.
    let marks = Array(repeating: "?", count: ids.count).joined(separator: ", ")
    var rows: [Int64: Row] = [:]
    let found = try Row.fetchCursor(
      db.cachedStatement(
        sql: """
          SELECT id, message_id, recipient, recipient_key, envelope_sender, body, state, next_attempt_at,
            attempt_count, first_attempt_at, purpose, contact_id,
            EXISTS (SELECT 1 FROM reminder_firings f WHERE f.message_id = messages.id) AS reminded
          FROM messages WHERE id IN (\(marks)) AND state IN ('pending', 'deferred')
          """), arguments: StatementArguments(ids))
    while let row = try found.next() { rows[row["id"]] = row.copy() }
    let suppressions = try SuppressionList(db)
    for id in ids {
      guard let row = rows[id], let state = MessageState(rawValue: row["state"]) else { continue }
      if state == .deferred, let next: String = row["next_attempt_at"], next > stamp { continue }
      let key: String = row["recipient_key"] ?? row["recipient"]
      if try suppressions.contains(key, db) {
        try markSuppressed(id, stamp: stamp, db)
        suppressed += 1
        continue
      }
      let body: Data = row["body"]
      claimed.append(
        ClaimedMessage(
          id: id, messageID: row["message_id"], recipient: row["recipient"], recipientKey: key,
          sender: row["envelope_sender"], body: Array(body), previousState: state,
          attemptCount: row["attempt_count"],
          firstAttemptAt: (row["first_attempt_at"] as String?).flatMap(Timestamp.parse),
          purpose: (row["purpose"] as String?).flatMap(MessagePurpose.init(rawValue:)),
          contactID: row["contact_id"], isReminder: row["reminded"]))
    }
    if !claimed.isEmpty {
      let claimedMarks = Array(repeating: "?", count: claimed.count).joined(separator: ", ")
      try db.cachedStatement(
        sql:
          "UPDATE messages SET state = 'sending', boot_id = ?, updated_at = ? WHERE id IN (\(claimedMarks))"
      ).execute(arguments: [bootID, stamp] + StatementArguments(claimed.map(\.id)))
    }
    return Claim(claimed: claimed, suppressed: suppressed)
  }

  static func markSuppressed(
    _ id: Int64, stamp: String, note: String = "suppressed: the address is on the do-not-contact list",
    _ db: Database
  ) throws {
    try db.cachedStatement(
      sql:
        "UPDATE messages SET state = 'suppressed', boot_id = NULL, last_error = ?, updated_at = ? WHERE id = ?"
    ).execute(arguments: [note, stamp, id])
  }
}

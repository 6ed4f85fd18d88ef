import Foundation
import Synchronization

/// The send pipeline on a team's PostgreSQL store.
///
/// - **No run lock.** Runs on many hosts share one batch: a claim takes rows
///   with `FOR UPDATE SKIP LOCKED` and marks them `sending` in the same
///   statement, so no two runs ever claim one message, and none waits for another.
/// - **Every step committed on the server.** `in_data` is committed before the
///   first byte of the body leaves and each outcome before the session's next
///   command, so a process killed or a machine that loses power loses nothing
///   the server had: a message still `sending` never left.
/// - **Recovery per host.** A claim records who made it (`boot_id` holds the
///   kernel boot id, the host name and the pid). A run settles its own host's
///   rows whose process is gone (another boot, or a pid no longer running):
///   `sending` goes back to pending, `in_data` becomes `uncertain`. Rows of a
///   live run are left alone, and another host's only once their claim has
///   lapsed (``claimLease`` without a step: that host is gone, or stuck).
/// - **A claim is checked before the body goes.** `in_data` is recorded only
///   while the row is still `sending` under this run's claim; a run whose
///   claim was taken over (it lapsed) or whose message was forgotten sends no
///   body and stops. So a lapsed claim settled by another host can never make
///   a message go twice, even if its run was alive after all.
/// - **A lost connection** stops the run (exit 75): what was not committed did
///   not happen, and a message whose `in_data` could not be recorded is never
///   sent.
extension PostgresStore: DeliveryStore {
  public func lockRuns(wait: TimeInterval) throws(StoreError) -> RunLock? { nil }

  /// Small claims, so runs on several hosts started together share the batch.
  public var claimGroupLimit: Int? { 16 }

  /// Who claims: boot id, host name and pid, space-separated.
  static func claimant(bootID: String) -> String {
    "\(bootID) \(Self.hostName) \(getpid())"
  }

  /// How long another host's claim may go without a step before any run may
  /// settle it: far longer than a claim of 16 messages takes at any sane rate.
  public static let claimLease: TimeInterval = 6 * 3600

  /// Whether `claimant` was made on this host.
  static func isOwnHost(_ claimant: String?) -> Bool {
    let parts = (claimant ?? "").split(separator: " ", omittingEmptySubsequences: false)
    return parts.count == 3 && parts[1] == hostName
  }

  static let hostName: String = {
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown-host" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }()

  /// Whether a message claimed by `claimant` may be settled by this process:
  /// claimed on this host by a process that is gone. A claim from a SQLite
  /// file (`intro store copy`), which holds only a boot id, is settled as
  /// the file's recovery would.
  static func abandoned(_ claimant: String?, bootID: String) -> (settle: Bool, sameBoot: Bool) {
    let parts = (claimant ?? "").split(separator: " ", omittingEmptySubsequences: false).map(String.init)
    guard parts.count == 3, let pid = Int32(parts[2]) else { return (true, claimant == bootID) }
    guard parts[1] == hostName else { return (false, false) }
    guard parts[0] == bootID else { return (true, false) }
    let alive = pid == getpid() || kill(pid, 0) == 0 || errno == EPERM
    return (!alive, true)
  }

  public func recoverInterrupted(bootID: String, now: Date) throws(StoreError) -> RecoveryReport {
    try withConnection { connection throws(StoreError) in
      try connection.transaction { () throws(StoreError) in
        var report = RecoveryReport()
        let rows = try connection.execute(
          "SELECT id, state, boot_id, attempt_count, updated_at < $1 FROM messages "
            + "WHERE state IN ('sending', 'in_data') ORDER BY id FOR UPDATE SKIP LOCKED",
          [Timestamp.format(now.addingTimeInterval(-Self.claimLease))]
        ).rows
        for row in rows {
          guard let id = row[0].integer, let state = row[1].text else { continue }
          let claimant = row[2].text
          var (settle, sameBoot) = Self.abandoned(claimant, bootID: bootID)
          // Another host's claim with no step for longer than the lease: that
          // host is gone. Safe even if it is not (see the in_data check).
          if !settle, row[4] == .integer(1), !Self.isOwnHost(claimant) {
            (settle, sameBoot) = (true, false)
          }
          guard settle else { continue }
          // In a team store `in_data` is committed before the body leaves, so a
          // `sending` message never left, whatever became of the machine; a
          // claim copied from a file keeps the file's rule.
          let fromFile = claimant.map { !$0.contains(" ") } ?? true
          let requeue = state == MessageState.sending.rawValue && (sameBoot || !fromFile)
          let (update, uncertain) = Store.recoveryUpdate(
            id: id, state: state, attempts: Int(row[3].integer ?? 0), claimedOnBoot: claimant,
            requeue: requeue,
            bootID: Self.claimant(bootID: bootID), now: now)
          if uncertain { report.uncertain.append(id) } else { report.requeued += 1 }
          try Self.apply(update, connection)
        }
        return report
      }
    }
  }

  public func openDeliveryLog() throws(StoreError) -> any DeliveryLog { PostgresDeliveryLog(store: self) }

  public func claim(_ ids: [Int64], bootID: String, log: any DeliveryLog) throws(StoreError) -> Claim {
    guard !ids.isEmpty else { return Claim() }
    (log as? PostgresDeliveryLog)?.claimant.withLock { $0 = Self.claimant(bootID: bootID) }
    let stamp = Timestamp.format(Date())
    return try withConnection { connection throws(StoreError) in
      try connection.transaction { () throws(StoreError) in
        let rows = try connection.execute(
          """
          WITH picked AS (
            SELECT id, state FROM messages
            WHERE id = ANY($1::bigint[])
              AND (state = 'pending' OR (state = 'deferred' AND coalesce(next_attempt_at, '') <= $3))
            ORDER BY id FOR UPDATE SKIP LOCKED
          )
          UPDATE messages m SET state = 'sending', boot_id = $2, updated_at = $3
          FROM picked WHERE m.id = picked.id
          RETURNING m.id, m.message_id, m.recipient, coalesce(m.recipient_key, m.recipient), m.envelope_sender,
            m.body, picked.state, m.attempt_count, m.first_attempt_at, m.purpose, m.contact_id,
            EXISTS (SELECT 1 FROM reminder_firings f WHERE f.message_id = m.id)
          """, [Self.idArray(ids), Self.claimant(bootID: bootID), stamp]
        ).rows
        var claimed: [ClaimedMessage] = []
        for row in rows {
          guard let id = row[0].integer, let previous = row[6].text.flatMap(MessageState.init(rawValue:))
          else {
            continue
          }
          var body: [UInt8] = []
          if case .blob(let bytes) = row[5] { body = bytes }
          claimed.append(
            ClaimedMessage(
              id: id, messageID: row[1].text ?? "", recipient: row[2].text ?? "",
              recipientKey: row[3].text ?? "",
              sender: row[4].text ?? "", body: body, previousState: previous,
              attemptCount: Int(row[7].integer ?? 0), firstAttemptAt: row[8].text.flatMap(Timestamp.parse),
              purpose: row[9].text.flatMap(MessagePurpose.init(rawValue:)), contactID: row[10].integer,
              isReminder: row[11].integer == 1))
        }
        // Suppressed since the batch was made: settled now, never handed out.
        let suppressed = try Self.suppressedKeys(claimed.map(\.recipientKey), connection)
        for message in claimed where suppressed.contains(message.recipientKey) {
          try Self.apply(.suppressed(id: message.id), connection)
        }
        let order = Dictionary(ids.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        let handedOut = claimed.filter { !suppressed.contains($0.recipientKey) }
          .sorted { order[$0.id, default: 0] < order[$1.id, default: 0] }
        // Still waiting as far as the last commit says, yet skipped: another
        // run's claim holds them and has not committed yet (this statement's
        // snapshot shows this run's own claims as `sending`).
        let held = try connection.execute(
          """
          SELECT id FROM messages WHERE id = ANY($1::bigint[])
            AND (state = 'pending' OR (state = 'deferred' AND coalesce(next_attempt_at, '') <= $2))
          ORDER BY id
          """, [Self.idArray(ids), stamp]
        ).rows.compactMap { $0.first?.integer }
        return Claim(claimed: handedOut, suppressed: claimed.count - handedOut.count, heldElsewhere: held)
      }
    }
  }

  public func stateCounts(ids: [Int64]) throws(StoreError) -> StateCounts {
    try withConnection { connection throws(StoreError) in
      var counts: StateCounts = [:]
      for row in try connection.execute(
        "SELECT state, count(*) FROM messages WHERE id = ANY($1::bigint[]) GROUP BY state",
        [Self.idArray(ids)]
      ).rows {
        if let state = row[0].text.flatMap(MessageState.init(rawValue:)) {
          counts[state, default: 0] += Int(row[1].integer ?? 0)
        }
      }
      return counts
    }
  }

  /// No signal crosses hosts: every hand-out asks the server.
  public var optOutGeneration: UInt64? { nil }

  public func isSuppressed(normalizedEmail: String) throws(StoreError) -> Bool {
    try withConnection { connection throws(StoreError) in
      !(try Self.suppressedKeys([normalizedEmail], connection)).isEmpty
    }
  }

  public func unsettledMessages(batchID: Int64) throws(StoreError) -> [Int64] {
    try withConnection { connection throws(StoreError) in
      guard
        let found = try connection.execute("SELECT 1, rep FROM batches WHERE id = $1", [batchID]).rows.first
      else {
        throw StoreError(.notFound, "there is no batch \(batchID); see 'intro log'")
      }
      // Its messages name that rep as the sender, and only that rep's relay may send them.
      if let owner = found[1].text, owner != rep {
        throw StoreError(
          .invalidInput,
          "batch \(batchID) is \(owner)'s: their own 'intro send --resume \(batchID)' sends the rest, "
            + "from their address and relay")
      }
      return try connection.execute(
        "SELECT id FROM messages WHERE batch_id = $1 AND state IN ('pending', 'deferred') ORDER BY id",
        [batchID]
      ).rows.compactMap { $0.first?.integer }
    }
  }

  public func dueMessages(now: Date) throws(StoreError) -> [Int64] {
    try withConnection { connection throws(StoreError) in
      try connection.execute(
        """
        SELECT id FROM messages WHERE state = 'deferred' AND next_attempt_at <= $1 AND (rep IS NULL OR rep = $2)
        ORDER BY next_attempt_at, id
        """, [Timestamp.format(now), rep]
      ).rows.compactMap { $0.first?.integer }
    }
  }

  public func asks(toContact id: Int64, since: Date, excluding: Int64?) throws(StoreError) -> [Date] {
    try withConnection { connection throws(StoreError) in
      try connection.execute(
        """
        SELECT coalesce(sent_at, updated_at) AS at FROM messages
        WHERE contact_id = $1 AND id <> $2 AND \(Store.countedAsk) AND coalesce(sent_at, updated_at) >= $3
        ORDER BY at
        """, [id, excluding ?? -1, Timestamp.format(since)]
      ).rows.compactMap { $0.first?.text.flatMap(Timestamp.parse) }
    }
  }

  // MARK: Steps

  /// `ids` as a PostgreSQL array literal, bound as one value.
  static func idArray(_ ids: [Int64]) -> String {
    "{" + ids.map(String.init).joined(separator: ",") + "}"
  }

  /// Which of the normalised addresses `keys` are on the suppression list
  /// (HMAC with the store's key, as in the SQLite store and copied with it).
  static func suppressedKeys(_ keys: [String], _ connection: PostgresConnection) throws(StoreError) -> Set<
    String
  > {
    guard !keys.isEmpty,
      let key = try connection.execute("SELECT value FROM store_settings WHERE name = 'suppression_key'")
        .scalar?
        .text
    else { return [] }
    var byHash: [String: String] = [:]
    for address in keys {
      byHash[SHA256.hex(SHA256.hmac(key: Array(key.utf8), message: Array(address.utf8)))] = address
    }
    let found = try connection.execute(
      "SELECT address_hash FROM suppressions WHERE address_hash = ANY($1::text[])",
      [Self.textArray(Array(byHash.keys))]
    ).rows.compactMap { $0.first?.text }
    return Set(found.compactMap { byHash[$0] })
  }

  /// Hex strings as a PostgreSQL array literal (no quoting needed: [0-9a-f] only).
  private static func textArray(_ values: [String]) -> String {
    "{" + values.joined(separator: ",") + "}"
  }

  /// One step of a run, as the SQLite store's journal fold applies it.
  /// - Parameter claimant: the run's claim, which `in_data` and a release
  ///   require the row to still be under; nil for recovery and `intro resolve`.
  static func apply(_ update: DeliveryUpdate, _ connection: PostgresConnection, claimant: String? = nil)
    throws(StoreError)
  {
    let stamp = Timestamp.format(Date())
    let suppressedNote = "suppressed: the address is on the do-not-contact list"
    switch update {
    case .bodyStarted(let id):
      let changed = try connection.execute(
        "UPDATE messages SET state = 'in_data' WHERE id = $1 AND state = 'sending' "
          + "AND ($2::text IS NULL OR boot_id = $2)", [id, claimant]
      ).changed
      guard changed == 1 || claimant == nil else {
        throw StoreError(
          .database,
          "message \(id) is no longer this run's to send (its claim lapsed and another run settled it, "
            + "or it was forgotten); its body was not sent. Run the command again")
      }
    case .released(let id, let state):
      try connection.execute(
        "UPDATE messages SET state = $1 WHERE id = $2 AND state = 'sending' AND ($3::text IS NULL OR boot_id = $3)",
        [state.rawValue, id, claimant])
    case .suppressed(let id):
      try markSuppressed(id, note: suppressedNote, stamp: stamp, connection)
    case .withheld(let id, let note):
      try markSuppressed(id, note: note, stamp: stamp, connection)
    case .finished(let id, let state, let attempt, let next, let note, let charged):
      let started = Timestamp.format(attempt.startedAt)
      let finished = attempt.finishedAt.map(Timestamp.format) ?? started
      let changed = try connection.execute(
        """
        UPDATE messages SET state = $1, attempt_count = attempt_count + $2,
          first_attempt_at = coalesce(first_attempt_at, $3), next_attempt_at = $4, last_error = $5,
          sent_at = CASE WHEN $1 = 'sent' THEN $6 ELSE sent_at END, updated_at = $6
        WHERE id = $7 AND ($8::text IS NULL OR boot_id = $8)
        """,
        [
          state.rawValue, charged ? 1 : 0, charged ? started : nil, next.map(Timestamp.format), note,
          finished, id, claimant,
        ] as [any SQLBindable]
      ).changed
      // The message may have been forgotten (`contact forget`) while a run was
      // on it, or another run may have taken over its lapsed claim: then this
      // run's outcome is not the message's.
      guard changed == 1 else { return }
      if state == .sent {
        // An ask or a thank-you that went out is a touch with the client.
        try connection.execute(
          """
          INSERT INTO touches (contact_id, kind, note, happened_at, rep)
          SELECT contact_id, 'email', purpose || ': ' || coalesce(template, 'message'), $1, rep
          FROM messages WHERE id = $2 AND purpose IS NOT NULL AND contact_id IS NOT NULL
          """, [finished, id])
      }
      try connection.execute(
        """
        INSERT INTO delivery_attempts (message_id, started_at, finished_at, outcome, stage, smtp_code,
          smtp_text, detail, boot_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        """,
        [
          id, started, attempt.finishedAt.map(Timestamp.format), attempt.outcome, attempt.stage,
          attempt.smtpCode,
          attempt.smtpText, attempt.detail, attempt.bootID,
        ] as [any SQLBindable])
    }
  }

  private static func markSuppressed(
    _ id: Int64, note: String, stamp: String, _ connection: PostgresConnection
  )
    throws(StoreError)
  {
    try connection.execute(
      "UPDATE messages SET state = 'suppressed', boot_id = NULL, last_error = $1, updated_at = $2 WHERE id = $3",
      [note, stamp, id])
  }
}

/// A run's steps on PostgreSQL: each one committed on the server before
/// `append` returns (a step of several statements in one transaction).
final class PostgresDeliveryLog: DeliveryLog {
  private let store: PostgresStore
  /// Whose claims this run's steps are about: set by the run's first claim.
  let claimant = Mutex<String?>(nil)

  init(store: PostgresStore) { self.store = store }

  func append(_ update: DeliveryUpdate) throws(StoreError) {
    let claimant = claimant.withLock { $0 }
    try store.withConnection { connection throws(StoreError) in
      if case .finished = update {
        try connection.transaction { () throws(StoreError) in
          try PostgresStore.apply(update, connection, claimant: claimant)
        }
      } else {
        try PostgresStore.apply(update, connection, claimant: claimant)
      }
    }
  }

  func finish() throws(StoreError) {}
}

import Foundation
import IntroMail
public import IntroSMTP
public import IntroStore
import Synchronization

/// The last word before a reminder or an ask goes out: a reason not to send
/// it (the referral moved on, the client was asked too recently), or nil.
/// It runs just before `MAIL FROM`, so a change committed before then wins.
public struct SendVeto: Sendable {
  public let reason: @Sendable (ClaimedMessage) throws(StoreError) -> String?

  public init(_ reason: @escaping @Sendable (ClaimedMessage) throws(StoreError) -> String?) {
    self.reason = reason
  }
}

/// Delivers stored messages and journals every step.
///
/// ## Durability without one flush per message
///
/// A message's state must be safe before the next network step, yet a flush
/// (`fsync`) costs milliseconds and even an unflushed SQLite transaction costs
/// a hundred microseconds and a dozen system calls. So:
///
/// 1. **Claims are flushed, a group at a time.** Messages are claimed
///    (`pending → sending`) ``SendOptions/claimGroup`` at a time in one store
///    commit with `synchronous = FULL`, each tagged with the kernel boot id.
/// 2. **Steps are appended, not committed.** `in_data` (before the first byte
///    of the body leaves) and the outcome (before the connection's next
///    command) are appended to the run's ``DeliveryJournal`` with one
///    `write(2)`: in the kernel's page cache, they survive the process being
///    killed at any instant.
/// 3. **Group commit.** Each claim folds everything appended since the last
///    one into the store in the same flushed commit, so the store is at most
///    one group behind, and a batch costs one flush per group, not per message.
/// 4. **Nobody waits for the store.** Claims (and with them the fold and the
///    flush) run on a thread of their own, a group ahead of the connections,
///    which only take claimed messages and append to the journal.
///
/// After a crash, the next run (holding the store's run lock) replays the
/// journal and settles what was left (``Store/recoverInterrupted(bootID:now:)``):
/// `sending` on the same boot means the process died before the body, so the
/// message goes again; `in_data` means the server may have it, so it is
/// `uncertain`. After a power loss the unflushed journal is gone and a message
/// may be back at `sending` although it was sent; its boot id is not this
/// boot's, so it becomes `uncertain` instead of being sent twice. Flushed
/// claims guarantee no message falls back to `pending`.
public final class BatchRunner: Sendable {
  private let store: any DeliveryStore
  private let transport: any MailTransport
  private let options: SendOptions
  private let bootID: String
  private let veto: SendVeto?
  private let stopRequested = Atomic(false)

  /// - Parameter veto: asked just before a reminder or an ask goes out whether
  ///   it still should (see ``SendVeto``).
  public init(
    store: any DeliveryStore, transport: any MailTransport, options: SendOptions,
    bootID: String = BootID.current,
    veto: SendVeto? = nil
  ) {
    self.store = store
    self.transport = transport
    self.options = options
    self.bootID = bootID
    self.veto = veto
  }

  /// Asks a running ``run(_:progress:)`` to stop after the messages in flight.
  public func stop() { stopRequested.store(true, ordering: .relaxed) }

  /// Sends the stored messages `ids` in order over the transport's parallel sessions.
  /// Call with the store's ``RunLock`` held and after recovering interrupted runs.
  /// - Parameter progress: called after every outcome, from a session's thread.
  public func run(_ ids: [Int64], progress: @escaping @Sendable (SendCounts) -> Void = { _ in })
    throws(StoreError) -> SendReport
  {
    let started = Date()
    let sessions = max(1, min(transport.parallelism, ids.count))
    let claimGroup = min(options.claimGroup, store.claimGroupLimit ?? options.claimGroup)
    let shared = RunState(ids: ids, limit: options.limit, sessions: sessions, claimGroup: claimGroup)
    let journal = try store.openDeliveryLog()
    let pacer = Pacer(perMinute: options.messagesPerMinute)
    let group = DispatchGroup()
    if !ids.isEmpty {
      group.enter()
      let claimer = Thread { [self] in
        defer { group.leave() }
        shared.claimAhead(stopRequested: { stopRequested.load(ordering: .relaxed) }) {
          ids throws(StoreError) in
          try store.claim(Array(ids), bootID: bootID, log: journal)
        }
      }
      claimer.name = "intro-claim"
      claimer.start()
    }
    for number in 1...sessions where !ids.isEmpty {
      group.enter()
      let thread = Thread { [self] in
        defer { group.leave() }
        let session = transport.openSession(number: number)
        defer { session.close() }
        while let message = shared.next(stopRequested: { stopRequested.load(ordering: .relaxed) }) {
          pacer.wait()
          do throws(StoreError) {
            if try isSuppressedSinceClaim(message) {
              try journal.append(.suppressed(id: message.id))
              shared.recordSuppressed()
            } else if message.isReminder || message.purpose == .ask, let veto,
              let note = try veto.reason(message)
            {
              try journal.append(.withheld(id: message.id, note: note))
              shared.recordWithheld()
            } else {
              try deliver(message, over: session, journal: journal, shared: shared)
            }
          } catch {
            shared.fail(error)
            break
          }
          progress(shared.counts)
        }
        shared.sessionEnded()
      }
      thread.name = "intro-send-\(number)"
      thread.start()
    }
    group.wait()
    // Claimed but never tried: back as they were, untouched.
    let hasMore = shared.hasMore
    for message in shared.drain() {
      try journal.append(.released(id: message.id, state: message.previousState))
    }
    try journal.finish()
    if let failure = shared.failure { throw failure }
    var stop = shared.stop
    if stop == nil && stopRequested.load(ordering: .relaxed) && hasMore { stop = .interrupted }
    if stop == nil && hasMore && options.limit != nil { stop = .limit }
    // What another run held when asked for is that run's to send and report.
    let heldElsewhere = shared.heldElsewhere
    let remaining = try store.stateCounts(
      ids: heldElsewhere.isEmpty ? ids : ids.filter { !heldElsewhere.contains($0) })
    return SendReport(
      counts: shared.counts, stop: stop, elapsed: Date().timeIntervalSince(started),
      remaining: (remaining[.pending] ?? 0) + (remaining[.deferred] ?? 0))
  }

  /// Whether `message`'s recipient was suppressed after its claim checked:
  /// one read of the opt-out signal, and a store query only when it moved.
  private func isSuppressedSinceClaim(_ message: ClaimedMessage) throws(StoreError) -> Bool {
    if let now = store.optOutGeneration, now == message.checkedAtOptOuts { return false }
    return try store.isSuppressed(normalizedEmail: message.recipientKey)
  }

  /// One attempt: deliver, decide, journal. The outcome is in the journal
  /// before the session's next command.
  ///
  /// The body leaves only once its `in_data` mark is in the journal: when that
  /// append fails (a full disk), the transfer is abandoned before the first
  /// body byte, the message stays `sending` (sent again by the next run), and
  /// the run stops with the journal's error.
  private func deliver(
    _ message: ClaimedMessage, over session: any MailSession, journal: any DeliveryLog, shared: RunState
  ) throws(StoreError) {
    let started = Date()
    let result: DeliveryResult
    var unrecorded: StoreError?
    do {
      let envelope = Envelope(
        sender: try EnvelopeAddress(message.sender), recipient: try EnvelopeAddress(message.recipient))
      let outgoing = OutgoingMessage(envelope: envelope, data: message.body)
      result = session.deliver(outgoing) {
        // The 354 is in: record in_data before the first byte of the body leaves.
        do throws(StoreError) {
          try journal.append(.bodyStarted(id: message.id))
          return true
        } catch {
          unrecorded = error
          return false
        }
      }
    } catch {
      result = DeliveryResult(outcome: .permanent, stage: .mailFrom, detail: "invalid address: \(error)")
    }
    if let unrecorded { throw unrecorded }
    let now = Date()
    let verdict = Verdict(message: message, result: result, now: now, policy: options.retry)
    let attempt = AttemptRecord(
      startedAt: started, finishedAt: now, outcome: result.outcome.rawValue, stage: result.stage.rawValue,
      smtpCode: result.responseCode, smtpText: result.serverText,
      detail: result.detail ?? result.location.map { "written to \($0)" }, bootID: bootID)
    try journal.append(
      .finished(
        id: message.id, state: verdict.state, attempt: attempt, nextAttemptAt: verdict.nextAttempt,
        note: verdict.note, charged: !verdict.isConnectionFailure))
    shared.record(verdict, result: result, breaker: options.circuitBreaker)
  }
}

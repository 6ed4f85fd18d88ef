import Foundation
public import IntroMail
public import IntroSMTP
public import IntroStore
import Synchronization

/// When a deferred message is tried again, and when it is given up.
public struct RetryPolicy: Sendable {
  /// The wait after the first 4xx.
  public var firstDelay: TimeInterval = 300
  /// The longest wait between two attempts.
  public var maxDelay: TimeInterval = 4000
  /// After this long since the first attempt, a 4xx fails the message (`expired`).
  public var lifetime: TimeInterval = 5 * 86_400
  /// Up to this fraction is added at random, so deferred messages do not return in a herd.
  public var jitter: Double = 0.1

  public init() {}

  /// When to try again after the `attempts`-th attempt failed temporarily:
  /// 300 s, 600 s, 1200 s, 2400 s, then 4000 s, each plus up to 10%.
  public func nextAttempt(after attempts: Int, now: Date) -> Date {
    let doubling = firstDelay * pow(2, Double(max(0, attempts - 1)))
    let delay = min(doubling, maxDelay)
    return now.addingTimeInterval(delay * (1 + Double.random(in: 0...jitter)))
  }

  /// Whether a message first tried at `firstAttempt` has run out of time.
  public func isExpired(firstAttempt: Date, now: Date) -> Bool {
    now.timeIntervalSince(firstAttempt) >= lifetime
  }
}

/// How a run goes: how many, how fast, how patient.
public struct SendOptions: Sendable {
  /// Stop after this many messages have been tried; nil for no limit.
  public var limit: Int? = 1
  /// At most this many messages start per minute, over all connections; nil for no limit.
  public var messagesPerMinute: Double?
  /// Messages claimed per durable commit (see ``BatchRunner``). Bigger groups
  /// mean fewer flushes (10,000 messages: 2.0 s at 256, 2.5 s at 64), but
  /// after a power loss up to two groups come back `uncertain`.
  public var claimGroup = 256
  /// Consecutive connection, TLS or login failures that stop the run.
  public var circuitBreaker = 3
  public var retry = RetryPolicy()

  public init() {}
}

/// Counts of what a run did, for the progress bar and the summary.
public struct SendCounts: Sendable, Equatable, Codable {
  /// Messages the run set out to send.
  public var total = 0
  public var sent = 0
  public var deferred = 0
  public var failed = 0
  public var uncertain = 0
  public var suppressed = 0
  /// Tried, but the relay could not be reached: left as they were.
  public var notSent = 0

  public init() {}

  /// Messages that have an outcome in this run.
  public var done: Int { sent + deferred + failed + uncertain + suppressed + notSent }
}

/// Why a run ended before its messages were all tried.
public enum SendStop: Sendable, Equatable {
  /// `--limit` was reached.
  case limit
  /// Three connection, TLS or login failures in a row; `configuration` when a
  /// person must fix something (TLS, login), else the relay is unreachable.
  case circuitBreaker(configuration: Bool, lastError: String)
  /// The run was asked to stop (Ctrl-C).
  case interrupted
}

/// What a run did.
public struct SendReport: Sendable {
  public var counts: SendCounts
  public var stop: SendStop?
  public var elapsed: TimeInterval
  /// Messages of the run set still waiting (pending, or deferred and not yet due).
  public var remaining: Int
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
  private let store: Store
  private let transport: any MailTransport
  private let options: SendOptions
  private let bootID: String
  private let stopRequested = Atomic(false)

  public init(
    store: Store, transport: any MailTransport, options: SendOptions, bootID: String = BootID.current
  ) {
    self.store = store
    self.transport = transport
    self.options = options
    self.bootID = bootID
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
    let shared = RunState(ids: ids, limit: options.limit, sessions: sessions, claimGroup: options.claimGroup)
    let journal = try DeliveryJournal(store: store)
    let pacer = Pacer(perMinute: options.messagesPerMinute)
    let group = DispatchGroup()
    if !ids.isEmpty {
      group.enter()
      let claimer = Thread { [self] in
        defer { group.leave() }
        shared.claimAhead(stopRequested: { stopRequested.load(ordering: .relaxed) }) {
          ids throws(StoreError) in
          try store.claim(Array(ids), bootID: bootID, journal: journal)
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
            try deliver(message, over: session, journal: journal, shared: shared)
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
    let remaining = try store.stateCounts(ids: ids)
    return SendReport(
      counts: shared.counts, stop: stop, elapsed: Date().timeIntervalSince(started),
      remaining: (remaining[.pending] ?? 0) + (remaining[.deferred] ?? 0))
  }

  /// One attempt: deliver, decide, journal. The outcome is in the journal
  /// before the session's next command.
  private func deliver(
    _ message: ClaimedMessage, over session: any MailSession, journal: DeliveryJournal, shared: RunState
  ) throws(StoreError) {
    let started = Date()
    let result: DeliveryResult
    do {
      let envelope = Envelope(
        sender: try EnvelopeAddress(message.sender), recipient: try EnvelopeAddress(message.recipient))
      let outgoing = OutgoingMessage(envelope: envelope, data: message.body)
      result = session.deliver(outgoing) {
        // The 354 is in: record in_data before the first byte of the body leaves.
        do throws(StoreError) {
          try journal.append(.bodyStarted(id: message.id))
        } catch {
          shared.fail(error)
        }
      }
    } catch {
      result = DeliveryResult(outcome: .permanent, stage: .mailFrom, detail: "invalid address: \(error)")
    }
    let now = Date()
    let verdict = Verdict(message: message, result: result, now: now, policy: options.retry)
    let attempt = AttemptRecord(
      startedAt: started, finishedAt: now, outcome: result.outcome.rawValue, stage: result.stage.rawValue,
      smtpCode: result.responseCode, smtpText: result.serverText, detail: result.detail, bootID: bootID)
    try journal.append(
      .finished(
        id: message.id, state: verdict.state, attempt: attempt, nextAttemptAt: verdict.nextAttempt,
        note: verdict.note, charged: !verdict.isConnectionFailure))
    shared.record(verdict, result: result, breaker: options.circuitBreaker)
  }
}

/// What one attempt means for its message.
struct Verdict {
  var state: MessageState
  var nextAttempt: Date?
  var note: String?
  /// The relay could not be reached or refused the login: the message never left
  /// and is put back as it was; three in a row stop the run.
  var isConnectionFailure = false
  var isConfiguration = false

  init(message: ClaimedMessage, result: DeliveryResult, now: Date, policy: RetryPolicy) {
    if result.outcome == .delivered {
      // The common case, per message: no words to keep beyond the attempt's own.
      state = .sent
      return
    }
    let summary = result.description
    switch result.outcome {
    case .delivered:
      state = .sent
    case .permanent:
      state = .failed
      note = summary
    case .uncertain:
      state = .uncertain
      note = summary
    case .configuration:
      state = message.previousState
      note = summary
      isConnectionFailure = true
      isConfiguration = true
    case .temporary:
      switch result.stage {
      case .connect, .tls, .greeting, .ehlo, .startTLS, .auth, .outbox:
        state = message.previousState
        note = summary
        isConnectionFailure = true
      default:
        if policy.isExpired(firstAttempt: message.firstAttemptAt ?? now, now: now) {
          state = .failed
          note = "expired: still refused after \(Int(policy.lifetime / 86_400)) days; \(summary)"
        } else {
          state = .deferred
          nextAttempt = policy.nextAttempt(after: message.attemptCount + 1, now: now)
          note = summary
        }
      }
    }
  }
}

/// The run's shared state: the messages still to claim, the claimed ones not
/// yet handed out, the counts and the circuit breaker.
private final class RunState: @unchecked Sendable {
  // @unchecked: `state` is only touched with `lock` held (a plain pthread
  // mutex; see DeliveryJournal for why not Synchronization.Mutex).
  private struct Fields {
    var ids: [Int64]
    var position = 0
    var buffer: [ClaimedMessage] = []
    var bufferPosition = 0
    var limit: Int?
    var counts = SendCounts()
    var consecutiveConnectionFailures = 0
    var stop: SendStop?
    var failure: StoreError?
    /// Sessions still taking messages.
    var liveSessions: Int
    /// Messages per claim; the claimer claims again when one group is left.
    var claimGroup: Int
    /// The claimer has finished: what is buffered is all there will be.
    var claimingDone = false
  }

  private let lock = NSCondition()
  private var state: Fields

  init(ids: [Int64], limit: Int?, sessions: Int, claimGroup: Int) {
    state = Fields(ids: ids, limit: limit, liveSessions: sessions, claimGroup: max(1, claimGroup))
    state.counts.total = limit.map { min($0, ids.count) } ?? ids.count
  }

  private func withLock<T, E: Error>(_ body: (inout Fields) throws(E) -> T) throws(E) -> T {
    lock.lock()
    defer { lock.unlock() }
    return try body(&state)
  }

  var counts: SendCounts { withLock { $0.counts } }
  var stop: SendStop? { withLock { $0.stop } }
  var failure: StoreError? { withLock { $0.failure } }
  var hasMore: Bool {
    withLock { $0.position < $0.ids.count || $0.bufferPosition < $0.buffer.count }
  }

  /// Claims the run's messages a group at a time, on its own thread, until
  /// every id is claimed, the limit is reached or the run stops.
  ///
  /// The next group is claimed as soon as only one group of claimed messages
  /// is left, so the claim's flush (and the fold of the journal into the
  /// store) overlaps the sending and no connection waits for the store: with
  /// half a group, the four connections of the send benchmark waited 1.0 s in
  /// all for claims; with one, 0.2 s. Each claim takes the next ids in order,
  /// so no message is claimed twice.
  func claimAhead(
    stopRequested: () -> Bool,
    claim: (ArraySlice<Int64>) throws(StoreError) -> (claimed: [ClaimedMessage], suppressed: Int)
  ) {
    lock.lock()
    defer {
      state.claimingDone = true
      lock.broadcast()
      lock.unlock()
    }
    while state.stop == nil, state.failure == nil, state.liveSessions > 0, !stopRequested() {
      let allowed = state.limit ?? Int.max
      guard state.position < state.ids.count, allowed > 0 else { return }
      let group = state.claimGroup
      if state.buffer.count - state.bufferPosition > group {
        // Woken when a session takes the buffer down to one group, or when the
        // last session ends (which every way of stopping leads to).
        lock.wait()
        continue
      }
      let end = min(state.ids.count, state.position + min(group, allowed))
      let slice = state.ids[state.position..<end]
      state.position = end
      if let limit = state.limit { state.limit = limit - slice.count }
      lock.unlock()
      let outcome: Result<(claimed: [ClaimedMessage], suppressed: Int), StoreError>
      do throws(StoreError) {
        outcome = .success(try claim(slice))
      } catch {
        outcome = .failure(error)
      }
      lock.lock()
      switch outcome {
      case .failure(let error):
        if state.failure == nil { state.failure = error }
        return
      case .success(let (claimed, suppressed)):
        state.buffer = Array(state.buffer[state.bufferPosition...]) + claimed
        state.bufferPosition = 0
        state.counts.suppressed += suppressed
        // Ids skipped as settled or suppressed do not use up the limit.
        if let limit = state.limit { state.limit = limit + slice.count - claimed.count }
      }
      lock.broadcast()
    }
  }

  /// The next message to try, waiting for the claimer when none is claimed yet;
  /// nil when the run is over or asked to stop (a session woken by a claim
  /// after Ctrl-C takes nothing more).
  func next(stopRequested: () -> Bool) -> ClaimedMessage? {
    lock.lock()
    defer { lock.unlock() }
    while true {
      guard state.stop == nil, state.failure == nil, !stopRequested() else { return nil }
      if state.bufferPosition < state.buffer.count {
        defer { state.bufferPosition += 1 }
        // One group left: time for the claimer to claim the next.
        if state.buffer.count - state.bufferPosition == state.claimGroup + 1 { lock.broadcast() }
        return state.buffer[state.bufferPosition]
      }
      guard !state.claimingDone else { return nil }
      lock.wait()
    }
  }

  /// A session has stopped taking messages; when the last one does, the claimer stops too.
  func sessionEnded() {
    withLock { $0.liveSessions -= 1 }
    lock.broadcast()
  }

  func record(_ verdict: Verdict, result: DeliveryResult, breaker: Int) {
    withLock { state in
      if verdict.isConnectionFailure {
        state.counts.notSent += 1
        state.consecutiveConnectionFailures += 1
        if state.consecutiveConnectionFailures >= breaker, state.stop == nil {
          state.stop = .circuitBreaker(configuration: verdict.isConfiguration, lastError: result.description)
        }
        return
      }
      state.consecutiveConnectionFailures = 0
      switch verdict.state {
      case .sent: state.counts.sent += 1
      case .deferred: state.counts.deferred += 1
      case .failed: state.counts.failed += 1
      case .uncertain: state.counts.uncertain += 1
      default: break
      }
    }
  }

  func fail(_ error: StoreError) {
    withLock { state in
      if state.failure == nil { state.failure = error }
    }
    lock.broadcast()
  }

  /// The claimed messages no session took.
  func drain() -> [ClaimedMessage] {
    withLock { state in
      defer { state.buffer = [] }
      return Array(state.buffer[state.bufferPosition...])
    }
  }
}

/// Spaces message starts to at most `perMinute`, over all sessions.
private final class Pacer: Sendable {
  private let interval: TimeInterval
  private let nextSlot = Mutex(Date.distantPast)

  init(perMinute: Double?) {
    interval = perMinute.map { $0 > 0 ? 60 / $0 : 0 } ?? 0
  }

  func wait() {
    guard interval > 0 else { return }
    let slot = nextSlot.withLock { next -> Date in
      let slot = max(next, Date())
      next = slot.addingTimeInterval(interval)
      return slot
    }
    let delay = slot.timeIntervalSinceNow
    if delay > 0 { usleep(UInt32(min(delay, 3600) * 1_000_000)) }
  }
}

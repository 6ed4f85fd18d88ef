import Foundation
import IntroSMTP
import IntroStore
import Synchronization

/// The run's shared state: the messages still to claim, the claimed ones not
/// yet handed out, the counts and the circuit breaker.
final class RunState: @unchecked Sendable {
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
    /// Ids another run held when this one asked for them: that run's to send and count.
    var heldElsewhere: Set<Int64> = []
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
  var heldElsewhere: Set<Int64> { withLock { $0.heldElsewhere } }
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
    claim: (ArraySlice<Int64>) throws(StoreError) -> Claim
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
      let outcome: Result<Claim, StoreError>
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
      case .success(let claim):
        state.buffer = Array(state.buffer[state.bufferPosition...]) + claim.claimed
        state.bufferPosition = 0
        state.counts.suppressed += claim.suppressed
        state.heldElsewhere.formUnion(claim.heldElsewhere)
        // Ids skipped as settled, suppressed or another run's do not use up the limit.
        if let limit = state.limit {
          state.limit = limit + slice.count - claim.claimed.count
        } else {
          state.counts.total -= claim.heldElsewhere.count
        }
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

  /// A claimed message whose recipient opted out before it went.
  func recordSuppressed() {
    withLock { $0.counts.suppressed += 1 }
  }

  /// A claimed message the veto held back.
  func recordWithheld() {
    withLock { $0.counts.withheld += 1 }
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
final class Pacer: Sendable {
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

import Foundation
public import IntroStore

/// Makes chosen store steps fail, as a busy store or a full disk would, so a
/// test can put a fault at any step of a run and watch what the run does.
public final class StoreFaults: StoreFaultInjector, @unchecked Sendable {
  // @unchecked: `plans` and `seen` are touched with `lock` held.
  private let lock = NSLock()
  private var plans: [StoreStep: [(occurrences: ClosedRange<Int>, error: StoreError)]] = [:]
  private var seen: [StoreStep: Int] = [:]
  private var actions: [StoreStep: [Int: @Sendable () -> Void]] = [:]

  public init() {}

  /// Runs `action` when `step` is reached for the `occurrence`-th time, just
  /// before its commit: to stop a run or change the store mid-step.
  public func when(_ step: StoreStep, _ occurrence: Int, _ action: @escaping @Sendable () -> Void) {
    lock.withLock { actions[step, default: [:]][occurrence] = action }
  }

  /// The error a full disk gives.
  public static let diskFull = StoreError(.diskFull, "injected: the disk is full")
  /// The error a store held by another process past the busy timeout gives.
  public static let busy = StoreError(.busy, "injected: the store is busy")

  /// Fails `step` on its `occurrences` (counted from 1 since this injector was made).
  public func fail(_ step: StoreStep, on occurrences: ClosedRange<Int>, with error: StoreError = diskFull) {
    lock.withLock { plans[step, default: []].append((occurrences, error)) }
  }

  /// Fails `step` from its `occurrence`-th time on, for good.
  public func fail(_ step: StoreStep, from occurrence: Int, with error: StoreError = diskFull) {
    fail(step, on: occurrence...Int.max, with: error)
  }

  /// Lets every step through from now on.
  public func heal() { lock.withLock { plans = [:] } }

  /// How many times `step` was reached.
  public func count(_ step: StoreStep) -> Int { lock.withLock { seen[step] ?? 0 } }

  public func fault(at step: StoreStep) -> StoreError? {
    let (error, action) = lock.withLock { () -> (StoreError?, (@Sendable () -> Void)?) in
      let occurrence = (seen[step] ?? 0) + 1
      seen[step] = occurrence
      return (plans[step]?.first { $0.occurrences.contains(occurrence) }?.error, actions[step]?[occurrence])
    }
    action?()
    return error
  }
}

/// A place where the store commits or appends, named so a test can make it fail.
public enum StoreStep: String, Sendable, CaseIterable {
  /// A claim of messages, with the fold of the journal lines appended since the last one.
  case claim
  /// A fold of the journal with nothing to claim (a checkpoint, the end of a run).
  case fold
  /// Appending `in_data` to the delivery journal, just before a body leaves.
  case journalBodyStarted
  /// Appending an attempt's outcome to the delivery journal.
  case journalOutcome
  /// Storing a batch and its messages.
  case recordBatch
  /// Settling what an interrupted run left.
  case recover
  /// Any other write transaction.
  case write
}

/// Decides, for tests, whether a store step fails; a store made without one never fails on purpose.
///
/// A fault at a transaction is raised just before its commit, so the store
/// rolls it back exactly as it does when the real commit fails (the disk is
/// full, another process held the lock too long). A fault at a journal append
/// is raised before the `write(2)`, as a full disk would refuse it.
public protocol StoreFaultInjector: Sendable {
  /// The error to fail `step` with, or nil to let it go through.
  func fault(at step: StoreStep) -> StoreError?
}

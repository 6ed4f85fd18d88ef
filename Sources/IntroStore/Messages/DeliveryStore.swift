import Foundation

/// What a sending run needs of a store, on either backend: the rep's SQLite
/// file (``Store``) or a team's PostgreSQL database (``PostgresStore``).
///
/// The guarantees are the same on both: a message is claimed (`sending`) in a
/// committed transaction before it is tried, `in_data` is recorded before the
/// first byte of its body leaves, and its outcome before the session's next
/// command; recovery sends again only what cannot have left.
public protocol DeliveryStore: AnyObject, Sendable {
  /// Where the store is, for messages.
  var location: String { get }

  /// Taken before a run looks for work and held until it ends. SQLite: one
  /// run per store (an `flock`). PostgreSQL: none; claims skip the rows
  /// another run holds (`FOR UPDATE SKIP LOCKED`), so runs on many hosts share
  /// one batch.
  func lockRuns(wait: TimeInterval) throws(StoreError) -> RunLock?

  /// At most this many messages a claim: nil for no limit. On PostgreSQL
  /// runs on other hosts share the batch, so one run must not take it whole.
  var claimGroupLimit: Int? { get }

  /// Settles what runs that stopped (killed, crashed, lost power) left
  /// `sending` or `in_data`.
  func recoverInterrupted(bootID: String, now: Date) throws(StoreError) -> RecoveryReport

  /// Where the run records each step before the next network step.
  func openDeliveryLog() throws(StoreError) -> any DeliveryLog

  /// Claims `ids` (`pending` or due `deferred`) for this run, settling as
  /// `suppressed` any recipient on the suppression list.
  func claim(_ ids: [Int64], bootID: String, log: any DeliveryLog) throws(StoreError) -> Claim

  /// Counts by state of the messages `ids`.
  func stateCounts(ids: [Int64]) throws(StoreError) -> StateCounts

  /// Moves whenever an address is suppressed, so a hand-out checks again;
  /// nil means "check every message".
  var optOutGeneration: UInt64? { get }

  /// Whether the normalised address is on the suppression list now.
  func isSuppressed(normalizedEmail: String) throws(StoreError) -> Bool

  /// `intro send --resume BATCH`: what the batch still has to send. On a
  /// team store another rep's batch is refused: its messages name that rep.
  func unsettledMessages(batchID: Int64) throws(StoreError) -> [Int64]

  /// `intro send --retry`: deferred messages whose next attempt is due, oldest
  /// first; on a team store only this rep's (and those nobody owns).
  func dueMessages(now: Date) throws(StoreError) -> [Int64]

  /// When client `id` was asked for an introduction since `since` (by any rep
  /// of the store), oldest first, leaving out message `excluding`: the
  /// fatigue guard's count.
  func asks(toContact id: Int64, since: Date, excluding: Int64?) throws(StoreError) -> [Date]
}

/// A run's record of each step, kept before the next network step.
public protocol DeliveryLog: AnyObject, Sendable {
  func append(_ update: DeliveryUpdate) throws(StoreError)
  /// The run is over: everything appended is in the store.
  func finish() throws(StoreError)
}

extension DeliveryJournal: DeliveryLog {}

extension Store: DeliveryStore {
  public var location: String { path }

  public func lockRuns(wait: TimeInterval) throws(StoreError) -> RunLock? {
    try RunLock(storePath: path, wait: wait)
  }

  public func openDeliveryLog() throws(StoreError) -> any DeliveryLog { try DeliveryJournal(store: self) }

  public func claim(_ ids: [Int64], bootID: String, log: any DeliveryLog) throws(StoreError) -> Claim {
    try claim(ids, bootID: bootID, journal: log as? DeliveryJournal)
  }

  public var optOutGeneration: UInt64? { optOuts.generation }

  /// One run per file: a claim may take as many as the run wants.
  public var claimGroupLimit: Int? { nil }
}

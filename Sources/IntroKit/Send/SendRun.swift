import Foundation
public import IntroSMTP
public import IntroStore

/// The messages a run is to deliver, chosen with the run lock held.
public enum SendSelection: Sendable {
  /// Deliver these stored messages, in order; `batch` names them for a person.
  case messages([Int64], batch: Int64?)
  /// Nothing to deliver, and why.
  case nothing(String)
  /// The preflight found problems: nothing was stored.
  case refused(BatchPlan)
}

/// How a delivering command ended.
public enum SendOutcome: Sendable {
  /// The preflight found problems: nothing was stored or sent.
  case refused(BatchPlan)
  /// Nothing was due, and why.
  case nothingToSend(String)
  /// Messages were tried.
  case delivered(SendSummary)

  /// The process's exit status.
  public var status: ExitStatus {
    switch self {
    case .refused: .dataError
    case .nothingToSend: .ok
    case .delivered(let summary): summary.status
    }
  }
}

/// What a run delivered and what that means.
public struct SendSummary: Sendable {
  /// The batch the messages belong to, when there is one.
  public var batch: Int64?
  public var report: SendReport
  /// Settled before the run: what interrupted runs left.
  public var recovery: RecoveryReport
  public var status: ExitStatus
  /// Why the run stopped before its messages were all tried (not for `--limit`).
  public var stopReason: String?
}

/// The one sequence every delivering command follows, on either backend: take
/// the store's run lock where it has one (so overlapping cron runs never
/// double-send; a PostgreSQL store's claims skip what another run holds), settle what interrupted
/// runs left, choose the messages, make the transport, deliver, and turn the
/// report into an exit status. Commands only parse and print.
public struct SendRun {
  public let store: any DeliveryStore
  public var options: SendOptions
  /// Seconds to wait for another run's lock.
  public var lockWait: TimeInterval
  public var bootID: String
  /// Asked before each reminder or ask goes out (see ``SendVeto``).
  public var veto: SendVeto?

  /// Hooks for a command's output while it runs.
  public struct Events {
    /// After recovery, before choosing: what interrupted runs left.
    public var recovered: (RecoveryReport) -> Void = { _ in }
    /// The runner, before it starts, so a command can stop it on Ctrl-C.
    public var starting: (BatchRunner) -> Void = { _ in }
    /// After every outcome, from a session's thread.
    public var progress: @Sendable (SendCounts) -> Void = { _ in }

    public init() {}
  }

  public init(
    store: any DeliveryStore, options: SendOptions, lockWait: TimeInterval, bootID: String = BootID.current
  ) {
    self.store = store
    self.options = options
    self.lockWait = lockWait
    self.bootID = bootID
  }

  /// Runs the sequence. `select` and `transport` are called with the lock held,
  /// in that order; the transport only when there is something to deliver.
  public func perform(
    select: () throws(SendError) -> SendSelection,
    transport: () throws(SendError) -> any MailTransport,
    events: Events = Events()
  ) throws(SendError) -> SendOutcome {
    let lock = try storeStep { () throws(StoreError) in try store.lockRuns(wait: lockWait) }
    defer { withExtendedLifetime(lock) {} }
    let recovery = try storeStep { () throws(StoreError) in
      try store.recoverInterrupted(bootID: bootID, now: Date())
    }
    events.recovered(recovery)
    let ids: [Int64]
    let batch: Int64?
    switch try select() {
    case .refused(let plan): return .refused(plan)
    case .nothing(let reason): return .nothingToSend(reason)
    case .messages(let chosen, let named):
      ids = chosen
      batch = named
    }
    let runner = BatchRunner(
      store: store, transport: try transport(), options: options, bootID: bootID, veto: veto)
    events.starting(runner)
    let report = try storeStep { () throws(StoreError) in try runner.run(ids, progress: events.progress) }
    return .delivered(
      SendSummary(
        batch: batch, report: report, recovery: recovery, status: report.exitStatus,
        stopReason: report.stopReason(circuitBreaker: options.circuitBreaker)))
  }
}

extension SendReport {
  /// The most serious thing that happened: uncertain (76) over rejected (69)
  /// over anything left to do (75: deferred, not reached, interrupted); a
  /// circuit breaker for a configuration problem is 78.
  public var exitStatus: ExitStatus {
    var status = ExitStatus.ok
    // Anything the run meant to try and did not get through is work for a later run.
    if counts.deferred > 0 || counts.notSent > 0 || (stop != .limit && remaining > 0) {
      status = .temporaryFailure
    }
    if counts.failed > 0 { status = status.worse(.rejected) }
    if counts.uncertain > 0 { status = status.worse(.uncertain) }
    switch stop {
    case .circuitBreaker(let configuration, _):
      status = status.worse(configuration ? .configuration : .temporaryFailure)
    case .interrupted: status = status.worse(.temporaryFailure)
    case .limit, nil: break
    }
    return status
  }

  /// Why the run stopped early, for a person; nil when it finished or reached its limit.
  public func stopReason(circuitBreaker: Int) -> String? {
    switch stop {
    case .circuitBreaker(_, let lastError):
      "stopped after \(circuitBreaker) connection failures in a row: \(lastError)"
    case .interrupted: "interrupted: the messages in flight were finished and recorded; the rest wait"
    case .limit, nil: nil
    }
  }
}

public import IntroSMTP
public import IntroStore

/// Process exit codes, following sysexits(3), so cron and scripts can tell
/// "fix your data" from "try again later" from "fix your configuration".
public enum ExitStatus: Int32, Sendable, CaseIterable {
  /// Everything worked.
  case ok = 0
  /// The command line was wrong.
  case usage = 64
  /// Bad input: an address, a message, a template, a CSV file. Nothing was sent.
  case dataError = 65
  /// The server refused a message for good (5xx). Do not retry it unchanged.
  case rejected = 69
  /// A temporary failure (relay down, 4xx, lock busy): run again later.
  case temporaryFailure = 75
  /// The server may or may not have accepted a message (the connection broke
  /// after the body was sent). Check before sending it again.
  case uncertain = 76
  /// The configuration is wrong (TLS, STARTTLS, authentication, permissions).
  case configuration = 78

  /// The status for a set of delivery results: the most serious one wins
  /// (configuration, then uncertain, rejected, temporary).
  public static func worst(of results: some Sequence<DeliveryResult>) -> ExitStatus {
    var status = ExitStatus.ok
    for result in results {
      let this: ExitStatus =
        switch result.outcome {
        case .delivered: .ok
        case .temporary: .temporaryFailure
        case .permanent: .rejected
        case .uncertain: .uncertain
        case .configuration: .configuration
        }
      if this.severity > status.severity { status = this }
    }
    return status
  }

  /// The status for a store error: wait and retry (busy, disk full), fix the
  /// data, or fix the store's setup.
  public init(_ error: StoreError) {
    switch error.kind {
    case .permissions, .database: self = .configuration
    case .invalidInput, .notFound: self = .dataError
    case .busy, .diskFull, .connectionLost: self = .temporaryFailure
    }
  }

  /// The more serious of the two.
  public func worse(_ other: ExitStatus) -> ExitStatus {
    other.severity > severity ? other : self
  }

  private var severity: Int {
    switch self {
    case .ok: 0
    case .temporaryFailure: 1
    case .rejected: 2
    case .uncertain: 3
    case .dataError, .usage: 4
    case .configuration: 5
    }
  }
}

import Foundation

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
  /// Without `--limit` or `--no-limit`, a batch sends one message: safe by default.
  public static let defaultLimit = 1

  /// Stop after this many messages have been tried; nil for no limit.
  public var limit: Int? = defaultLimit
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
  /// Held back at send time: a reminder that no longer applies, an ask too soon.
  public var withheld = 0
  /// Tried, but the relay could not be reached: left as they were.
  public var notSent = 0

  public init() {}

  /// Messages that have an outcome in this run.
  public var done: Int { sent + deferred + failed + uncertain + suppressed + withheld + notSent }
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

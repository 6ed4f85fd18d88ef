import Foundation
public import IntroSMTP

/// A mail transport in memory that plays a script: for every attempt the test
/// says what the "relay" does, and the transport records what it received, so
/// a batch run can be tested in process, fault by fault, with no server.
public final class ScriptedTransport: MailTransport, @unchecked Sendable {
  // @unchecked: every mutable field is touched with `lock` held.

  /// What the relay does with one attempt.
  public enum Step: Sendable {
    /// Takes the message: asks for the body (which the caller may hold back), then 250.
    case accept
    /// Fails before the body with this result (a refused greeting, a 4xx to RCPT, …).
    case refuse(DeliveryResult)
    /// Takes the body, then the connection drops before the verdict: the relay has the message.
    case dropAfterBody
  }

  /// One attempt as the relay saw it.
  public struct Attempt: Sendable {
    public var recipient: String
    public var session: Int
  }

  public let parallelism: Int
  private let script: @Sendable (_ attempt: Int, _ message: OutgoingMessage) -> Step
  private let lock = NSLock()
  private var attemptsSeen: [Attempt] = []
  private var bodies: [OutgoingMessage] = []
  private var sessionsOpened = 0
  private var heldBackCount = 0

  /// - Parameters:
  ///   - parallelism: sessions a run may open at once.
  ///   - script: the step for each attempt, numbered from 1 in the order they arrive.
  public init(
    parallelism: Int = 1,
    script: @escaping @Sendable (_ attempt: Int, _ message: OutgoingMessage) -> Step = { _, _ in .accept }
  ) {
    self.parallelism = parallelism
    self.script = script
  }

  public func openSession(number: Int) -> any MailSession {
    lock.withLock { sessionsOpened += 1 }
    return Session(transport: self, number: number)
  }

  /// Every attempt, in order.
  public var attempts: [Attempt] { lock.withLock { attemptsSeen } }
  /// The messages whose body reached the relay (accepted, or dropped after the body).
  public var received: [OutgoingMessage] { lock.withLock { bodies } }
  /// Recipients of ``received``, in order.
  public var receivedRecipients: [String] { received.map(\.envelope.recipient.rawValue) }
  /// Sessions opened (connections, for a real relay).
  public var sessions: Int { lock.withLock { sessionsOpened } }
  /// Attempts whose body the caller held back.
  public var heldBack: Int { lock.withLock { heldBackCount } }

  fileprivate func attempt(_ message: OutgoingMessage, session: Int, bodyStarted: () -> Bool)
    -> DeliveryResult
  {
    let number = lock.withLock {
      attemptsSeen.append(Attempt(recipient: message.envelope.recipient.rawValue, session: session))
      return attemptsSeen.count
    }
    let step = script(number, message)
    switch step {
    case .refuse(let result):
      return result
    case .accept, .dropAfterBody:
      guard bodyStarted() else {
        lock.withLock { heldBackCount += 1 }
        return .heldBack(at: .data)
      }
      lock.withLock { bodies.append(message) }
      if case .dropAfterBody = step {
        return DeliveryResult(outcome: .uncertain, stage: .endOfData, responseCode: 354)
      }
      return DeliveryResult(outcome: .delivered, stage: .done, responseCode: 250, serverText: "250 2.0.0 Ok")
    }
  }

  private final class Session: MailSession {
    let transport: ScriptedTransport
    let number: Int

    init(transport: ScriptedTransport, number: Int) {
      self.transport = transport
      self.number = number
    }

    func deliver(_ message: OutgoingMessage, bodyStarted: () -> Bool) -> DeliveryResult {
      transport.attempt(message, session: number, bodyStarted: bodyStarted)
    }

    func close() {}
  }
}

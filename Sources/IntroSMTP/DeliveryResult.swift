/// The step of the SMTP conversation at which a delivery ended.
public enum SMTPStage: String, Sendable, Hashable, CaseIterable {
  /// Opening the TCP connection.
  case connect
  /// The TLS handshake (implicit TLS, or after STARTTLS).
  case tls
  /// Waiting for the server's 220 greeting.
  case greeting
  /// `EHLO` / `HELO`.
  case ehlo
  /// `STARTTLS`.
  case startTLS = "starttls"
  /// `AUTH` and its challenges.
  case auth
  /// `MAIL FROM`.
  case mailFrom = "mail-from"
  /// `RCPT TO`.
  case rcptTo = "rcpt-to"
  /// `DATA`, before the server's 354.
  case data
  /// Sending the message body, after the 354.
  case body
  /// After the final dot, waiting for the server's verdict.
  case endOfData = "end-of-data"
  /// `QUIT`, or a completed transaction.
  case done
  /// Writing the message to the local outbox.
  case outbox

  /// The SMTP command a person would look for in a log.
  public var label: String {
    switch self {
    case .connect: "connect"
    case .tls: "TLS handshake"
    case .greeting: "greeting"
    case .ehlo: "EHLO"
    case .startTLS: "STARTTLS"
    case .auth: "AUTH"
    case .mailFrom: "MAIL FROM"
    case .rcptTo: "RCPT TO"
    case .data: "DATA"
    case .body: "message body"
    case .endOfData: "end of data (final dot)"
    case .done: "done"
    case .outbox: "outbox"
    }
  }
}

/// What became of one message handed to a ``MailTransport``.
public struct DeliveryResult: Sendable, Hashable, CustomStringConvertible {
  /// The verdict, which decides what a caller may do next.
  public enum Outcome: String, Sendable, Hashable, CaseIterable {
    /// The server accepted the message (250 after the final dot), or the outbox holds it.
    case delivered
    /// Not accepted, and the server cannot have accepted it: safe to try again later
    /// (a 4xx reply, or a failure before the body was sent).
    case temporary
    /// Refused for good (a 5xx reply): do not try again unchanged.
    case permanent
    /// The body was sent but no verdict came back: the server may have accepted it.
    /// Never resend automatically.
    case uncertain
    /// The configuration is wrong (TLS, STARTTLS missing, authentication, URL):
    /// no message will get through until a person fixes it.
    case configuration
  }

  /// The verdict.
  public var outcome: Outcome
  /// Where in the conversation the delivery ended.
  public var stage: SMTPStage
  /// The server's last reply code, when it sent one.
  public var responseCode: Int?
  /// The server's last reply text, all lines, exactly as it sent them.
  public var serverText: String?
  /// What went wrong on the client side, such as libcurl's error text; nil on success.
  public var detail: String?
  /// Where the message was written, for the outbox transport.
  public var location: String?
  /// The caller's `bodyStarted` refused the body, so none of it was sent.
  public var heldBack = false

  /// A result with the given parts.
  public init(
    outcome: Outcome, stage: SMTPStage, responseCode: Int? = nil, serverText: String? = nil,
    detail: String? = nil, location: String? = nil
  ) {
    self.outcome = outcome
    self.stage = stage
    self.responseCode = responseCode
    self.serverText = serverText
    self.detail = detail
    self.location = location
  }

  /// A message whose body was held back at `stage`: nothing of it left.
  public static func heldBack(at stage: SMTPStage) -> DeliveryResult {
    var result = DeliveryResult(
      outcome: .temporary, stage: stage,
      detail: "not sent: the body was held back because its state could not be recorded first")
    result.heldBack = true
    return result
  }

  /// One line for a person or a log: verdict, stage, the server's words, the cause.
  public var description: String {
    var parts: [String] = []
    switch outcome {
    case .delivered:
      parts.append(location.map { "written to \($0)" } ?? "delivered")
    case .temporary: parts.append("temporary failure at \(stage.label)")
    case .permanent: parts.append("rejected at \(stage.label)")
    case .uncertain: parts.append("uncertain after \(stage.label): the server may have accepted it")
    case .configuration: parts.append("configuration error at \(stage.label)")
    }
    if let serverText, !serverText.isEmpty {
      parts.append("server said: \(serverText)")
    } else if let responseCode, responseCode > 0, outcome != .delivered {
      parts.append("server code \(responseCode)")
    }
    if let detail, !detail.isEmpty { parts.append(detail) }
    return parts.joined(separator: "; ")
  }
}

public import IntroMail

/// One message ready for delivery: its envelope and its bytes.
public struct OutgoingMessage: Sendable, Hashable {
  /// Who sends it and the one recipient it goes to.
  public var envelope: Envelope
  /// The RFC 5322 message, every line ending in CRLF.
  public let data: [UInt8]

  /// A message for `envelope`. Line endings in `data` are normalised to CRLF,
  /// so a bare LF can never smuggle an unstuffed "." line past the SMTP layer.
  public init(envelope: Envelope, data: some Collection<UInt8>) {
    self.envelope = envelope
    self.data = LineEndings.normalizedToCRLF(data)
  }

  /// A message for `envelope` from bytes already in memory; CRLF-clean bytes are not copied.
  public init(envelope: Envelope, data: [UInt8]) {
    self.envelope = envelope
    self.data = LineEndings.normalizedToCRLF(data)
  }
}

/// Something that delivers messages: an SMTP relay, or the local outbox.
public protocol MailTransport: Sendable {
  /// How many sessions may deliver at once.
  var parallelism: Int { get }

  /// A session that delivers messages one after another, over one connection
  /// where the transport has connections. Use a session from one thread at a time.
  /// - Parameter number: names the session in traces when several run at once.
  func openSession(number: Int) -> any MailSession
}

extension MailTransport {
  /// A session, when only one runs.
  public func openSession() -> any MailSession { openSession(number: 1) }
}

/// A run of deliveries over one connection.
public protocol MailSession: AnyObject {
  /// Delivers `message` and says what became of it; never throws, every failure is a result.
  ///
  /// `bodyStarted` is called once, the moment the transport is about to hand
  /// over the first byte of the body: from then on a failure is
  /// ``DeliveryResult/Outcome/uncertain``. It returns false to hold the body
  /// back (the caller could not record that it is going out): the transaction
  /// is abandoned before any body byte leaves, and the result is
  /// ``DeliveryResult/Outcome/temporary`` with ``DeliveryResult/heldBack`` set.
  func deliver(_ message: OutgoingMessage, bodyStarted: () -> Bool) -> DeliveryResult

  /// Ends the session politely (SMTP `QUIT`).
  func close()
}

extension MailSession {
  /// Delivers `message` when the caller has no use for the body-started signal.
  public func deliver(_ message: OutgoingMessage) -> DeliveryResult {
    deliver(message, bodyStarted: { true })
  }
}

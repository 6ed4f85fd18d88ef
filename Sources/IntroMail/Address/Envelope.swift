/// The SMTP envelope of one transaction: who sends, and the one recipient.
///
/// `intro` sends one recipient per SMTP transaction, so that a refusal of one
/// recipient can never hide behind the acceptance of another.
public struct Envelope: Hashable, Sendable {
  /// The `MAIL FROM` address (also where bounces go).
  public var sender: EnvelopeAddress
  /// The `RCPT TO` address.
  public var recipient: EnvelopeAddress

  /// An envelope from `sender` to `recipient`.
  public init(sender: EnvelopeAddress, recipient: EnvelopeAddress) {
    self.sender = sender
    self.recipient = recipient
  }
}

public import IntroMail
public import IntroSMTP
import Synchronization

/// Sends a ready-made RFC 5322 message to a list of recipients: `intro deliver`.
public enum MessageDelivery {
  /// The outcome for one recipient.
  public struct RecipientResult: Sendable {
    /// The envelope recipient.
    public let recipient: EnvelopeAddress
    /// What became of the message for that recipient.
    public let result: DeliveryResult
  }

  /// The input was refused before anything was sent.
  public enum InputError: Error, Sendable, CustomStringConvertible {
    /// A sender or recipient address is invalid.
    case address(role: String, AddressError)
    /// The message bytes are not a message.
    case message(MessageCheck.Failure)
    /// No recipient was given.
    case noRecipients

    public var description: String {
      switch self {
      case .address(let role, let error): "\(role): \(error)"
      case .message(let failure): "the message is not valid: \(failure)"
      case .noRecipients: "no recipient: give at least one --to"
      }
    }
  }

  /// Checks the envelope and the message, then delivers one copy per recipient
  /// (one SMTP transaction each), over the transport's parallel sessions.
  ///
  /// - Throws: ``InputError`` when anything is invalid; then nothing is sent.
  public static func deliver(
    _ bytes: [UInt8], from sender: String, to recipients: [String], over transport: any MailTransport,
    progress: @escaping @Sendable (RecipientResult) -> Void = { _ in }
  ) throws(InputError) -> [RecipientResult] {
    let envelopeSender: EnvelopeAddress
    do {
      envelopeSender = try EnvelopeAddress(sender)
    } catch {
      throw .address(role: "sender", error)
    }
    var unique: [EnvelopeAddress] = []
    var seen = Set<EnvelopeAddress>()
    for recipient in recipients {
      do {
        let address = try EnvelopeAddress(recipient)
        if seen.insert(address).inserted { unique.append(address) }
      } catch {
        throw .address(role: "recipient", error)
      }
    }
    guard !unique.isEmpty else { throw .noRecipients }
    let normalized = LineEndings.normalizedToCRLF(bytes)
    do {
      try MessageCheck.validate(normalized)
    } catch {
      throw .message(error)
    }
    let messages = unique.map {
      OutgoingMessage(envelope: Envelope(sender: envelopeSender, recipient: $0), data: normalized)
    }
    let results = Mutex([DeliveryResult?](repeating: nil, count: messages.count))
    let addresses = unique
    transport.deliverAll(messages) { index, result in
      results.withLock { $0[index] = result }
      progress(RecipientResult(recipient: addresses[index], result: result))
    }
    return results.withLock { all in
      zip(unique, all).map { address, result in
        RecipientResult(
          recipient: address,
          result: result ?? DeliveryResult(outcome: .temporary, stage: .connect, detail: "not attempted"))
      }
    }
  }
}

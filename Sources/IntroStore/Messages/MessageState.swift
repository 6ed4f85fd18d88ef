import Foundation

/// Where a message is in its life. Each step is committed before the next
/// network step, so after a crash the store says what may have happened:
///
/// `pending → sending → in_data → sent | failed | deferred | uncertain | suppressed`
///
/// - `sending`: claimed by a run, nothing of the body handed over yet; if the
///   run dies here the server cannot have accepted the message, and it is sent again.
/// - `in_data`: the server said 354 and the body started to go out; if the run
///   dies here the server may have accepted it, so it becomes `uncertain` and
///   waits for a person (`intro resolve`).
public enum MessageState: String, Sendable, CaseIterable, Codable {
  case pending
  case sending
  case inData = "in_data"
  case sent
  case failed
  case deferred
  case uncertain
  case suppressed

  /// The state is final for the pipeline: nothing will send this message again by itself.
  public var isSettled: Bool {
    switch self {
    case .sent, .failed, .uncertain, .suppressed: true
    case .pending, .sending, .inData, .deferred: false
    }
  }
}

/// A rendered, composed message to store before anything is sent.
public struct NewMessage: Sendable {
  /// The envelope recipient, `local@domain`.
  public var recipient: String
  /// The recipient as suppressions know it (the normalised address).
  public var recipientKey: String
  /// The envelope sender.
  public var sender: String
  /// The Message-ID header's value, without angle brackets; reused on every attempt.
  public var messageID: String
  /// Same template, same recipient, same content, same day: same key, one message.
  public var idempotencyKey: String
  public var template: String
  public var subject: String
  /// The RFC 5322 bytes, CRLF line endings.
  public var body: [UInt8]
  public var contactID: Int64?
  public var referralID: Int64?
  /// An ask or a thank-you: the fatigue guard counts asks, and both become touches when sent.
  public var purpose: MessagePurpose?

  public init(
    recipient: String, recipientKey: String, sender: String, messageID: String, idempotencyKey: String,
    template: String, subject: String, body: [UInt8], contactID: Int64? = nil, referralID: Int64? = nil,
    purpose: MessagePurpose? = nil
  ) {
    self.recipient = recipient
    self.recipientKey = recipientKey
    self.sender = sender
    self.messageID = messageID
    self.idempotencyKey = idempotencyKey
    self.template = template
    self.subject = subject
    self.body = body
    self.contactID = contactID
    self.referralID = referralID
    self.purpose = purpose
  }
}

/// What a message does for the relationship, where it matters to the store.
public enum MessagePurpose: String, Sendable, Codable {
  /// Asks a client for an introduction: at most so many per client and period.
  case ask
  /// Thanks a client.
  case thanks
}

/// A message that already existed when a batch tried to add it again.
public struct ExistingMessage: Sendable, Equatable {
  public var id: Int64
  public var batchID: Int64?
  public var state: MessageState
}

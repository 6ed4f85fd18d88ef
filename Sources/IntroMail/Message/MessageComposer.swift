import Foundation

/// What goes into one email: who, what, when, and its Message-ID.
public struct MessageDraft: Sendable {
  public var from: Mailbox
  public var to: [Mailbox]
  public var cc: [Mailbox] = []
  /// Envelope-only recipients: they get the message but appear in no header.
  public var bcc: [Mailbox] = []
  public var replyTo: [Mailbox] = []
  public var subject: String
  /// The plain-text body; line endings are normalised to CRLF.
  public var text: String
  public var date: Date
  public var timeZone: TimeZone
  /// `<unique@domain>`, made once and kept, so a retry sends the same message.
  public var messageID: String
  /// An HTML version of the body; the message becomes `multipart/alternative`.
  public var html: String?
  /// Files sent along; the message becomes `multipart/mixed`.
  public var attachments: [Attachment] = []

  public init(
    from: Mailbox, to: [Mailbox], subject: String, text: String, date: Date = Date(),
    timeZone: TimeZone = .current, messageID: String
  ) {
    self.from = from
    self.to = to
    self.subject = subject
    self.text = text
    self.date = date
    self.timeZone = timeZone
    self.messageID = messageID
  }
}

/// A composed message: the bytes to send and the envelope to send them with.
public struct ComposedMessage: Sendable {
  /// The RFC 5322 message, every line ending in CRLF, no line over 998 octets.
  public let data: [UInt8]
  /// The envelope sender (`MAIL FROM`).
  public let sender: EnvelopeAddress
  /// Every recipient across To, Cc and Bcc, once each (by normalised address), in that order.
  public let recipients: [EnvelopeAddress]
  /// The Message-ID header's value, with its angle brackets.
  public let messageID: String

  /// One envelope per recipient: `intro` sends one SMTP transaction each.
  public var envelopes: [Envelope] { recipients.map { Envelope(sender: sender, recipient: $0) } }
}

/// Why a draft cannot become a message.
public enum CompositionError: Error, Sendable, Hashable, CustomStringConvertible {
  case header(HeaderError)
  case noRecipients
  case badMessageID(String)
  case badAttachment(String)

  public var description: String {
    switch self {
    case .header(let error): error.description
    case .noRecipients: "the message has no recipient in To, Cc or Bcc"
    case .badMessageID(let id): "Message-ID '\(id)' is not of the form <unique@domain>"
    case .badAttachment(let reason): "attachment: \(reason)"
    }
  }
}

/// Header lines that are the same for every message of a batch (the rep's
/// `From`, the batch's `Date`), encoded once and reused by
/// ``MessageComposer/compose(_:reusing:)`` for every draft they match.
public struct BatchHeaders: Sendable {
  let from: Mailbox
  let fromLine: String
  let date: Date
  let timeZone: TimeZone
  let dateLine: String

  public init(from: Mailbox, date: Date, timeZone: TimeZone = .current) {
    self.from = from
    fromLine = HeaderEncoding.mailboxes("From", [from])
    self.date = date
    self.timeZone = timeZone
    dateLine = "Date: " + RFC5322Date.format(date, timeZone: timeZone)
  }
}

/// Turns a draft into RFC 5322 bytes: headers encoded and folded, the body as
/// UTF-8 text (7bit when it is plain ASCII with short lines, else
/// quoted-printable), `Bcc` kept out of the data.
public enum MessageComposer {
  /// - Parameter headers: lines made once for the batch; each is used only
  ///   when the draft has the same value (sender, date and zone).
  public static func compose(_ draft: MessageDraft, reusing headers: BatchHeaders? = nil)
    throws(CompositionError)
    -> ComposedMessage
  {
    guard !(draft.to.isEmpty && draft.cc.isEmpty && draft.bcc.isEmpty) else { throw .noRecipients }
    guard MessageID.isValid(draft.messageID) else { throw .badMessageID(draft.messageID) }
    var lines: [String] = []
    if let headers, headers.from == draft.from {
      lines.append(headers.fromLine)
    } else {
      lines.append(HeaderEncoding.mailboxes("From", [draft.from]))
    }
    if !draft.to.isEmpty { lines.append(HeaderEncoding.mailboxes("To", draft.to)) }
    if !draft.cc.isEmpty { lines.append(HeaderEncoding.mailboxes("Cc", draft.cc)) }
    if !draft.replyTo.isEmpty { lines.append(HeaderEncoding.mailboxes("Reply-To", draft.replyTo)) }
    do {
      lines.append(try HeaderEncoding.unstructured("Subject", draft.subject))
    } catch {
      throw .header(error)
    }
    if let headers, headers.date == draft.date, headers.timeZone == draft.timeZone {
      lines.append(headers.dateLine)
    } else {
      lines.append("Date: " + RFC5322Date.format(draft.date, timeZone: draft.timeZone))
    }
    lines.append("Message-ID: " + draft.messageID)
    lines.append("MIME-Version: 1.0")
    var data = Array((lines.joined(separator: "\r\n") + "\r\n").utf8)
    data += try MIMEPart.body(for: draft)
    var seen: Set<String> = []
    var recipients: [EnvelopeAddress] = []
    for mailbox in draft.to + draft.cc + draft.bcc where seen.insert(mailbox.normalized.lowercased()).inserted
    {
      recipients.append(mailbox.address)
    }
    return ComposedMessage(
      data: data, sender: draft.from.address, recipients: recipients, messageID: draft.messageID)
  }

  static func longestLine(_ bytes: [UInt8]) -> Int {
    var longest = 0
    var current = 0
    for byte in bytes {
      if byte == 0x0A || byte == 0x0D {
        current = 0
      } else {
        current += 1
        longest = max(longest, current)
      }
    }
    return longest
  }
}

/// Message-IDs: `<random@domain>`.
public enum MessageID {
  /// A new Message-ID in `domain` (use the sender's domain), 128 random bits.
  public static func generate(domain: String, using generator: inout some RandomNumberGenerator) -> String {
    let random = (0..<2).map { _ in String(UInt64.random(in: .min ... .max, using: &generator), radix: 36) }
    return "<\(random.joined(separator: "."))@\(domain)>"
  }

  /// A new Message-ID in `domain`, from the system's random source.
  public static func generate(domain: String) -> String {
    var generator = SystemRandomNumberGenerator()
    return generate(domain: domain, using: &generator)
  }

  /// `<left@right>`, both sides non-empty atext and dots, at most 250 bytes:
  /// one pass over the bytes (every message of a batch is checked).
  static func isValid(_ id: String) -> Bool {
    let bytes = id.utf8
    guard bytes.count >= 5, bytes.count <= 250, bytes.first == 0x3C, bytes.last == 0x3E else { return false }
    var ats = 0
    var sideLength = 0
    for byte in bytes.dropFirst().dropLast() {
      if byte == 0x40 {
        guard sideLength > 0 else { return false }
        ats += 1
        sideLength = 0
      } else if byte.isAtext || byte == 0x2E {
        sideLength += 1
      } else {
        return false
      }
    }
    return ats == 1 && sideLength > 0
  }
}

/// `Mon, 23 Nov 2026 22:30:00 +0100`: English names whatever the locale.
/// Formatted by hand: a Foundation date formatter costs more than composing
/// the rest of the message, and a batch makes one per message.
enum RFC5322Date {
  private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
  private static let months = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
  ]

  static func format(_ date: Date, timeZone: TimeZone) -> String {
    let offset = timeZone.secondsFromGMT(for: date)
    var local = time_t(date.timeIntervalSince1970.rounded(.down)) + time_t(offset)
    var parts = tm()
    gmtime_r(&local, &parts)
    func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
    let minutes = abs(offset) / 60
    let zone = (offset < 0 ? "-" : "+") + two(minutes / 60) + two(minutes % 60)
    return
      "\(days[Int(parts.tm_wday)]), \(parts.tm_mday) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
      + "\(two(Int(parts.tm_hour))):\(two(Int(parts.tm_min))):\(two(Int(parts.tm_sec))) \(zone)"
  }
}

import Foundation
import IntroMail
public import IntroStore
public import IntroTemplates

/// One recipient of a batch before rendering: where it came from and what the template reads.
public struct AudienceMember: Sendable {
  /// Where a rep finds it: `line 12`, `contact ann@example.com`, `referral 7`.
  public var source: String
  public var contactID: Int64?
  public var referralID: Int64?
  /// The contact is marked do-not-contact.
  public var doNotContact = false
  private let origin: Origin

  /// A CSV row's context is built where the message is made (on any core),
  /// not where the file is read (one thread, in order).
  private enum Origin: Sendable {
    case context(TemplateValue)
    case row(RowShape, fields: [String])
  }

  /// The template's context.
  public var context: TemplateValue {
    switch origin {
    case .context(let value): value
    case .row(let shape, let fields): shape.context(fields)
    }
  }

  public init(
    source: String, context: TemplateValue, contactID: Int64? = nil, referralID: Int64? = nil,
    doNotContact: Bool = false
  ) {
    self.source = source
    self.origin = .context(context)
    self.contactID = contactID
    self.referralID = referralID
    self.doNotContact = doNotContact
  }

  /// The member for a CSV row of `fields`, laid out by `shape`.
  init(source: String, row fields: [String], shape: RowShape) {
    self.source = source
    self.origin = .row(shape, fields: fields)
  }
}

/// Why one message of a batch cannot be sent: the row or contact, the field, the reason.
public struct PreflightIssue: Sendable, Equatable, Codable {
  /// `line 12`, `contact ann@example.com`, `referral 7`.
  public var source: String
  /// The variable, header or address at fault.
  public var field: String
  public var reason: String

  public init(source: String, field: String, reason: String) {
    self.source = source
    self.field = field
    self.reason = reason
  }
}

/// A message that passed the preflight: stored as it is, sent as it is.
public struct PreparedMessage: Sendable {
  /// What the store keeps.
  public var record: NewMessage
  /// The template's headers and body as rendered: what the reader sees, for previews.
  public var rendered: RenderedEmail
  /// The composed message, for showing.
  public var data: [UInt8] { record.body }

  /// The first line of the body that has text: "Hi Marie-Anne,".
  public var greeting: String {
    rendered.body.split(whereSeparator: \.isNewline).first { !$0.allSatisfy(\.isWhitespace) }.map {
      String($0.trimmingCharacters(in: .whitespaces))
    } ?? ""
  }
}

/// Renders (strictly) and composes every message of a batch before any is sent,
/// and says what is wrong with each one that cannot go.
///
/// A message can go when its template renders with no missing value, its
/// headers and addresses compose, it has exactly one recipient (To, no Cc or
/// Bcc: every message is one SMTP transaction to one person, so that its state
/// means one thing), the recipient is neither suppressed nor marked
/// do-not-contact, and no earlier message of the batch goes to the same person.
///
/// The work is in two steps: ``MessageMaker`` renders and composes (pure, so
/// a batch spreads it over every core), then ``admit(_:)`` checks the
/// recipient against the store and the batch, in input order.
public struct Preflight {
  /// Renders and composes; shareable between threads.
  public let maker: MessageMaker
  /// Who already has a message in this batch, by a 64-bit digest of the
  /// address (a batch of 100,000 keeps 100,000 of these in memory; the
  /// addresses themselves would cost three times as much).
  private var recipients: [UInt64: String] = [:]
  private var random = BufferedRandom()

  /// A preflight for `template` (named `templateName` in the store), rendered with `partials`.
  public init(
    template: EmailTemplate, templateName: String, partials: TemplateLibrary, rep: IntroConfig.Rep,
    configFile: String? = nil, date: Date = Date()
  ) {
    maker = MessageMaker(
      template: template, templateName: templateName, partials: partials, rep: rep, configFile: configFile,
      date: date)
  }

  /// The message for `member`, or every reason it cannot be sent.
  /// - Parameter isSuppressed: whether a normalised address is on the suppression list.
  public mutating func prepare(
    _ member: AudienceMember, isSuppressed: (String) throws(StoreError) -> Bool
  ) throws(StoreError) -> Result<PreparedMessage, PreflightFailure> {
    try admit(maker.make(member, random: &random), isSuppressed: isSuppressed)
  }

  /// Checks a made message's recipient: do-not-contact, suppressed, or already in this batch.
  public mutating func admit(
    _ made: Result<MadeMessage, PreflightFailure>, isSuppressed: (String) throws(StoreError) -> Bool
  ) throws(StoreError) -> Result<PreparedMessage, PreflightFailure> {
    let message: MadeMessage
    switch made {
    case .failure(let failure): return .failure(failure)
    case .success(let value): message = value
    }
    let source = message.source
    func failure(_ reason: String) -> Result<PreparedMessage, PreflightFailure> {
      .failure(PreflightFailure([PreflightIssue(source: source, field: "To", reason: reason)]))
    }
    let recipient = message.record.recipient
    if message.doNotContact {
      return failure("\(recipient) is marked do-not-contact")
    }
    let key = message.record.recipientKey
    if try isSuppressed(key) {
      return failure("\(recipient) is on the suppression list (opted out, bounced or forgotten)")
    }
    let digest = Self.digest(key)
    if let first = recipients[digest] {
      return failure("\(recipient) already gets a message from \(first) of this batch")
    }
    recipients[digest] = source
    return .success(PreparedMessage(record: message.record, rendered: message.rendered))
  }
}

extension Preflight {
  /// FNV-1a, 64 bits. Two addresses sharing a digest become likely only near
  /// four billion addresses in one batch, and even then the harm is a false
  /// "already gets a message" in the preflight, never a message sent twice.
  static func digest(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
      hash ^= UInt64(byte)
      hash &*= 0x0000_0100_0000_01b3
    }
    return hash
  }
}

extension EmailTemplate {
  /// `Intro-Purpose: ask` or `thanks`: what the message does for the relationship.
  public var purpose: MessagePurpose? {
    metadata["Purpose"].flatMap { MessagePurpose(rawValue: $0.lowercased()) }
  }
}

/// A rendered and composed message, before its recipient is checked.
public struct MadeMessage: Sendable {
  public var source: String
  public var doNotContact: Bool
  public var record: NewMessage
  public var rendered: RenderedEmail
}

/// Renders a template for one audience member and composes the message:
/// strict rendering, one recipient, Message-ID, idempotency key. Pure: any
/// number of threads may use one maker at once.
public struct MessageMaker: Sendable {
  private let template: EmailTemplate
  private let templateName: String
  private let partials: TemplateLibrary
  private let rep: IntroConfig.Rep
  private let configFile: String?
  private let markdown: Bool
  private let purpose: MessagePurpose?
  private let date: Date
  private let dayKey: String
  private let repMailbox: Mailbox?
  /// The rep's `From` and the batch's `Date`, encoded once for every message.
  private let headers: BatchHeaders?

  init(
    template: EmailTemplate, templateName: String, partials: TemplateLibrary, rep: IntroConfig.Rep,
    configFile: String?, date: Date
  ) {
    self.template = template
    self.configFile = configFile
    self.templateName = templateName
    self.partials = partials
    self.rep = rep
    self.date = date
    markdown = template.metadata["Format"]?.lowercased() == "markdown"
    purpose = template.purpose
    repMailbox = try? EmailAssembly.repMailbox(rep)
    headers = repMailbox.map { BatchHeaders(from: $0, date: date) }
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = .current
    let parts = calendar.dateComponents([.year, .month, .day], from: date)
    dayKey = "\(parts.year ?? 0)-\(parts.month ?? 0)-\(parts.day ?? 0)"
  }

  /// The message for `member`, or every reason it cannot be made.
  func make(_ member: AudienceMember, random: inout BufferedRandom) -> Result<MadeMessage, PreflightFailure> {
    let source = member.source
    func failure(_ field: String, _ reason: String) -> Result<MadeMessage, PreflightFailure> {
      .failure(PreflightFailure([PreflightIssue(source: source, field: field, reason: reason)]))
    }
    let rendered: RenderedEmail
    do {
      rendered = try template.render(member.context, partials: partials, options: RenderOptions(strict: true))
    } catch {
      switch error {
      case .missingValues(let values):
        return .failure(
          PreflightFailure(
            values.map { value in
              PreflightIssue(
                source: source, field: value.name,
                reason:
                  "\(Self.why(value.reason)) (\(value.location); "
                  + "\(IntroConfig.fix(forMissing: value.name, file: configFile)))")
            }))
      case .syntax(let syntax):
        return failure("template", syntax.description)
      case .lineBreakInHeader(let field, _):
        return failure(field, "a value holds a line break; a header is one line (remove it from the data)")
      }
    }
    if let cc = rendered.header("Cc"), !cc.isEmpty {
      return failure("Cc", "send writes to one person per message; remove Cc, or give each person a row")
    }
    if let bcc = rendered.header("Bcc"), !bcc.isEmpty {
      return failure("Bcc", "send writes to one person per message; remove Bcc, or give each person a row")
    }
    let composed: ComposedMessage
    do throws(EmailAssembly.Failure) {
      // One random draw per message, from a buffer filled by one system call per hundreds.
      let domain = rendered.header("From") == nil ? repMailbox.map { String($0.address.domain) } : nil
      composed = try EmailAssembly.compose(
        rendered, rep: rep, markdown: markdown, date: date,
        messageID: domain.map { MessageID.generate(domain: $0, using: &random) }, repMailbox: repMailbox,
        headers: headers)
    } catch {
      switch error {
      case .address(let field, let problem): return failure(field, problem.description)
      case .composition(let problem): return failure("message", problem.description)
      case .noSender: return failure("From", error.description)
      }
    }
    guard composed.recipients.count == 1, let recipient = composed.recipients.first else {
      return failure(
        "To",
        composed.recipients.isEmpty
          ? "the message has no recipient"
          : "To names \(composed.recipients.count) people; send writes to one")
    }
    let key = recipient.rawValue.lowercased()
    var keyInput = Array("intro-message-v1\u{0}\(templateName)\u{0}\(key)\u{0}\(dayKey)\u{0}".utf8)
    keyInput += rendered.text.utf8
    return .success(
      MadeMessage(
        source: source, doNotContact: member.doNotContact,
        record: NewMessage(
          recipient: recipient.rawValue, recipientKey: key, sender: composed.sender.rawValue,
          messageID: String(composed.messageID.dropFirst().dropLast()),
          idempotencyKey: SHA256.hex(SHA256.hash(keyInput)), template: templateName,
          subject: rendered.header("Subject") ?? "", body: composed.data, contactID: member.contactID,
          referralID: member.referralID, purpose: purpose), rendered: rendered))
  }

  private static func why(_ reason: MissingValue.Reason) -> String {
    switch reason {
    case .missing: "has no value"
    case .null: "is null"
    case .blank: "is blank"
    case .notText: "is a list or an object, not text"
    }
  }
}

/// Every reason one message cannot be sent.
public struct PreflightFailure: Error, Sendable {
  public var issues: [PreflightIssue]

  public init(_ issues: [PreflightIssue]) { self.issues = issues }
}

/// Random numbers from the kernel's source (`/dev/urandom`), fetched 4 KiB at
/// a time: a Message-ID needs 128 bits, and one system call per 64 bits costs
/// more than composing the message.
struct BufferedRandom: RandomNumberGenerator {
  private var buffer = [UInt64](repeating: 0, count: 512)
  private var position = 512

  mutating func next() -> UInt64 {
    if position == buffer.count {
      let descriptor = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
      let filled = buffer.withUnsafeMutableBytes { bytes in
        descriptor < 0 ? -1 : read(descriptor, bytes.baseAddress, bytes.count)
      }
      if descriptor >= 0 { close(descriptor) }
      if filled != buffer.count * 8 {
        var system = SystemRandomNumberGenerator()
        for index in buffer.indices { buffer[index] = system.next() }
      }
      position = 0
    }
    defer { position += 1 }
    return buffer[position]
  }
}

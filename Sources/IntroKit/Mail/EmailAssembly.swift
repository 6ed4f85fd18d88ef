import Foundation
internal import Ink
public import IntroMail
public import IntroTemplates

/// Turns a rendered email template into a message ready to send.
public enum EmailAssembly {
  /// Why a rendered template cannot become a message.
  public enum Failure: Error, Sendable, CustomStringConvertible {
    /// An address in a header is invalid (the field is named).
    case address(field: String, AddressError)
    /// A header value or the draft is not valid.
    case composition(CompositionError)
    /// Nobody to send from: neither a `From` header nor `[rep]` name and email.
    case noSender

    /// True when the fix belongs in the configuration rather than the template or data.
    public var isConfiguration: Bool {
      switch self {
      case .noSender: true
      case .address(let field, _): field.hasPrefix("[rep]")
      case .composition: false
      }
    }

    public var description: String {
      switch self {
      case .address(let field, let error): "\(field): \(error)"
      case .composition(let error): error.description
      case .noSender:
        "no sender: set name and email in [rep] of the configuration, or a From header in the template"
      }
    }
  }

  /// The message for `email`: From is the template's `From` header, else the rep.
  /// - Parameters:
  ///   - markdown: the body is Markdown (`Intro-Format: markdown`): it is sent as
  ///     written for plain-text readers, with an HTML alternative made from it.
  ///   - messageID: reuse the stored one on a retry; nil makes a new one in the sender's domain.
  ///   - repMailbox: ``repMailbox(_:)``, when a batch made it once for all its messages.
  ///   - headers: the batch's `From` and `Date` lines, encoded once.
  public static func compose(
    _ email: RenderedEmail, rep: IntroConfig.Rep, markdown: Bool = false, date: Date = Date(),
    timeZone: TimeZone = .current, messageID: String? = nil, repMailbox: Mailbox? = nil,
    headers: BatchHeaders? = nil
  ) throws(Failure) -> ComposedMessage {
    let from: Mailbox
    if let header = email.field("From") {
      from = try mailbox(header, field: "From")
    } else if let repMailbox {
      from = repMailbox
    } else {
      from = try Self.repMailbox(rep)
    }
    var draft = MessageDraft(
      from: from, to: try list(email.field("To"), field: "To"), subject: email.header("Subject") ?? "",
      text: email.body, date: date, timeZone: timeZone,
      messageID: messageID ?? MessageID.generate(domain: String(from.address.domain)))
    draft.cc = try list(email.field("Cc"), field: "Cc")
    draft.bcc = try list(email.field("Bcc"), field: "Bcc")
    draft.replyTo = try list(email.field("Reply-To"), field: "Reply-To")
    if markdown { draft.html = MarkdownParser().html(from: email.body) + "\n" }
    do {
      return try MessageComposer.compose(draft, reusing: headers)
    } catch {
      throw .composition(error)
    }
  }

  /// The rep as a sender: name and email from `[rep]`.
  public static func repMailbox(_ rep: IntroConfig.Rep) throws(Failure) -> Mailbox {
    guard let address = rep.email else { throw .noSender }
    do {
      return try Mailbox(name: rep.name, address: address)
    } catch {
      throw .address(field: "[rep] email", error)
    }
  }

  /// The one mailbox of `text` (a `From` header).
  private static func mailbox(_ text: MarkedText, field: String) throws(Failure) -> Mailbox {
    let mailboxes = try list(text, field: field)
    guard mailboxes.count == 1, let only = mailboxes.first else {
      throw .address(field: field, AddressError.notOneMailbox(text.text, count: mailboxes.count))
    }
    return only
  }

  /// The mailboxes of an address header, with every value from data one literal:
  /// data can never add, remove or change a recipient.
  private static func list(_ text: MarkedText?, field: String) throws(Failure) -> [Mailbox] {
    guard let text else { return [] }
    let runs = text.parts.map { part -> AddressField.Run in
      switch part {
      case .template(let text): .syntax(text)
      case .value(let text): .literal(text)
      }
    }
    do {
      return try Mailbox.list(parsing: AddressField(runs))
    } catch {
      throw .address(field: field, error)
    }
  }
}

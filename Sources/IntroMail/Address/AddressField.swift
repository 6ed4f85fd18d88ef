/// An address header (`From`, `To`, `Cc`, `Bcc`, `Reply-To`) as runs of text:
/// the template's own text is syntax, and each value that came from data is
/// one literal that can never add, remove or change a recipient.
///
/// A literal where a display name goes is part of that name exactly as given
/// (commas, quotes, parentheses and `@` included: `Doe, Jane`); a literal
/// inside `<…>`, or standing alone as a whole mailbox, must be one address.
///
/// ```swift
/// // To: {{name}} <{{email}}>
/// let field = AddressField([.literal("Doe, Jane"), .syntax(" <"), .literal("jane@example.org"), .syntax(">")])
/// try Mailbox.list(parsing: field)   // one mailbox: "Doe, Jane" <jane@example.org>
/// ```
public struct AddressField: Sendable, Hashable {
  /// One run of the header's text.
  public enum Run: Sendable, Hashable {
    /// The template's text: commas separate mailboxes, quotes and `<>` delimit.
    case syntax(String)
    /// A value from data: never syntax.
    case literal(String)
  }

  public var runs: [Run]

  public init(_ runs: [Run]) { self.runs = runs }
}

extension Mailbox {
  /// Parses an address header whose data runs are literals (see ``AddressField``).
  /// An empty field is an empty list.
  public static func list(parsing field: AddressField) throws(AddressError) -> [Mailbox] {
    var parser = FieldParser()
    for run in field.runs {
      switch run {
      case .syntax(let text): try parser.syntax(text)
      case .literal(let text): parser.literal(text)
      }
    }
    try parser.finishMailbox()
    if parser.inQuotes { throw AddressError(.unclosedQuote, parser.shown) }
    return parser.mailboxes
  }
}

/// The state of ``Mailbox/list(parsing:)-(AddressField)`` between runs.
private struct FieldParser {
  var mailboxes: [Mailbox] = []
  /// The display name so far (before `<`), or the whole mailbox when there is no `<`.
  var name = ""
  /// The text between `<` and `>`, once a `<` was seen.
  var address: String?
  var inQuotes = false
  var inAngle = false
  var escaping = false
  /// A literal was part of this mailbox: an empty one still counts as a mailbox.
  var hasLiteral = false
  /// What the mailbox looked like, for errors.
  var shown = ""

  mutating func literal(_ text: String) {
    hasLiteral = true
    shown += text
    if inAngle {
      address = (address ?? "") + text
    } else {
      name += text
    }
  }

  mutating func syntax(_ text: String) throws(AddressError) {
    for character in text {
      if character == "," && !inQuotes && !inAngle {
        try finishMailbox()
        continue
      }
      shown.append(character)
      if inQuotes {
        if escaping {
          name.append(character)
          escaping = false
        } else if character == "\\" {
          escaping = true
        } else if character == "\"" {
          inQuotes = false
        } else {
          name.append(character)
        }
      } else if inAngle {
        if character == ">" { inAngle = false } else { address = (address ?? "") + String(character) }
      } else if character == "\"" {
        inQuotes = true
      } else if character == "<" {
        guard address == nil else { throw AddressError(.angleBracket, shown) }
        inAngle = true
        address = ""
      } else if character == ">" {
        throw AddressError(.angleBracket, shown)
      } else if address != nil, character != " ", character != "\t" {
        // Text after the closing '>' belongs to no part of a mailbox.
        throw AddressError(.angleBracket, shown)
      } else {
        name.append(character)
      }
    }
  }

  mutating func finishMailbox() throws(AddressError) {
    defer {
      name = ""
      address = nil
      hasLiteral = false
      shown = ""
    }
    if inAngle { throw AddressError(.unclosedAngleBracket, shown) }
    if let address {
      let displayName = name.trimmingSpaces
      mailboxes.append(try Mailbox(name: displayName.isEmpty ? nil : displayName, address: address))
    } else if !name.trimmingSpaces.isEmpty || hasLiteral {
      mailboxes.append(try Mailbox(name: nil, address: name))
    }
  }
}

/// Why an address was refused.
///
/// `code` is stable and fit for a database column or a test; `description`
/// tells a person what is wrong and what to do.
public struct AddressError: Error, Hashable, Sendable, CustomStringConvertible {
  /// The rule an address broke.
  public enum Code: String, Sendable, CaseIterable {
    case empty
    case controlCharacter = "control-character"
    case whitespace
    case angleBracket = "angle-bracket"
    case missingAt = "missing-at"
    case severalAts = "several-ats"
    case emptyLocalPart = "empty-local-part"
    case emptyDomain = "empty-domain"
    case nonASCIILocalPart = "non-ascii-local-part"
    case localPartTooLong = "local-part-too-long"
    case domainTooLong = "domain-too-long"
    case addressTooLong = "address-too-long"
    case quotedLocalPart = "quoted-local-part"
    case comment
    case ipLiteral = "ip-literal"
    case badLocalPart = "bad-local-part"
    case badDomain = "bad-domain"
    case unclosedAngleBracket = "unclosed-angle-bracket"
    case unclosedQuote = "unclosed-quote"
    case notOneMailbox = "not-one-mailbox"
  }

  /// The rule that was broken.
  public let code: Code
  /// The refused address, with invisible characters spelled out (`\r`, `U+2028`).
  public let address: String
  /// Extra detail, such as which control character was found.
  public let detail: String?

  /// A field that must hold one mailbox holds `count`.
  public static func notOneMailbox(_ text: String, count: Int) -> AddressError {
    AddressError(.notOneMailbox, text, detail: String(count))
  }

  init(_ code: Code, _ address: String, detail: String? = nil) {
    self.code = code
    self.address = Self.visible(address)
    self.detail = detail
  }

  public var description: String {
    let what: String
    switch code {
    case .empty: what = "the address is empty"
    case .controlCharacter:
      what =
        "it contains the control character \(detail ?? "")"
        + " (a line break here could inject SMTP commands)"
    case .whitespace: what = "it contains a space or tab"
    case .angleBracket: what = "it contains '<' or '>'; give the bare address, local@domain"
    case .missingAt: what = "it has no '@'"
    case .severalAts: what = "it has more than one '@'"
    case .emptyLocalPart: what = "nothing stands before the '@'"
    case .emptyDomain: what = "nothing stands after the '@'"
    case .nonASCIILocalPart:
      what = "the part before '@' is not ASCII, which needs SMTPUTF8 (not supported)"
    case .localPartTooLong: what = "the part before '@' is longer than 64 octets"
    case .domainTooLong: what = "the domain is longer than 255 octets"
    case .addressTooLong: what = "the address is longer than 254 octets"
    case .quotedLocalPart: what = "a quoted part before '@' (\"…\"@) is not accepted; use a plain address"
    case .comment: what = "comments in parentheses are not accepted in an address"
    case .ipLiteral: what = "an IP address instead of a domain ([…]) is not accepted"
    case .badLocalPart:
      what = "the part before '@' must be letters, digits and !#$%&'*+-/=?^_`{|}~ joined by single dots"
    case .badDomain: what = "the domain is not valid: \(detail ?? "")"
    case .unclosedAngleBracket: what = "'<' is never closed by '>'"
    case .unclosedQuote: what = "a '\"' is never closed"
    case .notOneMailbox: what = "it names \(detail ?? "no") mailboxes where one belongs"
    }
    return "invalid address \"\(address)\": \(what)"
  }

  /// The address with control and separator characters made visible.
  static func visible(_ text: String) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\r": out += "\\r"
      case "\n": out += "\\n"
      case "\0": out += "\\0"
      case "\t": out += "\\t"
      case _ where scalar.isForbiddenInHeaderOrEnvelope: out += "<\(scalar.debugName)>"
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out
  }
}

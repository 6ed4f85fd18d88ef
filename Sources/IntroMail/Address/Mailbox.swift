/// A person's mailbox as it appears in `From`, `To`, `Cc`: an optional display
/// name and an address.
///
/// The policy, each rule refused with an ``AddressError`` code:
/// - `Name <local@domain>`, `"Name, Jr." <local@domain>` or a bare `local@domain`;
/// - the part before `@` is a dot-atom of ASCII characters (`a.b+tag`); quoted
///   local parts, comments and IP literals are refused; a non-ASCII local part
///   would need SMTPUTF8, which `intro` does not use;
/// - the domain is converted to its ASCII form (`bücher.example` →
///   `xn--bcher-kva.example`) and lower-cased;
/// - at most 64 octets before `@`, 255 in the domain, 254 in all;
/// - no control characters anywhere, display name included.
///
/// ```swift
/// let to = try Mailbox(parsing: "Chris Client <chris@Example.COM>")
/// to.address.rawValue   // "chris@example.com"
/// ```
public struct Mailbox: Sendable, Hashable, CustomStringConvertible {
  /// The name shown to people, if any, exactly as given (unquoted).
  public let displayName: String?
  /// The address in ASCII form, ready for the envelope.
  public let address: EnvelopeAddress

  /// A mailbox from a name and an address string.
  public init(name: String?, address text: String) throws(AddressError) {
    if let name, let control = name.unicodeScalars.first(where: \.isForbiddenInHeaderOrEnvelope) {
      throw AddressError(.controlCharacter, name, detail: control.debugName)
    }
    displayName = name.flatMap { $0.isEmpty ? nil : $0 }
    address = try Self.parseAddress(text)
  }

  /// Parses `Name <local@domain>` or `local@domain`.
  public init(parsing text: String) throws(AddressError) {
    if let control = text.unicodeScalars.first(where: \.isForbiddenInHeaderOrEnvelope) {
      throw AddressError(.controlCharacter, text, detail: control.debugName)
    }
    let trimmed = text.trimmingSpaces
    guard trimmed.hasSuffix(">") || trimmed.containsUTF8("<") else {
      try self.init(name: nil, address: trimmed)
      return
    }
    guard let open = trimmed.lastIndex(of: "<"), trimmed.hasSuffix(">") else {
      throw AddressError(.unclosedAngleBracket, text)
    }
    let inner = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
    var name = String(trimmed[..<open]).trimmingSpaces
    if name.hasPrefix("\""), name.hasSuffix("\""), name.count >= 2 {
      name = Self.unquote(String(name.dropFirst().dropLast()))
    }
    try self.init(name: name.isEmpty ? nil : name, address: inner)
  }

  /// Parses a comma-separated list (`a@x.example, "Smith, J" <j@x.example>`);
  /// commas inside quotes or angle brackets do not separate. An empty text is an empty list.
  public static func list(parsing text: String) throws(AddressError) -> [Mailbox] {
    // Every character that matters here is ASCII, so the bytes are scanned,
    // not the grapheme clusters: a UTF-8 byte of a name is never one of them.
    var items: [Substring] = []
    let bytes = text.utf8
    var start = bytes.startIndex
    var inQuotes = false
    var inAngle = false
    var escaping = false
    var index = bytes.startIndex
    while index < bytes.endIndex {
      let byte = bytes[index]
      if escaping {
        escaping = false
      } else if byte == UInt8(ascii: "\\") && inQuotes {
        escaping = true
      } else if byte == UInt8(ascii: "\"") {
        inQuotes.toggle()
      } else if byte == UInt8(ascii: "<") && !inQuotes {
        inAngle = true
      } else if byte == UInt8(ascii: ">") && !inQuotes {
        inAngle = false
      } else if byte == UInt8(ascii: ",") && !inQuotes && !inAngle {
        items.append(text[start..<index])
        start = bytes.index(after: index)
      }
      index = bytes.index(after: index)
    }
    items.append(text[start...])
    var mailboxes: [Mailbox] = []
    for item in items {
      let trimmed = String(item).trimmingSpaces
      if !trimmed.isEmpty { mailboxes.append(try Mailbox(parsing: trimmed)) }
    }
    return mailboxes
  }

  /// The address with the domain lower-cased: equal for the same mailbox however it was typed.
  public var normalized: String { address.rawValue }

  public var description: String {
    displayName.map { "\($0) <\(address)>" } ?? address.rawValue
  }

  private static func parseAddress(_ raw: String) throws(AddressError) -> EnvelopeAddress {
    let text = raw.trimmingSpaces
    if text.isEmpty { throw AddressError(.empty, raw) }
    if text.containsUTF8("(") || text.containsUTF8(")") { throw AddressError(.comment, raw) }
    guard let at = text.lastIndex(of: "@") else { throw AddressError(.missingAt, raw) }
    let local = text[..<at]
    let domain = text[text.index(after: at)...]
    if local.hasPrefix("\"") { throw AddressError(.quotedLocalPart, raw) }
    if local.containsUTF8("@") { throw AddressError(.severalAts, raw) }
    if local.isEmpty { throw AddressError(.emptyLocalPart, raw) }
    if domain.isEmpty { throw AddressError(.emptyDomain, raw) }
    if local.unicodeScalars.contains(where: { !$0.isASCII }) { throw AddressError(.nonASCIILocalPart, raw) }
    guard isDotAtom(local) else { throw AddressError(.badLocalPart, raw) }
    if local.utf8.count > 64 { throw AddressError(.localPartTooLong, raw) }
    let asciiDomain = try DomainName.ascii(domain, address: raw)
    return try EnvelopeAddress(local + "@" + asciiDomain)
  }

  private static func isDotAtom(_ text: Substring) -> Bool {
    let atoms = text.split(separator: ".", omittingEmptySubsequences: false)
    return atoms.allSatisfy { atom in !atom.isEmpty && atom.utf8.allSatisfy(\.isAtext) }
  }

  private static func unquote(_ text: String) -> String {
    var out = ""
    var escaping = false
    for character in text {
      if escaping {
        out.append(character)
        escaping = false
      } else if character == "\\" {
        escaping = true
      } else {
        out.append(character)
      }
    }
    return out
  }
}

extension UInt8 {
  /// RFC 5322 `atext`: what a dot-atom is made of.
  var isAtext: Bool {
    switch self {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
      UInt8(ascii: "0")...UInt8(ascii: "9"):
      true
    default: "!#$%&'*+-/=?^_`{|}~".utf8.contains(self)
    }
  }
}

extension StringProtocol {
  /// Whether the UTF-8 bytes hold `needle`'s: a plain byte search, not
  /// Foundation's locale-aware `contains`, which costs microseconds a call.
  func containsUTF8(_ needle: String) -> Bool {
    let pattern = Array(needle.utf8)
    guard let first = pattern.first else { return true }
    let bytes = utf8
    var index = bytes.startIndex
    while let start = bytes[index...].firstIndex(of: first) {
      if bytes[start...].starts(with: pattern) { return true }
      index = bytes.index(after: start)
    }
    return false
  }
}

extension String {
  var trimmingSpaces: String {
    var scalars = Substring(self).unicodeScalars
    while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
    while let last = scalars.last, last == " " || last == "\t" { scalars.removeLast() }
    return String(scalars)
  }
}

/// A header value that cannot be written safely.
public struct HeaderError: Error, Sendable, Hashable, CustomStringConvertible {
  /// The field (`Subject`, `To name`, `company`…) the value was for.
  public let field: String
  /// What is wrong.
  public let reason: String

  public var description: String { "\(field): \(reason)" }
}

/// Writes header fields: RFC 2047 encoded words for non-ASCII text, quoting
/// for display names, folding at 78 characters where possible and never a
/// line over 998 octets.
public enum HeaderEncoding {
  /// Refuses CR, LF, NUL, other C0 and C1 controls, U+2028 and U+2029: in a
  /// one-line field any of them could end the header and start another.
  /// Nothing is stripped silently.
  public static func checkSingleLine(_ value: String, field: String) throws(HeaderError) {
    if let control = value.unicodeScalars.first(where: \.isForbiddenInHeaderOrEnvelope) {
      throw HeaderError(
        field: field,
        reason: "contains the control character \(control.debugName); a header value must be one line")
    }
  }

  /// `Name: value` for unstructured text (Subject), folded, without the final CRLF.
  public static func unstructured(_ name: String, _ value: String) throws(HeaderError) -> String {
    try checkSingleLine(value, field: name)
    let plain =
      value.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) && !value.containsUTF8("=?")
      && !value.hasPrefix(" ") && !value.hasSuffix(" ") && !value.containsUTF8("  ")
      && value.split(separator: " ").allSatisfy({ $0.utf8.count <= 900 })
    let body = plain ? value : encodedWords(value).joined(separator: " ")
    return fold("\(name): \(body)")
  }

  /// `Name: a <x@y>, "B, Jr." <z@y>` for a list of mailboxes, folded.
  public static func mailboxes(_ name: String, _ list: [Mailbox]) -> String {
    fold("\(name): " + list.map(phrase(for:)).joined(separator: ", "))
  }

  /// A mailbox as it is written in a header.
  static func phrase(for mailbox: Mailbox) -> String {
    guard let name = mailbox.displayName else { return mailbox.address.rawValue }
    return "\(displayName(name)) <\(mailbox.address.rawValue)>"
  }

  /// A display name as atoms, a quoted string, or encoded words.
  static func displayName(_ name: String) -> String {
    let ascii = name.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
    if !ascii || name.containsUTF8("=?") || name.utf8.count > 900 || name.hasPrefix(" ")
      || name.hasSuffix(" ")
      || name.containsUTF8("  ")
    {
      return encodedWords(name).joined(separator: " ")
    }
    let isPhraseOfAtoms = name.split(separator: " ").allSatisfy { word in word.utf8.allSatisfy(\.isAtext) }
    if isPhraseOfAtoms { return name }
    var quoted = "\""
    for character in name {
      if character == "\"" || character == "\\" { quoted.append("\\") }
      quoted.append(character)
    }
    return quoted + "\""
  }

  /// `=?UTF-8?B?…?=` words of at most 75 characters, split only between Unicode scalars.
  static func encodedWords(_ text: String) -> [String] {
    var words: [String] = []
    var chunk: [UInt8] = []
    for scalar in text.unicodeScalars {
      let bytes = Array(String(scalar).utf8)
      // 45 bytes make 60 base64 characters: with "=?UTF-8?B?" and "?=", 72.
      if chunk.count + bytes.count > 45 {
        words.append("=?UTF-8?B?" + Base64.encode(chunk) + "?=")
        chunk.removeAll()
      }
      chunk += bytes
    }
    if !chunk.isEmpty || words.isEmpty { words.append("=?UTF-8?B?" + Base64.encode(chunk) + "?=") }
    return words
  }

  /// Breaks a header line before spaces so that lines stay within 78
  /// characters where a space allows, joined by CRLF. Unfolding (removing each
  /// CRLF) gives back exactly `line`.
  static func fold(_ line: String, limit: Int = 78) -> String {
    let bytes = Array(line.utf8)
    guard bytes.count > limit else { return line }
    var lines: [ArraySlice<UInt8>] = []
    var start = 0
    // Never break at the space right after "Name:".
    let firstBreakable = (bytes.firstIndex(of: UInt8(ascii: ":")) ?? 0) + 2
    var lastSpace: Int?
    var index = start
    while index < bytes.count {
      if bytes[index] == 0x20 && index > start && index >= firstBreakable { lastSpace = index }
      if index - start >= limit, let space = lastSpace, space > start {
        lines.append(bytes[start..<space])
        start = space
        lastSpace = nil
      }
      index += 1
    }
    lines.append(bytes[start...])
    return lines.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "\r\n")
  }
}

/// Standard base64 (RFC 4648), for encoded words and attachments.
enum Base64 {
  private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

  static func encode(_ bytes: [UInt8]) -> String {
    var out: [UInt8] = []
    out.reserveCapacity((bytes.count + 2) / 3 * 4)
    var index = 0
    while index + 3 <= bytes.count {
      let n = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
      out += [
        alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)],
        alphabet[Int(n & 63)],
      ]
      index += 3
    }
    let rest = bytes.count - index
    if rest > 0 {
      let n = UInt32(bytes[index]) << 16 | (rest == 2 ? UInt32(bytes[index + 1]) << 8 : 0)
      out += [alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)]]
      out +=
        rest == 2 ? [alphabet[Int(n >> 6 & 63)], UInt8(ascii: "=")] : [UInt8(ascii: "="), UInt8(ascii: "=")]
    }
    return String(decoding: out, as: UTF8.self)
  }
}

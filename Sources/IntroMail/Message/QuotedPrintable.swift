/// Quoted-printable (RFC 2045 §6.7) for UTF-8 text bodies.
enum QuotedPrintable {
  private static let hex = Array("0123456789ABCDEF".utf8)

  /// Encodes CRLF-separated text: line breaks stay CRLF, every other line is
  /// cut with soft breaks (`=` CRLF) to at most 76 characters, and `=`, bytes
  /// outside printable ASCII, and spaces or tabs before a line break are escaped.
  static func encode(_ text: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(text.count + text.count / 8)
    let lines = split(text)
    for (number, line) in lines.enumerated() {
      var length = 0
      for (offset, byte) in line.enumerated() {
        let isLast = offset == line.count - 1
        let literal =
          (byte >= 0x21 && byte <= 0x7E && byte != UInt8(ascii: "="))
          || ((byte == 0x20 || byte == 0x09) && !isLast)
        let width = literal ? 1 : 3
        // Keep room for the soft break's "=": 75 characters plus "=" is 76.
        if length + width > (isLast ? 76 : 75) {
          out += [UInt8(ascii: "="), 0x0D, 0x0A]
          length = 0
        }
        if literal {
          out.append(byte)
        } else {
          out += [UInt8(ascii: "="), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
        }
        length += width
      }
      if number < lines.count - 1 { out += [0x0D, 0x0A] }
    }
    return out
  }

  /// The lines of CRLF-normalised text, without their line breaks.
  private static func split(_ text: [UInt8]) -> [ArraySlice<UInt8>] {
    var lines: [ArraySlice<UInt8>] = []
    var start = 0
    var index = 0
    while index < text.count {
      if text[index] == 0x0D && index + 1 < text.count && text[index + 1] == 0x0A {
        lines.append(text[start..<index])
        index += 2
        start = index
      } else {
        index += 1
      }
    }
    lines.append(text[start...])
    return lines
  }
}

/// Reading template data from JSON, without `Any` or `JSONSerialization`.
extension TemplateValue {
  /// Parses a JSON document. Integers stay integers; numbers with a fraction or
  /// an exponent become decimals; object fields keep their order.
  /// - Throws: ``JSONError`` with the line and column of the problem.
  public init(json text: String) throws(JSONError) {
    var parser = JSONParser(Array(text.utf8))
    self = try parser.parseDocument()
  }
}

/// A JSON syntax error at a line and column.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
  public let line: Int
  public let column: Int
  public let message: String
  public var description: String { "\(line):\(column): \(message)" }
}

private struct JSONParser {
  private let bytes: [UInt8]
  private var index = 0
  private var depth = 0

  init(_ bytes: [UInt8]) {
    self.bytes = bytes
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
  }

  mutating func parseDocument() throws(JSONError) -> TemplateValue {
    let value = try parseValue()
    skipWhitespace()
    if index < bytes.count { throw error("unexpected text after the JSON value") }
    return value
  }

  private mutating func parseValue() throws(JSONError) -> TemplateValue {
    skipWhitespace()
    guard index < bytes.count else { throw error("expected a value, found the end of the input") }
    switch bytes[index] {
    case UInt8(ascii: "{"): return try parseObject()
    case UInt8(ascii: "["): return try parseArray()
    case UInt8(ascii: "\""): return .string(try parseString())
    case UInt8(ascii: "t"): return try literal("true", .bool(true))
    case UInt8(ascii: "f"): return try literal("false", .bool(false))
    case UInt8(ascii: "n"): return try literal("null", .null)
    default: return try parseNumber()
    }
  }

  private mutating func literal(_ word: String, _ value: TemplateValue) throws(JSONError) -> TemplateValue {
    let expected = Array(word.utf8)
    guard bytes[index...].starts(with: expected) else { throw error("unexpected character") }
    index += expected.count
    return value
  }

  private mutating func parseObject() throws(JSONError) -> TemplateValue {
    try enter()
    index += 1
    var pairs: [(String, TemplateValue)] = []
    skipWhitespace()
    if peek() == UInt8(ascii: "}") {
      index += 1
      depth -= 1
      return .object(TemplateObject(pairs))
    }
    while true {
      skipWhitespace()
      guard peek() == UInt8(ascii: "\"") else { throw error("expected a field name in double quotes") }
      let key = try parseString()
      skipWhitespace()
      guard peek() == UInt8(ascii: ":") else { throw error("expected ':' after the field name") }
      index += 1
      pairs.append((key, try parseValue()))
      skipWhitespace()
      switch peek() {
      case UInt8(ascii: ","): index += 1
      case UInt8(ascii: "}"):
        index += 1
        depth -= 1
        return .object(TemplateObject(pairs))
      default: throw error("expected ',' or '}' in the object")
      }
    }
  }

  private mutating func parseArray() throws(JSONError) -> TemplateValue {
    try enter()
    index += 1
    var items: [TemplateValue] = []
    skipWhitespace()
    if peek() == UInt8(ascii: "]") {
      index += 1
      depth -= 1
      return .list(items)
    }
    while true {
      items.append(try parseValue())
      skipWhitespace()
      switch peek() {
      case UInt8(ascii: ","): index += 1
      case UInt8(ascii: "]"):
        index += 1
        depth -= 1
        return .list(items)
      default: throw error("expected ',' or ']' in the array")
      }
    }
  }

  private mutating func enter() throws(JSONError) {
    depth += 1
    if depth > 512 { throw error("the JSON is nested more than 512 levels deep") }
  }

  private mutating func parseString() throws(JSONError) -> String {
    index += 1
    var out: [UInt8] = []
    while true {
      guard index < bytes.count else { throw error("a string has no closing '\"'") }
      let byte = bytes[index]
      index += 1
      switch byte {
      case UInt8(ascii: "\""):
        guard let text = String(validating: out, as: UTF8.self) else {
          throw error("the string is not valid UTF-8")
        }
        return text
      case UInt8(ascii: "\\"):
        try parseEscape(into: &out)
      case 0..<0x20:
        throw error("a control character must be escaped in a JSON string")
      default:
        out.append(byte)
      }
    }
  }

  private mutating func parseEscape(into out: inout [UInt8]) throws(JSONError) {
    guard index < bytes.count else { throw error("a '\\' ends the input") }
    let byte = bytes[index]
    index += 1
    switch byte {
    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(byte)
    case UInt8(ascii: "b"): out.append(0x08)
    case UInt8(ascii: "f"): out.append(0x0C)
    case UInt8(ascii: "n"): out.append(0x0A)
    case UInt8(ascii: "r"): out.append(0x0D)
    case UInt8(ascii: "t"): out.append(0x09)
    case UInt8(ascii: "u"):
      var code = try hex4()
      if (0xD800..<0xDC00).contains(code) {
        guard bytes[index...].starts(with: [UInt8(ascii: "\\"), UInt8(ascii: "u")]) else {
          throw error("a lone UTF-16 surrogate in \\u escape")
        }
        index += 2
        let low = try hex4()
        guard (0xDC00..<0xE000).contains(low) else { throw error("a lone UTF-16 surrogate in \\u escape") }
        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
      }
      guard let scalar = Unicode.Scalar(code) else { throw error("\\u escape is not a Unicode scalar") }
      out.append(contentsOf: Array(String(Character(scalar)).utf8))
    default: throw error("unknown escape in a string")
    }
  }

  private mutating func hex4() throws(JSONError) -> UInt32 {
    guard index + 4 <= bytes.count,
      let value = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16)
    else { throw error("\\u needs four hexadecimal digits") }
    index += 4
    return value
  }

  private mutating func parseNumber() throws(JSONError) -> TemplateValue {
    let start = index
    var isInteger = true
    while index < bytes.count {
      switch bytes[index] {
      case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"): index += 1
      case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"):
        isInteger = false
        index += 1
      default: break
      }
      if index < bytes.count, !Self.isNumberByte(bytes[index]) { break }
    }
    let text = String(decoding: bytes[start..<index], as: UTF8.self)
    if text.isEmpty {
      index = start
      throw error("unexpected character; strings need double quotes")
    }
    if isInteger, let integer = Int(text) { return .integer(integer) }
    guard let number = Double(text), number.isFinite else {
      index = start
      throw error("'\(text)' is not a number")
    }
    return .decimal(number)
  }

  private static func isNumberByte(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."),
      UInt8(ascii: "e"), UInt8(ascii: "E"):
      true
    default: false
    }
  }

  private func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

  private mutating func skipWhitespace() {
    while index < bytes.count,
      bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09
    {
      index += 1
    }
  }

  private func error(_ message: String) -> JSONError {
    var line = 1
    var lineStart = 0
    for i in 0..<min(index, bytes.count) where bytes[i] == 0x0A {
      line += 1
      lineStart = i + 1
    }
    let column =
      String(decoding: bytes[lineStart..<min(index, bytes.count)], as: UTF8.self).unicodeScalars.count + 1
    return JSONError(line: line, column: column, message: message)
  }
}

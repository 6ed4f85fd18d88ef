/// A TOML value, as read from `config.toml`.
public enum TOMLValue: Sendable, Equatable {
  case string(String)
  case integer(Int)
  case float(Double)
  case bool(Bool)
  /// An offset or local date-time, date or time, kept as written (`1979-05-27`).
  case dateTime(String)
  case array([TOMLValue])
  case table(TOMLTable)

  /// What the value is, for error messages ("expected a string, found an integer").
  public var kindName: String {
    switch self {
    case .string: "a string"
    case .integer: "an integer"
    case .float: "a number with a fraction"
    case .bool: "true or false"
    case .dateTime: "a date"
    case .array: "an array"
    case .table: "a table"
    }
  }
}

/// Where something stands in a TOML file: 1-based line and column.
public struct TOMLPosition: Sendable, Equatable, CustomStringConvertible {
  public var line: Int
  public var column: Int

  /// A position at `line`, `column` (both from 1).
  public init(line: Int, column: Int) {
    self.line = line
    self.column = column
  }

  public var description: String { "\(line):\(column)" }
}

/// A TOML table: keys in the order they were written, each with where it was written.
public struct TOMLTable: Sendable, Equatable {
  public private(set) var keys: [String] = []
  private var values: [String: TOMLValue] = [:]
  private var positions: [String: TOMLPosition] = [:]

  public init() {}

  public subscript(key: String) -> TOMLValue? { values[key] }

  /// Where `key` was written, if it was.
  public func position(of key: String) -> TOMLPosition? { positions[key] }

  mutating func set(_ key: String, _ value: TOMLValue, at position: TOMLPosition) {
    if values.updateValue(value, forKey: key) == nil {
      keys.append(key)
      positions[key] = position
    }
  }
}

/// A TOML syntax error, with the line and column where it was found.
public struct TOMLError: Error, Sendable, Equatable, CustomStringConvertible {
  public var position: TOMLPosition
  public var message: String
  public var description: String { "\(position): \(message)" }
}

/// Reads TOML 1.0 documents.
///
/// Everything `intro`'s configuration uses is supported: comments, bare,
/// quoted and dotted keys, `[tables]` and `[[arrays of tables]]`, basic and
/// literal strings (single- and multi-line), integers (decimal, hex, octal,
/// binary, with `_`), floats, booleans, dates and times (kept as text),
/// arrays and inline tables. Redefining a key or a table is an error.
public enum TOML {
  /// Parses `text` into its root table.
  public static func parse(_ text: String) throws(TOMLError) -> TOMLTable {
    var parser = TOMLParser(text)
    return try parser.parseDocument()
  }

  /// `text` as a TOML basic string: quotes, backslashes and control characters escaped.
  public static func quoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\t": out += "\\t"
      case "\r": out += "\\r"
      case _ where scalar.value < 0x20 || scalar.value == 0x7F:
        let hex = String(scalar.value, radix: 16, uppercase: true)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }
}

private struct TOMLParser {
  private let chars: [Unicode.Scalar]
  private var index = 0
  private var line = 1
  private var column = 1
  private var root = TOMLTable()
  private var currentPath: [String] = []
  private var definedTables: Set<[String]> = []
  private var arrayTables: Set<[String]> = []
  /// Arrays and inline tables open around the value being read.
  private var depth = 0

  /// How deeply arrays and inline tables may nest, and how many parts a dotted
  /// key may have: far beyond any configuration, far below a stack overflow.
  static let maximumNesting = 100

  init(_ text: String) {
    chars = Array(text.unicodeScalars)
  }

  // MARK: Document structure

  mutating func parseDocument() throws(TOMLError) -> TOMLTable {
    if peek() == "\u{FEFF}" { advance() }
    while true {
      skipBlank()
      guard let c = peek() else { break }
      if c == "[" {
        try parseHeader()
      } else {
        let (path, position) = try parseKey()
        skipSpaces()
        try expect("=", "after the key, an '=' and a value")
        skipSpaces()
        let value = try parseValue()
        try insert(currentPath, path, value, at: position)
      }
      try endOfLine()
    }
    return root
  }

  private mutating func parseHeader() throws(TOMLError) {
    let position = here
    advance()
    let isArray = peek() == "["
    if isArray { advance() }
    skipSpaces()
    let (path, _) = try parseKey()
    skipSpaces()
    try expect("]", "a ']' to close the table name")
    if isArray { try expect("]", "']]' to close the array-of-tables name") }
    if isArray {
      try appendArrayTable(path, at: position)
      arrayTables.insert(path)
    } else {
      if definedTables.contains(path) || arrayTables.contains(path) {
        throw error("table [\(path.joined(separator: "."))] is defined twice", at: position)
      }
      definedTables.insert(path)
      try ensureTable(path, at: position)
    }
    currentPath = path
  }

  private mutating func parseKey() throws(TOMLError) -> ([String], TOMLPosition) {
    let position = here
    var parts: [String] = []
    while true {
      skipSpaces()
      guard let c = peek() else { throw error("expected a key, found the end of the file") }
      if c == "\"" {
        parts.append(try parseBasicString())
      } else if c == "'" {
        parts.append(try parseLiteralString())
      } else {
        var key = ""
        while let c = peek(), c.isBareKeyCharacter {
          key.unicodeScalars.append(c)
          advance()
        }
        if key.isEmpty {
          throw error("expected a key (letters, digits, '_' or '-', or a quoted name), found '\(c)'")
        }
        parts.append(key)
      }
      skipSpaces()
      if peek() == "." { advance() } else { break }
      if parts.count >= Self.maximumNesting {
        throw error("a dotted key may have at most \(Self.maximumNesting) parts", at: position)
      }
    }
    return (parts, position)
  }

  // MARK: Values

  private mutating func parseValue() throws(TOMLError) -> TOMLValue {
    guard let c = peek() else { throw error("expected a value, found the end of the file") }
    switch c {
    case "\"":
      return .string(try startsWith("\"\"\"") ? parseMultilineBasicString() : parseBasicString())
    case "'":
      return .string(try startsWith("'''") ? parseMultilineLiteralString() : parseLiteralString())
    case "[", "{":
      guard depth < Self.maximumNesting else {
        throw error("arrays and inline tables may nest at most \(Self.maximumNesting) deep")
      }
      depth += 1
      defer { depth -= 1 }
      return try c == "[" ? parseArray() : parseInlineTable()
    case "t", "f": return try parseBool()
    default: return try parseNumberOrDate()
    }
  }

  private mutating func parseBool() throws(TOMLError) -> TOMLValue {
    if startsWith("true") {
      advance(4)
      return .bool(true)
    }
    if startsWith("false") {
      advance(5)
      return .bool(false)
    }
    throw error("expected a value; strings need quotes, e.g. \"text\"")
  }

  private mutating func parseNumberOrDate() throws(TOMLError) -> TOMLValue {
    let position = here
    var token = ""
    while let c = peek(), c.isValueTokenCharacter || (c == " " && looksLikeDateTimeSpace(token)) {
      token.unicodeScalars.append(c)
      advance()
    }
    if token.isEmpty {
      throw error("expected a value; strings need quotes, e.g. \"text\"", at: position)
    }
    if let value = Self.number(token) { return value }
    if Self.isDateTime(token) { return .dateTime(token) }
    throw error("'\(token)' is not a valid value; strings need quotes, e.g. \"\(token)\"", at: position)
  }

  private func looksLikeDateTimeSpace(_ token: String) -> Bool {
    // "1979-05-27 07:32:00": a space may separate date and time.
    let scalars = Array(token.unicodeScalars)
    guard scalars.count == 10, index + 1 < chars.count else { return false }
    return Self.isDateTime(token) && chars[index + 1].properties.numericType != nil
  }

  private static func number(_ token: String) -> TOMLValue? {
    switch token {
    case "inf", "+inf": return .float(.infinity)
    case "-inf": return .float(-.infinity)
    case "nan", "+nan", "-nan": return .float(.nan)
    default: break
    }
    if token.hasPrefix("_") || token.hasSuffix("_") || token.contains("__") { return nil }
    let plain = String(token.filter { $0 != "_" })
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where plain.hasPrefix(prefix) {
      return Int(plain.dropFirst(2), radix: radix).map(TOMLValue.integer)
    }
    let digits = plain.hasPrefix("+") || plain.hasPrefix("-") ? plain.dropFirst() : Substring(plain)
    if digits.count > 1 && digits.hasPrefix("0") && digits.dropFirst().first?.isNumber == true {
      return nil  // leading zeros are not allowed
    }
    if let integer = Int(plain) { return .integer(integer) }
    let isFloatShape =
      plain.contains(where: { $0 == "." || $0 == "e" || $0 == "E" })
      && !plain.hasSuffix(".") && !plain.hasPrefix(".") && !plain.contains(".e") && !plain.contains(".E")
    if isFloatShape, let float = Double(plain) { return .float(float) }
    return nil
  }

  private static func isDateTime(_ token: String) -> Bool {
    let s = Array(token.utf8)
    func digits(_ range: Range<Int>) -> Bool {
      range.upperBound <= s.count && range.allSatisfy { (0x30...0x39).contains(s[$0]) }
    }
    let isDate =
      digits(0..<4) && s.count >= 10 && s[4] == 0x2D && digits(5..<7) && s[7] == 0x2D && digits(8..<10)
    let isTime =
      digits(0..<2) && s.count >= 8 && s[2] == 0x3A && digits(3..<5) && s[5] == 0x3A && digits(6..<8)
    return isDate || isTime
  }

  private mutating func parseArray() throws(TOMLError) -> TOMLValue {
    advance()
    var items: [TOMLValue] = []
    while true {
      skipBlank()
      if peek() == "]" {
        advance()
        return .array(items)
      }
      items.append(try parseValue())
      skipBlank()
      if peek() == "," {
        advance()
      } else if peek() == "]" {
        advance()
        return .array(items)
      } else {
        throw error("expected ',' or ']' in the array")
      }
    }
  }

  private mutating func parseInlineTable() throws(TOMLError) -> TOMLValue {
    advance()
    var table = TOMLTable()
    skipSpaces()
    if peek() == "}" {
      advance()
      return .table(table)
    }
    while true {
      skipSpaces()
      let (path, position) = try parseKey()
      skipSpaces()
      try expect("=", "an '=' after the key")
      skipSpaces()
      let value = try parseValue()
      try Self.insert(into: &table, path[...], value, at: position, parser: self)
      skipSpaces()
      if peek() == "," {
        advance()
      } else if peek() == "}" {
        advance()
        return .table(table)
      } else {
        throw error("expected ',' or '}' in the inline table (inline tables stay on one line)")
      }
    }
  }

  private mutating func parseBasicString() throws(TOMLError) -> String {
    let start = here
    advance()
    var out = ""
    while true {
      guard let c = peek(), c != "\n" else {
        throw error("this string has no closing '\"'", at: start)
      }
      advance()
      if c == "\"" { return out }
      if c == "\\" {
        try parseEscape(into: &out)
      } else {
        try checkStringCharacter(c)
        out.unicodeScalars.append(c)
      }
    }
  }

  private mutating func parseMultilineBasicString() throws(TOMLError) -> String {
    let start = here
    advance(3)
    if peek() == "\n" { advance() } else if startsWith("\r\n") { advance(2) }
    var out = ""
    while true {
      guard let c = peek() else { throw error("this string has no closing '\"\"\"'", at: start) }
      if startsWith("\"\"\"") {
        advance(3)
        // Up to two quotes may stand right before the closing delimiter.
        var extra = 0
        while peek() == "\"" && extra < 2 {
          out += "\""
          advance()
          extra += 1
        }
        return out
      }
      advance()
      if c == "\\" {
        if let next = peek(), next == " " || next == "\t" || next == "\n" || next == "\r" {
          // A line-ending backslash trims the newline and the white space after it.
          while let w = peek(), w == " " || w == "\t" || w == "\n" || w == "\r" { advance() }
        } else {
          try parseEscape(into: &out)
        }
      } else if c == "\n" || c == "\r" {
        out.unicodeScalars.append(c)
      } else {
        try checkStringCharacter(c)
        out.unicodeScalars.append(c)
      }
    }
  }

  private mutating func parseLiteralString() throws(TOMLError) -> String {
    let start = here
    advance()
    var out = ""
    while true {
      guard let c = peek(), c != "\n" else {
        throw error("this string has no closing \"'\"", at: start)
      }
      advance()
      if c == "'" { return out }
      try checkStringCharacter(c)
      out.unicodeScalars.append(c)
    }
  }

  private mutating func parseMultilineLiteralString() throws(TOMLError) -> String {
    let start = here
    advance(3)
    if peek() == "\n" { advance() } else if startsWith("\r\n") { advance(2) }
    var out = ""
    while true {
      guard let c = peek() else { throw error("this string has no closing \"'''\"", at: start) }
      if startsWith("'''") {
        advance(3)
        var extra = 0
        while peek() == "'" && extra < 2 {
          out += "'"
          advance()
          extra += 1
        }
        return out
      }
      advance()
      out.unicodeScalars.append(c)
    }
  }

  private mutating func parseEscape(into out: inout String) throws(TOMLError) {
    // The backslash, just read, is on this line one column back.
    let position = TOMLPosition(line: line, column: column - 1)
    guard let c = peek() else { throw error("a '\\' ends the file") }
    advance()
    switch c {
    case "b": out += "\u{08}"
    case "t": out += "\t"
    case "n": out += "\n"
    case "f": out += "\u{0C}"
    case "r": out += "\r"
    case "e": out += "\u{1B}"
    case "\"": out += "\""
    case "\\": out += "\\"
    case "u", "U":
      let count = c == "u" ? 4 : 8
      var hex = ""
      for _ in 0..<count {
        guard let h = peek(), h.properties.isASCIIHexDigit else {
          throw error("\\\(c) needs \(count) hexadecimal digits", at: position)
        }
        hex.unicodeScalars.append(h)
        advance()
      }
      guard let value = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(value) else {
        throw error("\\\(c)\(hex) is not a Unicode scalar value", at: position)
      }
      out.unicodeScalars.append(scalar)
    default:
      throw error("unknown escape '\\\(c)'; write '\\\\' for a backslash", at: position)
    }
  }

  private func checkStringCharacter(_ c: Unicode.Scalar) throws(TOMLError) {
    if c.value < 0x20 && c != "\t" || c.value == 0x7F {
      throw error("a control character is not allowed in a string; use an escape such as \\n")
    }
  }

  // MARK: Building the tree

  private mutating func insert(
    _ tablePath: [String], _ keyPath: [String], _ value: TOMLValue, at position: TOMLPosition
  ) throws(TOMLError) {
    let parser = self
    try Self.modify(&root, tablePath[...], at: position, parser: parser) {
      (table: inout TOMLTable) throws(TOMLError) in
      try Self.insert(into: &table, keyPath[...], value, at: position, parser: parser)
    }
  }

  private static func insert(
    into table: inout TOMLTable, _ keyPath: ArraySlice<String>, _ value: TOMLValue,
    at position: TOMLPosition, parser: TOMLParser
  ) throws(TOMLError) {
    guard let first = keyPath.first else { return }
    if keyPath.count == 1 {
      if table[first] != nil {
        throw parser.error("the key '\(first)' is already defined", at: position)
      }
      table.set(first, value, at: position)
      return
    }
    try modify(&table, [first], at: position, parser: parser) { (inner: inout TOMLTable) throws(TOMLError) in
      try insert(into: &inner, keyPath.dropFirst(), value, at: position, parser: parser)
    }
  }

  /// Runs `body` on the table at `path` below `table`, creating tables on the way
  /// and stepping into the last element of an array of tables.
  private static func modify(
    _ table: inout TOMLTable, _ path: ArraySlice<String>, at position: TOMLPosition,
    parser: TOMLParser, _ body: (inout TOMLTable) throws(TOMLError) -> Void
  ) throws(TOMLError) {
    guard let first = path.first else {
      try body(&table)
      return
    }
    switch table[first] {
    case nil:
      var inner = TOMLTable()
      try modify(&inner, path.dropFirst(), at: position, parser: parser, body)
      table.set(first, .table(inner), at: position)
    case .table(var inner):
      try modify(&inner, path.dropFirst(), at: position, parser: parser, body)
      table.set(first, .table(inner), at: position)
    case .array(var items):
      guard case .table(var last)? = items.last else {
        throw parser.error("'\(first)' is an array of values, not a table", at: position)
      }
      try modify(&last, path.dropFirst(), at: position, parser: parser, body)
      items[items.count - 1] = .table(last)
      table.set(first, .array(items), at: position)
    case let value?:
      throw parser.error("'\(first)' is already \(value.kindName), not a table", at: position)
    }
  }

  private mutating func ensureTable(_ path: [String], at position: TOMLPosition) throws(TOMLError) {
    let parser = self
    try Self.modify(&root, path[...], at: position, parser: parser) {
      (_: inout TOMLTable) throws(TOMLError) in
    }
  }

  private mutating func appendArrayTable(_ path: [String], at position: TOMLPosition) throws(TOMLError) {
    guard let last = path.last else { return }
    let parser = self
    try Self.modify(&root, path.dropLast(), at: position, parser: parser) {
      (parent: inout TOMLTable) throws(TOMLError) in
      switch parent[last] {
      case nil: parent.set(last, .array([.table(TOMLTable())]), at: position)
      case .array(var items) where parser.arrayTables.contains(path):
        items.append(.table(TOMLTable()))
        parent.set(last, .array(items), at: position)
      default:
        throw parser.error("'\(last)' is already defined and is not an array of tables", at: position)
      }
    }
  }

  // MARK: Scanning

  private var here: TOMLPosition { TOMLPosition(line: line, column: column) }

  private func peek() -> Unicode.Scalar? { index < chars.count ? chars[index] : nil }

  private func startsWith(_ text: String) -> Bool {
    var i = index
    for c in text.unicodeScalars {
      guard i < chars.count, chars[i] == c else { return false }
      i += 1
    }
    return true
  }

  private mutating func advance(_ count: Int = 1) {
    for _ in 0..<count where index < chars.count {
      if chars[index] == "\n" {
        line += 1
        column = 1
      } else {
        column += 1
      }
      index += 1
    }
  }

  private mutating func skipSpaces() {
    while let c = peek(), c == " " || c == "\t" { advance() }
  }

  /// Skips spaces, newlines and comments.
  private mutating func skipBlank() {
    while let c = peek() {
      if c == " " || c == "\t" || c == "\n" || c == "\r" {
        advance()
      } else if c == "#" {
        while let c = peek(), c != "\n" { advance() }
      } else {
        break
      }
    }
  }

  private mutating func endOfLine() throws(TOMLError) {
    skipSpaces()
    if peek() == "#" {
      while let c = peek(), c != "\n" { advance() }
    }
    if peek() == "\r" { advance() }
    guard let c = peek() else { return }
    guard c == "\n" else { throw error("unexpected '\(c)' after the value; one key = value per line") }
    advance()
  }

  private mutating func expect(_ c: Unicode.Scalar, _ what: String) throws(TOMLError) {
    guard peek() == c else {
      let found = peek().map { "'\($0)'" } ?? "the end of the file"
      throw error("expected \(what), found \(found)")
    }
    advance()
  }

  func error(_ message: String, at position: TOMLPosition? = nil) -> TOMLError {
    TOMLError(position: position ?? here, message: message)
  }
}

extension Unicode.Scalar {
  fileprivate var isBareKeyCharacter: Bool {
    switch self {
    case "A"..."Z", "a"..."z", "0"..."9", "_", "-": true
    default: false
    }
  }

  fileprivate var isValueTokenCharacter: Bool {
    switch self {
    case "A"..."Z", "a"..."z", "0"..."9", "_", "-", "+", ".", ":": true
    default: false
    }
  }
}

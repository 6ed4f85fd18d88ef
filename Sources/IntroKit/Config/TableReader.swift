/// Reads the keys of one TOML table, remembering which were read so that
/// unknown keys (typos) can be reported with their position.
struct TableReader {
  let table: TOMLTable
  let section: String?
  let file: String
  private var read: Set<String> = []

  init(table: TOMLTable, section: String?, file: String) {
    self.table = table
    self.section = section
    self.file = file
  }

  mutating func string(_ key: String) throws(ConfigError) -> String? {
    guard let value = take(key) else { return nil }
    guard case .string(let text) = value else { throw mismatch(key, value, "a string in quotes") }
    return text
  }

  mutating func integer(_ key: String) throws(ConfigError) -> Int? {
    guard let value = take(key) else { return nil }
    guard case .integer(let number) = value else { throw mismatch(key, value, "a whole number") }
    return number
  }

  /// An inline table of strings, `{ email = "E-mail" }`.
  mutating func stringTable(_ key: String) throws(ConfigError) -> [String: String]? {
    guard let value = take(key) else { return nil }
    guard case .table(let table) = value else {
      throw mismatch(key, value, "a table such as { email = \"E-mail\" }")
    }
    var result: [String: String] = [:]
    for name in table.keys {
      guard case .string(let text)? = table[name] else {
        throw ConfigError(
          file: file, position: table.position(of: name), "\(qualified(key)).\(name) should be a string")
      }
      result[name] = text
    }
    return result
  }

  /// A duration in seconds, written as an integer or a decimal.
  mutating func seconds(_ key: String) throws(ConfigError) -> Double? {
    guard let value = take(key) else { return nil }
    switch value {
    case .integer(let number): return Double(number)
    case .float(let number): return number
    default: throw mismatch(key, value, "a number of seconds")
    }
  }

  /// A list of strings, `["mon", "tue"]`; TOML dates are taken as written.
  mutating func strings(_ key: String) throws(ConfigError) -> [String]? {
    guard let value = take(key) else { return nil }
    guard case .array(let items) = value else { throw mismatch(key, value, "a list such as [\"a\", \"b\"]") }
    var result: [String] = []
    for item in items {
      switch item {
      case .string(let text), .dateTime(let text): result.append(text)
      default: throw mismatch(key, item, "a list of strings")
      }
    }
    return result
  }

  /// An array of tables (`[[reminders]]`), each as a reader of its own.
  mutating func tables(_ key: String) throws(ConfigError) -> [TableReader]? {
    guard let value = take(key) else { return nil }
    guard case .array(let items) = value else { throw mismatch(key, value, "a [[\(key)]] list of tables") }
    var readers: [TableReader] = []
    for (index, item) in items.enumerated() {
      guard case .table(let inner) = item else { throw mismatch(key, item, "a [[\(key)]] list of tables") }
      readers.append(TableReader(table: inner, section: "\(qualified(key))[\(index + 1)]", file: file))
    }
    return readers
  }

  /// Where the table starts, for an error about the table as a whole.
  var firstPosition: TOMLPosition? {
    table.keys.compactMap { table.position(of: $0) }.min { ($0.line, $0.column) < ($1.line, $1.column) }
  }

  mutating func section(_ key: String) throws(ConfigError) -> TableReader? {
    guard let value = take(key) else { return nil }
    guard case .table(let inner) = value else { throw mismatch(key, value, "a [\(key)] section") }
    return TableReader(table: inner, section: qualified(key), file: file)
  }

  /// Fails on the first key that was never read.
  func finish() throws(ConfigError) {
    for key in table.keys where !read.contains(key) {
      let known = read.sorted().joined(separator: ", ")
      let place = section.map { "in [\($0)]" } ?? "at the top level"
      throw ConfigError(
        file: file, position: table.position(of: key), "unknown key '\(key)' \(place)",
        fix: known.isEmpty ? "remove it" : "check the spelling; known here: \(known)")
    }
  }

  func error(_ message: String, at key: String? = nil, fix: String) -> ConfigError {
    ConfigError(file: file, position: key.flatMap(table.position(of:)), message, fix: fix)
  }

  private mutating func take(_ key: String) -> TOMLValue? {
    read.insert(key)
    return table[key]
  }

  private func mismatch(_ key: String, _ value: TOMLValue, _ expected: String) -> ConfigError {
    ConfigError(
      file: file, position: table.position(of: key),
      "\(qualified(key)) should be \(expected), found \(value.kindName)", fix: nil)
  }

  private func qualified(_ key: String) -> String {
    section.map { "\($0).\(key)" } ?? key
  }
}

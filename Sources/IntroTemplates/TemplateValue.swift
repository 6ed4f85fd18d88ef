/// A value a template can read: the typed data model behind every render.
///
/// Build one from JSON (``init(json:)``), from a CSV row
/// (``init(row:)``), or from Swift values with literals:
///
/// ```swift
/// let context: TemplateValue = [
///   "client": ["first_name": "Chris", "company": "Smith & Sons"],
///   "problems": ["slow quotes", "manual reports"],
///   "deal_size": 85,
/// ]
/// ```
public enum TemplateValue: Sendable, Hashable {
  case string(String)
  case integer(Int)
  case decimal(Double)
  case bool(Bool)
  case list([TemplateValue])
  case object(TemplateObject)
  case null

  /// An object from key-value pairs, in order; a later duplicate key replaces an earlier one.
  public static func object(_ pairs: KeyValuePairs<String, TemplateValue>) -> TemplateValue {
    .object(TemplateObject(pairs.map { ($0.key, $0.value) }))
  }

  /// A row of text columns (CSV), each header name a key.
  public init(row: some Sequence<(String, String)>) {
    self = .object(TemplateObject(row.map { ($0.0, TemplateValue.string($0.1)) }))
  }

  /// Mustache truthiness: false, null, an empty list and a blank string are false.
  var isTruthy: Bool {
    switch self {
    case .bool(let value): value
    case .null: false
    case .list(let items): !items.isEmpty
    case .string(let text): !text.isBlank
    case .integer, .decimal, .object: true
    }
  }

  /// `85`, `1.21`, `-0.5`: integral decimals print without a fraction.
  static func format(_ number: Double) -> String {
    if number.isFinite, number == number.rounded(), abs(number) < 1e15 {
      return String(Int64(number))
    }
    return String(number)
  }
}

/// The fields of an object value, in the order they were given.
///
/// Objects in templates are small (a contact has a dozen fields), so lookup
/// scans the keys; that beats hashing for short keys and keeps field order
/// for `intro templates lint` and exports.
public struct TemplateObject: Sendable, Hashable {
  // One immutable reference for all three arrays: copying an object while
  // rendering costs one retain, and reading its fields needs no exclusivity
  // check (a class's `var` would cost one on every lookup). A change makes
  // new storage; objects are built once and read many times.
  private var storage: Storage

  private final class Storage: Sendable {
    let keys: [String]
    let values: [TemplateValue]
    /// `keys[i].hashValue`, so a lookup compares integers before it compares strings.
    let hashes: [Int]

    init(keys: [String], values: [TemplateValue], hashes: [Int]) {
      self.keys = keys
      self.values = values
      self.hashes = hashes
    }

    func index(of key: String, hash: Int) -> Int? {
      hashes.withUnsafeBufferPointer { buffer in
        for index in 0..<buffer.count where buffer[index] == hash && keys[index] == key { return index }
        return nil
      }
    }
  }

  /// An object from `pairs`; a later duplicate key replaces an earlier one.
  public init(_ pairs: [(String, TemplateValue)] = []) {
    var keys: [String] = []
    var values: [TemplateValue] = []
    var hashes: [Int] = []
    keys.reserveCapacity(pairs.count)
    values.reserveCapacity(pairs.count)
    hashes.reserveCapacity(pairs.count)
    // Each key hashed once. A small object (a CSV row, a contact) finds a
    // duplicate by scanning its hashes; a big one through a dictionary.
    var positions: [String: Int]? = pairs.count > 32 ? [:] : nil
    for (key, value) in pairs {
      let hash = key.hashValue
      let existing: Int?
      if positions != nil {
        existing = positions?[key]
        positions?[key] = existing ?? keys.count
      } else {
        existing = hashes.indices.first { hashes[$0] == hash && keys[$0] == key }
      }
      if let existing {
        values[existing] = value
      } else {
        keys.append(key)
        values.append(value)
        hashes.append(hash)
      }
    }
    storage = Storage(keys: keys, values: values, hashes: hashes)
  }

  /// The field names, in order.
  public var keys: [String] { storage.keys }

  /// The field values, in the order of ``keys``.
  public var values: [TemplateValue] { storage.values }

  /// The value for `key`, or nil when there is none. Setting nil removes the field.
  public subscript(key: String) -> TemplateValue? {
    get { self[Key(key)] }
    set {
      var keys = storage.keys
      var values = storage.values
      var hashes = storage.hashes
      let hash = key.hashValue
      if let index = storage.index(of: key, hash: hash) {
        if let newValue {
          values[index] = newValue
        } else {
          keys.remove(at: index)
          values.remove(at: index)
          hashes.remove(at: index)
        }
      } else if let newValue {
        keys.append(key)
        values.append(newValue)
        hashes.append(hash)
      } else {
        return
      }
      storage = Storage(keys: keys, values: values, hashes: hashes)
    }
  }

  subscript(key: Key) -> TemplateValue? {
    guard let index = storage.index(of: key.name, hash: key.hash) else { return nil }
    return storage.values[index]
  }

  /// How many fields the object has.
  public var count: Int { storage.keys.count }

  public static func == (a: TemplateObject, b: TemplateObject) -> Bool {
    a.storage === b.storage || (a.storage.keys == b.storage.keys && a.storage.values == b.storage.values)
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(storage.keys)
    hasher.combine(storage.values)
  }
}

extension TemplateValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
  ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral,
  ExpressibleByNilLiteral
{
  public init(stringLiteral value: String) { self = .string(value) }
  public init(integerLiteral value: Int) { self = .integer(value) }
  public init(floatLiteral value: Double) { self = .decimal(value) }
  public init(booleanLiteral value: Bool) { self = .bool(value) }
  public init(arrayLiteral elements: TemplateValue...) { self = .list(elements) }
  public init(dictionaryLiteral elements: (String, TemplateValue)...) {
    self = .object(TemplateObject(elements))
  }
  public init(nilLiteral: ()) { self = .null }
}

extension String {
  /// True when empty or only white space (spaces, tabs, line breaks, and Unicode spaces).
  var isBlank: Bool {
    // Almost every value starts with a printable ASCII character: settle that at once.
    if let first = utf8.first, first > 0x20 && first < 0x80 { return false }
    for byte in utf8 {
      if byte == 0x20 || (byte >= 0x09 && byte <= 0x0D) { continue }
      if byte < 0x80 { return false }
      return unicodeScalars.allSatisfy(\.properties.isWhitespace)
    }
    return true
  }
}

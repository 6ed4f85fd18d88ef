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

  /// The text an interpolation writes, or nil for lists, objects and null.
  var scalarText: String? {
    switch self {
    case .string(let text): text
    case .integer(let number): String(number)
    case .decimal(let number): Self.format(number)
    case .bool(let value): value ? "true" : "false"
    case .list, .object, .null: nil
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
  public private(set) var keys: [String]
  public private(set) var values: [TemplateValue]

  /// An object from `pairs`; a later duplicate key replaces an earlier one.
  public init(_ pairs: [(String, TemplateValue)] = []) {
    keys = []
    values = []
    keys.reserveCapacity(pairs.count)
    values.reserveCapacity(pairs.count)
    for (key, value) in pairs { self[key] = value }
  }

  /// The value for `key`, or nil when there is none.
  public subscript(key: String) -> TemplateValue? {
    get {
      for index in keys.indices where keys[index] == key { return values[index] }
      return nil
    }
    set {
      if let index = keys.firstIndex(of: key) {
        if let newValue {
          values[index] = newValue
        } else {
          keys.remove(at: index)
          values.remove(at: index)
        }
      } else if let newValue {
        keys.append(key)
        values.append(newValue)
      }
    }
  }

  /// How many fields the object has.
  public var count: Int { keys.count }
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

extension StringProtocol {
  /// True when empty or only white space (spaces, tabs, line breaks, and Unicode spaces).
  var isBlank: Bool { allSatisfy(\.isWhitespace) }
}

/// Rendered text that remembers which runs came from data: the template's own
/// text is syntax (commas, quotes and angle brackets in an address header),
/// an interpolated value never is.
///
/// ```swift
/// // To: {{client.name}} <{{client.email}}>, with a name of "Doe, Jane":
/// rendered.field("To")?.parts
/// // [.value("Doe, Jane"), .template(" <"), .value("jane@example.org"), .template(">")]
/// ```
public struct MarkedText: Sendable, Hashable {
  /// One run of the text.
  public enum Part: Sendable, Hashable {
    /// Written by the template (its text, a section's text).
    case template(String)
    /// One interpolated value (or its fallback), exactly as the data had it.
    case value(String)
  }

  public let parts: [Part]

  /// Text made of `parts`.
  public init(parts: [Part]) { self.parts = parts }

  /// The text as a person reads it.
  public var text: String {
    parts.map { part in
      switch part {
      case .template(let text), .value(let text): text
      }
    }.joined()
  }

  // U+FDD0 and U+FDD1, Unicode noncharacters: never in mail text, and removed
  // from every value (Swift refuses them in literals, hence the numbers).
  private static let startScalar: UInt32 = 0xFDD0
  private static let endScalar: UInt32 = 0xFDD1
  static let valueStart: [UInt8] = [0xEF, 0xB7, 0x90]
  static let valueEnd: [UInt8] = [0xEF, 0xB7, 0x91]

  private static func isMarker(_ scalar: Unicode.Scalar) -> Bool {
    scalar.value == startScalar || scalar.value == endScalar
  }

  static func withoutMarkers(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: isMarker) else { return text }
    return String(String.UnicodeScalarView(text.unicodeScalars.filter { !isMarker($0) }))
  }

  /// Splits text rendered with value marks into its parts.
  init(marked: String) {
    var parts: [Part] = []
    var current = String.UnicodeScalarView()
    var inValue = false
    func flush() {
      if !current.isEmpty || inValue {
        parts.append(inValue ? .value(String(current)) : .template(String(current)))
      }
      current = String.UnicodeScalarView()
    }
    for scalar in marked.unicodeScalars {
      switch scalar.value {
      case Self.startScalar:
        flush()
        inValue = true
      case Self.endScalar:
        flush()
        inValue = false
      default:
        current.append(scalar)
      }
    }
    flush()
    self.parts = parts
  }
}

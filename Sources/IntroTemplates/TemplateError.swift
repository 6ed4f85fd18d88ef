/// Where something is in a template file: 1-based line and column (in characters).
public struct SourceLocation: Sendable, Hashable, Comparable, CustomStringConvertible {
  /// The template's file path or library name.
  public var file: String
  public var line: Int
  public var column: Int

  public init(file: String, line: Int, column: Int) {
    self.file = file
    self.line = line
    self.column = column
  }

  public var description: String { "\(file):\(line):\(column)" }

  public static func < (a: SourceLocation, b: SourceLocation) -> Bool {
    (a.file, a.line, a.column) < (b.file, b.line, b.column)
  }
}

/// A template that cannot be parsed, pointing at the offending tag.
public struct TemplateSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
  /// What kind of mistake it is.
  public enum Kind: String, Sendable, Hashable {
    case unclosedTag = "unclosed-tag"
    case emptyTag = "empty-tag"
    case unclosedSection = "unclosed-section"
    case mismatchedClose = "mismatched-close"
    case unexpectedClose = "unexpected-close"
    case badDelimiter = "bad-delimiter"
    case badFallback = "bad-fallback"
    case unknownPartial = "unknown-partial"
    case partialRecursion = "partial-recursion"
    /// Sections, parents or blocks nested more than 100 deep.
    case tooDeep = "too-deep"
    case badHeader = "bad-header"
  }

  public let kind: Kind
  public let location: SourceLocation
  /// What is wrong.
  public let message: String
  /// The text of the offending line.
  public let lineText: String
  /// What to do about it.
  public let hint: String

  public var description: String {
    // A long line is shown around the column, so the caret stays on screen.
    var shown = Array(lineText)
    var column = max(0, location.column - 1)
    if column > 60 {
      shown = ["…"] + shown[min(shown.count, column - 50)...]
      column = 51
    }
    if shown.count > column + 30 { shown = shown[..<(column + 30)] + ["…"] }
    let caret = String(repeating: " ", count: column) + "^"
    return "\(location): error: \(message)\n  \(String(shown))\n  \(caret)\n  hint: \(hint)"
  }
}

/// One value a strict render could not fill.
public struct MissingValue: Sendable, Hashable, CustomStringConvertible {
  /// Why the value could not be used.
  public enum Reason: String, Sendable, Hashable {
    case missing
    case null
    case blank
    case notText = "not-text"
  }

  /// The variable's full dotted name, as written in the tag.
  public let name: String
  public let reason: Reason
  /// The tag's position.
  public let location: SourceLocation

  public var description: String {
    let why =
      switch reason {
      case .missing: "has no value"
      case .null: "is null"
      case .blank: "is blank"
      case .notText: "is a list or an object, not text"
      }
    return "\(location): error: {{\(name)}} \(why)"
      + " (give it a value, or a fallback: {{\(name) | \"…\"}})"
  }
}

/// Why a render failed: every missing value, or a problem with partials.
public enum RenderError: Error, Sendable, Hashable, CustomStringConvertible {
  /// Strict mode found values it could not fill; all of them, in template order.
  case missingValues([MissingValue])
  /// A partial or parent could not be used.
  case syntax(TemplateSyntaxError)
  /// A value put a line break into header `field` of the template `file`.
  case lineBreakInHeader(field: String, file: String)

  public var description: String {
    switch self {
    case .missingValues(let values): values.map(\.description).joined(separator: "\n")
    case .syntax(let error): error.description
    case .lineBreakInHeader(let field, let file):
      "\(file): error: a value puts a line break into the \(field) header; a header is one line, "
        + "so the value would start a header of its own (fix the data: remove the line break)"
    }
  }
}

/// A template file: an optional header block, a blank line, and a body.
///
/// ```
/// Subject: Thank you for introducing me to {{prospect.first_name}}
/// To: {{client.email}}
/// Intro-Description: Thank a client for an introduction
/// Intro-Audience: client
///
/// Hi {{client.first_name | "there"}}, …
/// ```
///
/// Header values are templates too. `Intro-*` headers are metadata about the
/// template and are never sent. A file whose first line is not one of the
/// known headers is a fragment (a partial, or the blurb): all body.
public struct EmailTemplate: Sendable {
  /// The headers a template may set, in the order they are written out.
  public static let headerNames = ["From", "To", "Cc", "Bcc", "Reply-To", "Subject"]

  /// The library name or file path.
  public let name: String
  /// The sendable headers, in file order, each value a template.
  public let headers: [(name: String, value: Template)]
  /// `Intro-*` metadata, keyed by the part after `Intro-` (`Description`, `Audience`).
  public let metadata: [String: String]
  /// The body.
  public let body: Template

  /// True when the file has no header block.
  public var isFragment: Bool { headers.isEmpty && metadata.isEmpty }

  /// Parses a template file.
  /// - Parameter fragment: treat the whole file as a body, even if it starts like a header.
  public init(_ source: String, name: String, fragment: Bool = false) throws(TemplateSyntaxError) {
    self.name = name
    var headers: [(String, Template)] = []
    var metadata: [String: String] = [:]
    // "\r\n" is one Character in Swift, so both line endings are separators here.
    let lines = source.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
    guard !fragment, let first = lines.first, Self.headerName(of: first) != nil else {
      self.headers = []
      self.metadata = [:]
      body = try Template(source, name: name)
      return
    }
    var lineNumber = 0
    var bodyStart: String.Index?
    var offset = source.startIndex
    while lineNumber < lines.count {
      let line = lines[lineNumber]
      let lineEnd = source.index(offset, offsetBy: line.count)
      let next = lineEnd < source.endIndex ? source.index(after: lineEnd) : lineEnd
      let text = line
      if text.isEmpty {
        bodyStart = next
        lineNumber += 1
        break
      }
      guard let header = Self.headerName(of: text) else {
        throw TemplateSyntaxError.at(
          Self.utf8Offset(of: offset, in: source), in: Array(source.utf8), file: name, kind: .badHeader,
          message: "'\(text.prefix(40))' is not a header, and the header block has not ended",
          hint:
            "headers are \(Self.headerNames.joined(separator: ", ")) or Intro-*; put a blank line before the body"
        )
      }
      let colon = text.firstIndex(of: ":") ?? text.endIndex
      var value = String(text[text.index(after: colon)...])
      let column = text[...colon].count + 1 + value.prefix(while: { $0 == " " }).count
      value = String(value.drop(while: { $0 == " " }))
      if header.hasPrefix("Intro-") {
        metadata[String(header.dropFirst(6))] = value
      } else {
        headers.append((header, try Template(value, name: name, line: lineNumber + 1, column: column)))
      }
      offset = next
      lineNumber += 1
    }
    self.headers = headers
    self.metadata = metadata
    let bodySource = bodyStart.map { String(source[$0...]) } ?? ""
    body = try Template(bodySource, name: name, line: lineNumber + 1, column: 1)
  }

  /// Renders the headers and the body; strict errors from all of them are reported together.
  public func render(
    _ context: TemplateValue, partials: (any PartialProvider)? = nil, options: RenderOptions = RenderOptions()
  ) throws(RenderError) -> RenderedEmail {
    var missing: [MissingValue] = []
    var renderedHeaders: [(String, MarkedText)] = []
    var marking = options
    marking.marksValues = true
    for (name, template) in headers {
      do throws(RenderError) {
        let value = MarkedText(marked: try template.render(context, partials: partials, options: marking))
        // A header is one line: a line break from a value would start a header of the data's choosing.
        if value.text.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" }) {
          throw RenderError.lineBreakInHeader(field: name, file: self.name)
        }
        renderedHeaders.append((name, value))
      } catch {
        guard case .missingValues(let values) = error else { throw error }
        missing += values
      }
    }
    var body = ""
    do {
      body = try self.body.render(context, partials: partials, options: options)
    } catch {
      guard case .missingValues(let values) = error else { throw error }
      missing += values
    }
    if !missing.isEmpty { throw .missingValues(missing) }
    return RenderedEmail(fields: renderedHeaders, body: body)
  }

  /// The canonical header name when `line` starts with a known header, else nil.
  private static func headerName(of line: Substring) -> String? {
    guard let colon = line.firstIndex(of: ":") else { return nil }
    let name = line[..<colon]
    if let known = headerNames.first(where: { $0.lowercased() == name.lowercased() }) { return known }
    if name.lowercased().hasPrefix("intro-"), name.count > 6,
      name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" })
    {
      return "Intro-" + name.dropFirst(6)
    }
    return nil
  }

  private static func utf8Offset(of index: String.Index, in source: String) -> Int {
    source.utf8.distance(from: source.startIndex, to: index)
  }
}

/// A rendered email template: header values and the body, as text.
public struct RenderedEmail: Sendable, Equatable {
  /// Each header with its value as text.
  public var headers: [(String, String)] { fields.map { ($0.0, $0.1.text) } }
  /// Each header with its value split into the template's text and the data's values.
  public let fields: [(String, MarkedText)]
  public let body: String

  /// An email from headers whose values are all the template's own text.
  public init(headers: [(String, String)], body: String) {
    self.init(fields: headers.map { ($0.0, MarkedText(parts: [.template($0.1)])) }, body: body)
  }

  init(fields: [(String, MarkedText)], body: String) {
    self.fields = fields
    self.body = body
  }

  public static func == (a: RenderedEmail, b: RenderedEmail) -> Bool {
    a.body == b.body && a.fields.map(\.0) == b.fields.map(\.0) && a.fields.map(\.1) == b.fields.map(\.1)
  }

  /// The value of header `name`, if the template set it.
  public func header(_ name: String) -> String? { field(name)?.text }

  /// The value of header `name` with its data marked, if the template set it.
  public func field(_ name: String) -> MarkedText? {
    fields.first { $0.0.lowercased() == name.lowercased() }?.1
  }

  /// Headers, a blank line, the body: what `intro render` prints.
  public var text: String {
    headers.map { "\($0.0): \($0.1)\n" }.joined() + (headers.isEmpty ? "" : "\n") + body
  }
}

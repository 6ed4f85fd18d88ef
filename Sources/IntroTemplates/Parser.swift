/// Turns template source into nodes, applying Mustache's standalone-line rules.
///
/// Scanning works on UTF-8 bytes, line by line: a line whose only content is
/// one or more standalone-capable tags (sections, inverted sections, closes,
/// comments, partials, delimiter changes, parents, blocks) and white space is
/// removed whole, newline included, and a partial on such a line remembers the
/// line's indentation.
struct Parser {
  private let source: [UInt8]
  private let file: String
  /// Where the source starts in its file, for a header value or a body after headers.
  private let origin: (line: Int, column: Int)
  private var open: [UInt8] = Array("{{".utf8)
  private var close: [UInt8] = Array("}}".utf8)
  private var index = 0
  private var line = 1
  private var lineStart = 0
  private var lineTokens: [Token] = []
  /// The last column worked out on this line, so a long line is scanned once, not once per tag.
  private var columnMark = (offset: 0, column: 1)
  private var tokens: [Token] = []

  private enum Token {
    case text(Range<Int>)
    case newline(Range<Int>)
    case tag(Tag)
  }

  private struct Tag {
    var kind: UInt8
    var content: String
    let offset: Int
    let location: SourceLocation
    var indent: [UInt8] = []
    var standalone = false
    /// The line break removed with a standalone line ("\n", "\r\n", or none at the end).
    var lineBreak: [UInt8] = []

    var isStandaloneCapable: Bool {
      switch kind {
      case UInt8(ascii: "#"), UInt8(ascii: "^"), UInt8(ascii: "/"), UInt8(ascii: "!"), UInt8(ascii: ">"),
        UInt8(ascii: "="), UInt8(ascii: "<"), UInt8(ascii: "$"):
        true
      default: false
      }
    }
  }

  init(source: [UInt8], file: String, origin: (line: Int, column: Int) = (1, 1)) {
    self.source = source
    self.file = file
    self.origin = origin
    columnMark = (0, origin.column)
  }

  /// How deeply sections, inverted sections, parents and blocks may nest in
  /// one template: far beyond any real email, and far below what would
  /// exhaust the stack when the tree is built and rendered.
  static let maximumNesting = 100

  mutating func parse() throws(TemplateSyntaxError) -> [Node] {
    try scan()
    var position = 0
    let nodes = try build(&position, closing: nil, depth: 0)
    return nodes
  }

  // MARK: Scanning

  private mutating func scan() throws(TemplateSyntaxError) {
    let count = source.count
    var textStart = index
    while index < count {
      let byte = source[index]
      if byte == 0x0A {
        var end = index
        if end > textStart && source[end - 1] == 0x0D { end -= 1 }
        if end > textStart { lineTokens.append(.text(textStart..<end)) }
        lineTokens.append(.newline(end..<index + 1))
        index += 1
        finishLine()
        line += 1
        lineStart = index
        textStart = index
      } else if byte == open[0] && matches(open, at: index) {
        if index > textStart { lineTokens.append(.text(textStart..<index)) }
        let tag = try scanTag()
        lineTokens.append(.tag(tag))
        textStart = index
      } else {
        index += 1
      }
    }
    if index > textStart { lineTokens.append(.text(textStart..<index)) }
    finishLine()
  }

  private func matches(_ delimiter: [UInt8], at position: Int) -> Bool {
    guard position + delimiter.count <= source.count else { return false }
    for offset in 0..<delimiter.count where source[position + offset] != delimiter[offset] { return false }
    return true
  }

  private mutating func scanTag() throws(TemplateSyntaxError) -> Tag {
    let tagStart = index
    let location = self.location(of: tagStart)
    index += open.count
    var kind: UInt8 = 0
    if index < source.count {
      switch source[index] {
      case UInt8(ascii: "#"), UInt8(ascii: "^"), UInt8(ascii: "/"), UInt8(ascii: "!"), UInt8(ascii: ">"),
        UInt8(ascii: "="), UInt8(ascii: "<"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "{"):
        kind = source[index]
        index += 1
      default: break
      }
    }
    // A triple mustache ends with "}" before the closing delimiter, a delimiter change with "=".
    var closing = close
    if kind == UInt8(ascii: "{") { closing = [UInt8(ascii: "}")] + close }
    if kind == UInt8(ascii: "=") { closing = [UInt8(ascii: "=")] + close }
    let contentStart = index
    var end = index
    while end < source.count && !matches(closing, at: end) { end += 1 }
    guard end < source.count else {
      let shown = String(decoding: closing, as: UTF8.self)
      throw error(
        .unclosedTag, at: tagStart, "this tag is never closed",
        hint: "close it with '\(shown)'")
    }
    let content = String(decoding: source[contentStart..<end], as: UTF8.self).trimmed
    index = end + closing.count
    if kind == UInt8(ascii: "{") { kind = UInt8(ascii: "&") }
    if kind == UInt8(ascii: "=") {
      try changeDelimiters(content, at: tagStart)
    } else if content.isEmpty && kind != UInt8(ascii: "!") {
      throw error(
        .emptyTag, at: tagStart, "this tag has no name", hint: "write a name, e.g. {{client.first_name}}")
    }
    return Tag(kind: kind, content: content, offset: tagStart, location: location)
  }

  private mutating func changeDelimiters(_ content: String, at offset: Int) throws(TemplateSyntaxError) {
    let parts = content.split(whereSeparator: { $0 == " " || $0 == "\t" })
    guard parts.count == 2, !parts[0].contains("="), !parts[1].contains("=") else {
      throw error(
        .badDelimiter, at: offset, "a delimiter change needs exactly two delimiters",
        hint: "write it as {{=<% %>=}}: the new opening and closing delimiters, separated by a space")
    }
    open = Array(parts[0].utf8)
    close = Array(parts[1].utf8)
  }

  /// Applies the standalone rule to the line just scanned and moves its tokens on.
  private mutating func finishLine() {
    defer { lineTokens.removeAll(keepingCapacity: true) }
    var tagCount = 0
    var standalone = true
    for token in lineTokens {
      switch token {
      case .tag(let tag):
        tagCount += 1
        if !tag.isStandaloneCapable { standalone = false }
      case .text(let range):
        if !source[range].allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { standalone = false }
      case .newline: break
      }
      if !standalone { break }
    }
    guard standalone && tagCount > 0 else {
      tokens.append(contentsOf: lineTokens)
      return
    }
    var indent: [UInt8] = []
    if case .text(let range)? = lineTokens.first { indent = Array(source[range]) }
    var lineBreak: [UInt8] = []
    if case .newline(let range)? = lineTokens.last { lineBreak = Array(source[range]) }
    for token in lineTokens {
      guard case .tag(var tag) = token else { continue }
      tag.indent = indent
      tag.standalone = true
      tag.lineBreak = lineBreak
      tokens.append(.tag(tag))
    }
  }

  // MARK: Building the tree

  private func build(_ position: inout Int, closing: Tag?, depth: Int) throws(TemplateSyntaxError) -> [Node] {
    if depth > Self.maximumNesting, let closing {
      throw error(
        .tooDeep, at: closing.offset,
        "{{\(Character(Unicode.Scalar(closing.kind)))\(closing.content)}} is nested more than "
          + "\(Self.maximumNesting) sections deep",
        hint: "close the sections above it, or move part of the template into a partial")
    }
    var nodes: [Node] = []
    var pendingText: [UInt8] = []
    func flushText() {
      if !pendingText.isEmpty {
        nodes.append(.text(pendingText))
        pendingText.removeAll()
      }
    }
    while position < tokens.count {
      let token = tokens[position]
      position += 1
      switch token {
      case .text(let range), .newline(let range):
        pendingText.append(contentsOf: source[range])
      case .tag(let tag):
        switch tag.kind {
        case UInt8(ascii: "!"), UInt8(ascii: "="):
          continue
        case UInt8(ascii: "/"):
          guard let closing else {
            throw error(
              .unexpectedClose, at: tag.offset, "{{/\(tag.content)}} closes nothing",
              hint: "remove it, or open the section with {{#\(tag.content)}} before it")
          }
          guard closing.content == tag.content else {
            throw error(
              .mismatchedClose, at: tag.offset,
              "{{/\(tag.content)}} does not match {{\(Character(Unicode.Scalar(closing.kind)))\(closing.content)}} opened at \(closing.location.line):\(closing.location.column)",
              hint: "close the inner section first with {{/\(closing.content)}}")
          }
          flushText()
          return nodes
        default:
          flushText()
          nodes.append(try node(for: tag, &position, depth: depth))
        }
      }
    }
    flushText()
    if let closing {
      throw error(
        .unclosedSection, at: closing.offset,
        "{{\(Character(Unicode.Scalar(closing.kind)))\(closing.content)}} is never closed",
        hint: "add {{/\(closing.content)}} where the section ends")
    }
    return nodes
  }

  private func node(for tag: Tag, _ position: inout Int, depth: Int) throws(TemplateSyntaxError) -> Node {
    switch tag.kind {
    case UInt8(ascii: "#"), UInt8(ascii: "^"):
      let children = try build(&position, closing: tag, depth: depth + 1)
      return .section(
        Section(
          path: Self.path(tag.content), inverted: tag.kind == UInt8(ascii: "^"), nodes: children,
          location: tag.location))
    case UInt8(ascii: ">"):
      let (name, dynamic) = Self.dynamicName(tag.content)
      return .partial(
        PartialTag(
          name: name, dynamicPath: dynamic ? Self.path(name) : nil, indent: tag.indent, location: tag.location
        ))
    case UInt8(ascii: "$"):
      return .block(try block(for: tag, &position, depth: depth))
    case UInt8(ascii: "<"):
      let children = try build(&position, closing: tag, depth: depth + 1)
      var overrides: [String: Block] = [:]
      for child in children {
        if case .block(let block) = child { overrides[block.name] = block }
      }
      let (name, dynamic) = Self.dynamicName(tag.content)
      return .parent(
        Parent(
          name: name, dynamicPath: dynamic ? Self.path(name) : nil, overrides: overrides, indent: tag.indent,
          location: tag.location))
    default:
      return .variable(try variable(for: tag))
    }
  }

  private func block(for tag: Tag, _ position: inout Int, depth: Int) throws(TemplateSyntaxError) -> Block {
    let children = try build(&position, closing: tag, depth: depth + 1)
    var contentIndent: [UInt8] = []
    if case .text(let text)? = children.first {
      contentIndent = Array(text.prefix(while: { $0 == 0x20 || $0 == 0x09 }))
    }
    return Block(
      name: tag.content, nodes: children, standalone: tag.standalone, contentIndent: contentIndent,
      tagIndent: tag.indent, lineBreak: tag.lineBreak)
  }

  private func variable(for tag: Tag) throws(TemplateSyntaxError) -> Variable {
    var name = tag.content
    var fallback: [UInt8]?
    if let bar = tag.content.firstIndex(of: "|") {
      name = String(tag.content[..<bar]).trimmed
      let literal = String(tag.content[tag.content.index(after: bar)...]).trimmed
      guard let text = Self.stringLiteral(literal), !name.isEmpty else {
        throw error(
          .badFallback, at: tag.offset, "the fallback in {{\(tag.content)}} is not a quoted string",
          hint: "write the fallback in double quotes: {{\(name.isEmpty ? "name" : name) | \"there\"}}")
      }
      fallback = Array(text.utf8)
    }
    return Variable(
      path: Self.path(name), name: name, escaped: tag.kind != UInt8(ascii: "&"), fallback: fallback,
      location: tag.location)
  }

  /// `"text"` with `\"` and `\\` escapes, or nil when it is not exactly one such literal.
  private static func stringLiteral(_ text: String) -> String? {
    guard text.count >= 2, text.first == "\"", text.last == "\"" else { return nil }
    var out = ""
    var escaping = false
    for character in text.dropFirst().dropLast() {
      if escaping {
        guard character == "\"" || character == "\\" else { return nil }
        out.append(character)
        escaping = false
      } else if character == "\\" {
        escaping = true
      } else if character == "\"" {
        return nil
      } else {
        out.append(character)
      }
    }
    return escaping ? nil : out
  }

  private static func path(_ name: String) -> [Key] {
    name == "." ? [] : name.split(separator: ".", omittingEmptySubsequences: false).map { Key(String($0)) }
  }

  private static func dynamicName(_ content: String) -> (String, Bool) {
    guard content.hasPrefix("*") else { return (content, false) }
    return (String(content.dropFirst()).trimmed, true)
  }

  // MARK: Positions and errors

  private mutating func location(of offset: Int) -> SourceLocation {
    if columnMark.offset < lineStart || columnMark.offset > offset {
      columnMark = (lineStart, line == 1 ? origin.column : 1)
    }
    var column = columnMark.column
    for byte in source[columnMark.offset..<offset] where byte & 0xC0 != 0x80 { column += 1 }
    columnMark = (offset, column)
    return SourceLocation(file: file, line: line + origin.line - 1, column: column)
  }

  private func error(_ kind: TemplateSyntaxError.Kind, at offset: Int, _ message: String, hint: String)
    -> TemplateSyntaxError
  {
    var error = TemplateSyntaxError.at(
      offset, in: source, file: file, kind: kind, message: message, hint: hint)
    if origin != (1, 1) {
      let location = error.location
      error = TemplateSyntaxError(
        kind: kind,
        location: SourceLocation(
          file: file, line: location.line + origin.line - 1,
          column: location.line == 1 ? location.column + origin.column - 1 : location.column),
        message: message, lineText: error.lineText, hint: hint)
    }
    return error
  }
}

extension TemplateSyntaxError {
  /// An error at byte `offset` of `source`, with its line, column and line text worked out.
  static func at(
    _ offset: Int, in source: [UInt8], file: String, kind: Kind, message: String, hint: String
  ) -> TemplateSyntaxError {
    var line = 1
    var lineStart = 0
    for index in 0..<min(offset, source.count) where source[index] == 0x0A {
      line += 1
      lineStart = index + 1
    }
    var lineEnd = lineStart
    while lineEnd < source.count && source[lineEnd] != 0x0A && source[lineEnd] != 0x0D { lineEnd += 1 }
    var column = 1
    for byte in source[lineStart..<min(offset, source.count)] where byte & 0xC0 != 0x80 { column += 1 }
    return TemplateSyntaxError(
      kind: kind, location: SourceLocation(file: file, line: line, column: column), message: message,
      lineText: String(decoding: source[lineStart..<lineEnd], as: UTF8.self), hint: hint)
  }
}

extension String {
  var trimmed: String {
    var scalars = Substring(self).unicodeScalars
    while let first = scalars.first, first == " " || first == "\t" || first == "\n" || first == "\r" {
      scalars.removeFirst()
    }
    while let last = scalars.last, last == " " || last == "\t" || last == "\n" || last == "\r" {
      scalars.removeLast()
    }
    return String(scalars)
  }
}

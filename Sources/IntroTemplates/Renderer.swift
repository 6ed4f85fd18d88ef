/// Walks the nodes of a template with a context stack, writing UTF-8 bytes.
struct Renderer {
  var out: [UInt8] = []
  private var stack: [TemplateValue]
  private var missing: [MissingValue] = []
  private var failure: TemplateSyntaxError?
  private let partials: (any PartialProvider)?
  private let options: RenderOptions
  /// Indentation of the standalone partials being rendered, added at each line start.
  private var indent: [UInt8] = []
  private var atLineStart = true
  /// Block overrides in force: the outermost child's definitions win.
  private var overrides: [String: Block] = [:]
  private var depth = 0

  /// How deeply partials and parents may nest before it counts as runaway recursion.
  static let maximumDepth = 100

  init(context: TemplateValue, partials: (any PartialProvider)?, options: RenderOptions) {
    stack = [context]
    stack.reserveCapacity(16)
    self.partials = partials
    self.options = options
  }

  func finish() throws(RenderError) -> [UInt8] {
    if let failure { throw .syntax(failure) }
    if !missing.isEmpty { throw .missingValues(missing) }
    return out
  }

  mutating func render(_ nodes: [Node], template: Template) {
    for node in nodes {
      if failure != nil { return }
      switch node {
      case .text(let bytes): writeText(bytes)
      case .variable(let variable): interpolate(variable)
      case .section(let section): renderSection(section, template: template)
      case .partial(let tag): renderPartial(tag, from: template)
      case .block(let block): renderBlock(block, template: template)
      case .parent(let parent): renderParent(parent, from: template)
      }
    }
  }

  // MARK: Values

  private func lookup(_ path: [String]) -> TemplateValue? {
    guard let first = path.first else { return stack.last }
    var found: TemplateValue?
    for frame in stack.reversed() {
      if case .object(let object) = frame, let value = object[first] {
        found = value
        break
      }
    }
    guard var current = found else { return nil }
    for key in path.dropFirst() {
      guard case .object(let object) = current, let next = object[key] else { return nil }
      current = next
    }
    return current
  }

  private mutating func interpolate(_ variable: Variable) {
    let value = lookup(variable.path)
    let problem: MissingValue.Reason?
    var text: String?
    switch value {
    case nil: problem = .missing
    case .null?: problem = .null
    case .list?, .object?: problem = .notText
    case let value?:
      text = value.scalarText
      problem = text?.isBlank == true ? .blank : nil
    }
    if let problem {
      if let fallback = variable.fallback {
        writeValue(fallback, escaped: variable.escaped)
        return
      }
      if options.strict {
        missing.append(MissingValue(name: variable.name, reason: problem, location: variable.location))
        return
      }
      if problem != .blank { return }
    }
    if let text { writeValue(Array(text.utf8), escaped: variable.escaped) }
  }

  // MARK: Sections, partials, inheritance

  private mutating func renderSection(_ section: Section, template: Template) {
    let value = lookup(section.path)
    let truthy = value?.isTruthy ?? false
    if section.inverted {
      if !truthy { render(section.nodes, template: template) }
      return
    }
    guard truthy, let value else { return }
    if case .list(let items) = value {
      for item in items {
        stack.append(item)
        render(section.nodes, template: template)
        stack.removeLast()
      }
    } else {
      stack.append(value)
      render(section.nodes, template: template)
      stack.removeLast()
    }
  }

  private mutating func resolve(
    name: String, dynamicPath: [String]?, location: SourceLocation, from template: Template
  ) -> Template? {
    var resolvedName = name
    if let dynamicPath {
      guard case .string(let dynamic)? = lookup(dynamicPath) else {
        if options.strict {
          missing.append(MissingValue(name: "*" + name, reason: .missing, location: location))
        }
        return nil
      }
      resolvedName = dynamic
    }
    if let partial = partials?.partial(named: resolvedName) { return partial }
    if options.strict {
      failure = syntaxError(
        .unknownPartial, location, template: template, "no partial named '\(resolvedName)'",
        hint: "add \(resolvedName).mustache to the templates folder, or pass --partials DIR")
    }
    return nil
  }

  private mutating func renderPartial(_ tag: PartialTag, from template: Template) {
    guard
      let partial = resolve(
        name: tag.name, dynamicPath: tag.dynamicPath, location: tag.location, from: template)
    else { return }
    withNesting(tag.indent, location: tag.location, template: template) { renderer in
      renderer.render(partial.nodes, template: partial)
    }
  }

  private mutating func renderParent(_ parent: Parent, from template: Template) {
    guard
      let base = resolve(
        name: parent.name, dynamicPath: parent.dynamicPath, location: parent.location, from: template)
    else { return }
    let saved = overrides
    // The outer template's overrides take precedence over this parent tag's own.
    overrides = parent.overrides.merging(saved) { _, outer in outer }
    withNesting(parent.indent, location: parent.location, template: template) { renderer in
      renderer.render(base.nodes, template: base)
    }
    overrides = saved
  }

  private mutating func renderBlock(_ block: Block, template: Template) {
    guard let override = overrides[block.name] else {
      render(block.nodes, template: template)
      return
    }
    guard override.standalone else {
      render(override.nodes, template: template)
      return
    }
    // Re-indent: the override's own indentation goes, the site's comes.
    let start = out.count
    render(override.nodes, template: template)
    let rendered = out[start...]
    var reindented: [UInt8] = []
    reindented.reserveCapacity(rendered.count)
    let site = block.siteIndent
    var lineStartIndex = rendered.startIndex
    while lineStartIndex < rendered.endIndex {
      let lineEnd = rendered[lineStartIndex...].firstIndex(of: 0x0A).map { $0 + 1 } ?? rendered.endIndex
      var lineBytes = rendered[lineStartIndex..<lineEnd]
      if lineBytes.starts(with: override.contentIndent) {
        lineBytes = lineBytes.dropFirst(override.contentIndent.count)
      }
      reindented.append(contentsOf: site)
      reindented.append(contentsOf: lineBytes)
      lineStartIndex = lineEnd
    }
    // A standalone site stood for whole lines: end the last one as the site's line ended.
    if block.standalone, let last = reindented.last, last != 0x0A {
      reindented.append(contentsOf: block.lineBreak)
    }
    out.replaceSubrange(start..., with: reindented)
  }

  private mutating func withNesting(
    _ extraIndent: [UInt8], location: SourceLocation, template: Template, _ body: (inout Renderer) -> Void
  ) {
    guard depth < Self.maximumDepth else {
      failure = syntaxError(
        .partialRecursion, location, template: template,
        "partials nest more than \(Self.maximumDepth) levels deep",
        hint: "a partial includes itself without a section that ends the recursion")
      return
    }
    depth += 1
    let savedIndent = indent
    if !extraIndent.isEmpty {
      indent += extraIndent
      atLineStart = true
    }
    body(&self)
    indent = savedIndent
    depth -= 1
  }

  private func syntaxError(
    _ kind: TemplateSyntaxError.Kind, _ location: SourceLocation, template: Template, _ message: String,
    hint: String
  ) -> TemplateSyntaxError {
    var error = TemplateSyntaxError.at(
      0, in: [], file: location.file, kind: kind, message: message, hint: hint)
    let lines = template.source.split(separator: 0x0A, omittingEmptySubsequences: false)
    let index = location.line - template.firstLine
    let lineText = lines.indices.contains(index) ? String(decoding: lines[index], as: UTF8.self) : ""
    error = TemplateSyntaxError(
      kind: kind, location: location, message: message,
      lineText: lineText.hasSuffix("\r") ? String(lineText.dropLast()) : lineText, hint: hint)
    return error
  }

  // MARK: Output

  private mutating func writeText(_ bytes: [UInt8]) {
    if indent.isEmpty {
      out.append(contentsOf: bytes)
      return
    }
    var start = 0
    while start < bytes.count {
      let end = bytes[start...].firstIndex(of: 0x0A).map { $0 + 1 } ?? bytes.count
      if atLineStart { out.append(contentsOf: indent) }
      out.append(contentsOf: bytes[start..<end])
      atLineStart = bytes[end - 1] == 0x0A
      start = end
    }
  }

  private mutating func writeValue(_ bytes: [UInt8], escaped: Bool) {
    if !indent.isEmpty {
      if atLineStart && !bytes.isEmpty { out.append(contentsOf: indent) }
      atLineStart = false
    }
    guard escaped && options.html else {
      out.append(contentsOf: bytes)
      return
    }
    for byte in bytes {
      switch byte {
      case UInt8(ascii: "&"): out.append(contentsOf: [0x26, 0x61, 0x6D, 0x70, 0x3B])  // &amp;
      case UInt8(ascii: "<"): out.append(contentsOf: [0x26, 0x6C, 0x74, 0x3B])  // &lt;
      case UInt8(ascii: ">"): out.append(contentsOf: [0x26, 0x67, 0x74, 0x3B])  // &gt;
      case UInt8(ascii: "\""): out.append(contentsOf: [0x26, 0x71, 0x75, 0x6F, 0x74, 0x3B])  // &quot;
      case UInt8(ascii: "'"): out.append(contentsOf: [0x26, 0x23, 0x33, 0x39, 0x3B])  // &#39;
      default: out.append(byte)
      }
    }
  }
}

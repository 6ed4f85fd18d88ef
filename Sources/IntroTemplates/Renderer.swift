/// Walks the nodes of a template with a context stack, writing UTF-8 bytes.
struct Renderer: ~Copyable {
  var out: OutputBuffer
  private var stack: ValueStack
  private var missing: [MissingValue] = []
  private var failure: TemplateSyntaxError? {
    didSet { failed = failure != nil }
  }
  /// Checked for every node; cheaper than looking at `failure` itself.
  private var failed = false
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
  /// Sections open, counting those of every partial being rendered.
  private var sectionDepth = 0
  /// How many sections may be open at once across partials: each template
  /// allows 100, but 100 partials of 100 sections would exhaust the stack.
  static let maximumSectionDepth = 1000

  init(context: TemplateValue, partials: (any PartialProvider)?, options: RenderOptions, capacity: Int) {
    out = OutputBuffer(capacity: capacity)
    stack = ValueStack(root: context)
    self.partials = partials
    self.options = options
  }

  func check() throws(RenderError) {
    if let failure { throw .syntax(failure) }
    if !missing.isEmpty { throw .missingValues(missing) }
  }

  mutating func render(_ nodes: [Node], template: Template) {
    for index in nodes.indices {
      if failed { return }
      switch nodes[index] {
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

  private func lookup(_ path: [Key]) -> TemplateValue? {
    guard let first = path.first else { return stack.top }
    guard var current = stack.find(first) else { return nil }
    var keyIndex = 1
    while keyIndex < path.count {
      guard case .object(let object) = current, let next = object[path[keyIndex]] else { return nil }
      current = next
      keyIndex += 1
    }
    return current
  }

  private mutating func interpolate(_ variable: Variable) {
    guard options.marksValues else { return interpolateValue(variable) }
    out.append(MarkedText.valueStart)
    interpolateValue(variable)
    out.append(MarkedText.valueEnd)
  }

  private mutating func interpolateValue(_ variable: Variable) {
    let problem: MissingValue.Reason
    switch lookup(variable.path) {
    case .string(var text)?:
      // A value can never end its own mark early.
      if options.marksValues { text = MarkedText.withoutMarkers(text) }
      let written = text.withUTF8 { bytes in
        // Blank means missing in strict mode; lenient mode writes the blank text as it is.
        guard !Self.isBlank(bytes) || (variable.fallback == nil && !options.strict) else { return false }
        write(bytes, escaped: variable.escaped)
        return true
      }
      if written { return }
      problem = .blank
    case .integer(let number)?:
      writeInteger(number)
      return
    case .decimal(let number)?:
      write(TemplateValue.format(number), escaped: false)
      return
    case .bool(let value)?:
      write(value ? "true" : "false", escaped: false)
      return
    case nil: problem = .missing
    case .null?: problem = .null
    case .list?, .object?: problem = .notText
    }
    if let fallback = variable.fallback {
      write(fallback, escaped: variable.escaped)
    } else if options.strict {
      missing.append(MissingValue(name: variable.name, reason: problem, location: variable.location))
    }
  }

  // MARK: Sections, partials, inheritance

  private mutating func renderSection(_ section: Section, template: Template) {
    guard sectionDepth < Self.maximumSectionDepth else {
      failure = syntaxError(
        .tooDeep, section.location, template: template,
        "sections nest more than \(Self.maximumSectionDepth) levels deep across partials",
        hint: "a partial includes itself inside many sections; end the recursion sooner")
      return
    }
    sectionDepth += 1
    defer { sectionDepth -= 1 }
    let value = lookup(section.path)
    let truthy = value?.isTruthy ?? false
    if section.inverted {
      if !truthy { render(section.nodes, template: template) }
      return
    }
    guard truthy, let value else { return }
    if case .list(let items) = value {
      for item in items {
        stack.push(item)
        render(section.nodes, template: template)
        stack.pop()
      }
    } else {
      stack.push(value)
      render(section.nodes, template: template)
      stack.pop()
    }
  }

  private mutating func resolve(
    name: String, dynamicPath: [Key]?, location: SourceLocation, from template: Template
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
    let rendered = out.bytes(from: start)
    out.truncate(to: start)
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
    out.append(reindented)
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
      out.append(bytes)
      return
    }
    var start = 0
    while start < bytes.count {
      let end = bytes[start...].firstIndex(of: 0x0A).map { $0 + 1 } ?? bytes.count
      if atLineStart { out.append(indent) }
      out.append(Array(bytes[start..<end]))
      atLineStart = bytes[end - 1] == 0x0A
      start = end
    }
  }

  private mutating func writeInteger(_ number: Int) {
    if !indent.isEmpty {
      if atLineStart { out.append(indent) }
      atLineStart = false
    }
    guard number >= 0 else {
      out.append(Array(String(number).utf8))
      return
    }
    // Digits straight into the buffer: no String for a number.
    var digits = 1
    var remaining = number / 10
    while remaining > 0 {
      digits += 1
      remaining /= 10
    }
    let target = out.reserve(digits)
    var rest = number
    for position in stride(from: digits - 1, through: 0, by: -1) {
      target[position] = UInt8(truncatingIfNeeded: rest % 10) &+ 0x30
      rest /= 10
    }
    out.commit(digits)
  }

  private mutating func write(_ bytes: [UInt8], escaped: Bool) {
    bytes.withUnsafeBufferPointer { write($0, escaped: escaped) }
  }

  private mutating func write(_ text: String, escaped: Bool) {
    var text = text
    text.withUTF8 { write($0, escaped: escaped) }
  }

  private mutating func write(_ bytes: UnsafeBufferPointer<UInt8>, escaped: Bool) {
    if !indent.isEmpty {
      if atLineStart && !bytes.isEmpty { out.append(indent) }
      atLineStart = false
    }
    if escaped && options.html {
      appendEscaped(bytes)
    } else {
      out.append(bytes)
    }
  }

  /// ``String/isBlank`` on UTF-8 bytes, settling the usual case on the first byte.
  private static func isBlank(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    for byte in bytes {
      if byte == 0x20 || (byte >= 0x09 && byte <= 0x0D) { continue }
      if byte < 0x80 { return false }
      return String(decoding: bytes, as: UTF8.self).isBlank
    }
    return true
  }

  /// Appends `bytes` HTML-escaped (`& < > " '`), in one pass.
  private mutating func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>) {
    guard let source = bytes.baseAddress else { return }
    let count = bytes.count
    // At most six output bytes per input byte ("&quot;").
    let target = out.reserve(count * 6)
    var written = 0
    var index = 0
    // Eight bytes at a time: a word without any of the five characters is copied whole.
    while index + 8 <= count {
      let word = UnsafeRawPointer(source + index).loadUnaligned(as: UInt64.self)
      if !Self.hasEscapable(word) {
        UnsafeMutableRawPointer(target + written).storeBytes(of: word, as: UInt64.self)
        written += 8
      } else {
        for offset in 0..<8 { Self.escape(source[index + offset], into: target, at: &written) }
      }
      index += 8
    }
    while index < count {
      Self.escape(source[index], into: target, at: &written)
      index += 1
    }
    out.commit(written)
  }

  /// True when a byte of `word` is `&`, `<`, `>`, `"` or `'` (SWAR: a byte of
  /// `word ^ pattern` is zero exactly where `word` holds the pattern's byte).
  @inline(__always)
  private static func hasEscapable(_ word: UInt64) -> Bool {
    @inline(__always) func zeroByte(_ x: UInt64) -> UInt64 {
      (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
    }
    let found =
      zeroByte(word ^ 0x2626_2626_2626_2626) | zeroByte(word ^ 0x3C3C_3C3C_3C3C_3C3C)
      | zeroByte(word ^ 0x3E3E_3E3E_3E3E_3E3E) | zeroByte(word ^ 0x2222_2222_2222_2222)
      | zeroByte(word ^ 0x2727_2727_2727_2727)
    return found != 0
  }

  @inline(__always)
  private static func escape(_ byte: UInt8, into target: UnsafeMutablePointer<UInt8>, at written: inout Int) {
    let replacement: StaticString
    switch byte {
    case UInt8(ascii: "&"): replacement = "&amp;"
    case UInt8(ascii: "<"): replacement = "&lt;"
    case UInt8(ascii: ">"): replacement = "&gt;"
    case UInt8(ascii: "\""): replacement = "&quot;"
    case UInt8(ascii: "'"): replacement = "&#39;"
    default:
      target[written] = byte
      written += 1
      return
    }
    (target + written).update(from: replacement.utf8Start, count: replacement.utf8CodeUnitCount)
    written += replacement.utf8CodeUnitCount
  }
}

/// A Mustache template, parsed once into an immutable tree.
///
/// ```swift
/// let template = try Template("Hi {{client.first_name | \"there\"}},", name: "greeting")
/// let text = try template.render(["client": ["first_name": "Chris"]])   // "Hi Chris,"
/// ```
///
/// Rendering is strict by default: an interpolation whose value is missing,
/// null or blank is an error naming the variable and its line and column, and
/// every such error is reported, not only the first. Sections over missing
/// keys are simply false. ``RenderOptions/lenient`` gives the Mustache spec's
/// empty-string behaviour.
public struct Template: Sendable {
  /// The file path or library name, used in error messages.
  public let name: String
  let nodes: [Node]
  let source: [UInt8]

  /// Parses `source`.
  /// - Parameter name: how errors name this template (a file path, or a library name).
  /// - Throws: ``TemplateSyntaxError`` pointing at the offending tag.
  public init(_ source: String, name: String = "template") throws(TemplateSyntaxError) {
    try self.init(source, name: name, line: 1, column: 1)
  }

  /// Parses `source` that starts at `line`, `column` of the file `name`
  /// (a header value, or a body after a header block), so positions in errors
  /// are positions in the file.
  public init(_ source: String, name: String, line: Int, column: Int) throws(TemplateSyntaxError) {
    let bytes = Array(source.utf8)
    self.name = name
    self.source = bytes
    var parser = Parser(source: bytes, file: name, origin: (line, column))
    nodes = try parser.parse()
    firstLine = line
  }

  /// The file line where this template's source starts.
  let firstLine: Int

  /// Renders the template with `context`.
  /// - Parameters:
  ///   - partials: where `{{> name}}` and `{{< name}}` are looked up.
  ///   - options: strict or lenient, text or HTML.
  /// - Throws: ``RenderError`` listing every value strict mode could not fill.
  public func render(
    _ context: TemplateValue, partials: (any PartialProvider)? = nil, options: RenderOptions = RenderOptions()
  ) throws(RenderError) -> String {
    String(decoding: try renderBytes(context, partials: partials, options: options), as: UTF8.self)
  }

  /// Renders into UTF-8 bytes (what the mail composer and benchmarks use).
  public func renderBytes(
    _ context: TemplateValue, partials: (any PartialProvider)? = nil, options: RenderOptions = RenderOptions()
  ) throws(RenderError) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(source.count + source.count / 2)
    try render(context, into: &bytes, partials: partials, options: options)
    return bytes
  }

  /// Appends the rendered UTF-8 bytes to `buffer`, which a batch can reuse from
  /// one message to the next. On error, `buffer` is left as it was.
  public func render(
    _ context: TemplateValue, into buffer: inout [UInt8], partials: (any PartialProvider)? = nil,
    options: RenderOptions = RenderOptions()
  ) throws(RenderError) {
    var renderer = Renderer(
      context: context, partials: partials, options: options, capacity: source.count + source.count / 2)
    renderer.render(nodes, template: self)
    try renderer.check()
    renderer.out.copy(into: &buffer)
  }
}

/// How a template is rendered.
public struct RenderOptions: Sendable, Hashable {
  /// Whether missing values are errors.
  public var strict: Bool
  /// Whether `{{x}}` is HTML-escaped (`{{{x}}}` never is).
  public var html: Bool
  /// Whether each interpolated value is wrapped in ``MarkedText`` markers, so
  /// the caller can tell the template's text from the data's (header values).
  var marksValues = false

  /// Strict text rendering, the default everywhere `intro` renders.
  public init(strict: Bool = true, html: Bool = false) {
    self.strict = strict
    self.html = html
  }

  /// The Mustache spec's behaviour: missing values render as empty strings.
  public static let lenient = RenderOptions(strict: false)
}

/// Where partials (`{{> name}}`) and parents (`{{< name}}`) come from.
public protocol PartialProvider: Sendable {
  /// The template called `name`, or nil when there is none.
  func partial(named name: String) -> Template?
}

/// Partials held in memory, by name.
public struct PartialSet: PartialProvider {
  public let templates: [String: Template]

  public init(_ templates: [String: Template]) { self.templates = templates }

  /// Parses each source; keys are the partial names.
  public init(sources: [String: String]) throws(TemplateSyntaxError) {
    var templates: [String: Template] = [:]
    for (name, source) in sources { templates[name] = try Template(source, name: name) }
    self.templates = templates
  }

  public func partial(named name: String) -> Template? { templates[name] }
}

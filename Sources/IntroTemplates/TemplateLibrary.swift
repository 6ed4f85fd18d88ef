/// A set of named templates: the built-in ones, overridden by a folder of the rep's own.
///
/// Names are paths without the `.mustache` extension, so a file
/// `partials/signature.mustache` is the partial `{{> partials/signature}}`.
/// Every template is parsed when the library is made, so a syntax error in
/// any of them is found before anything is rendered or sent. A file that does
/// not parse is kept as a ``problems`` entry instead: it cannot be used, and
/// says why when asked for, while every other template still works.
public struct TemplateLibrary: PartialProvider {
  /// One template of the library and where it came from.
  public struct Entry: Sendable {
    public let name: String
    public let template: EmailTemplate
    /// The file it was read from, or nil for a built-in template.
    public let file: String?
    /// The source text, for `intro templates show` and `export`.
    public let source: String
  }

  private var entries: [String: Entry] = [:]
  /// Templates that could not be parsed, by name: asking for one gives its error.
  public private(set) var problems: [String: TemplateSyntaxError] = [:]

  /// An empty library.
  public init() {}

  /// A library of `sources` (name → source text); `files` names where each came from.
  public init(sources: [String: String], files: [String: String] = [:], fragments: Bool = false)
    throws(TemplateSyntaxError)
  {
    for (name, source) in sources {
      try add(name: name, source: source, file: files[name], fragment: fragments)
    }
  }

  /// Adds or replaces the template `name`.
  public mutating func add(name: String, source: String, file: String? = nil, fragment: Bool = false)
    throws(TemplateSyntaxError)
  {
    let template = try EmailTemplate(source, name: file ?? name, fragment: fragment)
    entries[name] = Entry(name: name, template: template, file: file, source: source)
    problems[name] = nil
  }

  /// Adds `name` as a template that cannot be used, because of `problem`.
  public mutating func addBroken(name: String, problem: TemplateSyntaxError) {
    entries[name] = nil
    problems[name] = problem
  }

  /// This library with every template of `other` added, replacing those of the
  /// same name; a broken template of `other` hides a good one of the same name,
  /// since the rep meant to replace it.
  public func overridden(by other: TemplateLibrary) -> TemplateLibrary {
    var merged = self
    for (name, entry) in other.entries {
      merged.entries[name] = entry
      merged.problems[name] = nil
    }
    for (name, problem) in other.problems { merged.addBroken(name: name, problem: problem) }
    return merged
  }

  /// The names of the usable templates, sorted.
  public var names: [String] { entries.keys.sorted() }

  /// The template called `name`.
  public func entry(named name: String) -> Entry? { entries[name] }

  /// A partial is a template's body.
  public func partial(named name: String) -> Template? { entries[name]?.template.body }
}

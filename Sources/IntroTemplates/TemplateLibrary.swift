/// A set of named templates: the built-in ones, overridden by a folder of the rep's own.
///
/// Names are paths without the `.mustache` extension, so a file
/// `partials/signature.mustache` is the partial `{{> partials/signature}}`.
/// Every template is parsed when the library is made, so a syntax error in
/// any of them is found before anything is rendered or sent.
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
  }

  /// This library with every template of `other` added, replacing those of the same name.
  public func overridden(by other: TemplateLibrary) -> TemplateLibrary {
    var merged = self
    for (name, entry) in other.entries { merged.entries[name] = entry }
    return merged
  }

  /// The names, sorted.
  public var names: [String] { entries.keys.sorted() }

  /// The template called `name`.
  public func entry(named name: String) -> Entry? { entries[name] }

  /// A partial is a template's body.
  public func partial(named name: String) -> Template? { entries[name]?.template.body }
}

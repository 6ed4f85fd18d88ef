/// The parsed form of a template: what the renderer walks. Never re-parsed.
indirect enum Node: Sendable {
  case text([UInt8])
  case variable(Variable)
  case section(Section)
  case partial(PartialTag)
  case block(Block)
  case parent(Parent)
}

/// `{{name}}`, `{{{name}}}`, `{{& name}}`, `{{name | "fallback"}}`.
struct Variable: Sendable {
  /// The dotted name split at dots; empty for the implicit iterator `.`.
  let path: [String]
  let name: String
  let escaped: Bool
  let fallback: [UInt8]?
  let location: SourceLocation
}

/// `{{#name}}…{{/name}}` and `{{^name}}…{{/name}}`.
struct Section: Sendable {
  let path: [String]
  let inverted: Bool
  let nodes: [Node]
  let location: SourceLocation
}

/// `{{> name}}` or `{{>* dynamic.name}}`.
struct PartialTag: Sendable {
  /// The partial's name, or for a dynamic partial the dotted name whose value is the name.
  let name: String
  let dynamicPath: [String]?
  /// The whitespace before a standalone partial tag, added to every line it renders.
  let indent: [UInt8]
  let location: SourceLocation
}

/// `{{$name}}default{{/name}}`: a block a child template may override.
struct Block: Sendable {
  let name: String
  let nodes: [Node]
  /// True when the opening tag stood alone on its line; then the content is
  /// re-indented where it is used.
  let standalone: Bool
  /// The indentation of the content's first line (removed when an override is used).
  let contentIndent: [UInt8]
  /// The whitespace before the opening tag.
  let tagIndent: [UInt8]
  /// The line break of the opening tag's line, removed with it when it stood alone.
  let lineBreak: [UInt8]

  /// Where overriding content is indented to at this block's site.
  var siteIndent: [UInt8] {
    guard standalone else { return [] }
    return nodes.isEmpty ? tagIndent : contentIndent
  }
}

/// `{{< parent}}{{$name}}override{{/name}}{{/parent}}`.
struct Parent: Sendable {
  let name: String
  let dynamicPath: [String]?
  let overrides: [String: Block]
  let indent: [UInt8]
  let location: SourceLocation
}

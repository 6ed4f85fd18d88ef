/// The parsed form of a template: what the renderer walks. Never re-parsed.
enum Node: Sendable {
  case text([UInt8])
  case variable(Variable)
  case section(Section)
  case partial(PartialTag)
  case block(Block)
  case parent(Parent)
}

/// One part of a dotted name, with its hash worked out once at parse time so
/// that looking it up in an object compares integers before strings.
struct Key: Sendable {
  let name: String
  let hash: Int

  init(_ name: String) {
    self.name = name
    hash = name.hashValue
  }
}

// Every node's payload is one reference (a class, or the bytes of a text):
// the renderer visits them for every message, and copying a one-pointer enum
// costs one retain where a struct of strings and arrays costs one per field.

/// `{{name}}`, `{{{name}}}`, `{{& name}}`, `{{name | "fallback"}}`.
final class Variable: Sendable {
  /// The dotted name split at dots; empty for the implicit iterator `.`.
  let path: [Key]
  let name: String
  let escaped: Bool
  let fallback: [UInt8]?
  let location: SourceLocation

  init(path: [Key], name: String, escaped: Bool, fallback: [UInt8]?, location: SourceLocation) {
    self.path = path
    self.name = name
    self.escaped = escaped
    self.fallback = fallback
    self.location = location
  }
}

/// `{{#name}}…{{/name}}` and `{{^name}}…{{/name}}`.
final class Section: Sendable {
  let path: [Key]
  let inverted: Bool
  let nodes: [Node]
  let location: SourceLocation

  init(path: [Key], inverted: Bool, nodes: [Node], location: SourceLocation) {
    self.path = path
    self.inverted = inverted
    self.nodes = nodes
    self.location = location
  }
}

/// `{{> name}}` or `{{>* dynamic.name}}`.
final class PartialTag: Sendable {
  /// The partial's name, or for a dynamic partial the dotted name whose value is the name.
  let name: String
  let dynamicPath: [Key]?
  /// The whitespace before a standalone partial tag, added to every line it renders.
  let indent: [UInt8]
  let location: SourceLocation

  init(name: String, dynamicPath: [Key]?, indent: [UInt8], location: SourceLocation) {
    self.name = name
    self.dynamicPath = dynamicPath
    self.indent = indent
    self.location = location
  }
}

/// `{{$name}}default{{/name}}`: a block a child template may override.
final class Block: Sendable {
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

  init(
    name: String, nodes: [Node], standalone: Bool, contentIndent: [UInt8], tagIndent: [UInt8],
    lineBreak: [UInt8]
  ) {
    self.name = name
    self.nodes = nodes
    self.standalone = standalone
    self.contentIndent = contentIndent
    self.tagIndent = tagIndent
    self.lineBreak = lineBreak
  }

  /// Where overriding content is indented to at this block's site.
  var siteIndent: [UInt8] {
    guard standalone else { return [] }
    return nodes.isEmpty ? tagIndent : contentIndent
  }
}

/// `{{< parent}}{{$name}}override{{/name}}{{/parent}}`.
final class Parent: Sendable {
  let name: String
  let dynamicPath: [Key]?
  let overrides: [String: Block]
  let indent: [UInt8]
  let location: SourceLocation

  init(
    name: String, dynamicPath: [Key]?, overrides: [String: Block], indent: [UInt8], location: SourceLocation
  ) {
    self.name = name
    self.dynamicPath = dynamicPath
    self.overrides = overrides
    self.indent = indent
    self.location = location
  }
}

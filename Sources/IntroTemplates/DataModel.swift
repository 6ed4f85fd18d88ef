/// What a template reads from its context: `intro templates lint` prints it,
/// so a rep knows which intel a template needs before using it.
public struct DataReference: Sendable, Hashable {
  /// How the template uses the name.
  public enum Use: String, Sendable, Hashable {
    case variable
    case section
    case invertedSection = "inverted-section"
    case dynamicPartial = "dynamic-partial"
  }

  /// The dotted name as written (`.` for the current item).
  public let name: String
  public let use: Use
  /// The fallback text, for variables that have one.
  public let fallback: String?
  public let location: SourceLocation
  /// What the template reads inside a section, relative to the section's value.
  public let children: [DataReference]
}

extension Template {
  /// Every variable and section this template reads, in order, nested under sections.
  public var dataModel: [DataReference] { Self.collect(nodes) }

  /// The partials and parents this template names (dynamic ones excluded).
  public var partialNames: [String] { Self.partials(in: nodes) }

  private static func collect(_ nodes: [Node]) -> [DataReference] {
    var references: [DataReference] = []
    for node in nodes {
      switch node {
      case .text: break
      case .variable(let variable):
        references.append(
          DataReference(
            name: variable.name, use: .variable,
            fallback: variable.fallback.map { String(decoding: $0, as: UTF8.self) },
            location: variable.location,
            children: []))
      case .section(let section):
        let name = section.path.isEmpty ? "." : section.path.map(\.name).joined(separator: ".")
        references.append(
          DataReference(
            name: name, use: section.inverted ? .invertedSection : .section, fallback: nil,
            location: section.location, children: collect(section.nodes)))
      case .partial(let tag):
        if tag.dynamicPath != nil {
          references.append(
            DataReference(
              name: tag.name, use: .dynamicPartial, fallback: nil, location: tag.location, children: []))
        }
      case .block(let block): references += collect(block.nodes)
      case .parent(let parent):
        for name in parent.overrides.keys.sorted() {
          if let block = parent.overrides[name] { references += collect(block.nodes) }
        }
      }
    }
    return references
  }

  private static func partials(in nodes: [Node]) -> [String] {
    var names: [String] = []
    for node in nodes {
      switch node {
      case .partial(let tag) where tag.dynamicPath == nil: names.append(tag.name)
      case .parent(let parent):
        if parent.dynamicPath == nil { names.append(parent.name) }
        for block in parent.overrides.values { names += partials(in: block.nodes) }
      case .section(let section): names += partials(in: section.nodes)
      case .block(let block): names += partials(in: block.nodes)
      default: continue
      }
    }
    return names
  }
}

import ArgumentParser
import Foundation
import IntroKit
import IntroTemplates

/// `--templates DIR`, and finding a template by file or by library name:
/// the same for every command that renders.
struct TemplateOptions: ParsableArguments {
  @Option(
    name: .long,
    help: ArgumentHelp("A folder of templates that override the built-in ones.", valueName: "dir"))
  var templates: String?

  /// The built-in templates, overridden by `[templates] path` and then by `--templates`.
  func library(_ config: IntroConfig, _ environment: [String: String]) throws(CommandFailure)
    -> TemplateLibrary
  {
    try templateCall { () throws(TemplateLoadError) in
      try TemplateCatalog.library(config: config, directory: templates, environment: environment)
    }
  }

  /// `name` as a file when one exists, else the library template of that name;
  /// with `fragment`, read as a fragment even if it starts with a header line.
  func template(_ name: String, in library: TemplateLibrary, fragment: Bool = false) throws(CommandFailure)
    -> EmailTemplate
  {
    if FileManager.default.fileExists(atPath: name) {
      let source = try templateCall { () throws(TemplateLoadError) in try TemplateCatalog.read(name) }
      return try parse(source, name: name, fragment: fragment)
    }
    if let problem = library.problems[name] { throw CommandFailure(.dataError, problem.description) }
    guard let entry = library.entry(named: name) else {
      throw CommandFailure(
        .dataError, "no template file or library template named '\(name)'; see 'intro templates list'")
    }
    if fragment, !entry.template.isFragment {
      return try parse(entry.source, name: entry.file ?? entry.name, fragment: true)
    }
    return entry.template
  }

  private func parse(_ source: String, name: String, fragment: Bool) throws(CommandFailure) -> EmailTemplate {
    do {
      return try EmailTemplate(source, name: name, fragment: fragment)
    } catch {
      throw CommandFailure(.dataError, error.description)
    }
  }
}

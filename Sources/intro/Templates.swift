import ArgumentParser
import Foundation
import IntroKit
import IntroTemplates

struct Templates: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "templates",
    abstract: "List, show, export and check email templates.",
    discussion: """
      The built-in templates ship inside intro. A folder set as path in [templates] of the \
      configuration, or given with --templates, overrides them by name: copy one out with \
      'intro templates export DIR', edit it, and point [templates] at DIR.
      """,
    subcommands: [List.self, Show.self, Export.self, Lint.self])

  struct Source: ParsableArguments {
    @OptionGroup var global: GlobalOptions
    @OptionGroup var choice: TemplateOptions

    func library() throws(CommandFailure) -> TemplateLibrary {
      try choice.library(try global.loadConfig(), global.environment)
    }
  }

  struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "list",
      abstract: "List the templates with their audience and purpose.")

    @OptionGroup var source: Source

    func run() throws {
      try reporting { () throws(CommandFailure) -> ExitStatus in
        let library = try source.library()
        let width = library.names.map(\.count).max() ?? 0
        for name in library.names {
          guard let entry = library.entry(named: name) else { continue }
          let audience = entry.template.metadata["Audience"] ?? (entry.template.isFragment ? "fragment" : "-")
          let description = entry.template.metadata["Description"] ?? ""
          let origin = entry.file == nil ? "" : "  (\(entry.file ?? ""))"
          print(
            name.padding(toLength: width + 2, withPad: " ", startingAt: 0)
              + audience.padding(toLength: 10, withPad: " ", startingAt: 0) + description + origin)
        }
        for (name, problem) in library.problems.sorted(by: { $0.key < $1.key }) {
          writeError("intro: \(name) cannot be used: \(problem.location): \(problem.message)")
        }
        // Listing works with a broken file; 'intro templates lint' fails on one.
        return .ok
      }
    }
  }

  struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "show", abstract: "Print a template's source.")

    @OptionGroup var source: Source

    @Argument(help: ArgumentHelp("The template's name.", valueName: "name"))
    var name: String

    func run() throws {
      try reporting { () throws(CommandFailure) -> ExitStatus in
        guard let entry = try source.library().entry(named: name) else {
          throw CommandFailure(.dataError, "no template named '\(name)'; see 'intro templates list'")
        }
        FileHandle.standardOutput.write(Data(entry.source.utf8))
        return .ok
      }
    }
  }

  struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "export",
      abstract: "Write every template into a folder, to edit and use with [templates] path.")

    @OptionGroup var source: Source

    @Argument(help: ArgumentHelp("The folder to write to; created if missing.", valueName: "dir"))
    var directory: String

    @Flag(name: .long, help: "Replace files that already exist.")
    var force = false

    func run() throws {
      try reporting { () throws(CommandFailure) -> ExitStatus in
        let library = try source.library()
        var written = 0
        for name in library.names {
          guard let entry = library.entry(named: name) else { continue }
          let path = directory + "/" + name + ".mustache"
          if FileManager.default.fileExists(atPath: path) && !force {
            writeError("intro: kept \(path), which exists (--force replaces it)")
            continue
          }
          do {
            try FileManager.default.createDirectory(
              atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(entry.source.utf8).write(to: URL(fileURLWithPath: path))
          } catch {
            throw CommandFailure(.dataError, "cannot write \(path): \(error.localizedDescription)")
          }
          written += 1
        }
        print("wrote \(written) templates to \(directory)")
        return .ok
      }
    }
  }

  struct Lint: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "lint",
      abstract: "Check templates and print the data each one needs.",
      discussion: """
        Checks every template (or NAME) for syntax errors and partials that do not exist, \
        and prints every variable and section the template reads: the intel it needs. A \
        broken template is reported and the others are still checked. Exits 65 when any \
        template has an error, or with --strict any warning.

        Warnings, each with file:line:column and its [rule]:
          say-introduction    "referral" (refer, referred) in copy a client or prospect can read
          needy-ask           product-first or needy wording: "our product", "any leads",
                              "sorry to bother", "my quota", "could use our", ...
          greeting-fallback   Hi {{client.first_name}}, without | "there"
          long-subject        a subject over 78 characters with the sample data
          long-blurb          a blurb over 120 words with the sample data
          double-punctuation  {{client.company}}. prints "Northwind, Inc.."
          internal-note       your notes ({{contact.notes}}, {{referral.about_prospect}}, ...)
                              pasted into client copy
        The sample data is what 'intro init --sample' imports (config/sample/).

        Examples:
          intro templates lint
          intro templates lint intro-request
          intro templates lint --templates ~/my-templates --strict
        """)

    @OptionGroup var source: Source

    @Argument(help: ArgumentHelp("One template's name; default: all.", valueName: "name"))
    var name: String?

    @Flag(help: "Check every template (the default when no NAME is given).")
    var all = false

    @Flag(help: "Exit 65 on any warning, not only on errors.")
    var strict = false

    func validate() throws {
      if all && name != nil { throw ValidationError("give a template NAME or --all, not both") }
    }

    func run() throws {
      try reporting { () throws(CommandFailure) -> ExitStatus in
        let library = try source.library()
        let names = name.map { [$0] } ?? (library.names + library.problems.keys).sorted()
        let samples = (try? SampleHome.contexts()) ?? []
        var failed = false
        var warnings = 0
        for name in names {
          if let problem = library.problems[name] {
            print(name)
            print("  " + problem.description.replacingOccurrences(of: "\n", with: "\n  "))
            failed = true
            continue
          }
          guard let entry = library.entry(named: name) else {
            throw CommandFailure(.dataError, "no template named '\(name)'; see 'intro templates list'")
          }
          print(name)
          let templates = entry.template.headers.map(\.value) + [entry.template.body]
          for partial in templates.flatMap(\.partialNames) where library.partial(named: partial) == nil {
            print("  error: no partial named '\(partial)'")
            failed = true
          }
          for finding in TemplateLint.check(entry, in: library, samples: samples) {
            print("  \(finding)")
            warnings += 1
          }
          for (header, value) in entry.template.headers {
            print("  \(header):")
            printModel(value.dataModel, depth: 2)
          }
          if !entry.template.headers.isEmpty { print("  body:") }
          printModel(entry.template.body.dataModel, depth: entry.template.headers.isEmpty ? 1 : 2)
          printPartials(of: templates, in: library, seen: [name])
        }
        if warnings > 0 {
          writeError(
            "intro: \(warnings) warning\(warnings == 1 ? "" : "s")\(strict ? " (--strict: exit 65)" : "")")
        }
        return failed || (strict && warnings > 0) ? .dataError : .ok
      }
    }

    /// The data the partials need, each partial once.
    private func printPartials(of templates: [Template], in library: TemplateLibrary, seen: Set<String>) {
      var seen = seen
      var pending = templates.flatMap(\.partialNames)
      while let partialName = pending.first {
        pending.removeFirst()
        guard seen.insert(partialName).inserted, let partial = library.partial(named: partialName) else {
          continue
        }
        print("  partial \(partialName):")
        printModel(partial.dataModel, depth: 2)
        pending += partial.partialNames
      }
    }

    private func printModel(_ references: [DataReference], depth: Int) {
      var seen: Set<String> = []
      for reference in references where seen.insert("\(reference.use)\(reference.name)").inserted {
        let pad = String(repeating: "  ", count: depth)
        let label: String
        switch reference.use {
        case .variable:
          label = reference.fallback.map { "text, fallback \"\($0)\"" } ?? "text, required"
        case .section: label = "section (shown when present; a list repeats)"
        case .invertedSection: label = "shown when missing or empty"
        case .dynamicPartial: label = "names a partial"
        }
        print("\(pad)\(reference.name)  \(label)  \(reference.location.line):\(reference.location.column)")
        if !reference.children.isEmpty { printModel(reference.children, depth: depth + 1) }
      }
    }
  }
}

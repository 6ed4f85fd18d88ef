import ArgumentParser
import Foundation
import IntroKit
import IntroTemplates

struct Render: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "render",
    abstract: "Render a template with data from a JSON file.",
    discussion: """
      TEMPLATE is a file, or the name of a template in the library (see 'intro templates list'). \
      Rendering is strict: a variable that is missing, null or blank is an error, and every \
      such error is listed with its file:line:column before intro exits with status 65. \
      Give a fallback in the template, {{client.first_name | "there"}}, or use --lenient for \
      the Mustache spec's empty strings.

      An email template prints its headers, a blank line and the body; a fragment prints its body.

      Examples:
        intro render thank-you-intro --data intel.json
        intro render my-note.mustache --data intel.json --partials partials/
        intro render page.mustache --data data.json --html --lenient
      """)

  @OptionGroup var global: GlobalOptions

  @Argument(
    help: ArgumentHelp("A template file, or a template name from the library.", valueName: "template"))
  var template: String

  @Option(
    name: .long, help: ArgumentHelp("The data, a JSON file (- for stdin). Default: {}.", valueName: "file"))
  var data: String?

  @Option(
    name: .long, help: ArgumentHelp("A folder of partials (*.mustache), read as fragments.", valueName: "dir")
  )
  var partials: String?

  @OptionGroup var choice: TemplateOptions

  @Flag(name: .long, help: "Render missing values as empty strings instead of failing.")
  var lenient = false

  @Flag(name: .long, help: "HTML-escape {{name}} output (& < > \" ').")
  var html = false

  @Flag(name: .long, help: "Read the template as a fragment even if it starts with a header line.")
  var fragment = false

  @Flag(
    name: .long,
    help: ArgumentHelp(
      "Print the whole RFC 5322 message (an email template only), as it would be sent.",
      discussion: """
        From is the template's From header, else name and email in [rep]. A template with \
        'Intro-Format: markdown' also gets an HTML alternative made from its body.
        """))
  var eml = false

  func validate() throws {
    if eml && fragment {
      throw ValidationError("--eml needs an email template; it cannot go with --fragment")
    }
  }

  func run() throws {
    try reporting { () throws(CommandFailure) -> ExitStatus in
      let config = try global.loadConfig()
      var library = try choice.library(config, global.environment)
      let email = try choice.template(template, in: library, fragment: fragment)
      if let partials {
        library = library.overridden(
          by: try templateCall { () throws(TemplateLoadError) in
            try TemplateCatalog.load(directory: partials, fragments: true)
          })
      }
      let context = try loadData()
      let options = RenderOptions(strict: !lenient, html: html)
      let rendered: RenderedEmail
      do {
        rendered = try email.render(context, partials: library, options: options)
      } catch {
        throw CommandFailure(.dataError, "\(error)\nnothing was rendered")
      }
      guard eml else {
        FileHandle.standardOutput.write(Data((email.isFragment ? rendered.body : rendered.text).utf8))
        return .ok
      }
      guard !email.isFragment else {
        throw CommandFailure(
          .dataError, "\(template) is a fragment; --eml needs an email template with headers")
      }
      do throws(EmailAssembly.Failure) {
        let markdown = email.metadata["Format"]?.lowercased() == "markdown"
        let message = try EmailAssembly.compose(rendered, rep: config.rep, markdown: markdown)
        FileHandle.standardOutput.write(Data(message.data))
      } catch {
        throw CommandFailure(error.isConfiguration ? .configuration : .dataError, error.description)
      }
      return .ok
    }
  }

  private func loadData() throws(CommandFailure) -> TemplateValue {
    guard let data else { return .object(TemplateObject()) }
    let bytes: Data? =
      data == "-"
      ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: data)
    guard let bytes, let text = String(bytes: bytes, encoding: .utf8) else {
      throw CommandFailure(.dataError, "cannot read \(data) as UTF-8 JSON")
    }
    do {
      return try TemplateValue(json: text)
    } catch {
      throw CommandFailure(.dataError, "\(data):\(error)")
    }
  }
}

/// Runs a template-loading step, turning its error into exit status 65.
func templateCall<T>(_ body: () throws(TemplateLoadError) -> T) throws(CommandFailure) -> T {
  do {
    return try body()
  } catch {
    throw CommandFailure(.dataError, error.description)
  }
}

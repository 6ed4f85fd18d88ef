import ArgumentParser
import Foundation
import IntroKit
import IntroStore

struct BlurbCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "blurb",
    abstract: "Print the paragraph about you that a client pastes into an introduction email.",
    discussion: """
      The paragraph is the 'blurb' template rendered for one referral: who you are, the \
      prospect's problems and why now, in the third person, for the client to paste as it is \
      or change. It is plain UTF-8 text, ready to paste. The rep's notes about the people \
      (contact notes, what the client told you about the prospect) never appear in it.

      Change the wording with your own blurb.mustache in --templates or [templates] path \
      (start from 'intro templates export DIR'); intro says so when it runs over 120 words.

      Examples:
        intro blurb 12
        intro blurb 12 --copy
        intro blurb 12 --json
      """)

  @OptionGroup var global: GlobalOptions

  @Argument(help: ArgumentHelp("The referral (see 'intro referral list').", valueName: "referral"))
  var referral: Int64

  @OptionGroup var choice: TemplateOptions

  @Flag(help: "Print the referral, subject, text and word count as JSON.")
  var json = false

  @Flag(help: "Also copy the text to the clipboard (wl-copy, xclip or pbcopy).")
  var copy = false

  func run() throws {
    try reporting { () throws(CommandFailure) -> ExitStatus in
      let config = try global.loadConfig()
      let store = try global.openAnyStore(config).contract
      let library = try choice.library(config, global.environment)
      let blurb: Blurb
      do throws(BlurbError) {
        blurb = try Blurb.make(referral: referral, store: store, config: config, library: library)
      } catch {
        switch error {
        case .store(let failure): throw CommandFailure(ExitStatus(failure), failure.description)
        case .noReferral: throw CommandFailure(.usage, error.description)
        case .noTemplate, .render: throw CommandFailure(.dataError, error.description)
        }
      }
      if json { printJSON(blurb) } else { print(blurb.text) }
      if blurb.words > Blurb.wordLimit {
        writeError(
          "intro: the blurb has \(blurb.words) words; keep it under \(Blurb.wordLimit) so the prospect reads it all"
        )
      }
      if copy { writeError("intro: " + Clipboard.copy(blurb.text, environment: global.environment)) }
      return .ok
    }
  }
}

/// The desktop clipboard, through whichever tool is installed.
enum Clipboard {
  /// Copies `text`; says which tool did it, or that none is installed.
  static func copy(_ text: String, environment: [String: String]) -> String {
    var tools: [(String, [String])] = []
    if environment["WAYLAND_DISPLAY"] != nil { tools.append(("wl-copy", [])) }
    if environment["DISPLAY"] != nil { tools.append(("xclip", ["-selection", "clipboard"])) }
    tools.append(("pbcopy", []))
    let path = (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
    for (tool, arguments) in tools {
      guard let executable = path.map({ $0 + "/" + tool }).first(where: FileManager.default.isExecutableFile)
      else { continue }
      let process = Process()
      process.executableURL = URL(fileURLWithPath: executable)
      process.arguments = arguments
      let input = Pipe()
      process.standardInput = input
      do {
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
      } catch {
        return "\(tool) could not start (\(error.localizedDescription)); the text is above"
      }
      return process.terminationStatus == 0
        ? "copied to the clipboard with \(tool)"
        : "\(tool) failed (status \(process.terminationStatus)); the text is above"
    }
    return "no clipboard tool found (install wl-clipboard or xclip; on macOS pbcopy); the text is above"
  }
}

import ArgumentParser
import Foundation
import IntroKit
import IntroSMTP

struct Deliver: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "deliver",
    abstract: "Send a ready RFC 5322 message, like msmtp or sendmail.",
    discussion: """
      Reads the message from FILE (or standard input) and sends one copy to each --to \
      address, one SMTP transaction per recipient, through the relay in [smtp]; with no \
      [smtp] section the message is written to the outbox folder as an .eml file. \
      Bare LF line endings are converted to CRLF.

      Examples:
        intro deliver --to client@example.com note.eml
        intro deliver --from rep@example.com --to a@example.com --to b@example.com < note.eml
      """)

  @OptionGroup var global: GlobalOptions

  @Option(name: .long, help: ArgumentHelp("Envelope sender. Default: email in [rep].", valueName: "address"))
  var from: String?

  @Option(name: .long, help: ArgumentHelp("An envelope recipient; repeat for more.", valueName: "address"))
  var to: [String] = []

  @Argument(help: ArgumentHelp("The message file, or - for standard input.", valueName: "file"))
  var file: String = "-"

  func validate() throws {
    if to.isEmpty { throw ValidationError("give at least one recipient with --to") }
  }

  func run() throws {
    try reporting { () throws(CommandFailure) -> ExitStatus in
      let config = try global.loadConfig()
      guard let sender = from ?? config.rep.email else {
        throw CommandFailure(.usage, "no sender: pass --from, or set email in [rep] of the configuration")
      }
      let bytes = try readMessage()
      let transport: any MailTransport
      do throws(ConfigError) {
        transport = try global.transportFactory(config).makeTransport()
      } catch {
        throw CommandFailure(.configuration, error.description)
      }
      let results: [MessageDelivery.RecipientResult]
      do throws(MessageDelivery.InputError) {
        results = try MessageDelivery.deliver(bytes, from: sender, to: to, over: transport)
      } catch {
        throw CommandFailure(.dataError, "\(error.description); nothing was sent")
      }
      for item in results {
        let line = "\(item.recipient): \(item.result)"
        if item.result.outcome == .delivered { print(line) } else { writeError(line) }
      }
      return ExitStatus.worst(of: results.map(\.result))
    }
  }

  private func readMessage() throws(CommandFailure) -> [UInt8] {
    if file == "-" {
      return Array(FileHandle.standardInput.readDataToEndOfFile())
    }
    guard let data = FileManager.default.contents(atPath: file) else {
      throw CommandFailure(.dataError, "cannot read \(file): no such file or no permission")
    }
    return Array(data)
  }
}

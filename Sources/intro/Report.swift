import ArgumentParser
import Foundation
import IntroKit
import IntroStore

struct Report: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Is asking for introductions working? The funnel, cohorts, timings, introducers, mail.",
    discussion: """
      For the referrals asked for in the period (dates inclusive, UTC): the funnel asked → \
      promised → introduced → meeting → won with each step's and the cumulative conversion (a \
      referral counts at every stage up to the furthest it reached), lost and stalled; cohorts by \
      month of the ask; median and 90th-percentile days in each stage (open stays apart from \
      closed ones); time from ask to introduction; how many promised introductions were made by \
      the promised date; the top introducers and the clients asked most in the last 90 days; and \
      for the messages of the period, their outcomes, failures by SMTP code, and the reminders \
      fired with how many were followed by a move within 7 days.

      Examples:
        intro report
        intro report --since 2026-10-01 --until 2026-12-31 --json
        intro report --csv --section funnel
        intro report --html report.html
      """)

  @OptionGroup var global: GlobalOptions
  @Option(help: ArgumentHelp("First day of the period, YYYY-MM-DD.", valueName: "date")) var since: String?
  @Option(help: ArgumentHelp("Last day of the period, YYYY-MM-DD.", valueName: "date")) var until: String?
  @Flag(help: "The whole report as JSON (keys documented in the README).") var json = false
  @Flag(help: "One section as CSV; name it with --section.") var csv = false
  @Option(
    help: ArgumentHelp(
      "With --csv: \(FunnelReport.sections.joined(separator: ", ")).", valueName: "name"))
  var section: String?
  @Option(help: ArgumentHelp("Write a self-contained HTML page with charts to FILE.", valueName: "file"))
  var html: String?

  func validate() throws {
    for (flag, value) in [("--since", since), ("--until", until)] {
      guard let value else { continue }
      let parts = value.split(separator: "-")
      guard value.count == 10, parts.count == 3, parts.allSatisfy({ $0.allSatisfy(\.isNumber) }) else {
        throw ValidationError("\(flag) takes a date such as 2026-12-01")
      }
    }
    if let since, let until, since > until { throw ValidationError("--since comes after --until") }
    if [json, csv, html != nil].filter({ $0 }).count > 1 {
      throw ValidationError("give one of --json, --csv or --html")
    }
    if csv != (section != nil) { throw ValidationError("--csv and --section go together") }
    if let section, !FunnelReport.sections.contains(section) {
      throw ValidationError("--section is one of \(FunnelReport.sections.joined(separator: ", "))")
    }
  }

  func run() throws {
    try reporting { () throws(CommandFailure) -> ExitStatus in
      let store = try global.openAnyStore(try global.loadConfig()).contract
      let report = try storeCall { () throws(StoreError) in
        try FunnelReport.make(store: store, since: since, until: until)
      }
      if json {
        printJSON(report)
      } else if let section {
        FileHandle.standardOutput.write(Data((report.csv(section: section) ?? "").utf8))
      } else if let html {
        // The page names clients: readable by its owner only, like the store.
        guard
          FileManager.default.createFile(
            atPath: html, contents: Data(report.html.utf8), attributes: [.posixPermissions: 0o600])
        else {
          throw CommandFailure(.configuration, "cannot write \(html): check the folder exists and is yours")
        }
        print("wrote \(html)")
      } else {
        FileHandle.standardOutput.write(Data(report.text.utf8))
      }
      return .ok
    }
  }
}

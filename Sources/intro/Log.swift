import ArgumentParser
import Foundation
import IntroKit
import IntroStore

struct Log: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "log",
    abstract: "Show every message sent or queued, with each delivery attempt.",
    discussion: """
      Newest first. Each message shows its id, state, recipient, subject and Message-ID; each \
      attempt below it shows when, the outcome, the SMTP stage, and the server's code and words.

      States: pending (waiting), sending / in_data (a run is on it), sent, deferred (4xx; \
      tried again later), failed (5xx, or expired after 5 days), uncertain (the body went out \
      but no answer came; see 'intro resolve'), suppressed (do-not-contact at send time).

      Examples:
        intro log --since 2d
        intro log --state uncertain
        intro log --to ann@example.com --json
        intro log --batch 7
      """)

  @OptionGroup var global: GlobalOptions

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Changed since: a date (2026-11-01), or an age (30m, 12h, 7d).", valueName: "when"))
  var since: String?

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Only this state; repeat for several (\(MessageState.allCases.map(\.rawValue).joined(separator: ", "))).",
      valueName: "state"))
  var state: [String] = []

  @Option(name: .long, help: ArgumentHelp("Only messages to this address.", valueName: "address"))
  var to: String?

  @Option(name: .long, help: ArgumentHelp("Only this batch.", valueName: "id"))
  var batch: Int64?

  @Option(name: .long, help: ArgumentHelp("At most this many messages (default: all).", valueName: "n"))
  var limit: Int?

  @Flag(name: .long, help: "Print JSON.")
  var json = false

  func validate() throws {
    for name in state where MessageState(rawValue: name) == nil {
      throw ValidationError(
        "--state \(name) is not a state; use one of \(MessageState.allCases.map(\.rawValue).joined(separator: ", "))"
      )
    }
    if let since, Self.parseSince(since, now: Date()) == nil {
      throw ValidationError("--since \(since): give a date (2026-11-01) or an age (30m, 12h, 7d)")
    }
  }

  func run() throws {
    try reporting { () throws(CommandFailure) -> ExitStatus in
      let config = try global.loadConfig()
      let store = try global.openAnyStore(config).contract
      var filter = MessageFilter()
      filter.states = state.compactMap(MessageState.init(rawValue:))
      filter.since = since.flatMap { Self.parseSince($0, now: Date()) }
      filter.batchID = batch
      filter.limit = limit
      if let to { filter.recipientKey = try addressKey(to) }
      let messages = try storeCall { () throws(StoreError) in try store.messages(filter) }
      if json {
        printJSON(messages)
        return .ok
      }
      if messages.isEmpty { print("no messages") }
      for message in messages { print(Self.describe(message)) }
      return .ok
    }
  }

  static func describe(_ message: LoggedMessage) -> String {
    var lines = [
      "#\(message.id) \(message.state.rawValue) \(message.recipient)"
        + (message.batchID.map { " batch \($0)" } ?? "") + " <\(message.messageID)>"
    ]
    if let subject = message.subject { lines.append("  subject: \(subject)") }
    if let template = message.template {
      lines.append("  template: \(template)" + (message.referralID.map { ", referral \($0)" } ?? ""))
    }
    if message.state == .deferred, let next = message.nextAttemptAt {
      lines.append("  next attempt: \(format(next))")
    }
    for attempt in message.attempts {
      var line = "  \(format(attempt.startedAt)) \(attempt.outcome)"
      if let stage = attempt.stage { line += " at \(stage)" }
      if let code = attempt.smtpCode { line += " \(code)" }
      if let text = attempt.smtpText, !text.isEmpty {
        line +=
          " \"\(text.replacingOccurrences(of: "\r\n", with: " / ").replacingOccurrences(of: "\n", with: " / "))\""
      }
      if let detail = attempt.detail, !detail.isEmpty { line += ": \(detail)" }
      lines.append(line)
    }
    return lines.joined(separator: "\n")
  }

  private static func format(_ date: Date) -> String { LocalTime.dateTime(date) }

  /// `2026-11-01`, or `30m`, `12h`, `7d` before `now`.
  static func parseSince(_ text: String, now: Date) -> Date? {
    if let unit = text.last, let amount = Double(text.dropLast()), amount >= 0 {
      let seconds: Double? =
        switch unit {
        case "m": 60
        case "h": 3600
        case "d": 86_400
        case "w": 604_800
        default: nil
        }
      if let seconds { return now.addingTimeInterval(-amount * seconds) }
    }
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.dateFormat = "yyyy-MM-dd"
    return formatter.date(from: text)
  }
}

struct Resolve: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "resolve",
    abstract: "Settle an uncertain message: it arrived (--sent), or send it again (--resend).",
    discussion: """
      A message is uncertain when its body went out but no answer came back (the connection \
      broke, the relay timed out, the run was killed). The server may have it. Ask the \
      recipient or check your sent mail, then:

        intro resolve 42 --sent       it arrived: mark it sent
        intro resolve 42 --resend     it did not: queue it again (same Message-ID)
                                      for the next 'intro send --retry --send'

      MESSAGE is the number 'intro log' shows (#42) or the Message-ID.

      After a power loss in the middle of a batch, every message the run had claimed is \
      uncertain (up to two claim groups, 512 messages). When the relay's log shows which \
      went out, settle them one by one; when it shows the whole batch arrived, or none of it:

        intro resolve --batch 7 --sent     every uncertain message of batch 7 arrived
        intro resolve --batch 7 --resend   none did: queue them all again
      """)

  @OptionGroup var global: GlobalOptions

  @Argument(help: ArgumentHelp("The message number or Message-ID.", valueName: "message"))
  var message: String?

  @Option(
    name: .long, help: ArgumentHelp("Settle every uncertain message of this batch.", valueName: "batch"))
  var batch: Int64?

  @Flag(name: .long, help: "The recipient has it: mark it sent.")
  var sent = false

  @Flag(name: .long, help: "Queue it to be sent again.")
  var resend = false

  func validate() throws {
    if sent == resend { throw ValidationError("give exactly one of --sent and --resend") }
    if (message == nil) == (batch == nil) { throw ValidationError("give either a MESSAGE or --batch BATCH") }
  }

  func run() throws {
    try reporting { () throws(CommandFailure) -> ExitStatus in
      let config = try global.loadConfig()
      let store = try global.openAnyStore(config).contract
      if let batch {
        let ids = try storeCall { () throws(StoreError) in
          try store.resolveUncertain(batchID: batch, sent: sent, now: Date())
        }
        if ids.isEmpty {
          print("batch \(batch) has no uncertain message")
        } else if sent {
          print("batch \(batch): \(ids.count) uncertain messages marked sent")
        } else {
          print(
            "batch \(batch): \(ids.count) uncertain messages queued again; send them with: intro send --retry --send"
          )
        }
        return .ok
      }
      let message = message ?? ""
      guard let found = try storeCall({ () throws(StoreError) in try store.message(reference: message) })
      else {
        throw CommandFailure(.dataError, "no message \(message) in the store; see 'intro log'")
      }
      let state = try storeCall { () throws(StoreError) in
        try store.resolve(messageID: found.id, sent: sent, now: Date())
      }
      if state == .sent {
        print("#\(found.id) to \(found.recipient): marked sent")
      } else {
        print("#\(found.id) to \(found.recipient): queued again; send it with: intro send --retry --send")
      }
      return .ok
    }
  }
}

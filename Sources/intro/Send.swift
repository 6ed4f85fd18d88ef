import ArgumentParser
import Foundation
import IntroKit
import IntroSMTP
import IntroStore
import IntroTemplates

struct Send: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "send",
    abstract: "Send a template to a contact, a referral's introducer, a CSV list or your clients.",
    discussion: """
      Safe by default: without --send nothing is sent; intro shows how many messages would go, \
      the first one in full, and every problem. Every message is rendered (strictly) and \
      composed before the first one is sent: one missing value, bad address or \
      do-not-contact recipient stops the batch with exit status 65 and a table of what to fix.

      With --send, the batch and its messages are stored first, then delivered; the batch \
      stops after --limit messages (default 1) unless --no-limit. Run the same command again, \
      or 'intro send --resume BATCH --send', to go on: nothing already sent is sent again. \
      The same template to the same person with the same content is one message per day.

      A 4xx reply defers a message (tried again after 5 minutes, doubling to about an hour, \
      for up to 5 days) for 'intro send --retry --send', which cron can run (see \
      config/crontab.example); a 5xx fails it. A \
      message whose body went out with no reply is 'uncertain' and never sent again by \
      itself: check with the recipient, then 'intro resolve'. Three connection, TLS or login \
      failures in a row stop the batch (exit 75, or 78 when the configuration is wrong) and \
      leave the rest untouched. One send runs per store file at a time.

      On a team's PostgreSQL store ([store] url) everything above works the same, and several \
      runs at once (on one host or many) share a batch, each message sent once; two reps \
      sending the same message the same day store it once; a lost connection stops the run \
      with 75 and nothing is sent twice.

      Examples:
        intro send thank-you-intro --referral 12
        intro send thank-you-business --csv clients.csv --send --no-limit
        intro send check-in --clients --where 'satisfaction>=8' --send --limit 20
        intro send --resume 7 --send --no-limit
        intro send --retry --send
      """)

  @OptionGroup var global: GlobalOptions

  @Argument(
    help: ArgumentHelp("A template name from the library, or a template file.", valueName: "template"))
  var template: String?

  @Option(name: .long, help: ArgumentHelp("One contact, by address or id.", valueName: "contact"))
  var to: String?

  @Option(name: .long, help: ArgumentHelp("A referral: its introducer gets the message.", valueName: "id"))
  var referral: Int64?

  @Option(
    name: .long, help: ArgumentHelp("One message per row; the columns are the context.", valueName: "file"))
  var csv: String?

  @Flag(name: .long, help: "Every client in the store (not those marked do-not-contact).")
  var clients = false

  @Option(
    name: .customLong("where"),
    help: ArgumentHelp(
      "With --clients: FIELD=VALUE, FIELD!=VALUE, FIELD>=N, FIELD<N, FIELD~TEXT (contains); repeat for AND.",
      valueName: "filter"))
  var filters: [String] = []

  @Option(help: "The CSV file's encoding: utf-8, windows-1252 or latin1.")
  var encoding: String = "utf-8"

  @OptionGroup var choice: TemplateOptions

  @Flag(name: .long, help: "Really send. Without it, show what would be sent.")
  var send = false

  @Option(name: .long, help: ArgumentHelp("Stop after this many messages (default 1).", valueName: "n"))
  var limit: Int?

  @Flag(name: .customLong("no-limit"), help: "Send the whole batch.")
  var noLimit = false

  @Option(name: .long, help: ArgumentHelp("Go on with a stored batch.", valueName: "batch"))
  var resume: Int64?

  @Flag(name: .long, help: "Send the deferred messages that are due, from every batch.")
  var retry = false

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Seconds to wait for another send on the same store. Default: [send] wait, else 10.",
      valueName: "seconds"))
  var wait: Double?

  @Flag(name: .long, help: "Print the plan or the outcome as JSON.")
  var json = false

  @Option(
    name: .long,
    help: ArgumentHelp(
      "Dry run: which page of the recipient table to show (\(Send.pageSize) a page).", valueName: "n"))
  var page = 1

  @Flag(name: .long, help: "Dry run: print the first message as it goes on the wire (RFC 5322, encoded).")
  var eml = false

  static let pageSize = 50

  func validate() throws {
    let audiences = [to != nil, referral != nil, csv != nil, clients].filter { $0 }.count
    if resume != nil || retry {
      if template != nil || audiences > 0 || (resume != nil && retry) {
        throw ValidationError("--resume and --retry take no template and no audience, and not each other")
      }
    } else {
      if template == nil { throw ValidationError("name a template (see 'intro templates list')") }
      if audiences != 1 {
        throw ValidationError("give exactly one audience: --to, --referral, --csv or --clients")
      }
    }
    if !filters.isEmpty && !clients { throw ValidationError("--where goes with --clients") }
    if noLimit && limit != nil { throw ValidationError("give --limit or --no-limit, not both") }
    if let limit, limit < 1 { throw ValidationError("--limit must be 1 or more") }
    if page < 1 { throw ValidationError("--page must be 1 or more") }
    if CSVEncoding(rawValue: encoding) == nil {
      throw ValidationError("--encoding is utf-8, windows-1252 or latin1")
    }
  }

  func run() throws {
    try reporting { () throws(CommandFailure) -> ExitStatus in
      let config = try global.loadConfig()
      let stored = resume != nil || retry
      let store = try global.openAnyStore(config).contract
      let pipeline = stored ? nil : try makePipeline(config)
      let audience = pipeline == nil ? nil : try makeAudience()
      guard send else {
        guard let pipeline, let audience else {
          let ids = try storeCall { () throws(StoreError) in try storedMessages(store) }
          report(
            "\(ids.count) message\(ids.count == 1 ? "" : "s") would be sent\(resume.map { " from batch \($0)" } ?? ""); "
              + "nothing was sent. Add --send to send them.")
          return .ok
        }
        let start = (page - 1) * Self.pageSize
        let plan = try sendCall { () throws(SendError) in
          try pipeline.dryRun(audience, store: store, page: start..<(start + Self.pageSize))
        }
        return try showDryRun(plan, config: config)
      }
      var options = SendOptions()
      options.limit = noLimit ? nil : (limit ?? SendOptions.defaultLimit)
      options.messagesPerMinute = config.send.messagesPerMinute.map(Double.init)
      var run = SendRun(store: store, options: options, lockWait: wait ?? config.send.lockWait)
      do throws(ConfigError) {
        run.veto = try FatigueGuard(config).veto(store, now: Date())
      } catch {
        throw CommandFailure(.configuration, error.description)
      }
      var events = SendRun.Events()
      events.recovered = { recovered in note(recovered) }
      let bar = ProgressBar(enabled: !json && isatty(2) == 1)
      var interrupt: InterruptHandler?
      events.starting = { runner in interrupt = InterruptHandler { runner.stop() } }
      events.progress = { counts in bar.update(counts) }
      let outcome = try sendCall { () throws(SendError) in
        try run.perform(
          select: { () throws(SendError) in
            if let pipeline, let audience {
              return try select(pipeline.record(audience, store: store, command: commandLine))
            }
            let ids: [Int64]
            do throws(StoreError) { ids = try storedMessages(store) } catch { throw .store(error) }
            if ids.isEmpty {
              return .nothing(
                resume.map { "batch \($0) has nothing left to send" } ?? "no deferred message is due")
            }
            return .messages(ids, batch: resume)
          },
          transport: { () throws(SendError) in
            do throws(ConfigError) {
              return try global.transportFactory(config).makeTransport()
            } catch {
              throw .configuration(
                ConfigError(error.description + "\nthe batch is stored; nothing was sent"))
            }
          }, events: events)
      }
      withExtendedLifetime(interrupt) {}
      bar.finish()
      switch outcome {
      case .refused(let plan): return try refuse(plan)
      case .nothingToSend(let reason): report(reason)
      case .delivered(let summary): summarize(summary)
      }
      return outcome.status
    }
  }

  // MARK: Steps

  /// What a recorded batch leaves to deliver.
  private func select(_ plan: BatchPlan) -> SendSelection {
    guard plan.issues.isEmpty else { return .refused(plan) }
    if plan.messageIDs.isEmpty {
      return .nothing(
        plan.alreadyDone == 0
          ? "nothing to send: the audience is empty"
          : "nothing to send: all \(plan.alreadyDone) messages were sent (or settled: failed, uncertain, "
            + "suppressed) earlier today; see intro log")
    }
    if plan.batchID == nil, let earlier = plan.earlierBatches.last {
      note("going on with batch \(earlier)")
    }
    return .messages(plan.messageIDs, batch: plan.batchID ?? plan.earlierBatches.last)
  }

  /// `--resume BATCH`: what the batch still has to send; `--retry`: the deferred messages that are due.
  private func storedMessages(_ store: any DeliveryStore) throws(StoreError) -> [Int64] {
    if let resume { return try store.unsettledMessages(batchID: resume) }
    return try store.dueMessages(now: Date())
  }

  private func summarize(_ summary: SendSummary) {
    let outcome = summary.report
    let c = outcome.counts
    let batch = summary.batch
    if json {
      printJSON(
        SendSummaryJSON(
          batch: batch, sent: c.sent, deferred: c.deferred, failed: c.failed, uncertain: c.uncertain,
          suppressed: c.suppressed, notSent: c.notSent, remaining: outcome.remaining,
          stopped: summary.stopReason, elapsedSeconds: (outcome.elapsed * 1000).rounded() / 1000,
          exitStatus: summary.status.rawValue))
      return
    }
    let batchText = batch.map { "batch \($0): " } ?? ""
    print(
      "\(batchText)sent \(c.sent), deferred \(c.deferred), failed \(c.failed), uncertain \(c.uncertain), "
        + "suppressed \(c.suppressed); \(outcome.remaining) still to send; "
        + String(format: "%.1f s", outcome.elapsed))
    if let stopText = summary.stopReason { writeError("intro: \(stopText)") }
    if c.notSent > 0 && outcome.stop == nil {
      writeError("intro: \(c.notSent) message(s) could not reach the relay and wait, untouched")
    }
    if outcome.remaining > 0, let batch {
      print("go on with: intro send --resume \(batch) --send\(outcome.stop == .limit ? " --no-limit" : "")")
    }
    if c.uncertain > 0 {
      print(
        "uncertain messages need a look: intro log --state uncertain, then intro resolve MESSAGE --sent|--resend"
      )
    }
    if c.deferred > 0 { print("deferred messages go again with: intro send --retry --send") }
  }

  private func showDryRun(_ plan: BatchPlan, config: IntroConfig) throws(CommandFailure) -> ExitStatus {
    let from = config.rep.name.map { "\($0) <\(config.rep.email ?? "")>" } ?? config.rep.email ?? ""
    func readable(_ message: PreparedMessage) -> String {
      (message.rendered.header("From") == nil ? "From: \(from)\n" : "") + message.rendered.text
    }
    if !plan.issues.isEmpty { return try refuse(plan) }
    let pages = max(1, (plan.ready + Self.pageSize - 1) / Self.pageSize)
    if json {
      printJSON(
        DryRunJSON(
          wouldSend: plan.ready, alreadySent: plan.alreadyDone, page: page, pages: pages,
          messages: plan.previews, first: plan.first.map(readable),
          firstEml: plan.first.map { String(decoding: $0.data, as: UTF8.self) }))
      return .ok
    }
    print("\(plan.ready) message\(plan.ready == 1 ? "" : "s") would be sent; nothing was sent (dry run).")
    if plan.alreadyDone > 0 {
      print("\(plan.alreadyDone) already sent today with the same content: not sent again.")
    }
    if !plan.previews.isEmpty {
      print()
      printTable(plan.previews)
      if pages > 1 {
        print(
          "page \(page) of \(pages) (\(Self.pageSize) a page)"
            + (page < pages
              ? "; the next: \(commandLine.replacingOccurrences(of: " --page \(page)", with: "")) --page \(page + 1)"
              : ""))
      }
    } else if plan.ready > 0 {
      print("page \(page) is past the end: there are \(pages) page\(pages == 1 ? "" : "s")")
    }
    if let first = plan.first {
      print("\nThe first one in full, as \(eml ? "it goes on the wire" : "the reader sees it"):\n")
      print(
        eml
          ? String(decoding: first.data, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
          : readable(first))
    }
    guard plan.ready > 0 else { return .ok }
    let limitText = plan.ready > 1 ? " (one message; add --no-limit or --limit N for more)" : ""
    print("To send: \(commandLine) --send\(limitText)")
    return .ok
  }

  /// #, TO, GREETING, SUBJECT: a batch checked at a glance.
  private func printTable(_ rows: [MessagePreview]) {
    let number = max(1, String(rows.last?.position ?? 1).count)
    let to = min(36, max(2, rows.map(\.to.count).max() ?? 0))
    let greeting = min(28, max(8, rows.map(\.greeting.count).max() ?? 0))
    func cut(_ text: String, _ width: Int) -> String {
      text.count <= width ? pad(text, width) : String(text.prefix(width - 1)) + "…"
    }
    print(pad("#", number) + "  " + pad("TO", to) + "  " + pad("GREETING", greeting) + "  SUBJECT")
    for row in rows {
      let position = String(row.position)
      print(
        String(repeating: " ", count: number - position.count) + position + "  " + cut(row.to, to) + "  "
          + cut(row.greeting, greeting) + "  " + row.subject)
    }
  }

  /// The preflight table on standard error, exit 65.
  private func refuse(_ plan: BatchPlan) throws(CommandFailure) -> ExitStatus {
    if json {
      printJSON(PreflightJSON(issues: plan.issues))
    } else {
      let sourceWidth = min(30, max(5, plan.issues.map(\.source.count).max() ?? 0))
      let fieldWidth = min(30, max(5, plan.issues.map(\.field.count).max() ?? 0))
      writeError("intro: \(plan.issues.count) problem\(plan.issues.count == 1 ? "" : "s"); nothing was sent")
      writeError("  " + pad("WHERE", sourceWidth) + "  " + pad("FIELD", fieldWidth) + "  REASON")
      for issue in plan.issues.prefix(200) {
        writeError(
          "  " + pad(issue.source, sourceWidth) + "  " + pad(issue.field, fieldWidth) + "  " + issue.reason)
      }
      if plan.issues.count > 200 { writeError("  … and \(plan.issues.count - 200) more") }
    }
    return .dataError
  }

  // MARK: Helpers

  private func makePipeline(_ config: IntroConfig) throws(CommandFailure) -> SendPipeline {
    guard let template else { throw CommandFailure(.usage, "name a template") }
    let library = try choice.library(config, global.environment)
    let email = try choice.template(template, in: library)
    guard !email.isFragment else {
      throw CommandFailure(.dataError, "\(template) is a fragment, not an email; see 'intro templates list'")
    }
    return SendPipeline(template: email, templateName: template, library: library, config: config)
  }

  private func makeAudience() throws(CommandFailure) -> Audience {
    if let to { return .contact(to) }
    if let referral { return .referral(referral) }
    if let csv {
      return .csv(path: csv, encoding: CSVEncoding(rawValue: encoding) ?? .utf8, delimiter: nil)
    }
    do throws(AudienceError) {
      return .clients(try filters.map { expression throws(AudienceError) in try ContactFilter(expression) })
    } catch {
      throw CommandFailure(.usage, error.description)
    }
  }

  /// Says what an interrupted run left, before this run goes on.
  private func note(_ recovered: RecoveryReport) {
    if recovered.requeued > 0 {
      note("\(recovered.requeued) message(s) from an interrupted run were not sent yet; they go now")
    }
    if !recovered.uncertain.isEmpty {
      note(
        "\(recovered.uncertain.count) message(s) from an interrupted run may have been sent: "
          + "see intro log --state uncertain")
    }
  }

  private var commandLine: String {
    let kept = CommandLine.arguments.dropFirst().filter { $0 != "--send" }
    return (["intro"] + kept.map(shellQuoted)).joined(separator: " ")
  }

  private func report(_ line: String) {
    if json { printJSON(["message": line]) } else { print(line) }
  }

  private func note(_ line: String) {
    if !json { writeError("intro: \(line)") }
  }
}

private struct SendSummaryJSON: Encodable {
  var batch: Int64?
  var sent, deferred, failed, uncertain, suppressed, notSent, remaining: Int
  var stopped: String?
  var elapsedSeconds: Double
  var exitStatus: Int32
}

private struct DryRunJSON: Encodable {
  var wouldSend: Int
  var alreadySent: Int
  var page: Int
  var pages: Int
  /// This page of the table.
  var messages: [MessagePreview]
  /// The first message, decoded.
  var first: String?
  /// The first message as it goes on the wire.
  var firstEml: String?
}

private struct PreflightJSON: Encodable {
  var issues: [PreflightIssue]
}

/// Runs a send step, turning its error into an exit status.
func sendCall<T>(_ body: () throws(SendError) -> T) throws(CommandFailure) -> T {
  do {
    return try body()
  } catch {
    throw CommandFailure(error.exitStatus, error.description)
  }
}

func pad(_ text: String, _ width: Int) -> String {
  text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}

func shellQuoted(_ argument: String) -> String {
  let safe = argument.allSatisfy { $0.isLetter || $0.isNumber || "-_./=@:,+%".contains($0) }
  return safe && !argument.isEmpty
    ? argument : "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

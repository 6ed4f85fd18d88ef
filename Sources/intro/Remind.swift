import ArgumentParser
import Foundation
import IntroKit
import IntroStore
import IntroTemplates

/// `--now`, shared by `due` and `remind`: the calendar can be tried at any moment.
struct ClockOptions: ParsableArguments {
  @Option(
    name: .long,
    help: ArgumentHelp(
      "Act as if it were this moment (ISO 8601, e.g. 2026-12-07T09:30:00Z or 2026-12-07T09:30:00+01:00).",
      valueName: "timestamp"))
  var now: String?

  func moment() throws(CommandFailure) -> Date {
    guard let now else { return Date() }
    let formatter = ISO8601DateFormatter()
    for options: ISO8601DateFormatter.Options in [
      [.withInternetDateTime], [.withInternetDateTime, .withFractionalSeconds],
    ] {
      formatter.formatOptions = options
      if let date = formatter.date(from: now) { return date }
    }
    throw CommandFailure(.usage, "--now '\(now)' is not an ISO 8601 moment such as 2026-12-07T09:30:00Z")
  }
}

/// Opens what reminders need: the configuration, the store, the templates, the engine.
struct ReminderSetup {
  let config: IntroConfig
  let store: any ReminderStore
  let engine: ReminderEngine

  init(_ global: GlobalOptions, _ choice: TemplateOptions) throws(CommandFailure) {
    let config = try global.loadConfig()
    let store = try global.openAnyStore(config).contract
    self.config = config
    self.store = store
    let library = try choice.library(config, global.environment)
    let paused = try storeCall { () throws(StoreError) in try store.setting(store.pauseSetting) }
    do {
      engine = try ReminderEngine(config: config, library: library, pausedUntil: paused)
    } catch {
      throw CommandFailure(.configuration, error.description)
    }
  }
}

/// A UTC instant as `2026-12-07T09:30:00Z`.
func iso8601(_ date: Date) -> String { Timestamp.format(date) }

struct Due: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "due",
    abstract: "List the reminders that are due and why, and what is held back.",
    discussion: """
      Works out, from your [[reminders]] rules and the store, what is due now in your time zone \
      ([schedule] time_zone): nudges for promised introductions that have not happened, progress \
      updates and thanks to introducers, check-ins after a sale, tasks for your digest. Each line \
      says the rule, who, since when, whether it is late (more than one working day), and why \
      it is held when it is (outside working hours, a holiday, a pause, the fatigue guard). \
      Nothing is sent; 'intro remind --send' sends.

      Examples:
        intro due
        intro due --now 2026-12-07T09:30:00Z --json
      """)

  @OptionGroup var global: GlobalOptions
  @OptionGroup var clock: ClockOptions
  @OptionGroup var choice: TemplateOptions
  @Flag(help: "JSON for scripts.") var json = false

  func run() throws {
    try reporting { () throws(CommandFailure) -> ExitStatus in
      let setup = try ReminderSetup(global, choice)
      let now = try clock.moment()
      let plan = try storeCall { () throws(StoreError) in try setup.engine.plan(setup.store, now: now) }
      try showPlan(plan, setup: setup, json: json)
      return .ok
    }
  }
}

/// Prints a plan for a person (a table) or a script (JSON).
func showPlan(_ plan: ReminderPlan, setup: ReminderSetup, json: Bool) throws(CommandFailure) {
  let calendar = setup.engine.planner.calendar
  var rows: [DueJSON] = []
  let contacts = try storeCall { () throws(StoreError) in
    try setup.store.contacts(ids: Set(plan.due.map(\.contactID)))
  }
  // Each name worked out once per person, not once per reminder.
  let names = contacts.mapValues(\.displayName)
  for item in plan.due {
    let who = contacts[item.contactID]
    rows.append(
      DueJSON(
        rule: item.rule.name, to: item.rule.recipient.rawValue, template: item.rule.template,
        who: names[item.contactID] ?? "contact \(item.contactID)", email: who?.email,
        referral: item.referralID,
        dueSince: iso8601(item.dueAt), dueSinceLocal: calendar.localDate(item.dueAt), late: item.late,
        why: item.reason, held: item.hold?.text))
  }
  if json {
    printJSON(DuePlanJSON(now: iso8601(plan.now), held: plan.held, due: rows))
    return
  }
  if rows.isEmpty {
    print("nothing is due\(plan.held.map { " (now: \($0))" } ?? "")")
    return
  }
  let ruleWidth = min(28, rows.map(\.rule.count).max() ?? 4)
  let whoWidth = min(28, rows.map(\.who.count).max() ?? 3)
  print(pad("RULE", ruleWidth) + "  " + pad("WHO", whoWidth) + "  DUE SINCE   STATUS")
  for row in rows {
    let status = row.held.map { "held: \($0)" } ?? (row.late ? "due, late" : "due")
    print(
      pad(row.rule, ruleWidth) + "  " + pad(row.who, whoWidth) + "  " + row.dueSinceLocal + "  " + status
        + " — " + row.why)
  }
}

private struct DuePlanJSON: Encodable {
  var now: String
  var held: String?
  var due: [DueJSON]
}

private struct DueJSON: Encodable {
  var rule: String
  var to: String
  var template: String?
  var who: String
  var email: String?
  var referral: Int64?
  var dueSince: String
  var dueSinceLocal: String
  var late: Bool
  var why: String
  var held: String?
}

struct Remind: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "remind",
    abstract: "Send the reminders that are due (from cron), each exactly once.",
    discussion: """
      Without --send, shows what is due, like 'intro due'. With --send: takes the store's run lock, \
      records each due reminder's firing together with its message in one transaction (a firing \
      is unique per rule, subject and day, so no run can make it twice), then delivers them through \
      the same pipeline as 'intro send' (journal, resume, retries), with the rep's tasks in one \
      digest email to you. Just before each message goes, intro checks it still applies: a \
      nudge for an introduction that has happened is cancelled. Deferred reminder messages are \
      retried by the same run.

      On a team's PostgreSQL store ([store] url) each rep's remind works on the referrals that \
      rep owns (and those nobody owns); clients are the team's, so a client's check-in goes once, \
      from whichever rep's run finds it first. Runs on several hosts at once fire and send each \
      reminder once. 'intro pause' pauses only your own reminders there.

      Made for cron: one summary line with counts and nothing personal; exit 0 when everything \
      went, 75 when something waits (deferred, relay down, another run holds the lock), 65 when \
      a reminder's message could not be made (it is tried again next run).

      Examples:
        intro remind
        intro remind --send
        */15 * * * *  intro remind --send --wait 60      (crontab; the hours come from [schedule])
      """)

  @OptionGroup var global: GlobalOptions
  @OptionGroup var clock: ClockOptions
  @OptionGroup var choice: TemplateOptions
  @Flag(help: "Really send. Without it, show what is due.") var send = false
  @Flag(help: "JSON for scripts.") var json = false
  @Option(
    help: ArgumentHelp(
      "Seconds to wait for another send or remind on the same store. Default: [send] wait.",
      valueName: "seconds"))
  var wait: Double?

  func run() throws {
    try reporting { () throws(CommandFailure) -> ExitStatus in
      let setup = try ReminderSetup(global, choice)
      let now = try clock.moment()
      guard send else {
        let plan = try storeCall { () throws(StoreError) in try setup.engine.plan(setup.store, now: now) }
        try showPlan(plan, setup: setup, json: json)
        return .ok
      }
      var options = SendOptions()
      options.limit = nil
      options.messagesPerMinute = setup.config.send.messagesPerMinute.map(Double.init)
      var run = SendRun(store: setup.store, options: options, lockWait: wait ?? setup.config.send.lockWait)
      run.veto = setup.engine.veto(setup.store, now: now)
      var fired: ReminderFiring?
      var interrupt: InterruptHandler?
      var events = SendRun.Events()
      events.starting = { runner in interrupt = InterruptHandler { runner.stop() } }
      let outcome = try sendCall { () throws(SendError) in
        try run.perform(
          select: { () throws(SendError) in
            let firing: ReminderFiring
            do throws(StoreError) {
              firing = try setup.engine.fire(setup.store, now: now, command: "intro remind --send")
            } catch {
              throw .store(error)
            }
            fired = firing
            return firing.messageIDs.isEmpty ? .nothing("") : .messages(firing.messageIDs, batch: nil)
          },
          transport: { () throws(SendError) in
            do throws(ConfigError) {
              return try global.transportFactory(setup.config).makeTransport()
            } catch {
              throw .configuration(error)
            }
          }, events: events)
      }
      withExtendedLifetime(interrupt) {}
      return summarize(outcome, fired: fired)
    }
  }

  /// One line for cron: counts only, never a name or an address.
  private func summarize(_ outcome: SendOutcome, fired: ReminderFiring?) -> ExitStatus {
    var status = outcome.status
    var counts = SendCounts()
    var stop: String?
    if case .delivered(let summary) = outcome {
      counts = summary.report.counts
      stop = summary.stopReason
    }
    let problems = fired?.problems ?? []
    if !problems.isEmpty { status = status.worse(.dataError) }
    if json {
      printJSON(
        RemindJSON(
          fired: fired?.fired ?? 0, sent: counts.sent, deferred: counts.deferred, failed: counts.failed,
          uncertain: counts.uncertain, cancelled: counts.withheld, suppressed: counts.suppressed,
          problems: problems.count, stopped: stop, exitStatus: status.rawValue))
      return status
    }
    print(
      "remind: fired \(fired?.fired ?? 0), sent \(counts.sent), deferred \(counts.deferred), "
        + "failed \(counts.failed), uncertain \(counts.uncertain), cancelled \(counts.withheld), "
        + "suppressed \(counts.suppressed), problems \(problems.count)")
    if let stop { writeError("intro: \(stop)") }
    // The problems name the rule and the referral or contact id only: cron logs stay impersonal.
    for problem in problems.prefix(20) {
      writeError("intro: \(problem.source): \(problem.field) — see 'intro due'")
    }
    return status
  }
}

private struct RemindJSON: Encodable {
  var fired, sent, deferred, failed, uncertain, cancelled, suppressed, problems: Int
  var stopped: String?
  var exitStatus: Int32
}

struct Pause: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "pause",
    abstract: "Hold every reminder until a date (a holiday, a busy week).",
    discussion: """
      Nothing is sent by 'intro remind' before DATE (in your time zone); what falls due meanwhile \
      goes out from DATE on, one message per person per run, not in a burst. 'intro resume' ends \
      the pause early.

      Example:
        intro pause --until 2026-12-28
      """)

  @OptionGroup var global: GlobalOptions
  @Option(help: ArgumentHelp("The first day reminders go again, YYYY-MM-DD.", valueName: "date"))
  var until: String

  func validate() throws {
    let parts = until.split(separator: "-")
    guard until.count == 10, parts.count == 3, parts.allSatisfy({ $0.allSatisfy(\.isNumber) }) else {
      throw ValidationError("--until takes a date such as 2026-12-28")
    }
  }

  func run() throws {
    try reporting { () throws(CommandFailure) -> ExitStatus in
      let store = try global.openAnyStore(try global.loadConfig()).contract
      try storeCall { () throws(StoreError) in try store.setSetting(store.pauseSetting, to: until) }
      print("reminders are paused until \(until)")
      return .ok
    }
  }
}

struct Resume: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "resume", abstract: "End a pause: reminders go again from the next run.")

  @OptionGroup var global: GlobalOptions

  func run() throws {
    try reporting { () throws(CommandFailure) -> ExitStatus in
      let store = try global.openAnyStore(try global.loadConfig()).contract
      try storeCall { () throws(StoreError) in try store.setSetting(store.pauseSetting, to: nil) }
      print("reminders are on")
      return .ok
    }
  }
}

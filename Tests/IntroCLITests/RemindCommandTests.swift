import Foundation
import TestSupport
import Testing

/// A rep's store with reminder rules, a real relay, and `--now` as the clock.
struct RemindFixture {
  let intro: IntroCommand
  let referrals: Int

  /// `referrals` clients (`client0@example.org` …) each with a referral to a
  /// prospect, promised by `promisedBy` at `stage`.
  init(
    port: Int, referrals: Int = 1, promisedBy: String = "2026-12-07", stage: String = "promised",
    schedule: String = Self.weekdays, rules: String = Self.lateNudge, extra: String = ""
  ) throws {
    intro = try IntroCommand()
    self.referrals = referrals
    _ = try intro.writeConfig(
      """
      [rep]
      name = "Dana Rep"
      email = "dana@example.com"
      company = "Acme Analytics"
      [smtp]
      url = "smtp://127.0.0.1:\(port)"
      tls = "none"
      connect_timeout = 5
      response_timeout = 5
      \(extra)
      [schedule]
      \(schedule)
      \(rules)
      """)
    var csv = ["email,name,client"]
    for index in 0..<referrals {
      csv.append("client\(index)@example.org,Client \(index),yes")
      csv.append("prospect\(index)@example.net,Prospect \(index),no")
    }
    let file = intro.home.file("people.csv")
    try (csv.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
    let imported = try intro.run(["contact", "import", file])
    guard imported.status == 0 else { throw TestEnvironmentError("import: \(imported.stderr)") }
    for index in 0..<referrals {
      let added = try intro.run([
        "referral", "add", "--client", "client\(index)@example.org", "--prospect",
        "prospect\(index)@example.net",
        "--about", "Runs operations", "--why-me", "Quotes take a week", "--why-now", "A second office",
        "--how", "An email to both", "--promised-by", promisedBy, "--problem", "slow quotes", "--stage",
        stage,
      ])
      guard added.status == 0 else { throw TestEnvironmentError("referral add: \(added.stderr)") }
    }
  }

  static let weekdays = """
    time_zone = "Europe/London"
    working_days = ["mon", "tue", "wed", "thu", "fri"]
    working_hours = ["09:00", "17:30"]
    holidays = ["2026-12-25"]
    """

  /// Every hour of every day, in UTC: for tests about what fires, not when.
  static let always = """
    time_zone = "UTC"
    working_days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    working_hours = ["00:00", "24:00"]
    """

  static let lateNudge = """
    [[reminders]]
    name = "late-introduction"
    trigger = "promised_date_passed"
    delay = "1d"
    template = "nudge-late-intro"
    to = "client"
    """

  func remind(_ now: String, _ extra: String...) throws -> CommandOutput {
    try intro.run(["remind", "--send", "--now", now, "--wait", "30"] + extra)
  }

  /// `intro due --json` at `now`: each item's rule, who, late and held.
  func due(_ now: String) throws -> [[String: Any]] {
    let output = try intro.run(["due", "--json", "--now", now])
    guard output.status == 0,
      let plan = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any],
      let due = plan["due"] as? [[String: Any]]
    else { throw TestEnvironmentError("intro due failed: \(output.stderr)") }
    return due
  }

  func remove() { intro.remove() }
}

@Suite("intro remind from cron: the right nudge, on the right day, exactly once")
struct RemindCommandTests {
  @Test func aLateIntroductionNudgeFiresOnceAndNotAgainOverTheNextHundredRuns() throws {
    let sink = try SMTPSink()
    defer { sink.stop() }
    let rep = try RemindFixture(port: sink.port)
    defer { rep.remove() }

    let early = try rep.remind("2026-12-08T08:45:00Z")
    var statuses: [Int32] = []
    // Every 15 minutes from 09:00 on Tuesday 8 December, 100 times (past Wednesday evening).
    let start = try #require(ISO8601DateFormatter().date(from: "2026-12-08T09:00:00Z"))
    for run in 0..<100 {
      let now = ISO8601DateFormatter().string(from: start.addingTimeInterval(Double(run) * 900))
      statuses.append(try rep.remind(now).status)
    }

    #expect(early.status == 0)
    #expect(early.stdout.hasPrefix("remind: fired 0, sent 0"), "\(early.stdout)")
    #expect(statuses.allSatisfy { $0 == 0 })
    #expect(Received(sink).recipients == ["client0@example.org"])
  }

  @Test func aNudgeIsCancelledWhenTheIntroductionHappensAfterItFired() throws {
    let refusing = try SMTPSink(flags: ["-r", "RCPT"])
    let port = refusing.port
    let rep = try RemindFixture(port: port)
    defer { rep.remove() }

    // The nudge fires but the relay defers it; then the introduction happens.
    let deferred = try rep.remind("2026-12-08T10:00:00Z")
    refusing.stop()
    let introduced = try rep.intro.run(["referral", "set", "1", "--stage", "introduced"])
    let sink = try SMTPSink(port: port)
    defer { sink.stop() }
    let later = try rep.remind("2026-12-08T11:00:00Z")

    #expect(deferred.status == 75, "\(deferred.stdout)\(deferred.stderr)")
    #expect(introduced.status == 0)
    #expect(later.status == 0, "\(later.stdout)\(later.stderr)")
    #expect(Received(sink).recipients.isEmpty, "the nudge went after the introduction happened")
    let log = try rep.intro.run(["log", "--json"])
    #expect(log.stdout.contains("cancelled: the referral moved on to introduced"), "\(log.stdout)")
  }

  @Test func aProgressUpdateFiresThreeDaysAfterTheIntroductionEvenWhenCronSkippedADay() throws {
    let sink = try SMTPSink()
    defer { sink.stop() }
    let rep = try RemindFixture(
      port: sink.port, stage: "promised",
      schedule: RemindFixture.always,
      rules: """
        [[reminders]]
        name = "progress-update"
        trigger = "stage_entered"
        stage = "introduced"
        delay = "3d"
        template = "progress-update"
        """)
    defer { rep.remove() }
    #expect(try rep.intro.run(["referral", "set", "1", "--stage", "introduced"]).status == 0)
    let day: (Int) -> String = {
      ISO8601DateFormatter().string(from: Date().addingTimeInterval(Double($0) * 86_400))
    }

    let first = try rep.remind(day(1))
    let second = try rep.remind(day(2))
    // No run on day 3: cron was off.
    let fourth = try rep.remind(day(4))
    let fifth = try rep.remind(day(5))

    #expect([first, second].allSatisfy { $0.stdout.hasPrefix("remind: fired 0") })
    #expect(fourth.stdout.hasPrefix("remind: fired 1, sent 1"), "\(fourth.stdout)\(fourth.stderr)")
    #expect(fifth.stdout.hasPrefix("remind: fired 0"))
    #expect(Received(sink).recipients == ["client0@example.org"])
  }

  @Test func weekendsHolidaysAndAPauseHoldRemindersAndLateOnesSaySo() throws {
    let sink = try SMTPSink()
    defer { sink.stop() }
    // Promised by Wednesday 23 December: the nudge is due Thursday 24 at 09:00.
    let rep = try RemindFixture(port: sink.port, promisedBy: "2026-12-23")
    defer { rep.remove() }

    let christmas = try rep.due("2026-12-25T10:00:00Z")
    let saturday = try rep.remind("2026-12-26T10:00:00Z")
    let paused = try rep.intro.run(["pause", "--until", "2026-12-30"])
    let monday = try rep.remind("2026-12-28T10:00:00Z")
    let heldMonday = try rep.due("2026-12-28T10:00:00Z")
    let resumedDue = try rep.due("2026-12-30T10:00:00Z")
    let wednesday = try rep.remind("2026-12-30T10:00:00Z")

    #expect(christmas.first?["held"] as? String == "a holiday (2026-12-25)")
    #expect(saturday.stdout.hasPrefix("remind: fired 0, sent 0"), "\(saturday.stdout)")
    #expect(paused.status == 0)
    #expect(monday.stdout.hasPrefix("remind: fired 0"))
    #expect(heldMonday.first?["held"] as? String == "paused until 2026-12-30")
    // Thursday 24 to Wednesday 30: Monday 28, Tuesday 29 and Wednesday 30 are working days.
    #expect(resumedDue.first?["late"] as? Bool == true)
    #expect(wednesday.stdout.hasPrefix("remind: fired 1, sent 1"), "\(wednesday.stdout)")
    #expect(Received(sink).recipients == ["client0@example.org"])
  }

  @Test(arguments: [
    // Clocks go forward: 01:30 does not exist on 29 March in London; it fires at 02:30 BST.
    ("Europe/London", "01:30", "2026-03-28", "2026-03-29T00:00:00Z", "2026-03-29T01:30:00Z"),
    // Clocks go back: 01:30 happens twice on 25 October; it fires at the first.
    ("Europe/London", "01:30", "2026-10-24", "2026-10-25T00:00:00Z", "2026-10-25T00:30:00Z"),
    ("America/New_York", "02:30", "2026-03-07", "2026-03-08T06:00:00Z", "2026-03-08T07:30:00Z"),
    ("America/New_York", "01:30", "2026-10-31", "2026-11-01T04:30:00Z", "2026-11-01T05:30:00Z"),
  ])
  func aReminderDueInADSTGapOrOverlapFiresOnceAtItsDefinedTime(
    zone: String, start: String, promised: String, from: String, expected: String
  ) throws {
    let sink = try SMTPSink()
    defer { sink.stop() }
    let rep = try RemindFixture(
      port: sink.port, promisedBy: promised,
      schedule: """
        time_zone = "\(zone)"
        working_days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        working_hours = ["\(start)", "23:00"]
        """)
    defer { rep.remove() }
    let first = try #require(ISO8601DateFormatter().date(from: from))

    var firedAt: [String] = []
    // Every 15 minutes for three hours around the change.
    for run in 0..<12 {
      let now = ISO8601DateFormatter().string(from: first.addingTimeInterval(Double(run) * 900))
      if try rep.remind(now).stdout.hasPrefix("remind: fired 1") { firedAt.append(now) }
    }

    #expect(firedAt == [expected], "\(zone) \(promised)")
    #expect(Received(sink).recipients.count == 1)
  }

  @Test func tenOverlappingRunsSendEachFiringOnce() throws {
    let sink = try SMTPSink()
    defer { sink.stop() }
    let rep = try RemindFixture(port: sink.port, referrals: 20)
    defer { rep.remove() }

    let runs = try (0..<10).map { _ in
      try ChildProcess(
        TestFiles.introBinary, ["remind", "--send", "--now", "2026-12-08T10:00:00Z", "--wait", "60"],
        environment: rep.intro.environment)
    }
    defer { for run in runs { run.stop() } }
    let deadline = Date().addingTimeInterval(60)
    while runs.contains(where: \.process.isRunning) && Date() < deadline { usleep(20_000) }

    #expect(runs.allSatisfy { !$0.process.isRunning && $0.process.terminationStatus == 0 })
    let received = Received(sink).recipients
    #expect(received.count == 20)
    #expect(Set(received).count == 20)
  }

  @Test func killedFiftyTimesEachFiringsMessageGoesOnceOrIsListedUncertain() throws {
    let sink = try SMTPSink()
    defer { sink.stop() }
    // 80 nudges at 10 a second: a run is still sending when it is killed.
    let rep = try RemindFixture(
      port: sink.port, referrals: 80, extra: "[send]\nmessages_per_minute = 600")
    defer { rep.remove() }
    var generator = SystemRandomNumberGenerator()
    let arguments = ["remind", "--send", "--now", "2026-12-08T10:00:00Z", "--wait", "10"]
    // What a run costs before its first message: start, plan, render (the quickest of three).
    var setUp = UInt32.max
    for _ in 0..<3 {
      let started = Date()
      _ = try rep.intro.run(["remind", "--now", "2026-12-08T10:00:00Z"])
      setUp = min(setUp, UInt32(Date().timeIntervalSince(started) * 1_000_000))
    }
    var kills = 0
    var runs = 0
    while kills < 50 && runs < 200 {
      runs += 1
      let child = try ChildProcess(TestFiles.introBinary, arguments, environment: rep.intro.environment)
      usleep(UInt32.random(in: setUp / 2...setUp + 250_000, using: &generator))
      if child.process.isRunning { kills += 1 }
      child.stop()
    }
    var finished = false
    for _ in 0..<5 where !finished {
      let output = try rep.intro.run(arguments)
      finished = output.status == 0 || output.status == 76
    }

    #expect(kills >= 50, "killed \(kills) times in \(runs) runs")
    #expect(finished)
    let log = try rep.intro.run(["log", "--json", "--limit", "1000"])
    let messages = try #require(
      try JSONSerialization.jsonObject(with: Data(log.stdout.utf8)) as? [[String: Any]])
    #expect(messages.count == 80, "one message per firing")
    let uncertain = Set(
      messages.filter { $0["state"] as? String == "uncertain" }.compactMap { $0["recipient"] as? String })
    var copies: [String: Int] = [:]
    for recipient in Received(sink).recipients { copies[recipient, default: 0] += 1 }
    for index in 0..<80 {
      let recipient = "client\(index)@example.org"
      if uncertain.contains(recipient) {
        #expect((copies[recipient] ?? 0) <= 1, "\(recipient) got \(copies[recipient] ?? 0)")
      } else {
        #expect(copies[recipient] == 1, "\(recipient) got \(copies[recipient] ?? 0)")
      }
    }
  }

  @Test func theFatigueGuardHoldsASecondAskInsideThePeriodAndAllowsItAfter() throws {
    let sink = try SMTPSink()
    defer { sink.stop() }
    let rep = try RemindFixture(
      port: sink.port,
      schedule: RemindFixture.always,
      rules: """
        [[reminders]]
        name = "relationship-ask"
        trigger = "days_since_sale"
        delay = "1d"
        template = "relationship-ask"
        """)
    defer { rep.remove() }
    let yesterday = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-86_400)).prefix(10)
    #expect(
      try rep.intro.run(["contact", "edit", "client0@example.org", "--sale-closed-on", String(yesterday)])
        .status == 0)

    let asked = try rep.intro.run(["send", "intro-request", "--referral", "1", "--send"])
    let again = try rep.intro.run(["send", "intro-request", "--referral", "1"])
    let now = ISO8601DateFormatter().string(from: Date().addingTimeInterval(3600))
    let held = try rep.due(now)
    let heldRun = try rep.remind(now)
    let after = ISO8601DateFormatter().string(from: Date().addingTimeInterval(91 * 86_400))
    let allowed = try rep.remind(after)

    #expect(asked.status == 0, "\(asked.stderr)")
    #expect(again.status == 65)
    #expect(again.stderr.contains("the next ask is allowed from"), "\(again.stderr)")
    #expect((held.first?["held"] as? String)?.contains("next ask is allowed from") == true, "\(held)")
    #expect(heldRun.stdout.hasPrefix("remind: fired 0"))
    #expect(allowed.stdout.hasPrefix("remind: fired 1, sent 1"), "\(allowed.stdout)\(allowed.stderr)")
    #expect(Received(sink).recipients == ["client0@example.org", "client0@example.org"])
    let exported = try rep.intro.run(["contact", "export"])
    #expect(exported.stdout.contains("ask: intro-request"), "every sent ask is a touch")
    #expect(exported.stdout.contains("ask: relationship-ask"))
  }

  @Test func aRunFromCronWithAnEmptyEnvironmentSendsTheSameAndPrintsNoAddress() throws {
    let sink = try SMTPSink()
    defer { sink.stop() }
    let rep = try RemindFixture(port: sink.port, referrals: 2)
    defer { rep.remove() }
    let preview = try rep.intro.run(["remind", "--now", "2026-12-08T10:00:00Z"])

    let cron = try runCommand(
      "/usr/bin/env",
      [
        "-i", "PATH=/usr/bin:/bin", "LANG=C", "HOME=\(rep.intro.home.path)",
        "XDG_CONFIG_HOME=\(rep.intro.home.file("config"))", "XDG_DATA_HOME=\(rep.intro.home.file("data"))",
        "/bin/sh", "-c", "cd / && exec \"$0\" remind --send --now 2026-12-08T10:00:00Z",
        TestFiles.introBinary,
      ])

    #expect(preview.stdout.contains("Client 0"), "\(preview.stdout)")
    #expect(cron.status == 0, "\(cron.stderr)")
    #expect(
      cron.stdout
        == "remind: fired 2, sent 2, deferred 0, failed 0, uncertain 0, cancelled 0, suppressed 0, problems 0\n"
    )
    #expect(!(cron.stdout + cron.stderr).contains("@"))
    #expect(Set(Received(sink).recipients) == ["client0@example.org", "client1@example.org"])
  }
}

import Foundation
import Synchronization
import TestSupport
import Testing

/// A rep's batch against a real relay: configuration, a CSV of recipients, what the relay got.
struct SendFixture {
  let intro: IntroCommand
  let csv: String

  /// A home with `[smtp]` pointing at 127.0.0.1:`port` and a CSV of `rows` recipients;
  /// `badRow` (0-based) gets an address that is not one.
  init(port: Int, rows: Int, badRow: Int? = nil, smtpExtra: String = "", sendExtra: String = "") throws {
    intro = try IntroCommand()
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
      \(smtpExtra.contains("response_timeout") ? "" : "response_timeout = 5")
      \(smtpExtra)
      [send]
      \(sendExtra)
      """)
    var lines = ["email,name,company"]
    for row in 0..<rows {
      lines.append(
        "\(row == badRow ? "client\(row)@" : "client\(row)@example.org"),Client \(row),Company \(row)")
    }
    csv = intro.home.file("clients.csv")
    try (lines.joined(separator: "\n") + "\n").write(toFile: csv, atomically: true, encoding: .utf8)
  }

  /// `intro send thank-you-business --csv clients.csv` with `extra` arguments.
  var sendArguments: [String] { ["send", "thank-you-business", "--csv", csv] }

  func send(_ extra: String...) throws -> CommandOutput {
    try intro.run(sendArguments + extra)
  }

  /// `intro log --json` (with `extra` filters), decoded.
  func log(_ extra: String...) throws -> [[String: Any]] {
    let output = try intro.run(["log", "--json"] + extra)
    guard output.status == 0,
      let list = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [[String: Any]]
    else { throw TestEnvironmentError("intro log failed: \(output.stderr)") }
    return list
  }

  func states() throws -> [String: Int] {
    var counts: [String: Int] = [:]
    for message in try log() { counts[message["state"] as? String ?? "?", default: 0] += 1 }
    return counts
  }

  func remove() { intro.remove() }
}

/// What smtp-sink dumped: one envelope recipient and one Message-ID per transaction.
struct Received {
  var recipients: [String] = []
  var messageIDs: [String] = []

  init(_ sink: SMTPSink) {
    for dump in sink.dumps() {
      for line in dump.split(separator: "\n", omittingEmptySubsequences: false) {
        let text = line.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("X-Rcpt-Args: <") {
          recipients.append(String(text.dropFirst(14).prefix(while: { $0 != ">" })))
        } else if text.hasPrefix("Message-ID: <") {
          messageIDs.append(String(text.dropFirst(13).prefix(while: { $0 != ">" })))
          break
        }
      }
    }
  }
}

@Suite("intro send: safe batches, resumable, never twice")
struct SendCommandTests {
  @Test func dryRunShowsTheFirstMessageAndSendsNothing() throws {
    let server = try TestSMTPServer()
    defer { server.stop() }
    let batch = try SendFixture(port: server.port, rows: 3)
    defer { batch.remove() }

    let output = try batch.send()

    #expect(output.status == 0, "\(output.stderr)")
    #expect(output.stdout.contains("3 messages would be sent; nothing was sent"))
    #expect(output.stdout.contains("To: client0@example.org"))
    #expect(output.stdout.contains("Hi Client,"))
    #expect(output.stdout.contains("--send"))
    #expect(server.count("connect") == 0)
    #expect(try batch.log().isEmpty)
  }

  @Test func oneBadRowOfAHundredStopsTheBatchBeforeAnyConnection() throws {
    let server = try TestSMTPServer()
    defer { server.stop() }
    let batch = try SendFixture(port: server.port, rows: 100, badRow: 56)
    defer { batch.remove() }

    let output = try batch.send("--send", "--no-limit")

    #expect(output.status == 65, "\(output.stderr)")
    #expect(output.stderr.contains("1 problem; nothing was sent"))
    // Row 56 is on line 58: the header is line 1.
    let row = try #require(output.stderr.split(separator: "\n").first { $0.contains("line 58") })
    #expect(row.contains("To"))
    #expect(server.count("connect") == 0)
    #expect(try batch.log().isEmpty, "nothing is stored for a refused batch")
  }

  @Test func missingValueAndDoNotContactAreListedWithTheirRows() throws {
    let server = try TestSMTPServer()
    defer { server.stop() }
    let batch = try SendFixture(port: server.port, rows: 0)
    defer { batch.remove() }
    try "email,name\nann@example.org,Ann\n,Bob\ncarl@example.org,Carl\n".write(
      toFile: batch.csv, atomically: true, encoding: .utf8)
    #expect(try batch.intro.run(["contact", "suppress", "carl@example.org"]).status == 0)

    let output = try batch.send("--send")

    #expect(output.status == 65)
    let lines = output.stderr.split(separator: "\n")
    #expect(lines.contains { $0.contains("line 3") && $0.contains("client.email") })
    #expect(lines.contains { $0.contains("line 4") && $0.contains("carl@example.org") })
    #expect(server.count("connect") == 0)
  }

  @Test func theSamePersonTwiceInOneBatchIsAProblemNamingBothRows() throws {
    let server = try TestSMTPServer()
    defer { server.stop() }
    let batch = try SendFixture(port: server.port, rows: 0)
    defer { batch.remove() }
    try "email,name\nann@example.org,Ann\nbob@example.org,Bob\nAnn@EXAMPLE.org,Ann again\n".write(
      toFile: batch.csv, atomically: true, encoding: .utf8)

    let output = try batch.send("--send")

    #expect(output.status == 65)
    #expect(
      output.stderr.split(separator: "\n").contains { $0.contains("line 4") && $0.contains("from line 2") })
    #expect(server.count("connect") == 0)
  }

  @Test func limitStopsTheBatchAndRerunsGoOnWithoutSendingTwice() throws {
    let sink = try SMTPSink()
    defer { sink.stop() }
    let batch = try SendFixture(port: sink.port, rows: 5)
    defer { batch.remove() }

    let first = try batch.send("--send")
    #expect(first.status == 0, "\(first.stderr)")
    #expect(first.stdout.contains("sent 1,"))
    #expect(first.stdout.contains("4 still to send"))
    #expect(first.stdout.contains("intro send --resume 1 --send"))
    #expect(Received(sink).recipients.count == 1)

    let second = try batch.send("--send", "--no-limit")
    #expect(second.status == 0, "\(second.stderr)")
    #expect(second.stdout.contains("sent 4,"))

    let third = try batch.send("--send", "--no-limit")
    #expect(third.status == 0)
    #expect(third.stdout.contains("nothing to send"))

    let received = Received(sink)
    #expect(received.recipients.sorted() == (0..<5).map { "client\($0)@example.org" }.sorted())
    #expect(Set(received.messageIDs).count == 5)
    #expect(try batch.states() == ["sent": 5])
    // The log tells each message's story, and finds it by recipient, batch, state and age.
    #expect(
      try batch.log("--to", "Client3@Example.org").map { $0["recipient"] as? String } == [
        "client3@example.org"
      ])
    #expect(try batch.log("--batch", "1", "--state", "sent", "--since", "1h").count == 5)
    #expect(try batch.log("--since", "2026-01-01", "--state", "deferred").isEmpty)
    let text = try batch.intro.run(["log", "--to", "client3@example.org"]).stdout
    #expect(text.contains("sent client3@example.org batch 1 <"))
    #expect(text.contains("delivered at done 250"))
  }

  @Test func resumeByBatchNumberSendsTheRest() throws {
    let sink = try SMTPSink()
    defer { sink.stop() }
    let batch = try SendFixture(port: sink.port, rows: 4)
    defer { batch.remove() }
    #expect(try batch.send("--send", "--limit", "2").status == 0)

    let dryRun = try batch.intro.run(["send", "--resume", "1"])
    #expect(dryRun.stdout.contains("2 messages would be sent from batch 1"))
    let output = try batch.intro.run(["send", "--resume", "1", "--send", "--no-limit"])

    #expect(output.status == 0, "\(output.stderr)")
    #expect(Received(sink).recipients.count == 4)
    #expect(try batch.states() == ["sent": 4])
  }

  struct Fault: Sendable, CustomTestStringConvertible {
    let flags: [String]
    let state: String
    let status: Int32
    var testDescription: String { "\(flags.joined(separator: " ")) → \(state)" }
  }

  static let faults: [Fault] = [
    Fault(flags: ["-r", "RCPT"], state: "deferred", status: 75),
    Fault(flags: ["-f", "RCPT"], state: "failed", status: 69),
    Fault(flags: ["-Q", "RCPT"], state: "deferred", status: 75),
    Fault(flags: ["-r", "DATA"], state: "deferred", status: 75),
    Fault(flags: ["-f", "DATA"], state: "failed", status: 69),
    Fault(flags: ["-r", "."], state: "deferred", status: 75),
    Fault(flags: ["-f", "."], state: "failed", status: 69),
    Fault(flags: ["-q", "."], state: "uncertain", status: 76),
    Fault(flags: ["-W", ".:4"], state: "uncertain", status: 76),
  ]

  @Test(arguments: faults)
  func aFailureAtEachStageLeavesTheDesignedState(_ fault: Fault) throws {
    let sink = try SMTPSink(flags: fault.flags)
    defer { sink.stop() }
    let batch = try SendFixture(port: sink.port, rows: 2, smtpExtra: "response_timeout = 1")
    defer { batch.remove() }

    let output = try batch.send("--send", "--no-limit")

    #expect(output.status == fault.status, "\(output.stdout)\(output.stderr)")
    #expect(try batch.states() == [fault.state: 2])
    let message = try #require(try batch.log().first)
    let attempts = try #require(message["attempts"] as? [[String: Any]])
    #expect(attempts.count == 1)
    if fault.state == "deferred" {
      #expect(message["nextAttemptAt"] != nil)
      #expect((attempts[0]["smtpCode"] as? Int).map { (400..<500).contains($0) } == true)
      #expect(output.stdout.contains("intro send --retry --send"))
    }
    if fault.state == "failed" {
      #expect((attempts[0]["smtpCode"] as? Int).map { (500..<600).contains($0) } == true)
    }
    if fault.state == "uncertain" {
      #expect(output.stdout.contains("intro resolve"))
    }
  }

  /// A batch of `rows` sent to a relay that hangs up after each final dot (`-q .`): every message
  /// is uncertain. The caller stops the sink and removes the batch.
  func batchLeftUncertain(rows: Int) throws -> (
    port: Int, sink: SMTPSink, batch: SendFixture, uncertain: [[String: Any]]
  ) {
    let port = try freePort()
    let sink = try SMTPSink(flags: ["-q", "."], port: port)
    do {
      let batch = try SendFixture(port: port, rows: rows)
      #expect(try batch.send("--send", "--no-limit").status == 76)
      return (port, sink, batch, try batch.log("--state", "uncertain"))
    } catch {
      sink.stop()
      throw error
    }
  }

  @Test func uncertainMessagesAreResolvedByHandAndResentByRetry() throws {
    let (port, hangingUp, batch, uncertain) = try batchLeftUncertain(rows: 2)
    var sink: SMTPSink? = hangingUp
    defer { sink?.stop() }
    defer { batch.remove() }
    #expect(uncertain.count == 2)
    let first = try #require(uncertain.first?["id"] as? Int)
    let second = try #require(uncertain.last?["messageID"] as? String)

    #expect(try batch.intro.run(["resolve", String(first), "--sent"]).status == 0)
    #expect(try batch.intro.run(["resolve", "<\(second)>", "--resend"]).status == 0)
    let again = try batch.intro.run(["resolve", String(first), "--sent"])

    #expect(again.status == 65)
    #expect(again.stderr.contains("not uncertain"))
    #expect(try batch.states() == ["sent": 1, "deferred": 1])

    // The relay works again: --retry sends the one queued again, with its Message-ID unchanged.
    sink?.stop()
    sink = try SMTPSink(port: port)
    let retry = try batch.intro.run(["send", "--retry", "--send"])
    #expect(retry.status == 0, "\(retry.stderr)")
    #expect(Received(try #require(sink)).messageIDs == [second])
    #expect(try batch.states() == ["sent": 2])
  }

  @Test func aWholeBatchOfUncertainMessagesIsResolvedAtOnce() throws {
    let (port, hangingUp, batch, uncertain) = try batchLeftUncertain(rows: 3)
    var sink: SMTPSink? = hangingUp
    defer { sink?.stop() }
    defer { batch.remove() }
    let batchNumber = try #require(uncertain.first?["batchID"] as? Int)

    let resent = try batch.intro.run(["resolve", "--batch", String(batchNumber), "--resend"])
    let again = try batch.intro.run(["resolve", "--batch", String(batchNumber), "--sent"])
    let missing = try batch.intro.run(["resolve", "--batch", "99", "--sent"])

    #expect(resent.status == 0, "\(resent.stderr)")
    #expect(resent.stdout.contains("3 uncertain messages queued again"))
    #expect(again.stdout.contains("has no uncertain message"))
    #expect(missing.status != 0)
    #expect(missing.stderr.contains("no batch 99"))
    #expect(try batch.states() == ["deferred": 3])
    sink?.stop()
    sink = try SMTPSink(port: port)
    #expect(try batch.intro.run(["send", "--retry", "--send", "--no-limit"]).status == 0)
    #expect(
      Set(Received(try #require(sink)).messageIDs) == Set(uncertain.compactMap { $0["messageID"] as? String })
    )
  }

  @Test func aRelayWithoutSTARTTLSStopsTheBatchAsAConfigurationError() throws {
    let sink = try SMTPSink()
    defer { sink.stop() }
    let batch = try SendFixture(port: sink.port, rows: 5, smtpExtra: "parallel = 1")
    defer { batch.remove() }
    // STARTTLS required (the default), and smtp-sink does not offer it.
    let config = batch.intro.home.file("config/intro/config.toml")
    try String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(of: "tls = \"none\"", with: "")
      .write(toFile: config, atomically: true, encoding: .utf8)
    chmod(config, 0o600)

    let output = try batch.send("--send", "--no-limit")

    #expect(output.status == 78, "\(output.stdout)\(output.stderr)")
    #expect(output.stderr.contains("3 connection failures in a row"))
    #expect(try batch.states() == ["pending": 5])
    #expect(Received(sink).recipients.isEmpty)
  }

  @Test func relayDownStopsAfterThreeFailuresAndALaterRunSendsEverything() throws {
    let port = try freePort()
    let batch = try SendFixture(port: port, rows: 6, smtpExtra: "parallel = 1")
    defer { batch.remove() }

    let down = try batch.send("--send", "--no-limit")

    #expect(down.status == 75, "\(down.stdout)\(down.stderr)")
    #expect(down.stderr.contains("3 connection failures in a row"))
    #expect(try batch.states() == ["pending": 6])
    let tried = try batch.log().compactMap { ($0["attempts"] as? [Any])?.count }.reduce(0, +)
    #expect(tried == 3, "three attempts are logged; the rest were left untouched")

    let sink = try SMTPSink(port: port)
    defer { sink.stop() }
    let up = try batch.send("--send", "--no-limit")

    #expect(up.status == 0, "\(up.stderr)")
    #expect(Received(sink).recipients.count == 6)
    #expect(try batch.states() == ["sent": 6])
  }

  @Test func aRefusedGreetingLeavesTheBatchAsItWasForTheNextRun() throws {
    let refusing = try SMTPSink(flags: ["-f", "CONNECT"])
    let port = refusing.port
    let batch = try SendFixture(port: port, rows: 20, smtpExtra: "parallel = 1")
    defer { batch.remove() }

    let refused = try batch.send("--send", "--no-limit")
    refusing.stop()
    let sink = try SMTPSink(port: port)
    defer { sink.stop() }
    let again = try batch.send("--send", "--no-limit")

    #expect(refused.status == 78, "\(refused.stderr)")
    #expect(refused.stderr.contains("3 connection failures in a row"), "\(refused.stderr)")
    #expect(refused.stderr.contains("greeting"), "\(refused.stderr)")
    #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
    #expect(!again.stdout.contains("nothing to send"))
    #expect(Received(sink).recipients.count == 20)
    #expect(try batch.states() == ["sent": 20])
  }

  @Test func aSecondSendOnTheSameStoreWaitsOrSaysAlreadyRunning() throws {
    let sink = try SMTPSink()
    defer { sink.stop() }
    let batch = try SendFixture(port: sink.port, rows: 3)
    defer { batch.remove() }
    // Hold the run lock as a running send would.
    let lockPath = batch.intro.home.file("data/intro/intro.sqlite.lock")
    try FileManager.default.createDirectory(
      atPath: batch.intro.home.file("data/intro"), withIntermediateDirectories: true)
    let fd = open(lockPath, O_RDWR | O_CREAT, 0o600)
    #expect(flock(fd, LOCK_EX) == 0)

    let busy = try batch.send("--send", "--wait", "0.3")
    close(fd)
    let free = try batch.send("--send", "--no-limit", "--wait", "0")

    #expect(busy.status == 75)
    #expect(busy.stderr.contains("already running"))
    #expect(free.status == 0, "\(free.stderr)")
    #expect(Received(sink).recipients.count == 3)
  }

  @Test func twoSendsAtOnceSendEachRecipientOnce() throws {
    let sink = try SMTPSink()
    defer { sink.stop() }
    let batch = try SendFixture(port: sink.port, rows: 200, smtpExtra: "parallel = 2")
    defer { batch.remove() }
    _ = try batch.intro.run(["init"])

    let outputs = Mutex<[CommandOutput]>([])
    DispatchQueue.concurrentPerform(iterations: 2) { _ in
      if let output = try? batch.send("--send", "--no-limit", "--wait", "60") {
        outputs.withLock { $0.append(output) }
      }
    }

    let results = outputs.withLock { $0 }
    #expect(results.count == 2)
    #expect(results.allSatisfy { $0.status == 0 }, "\(results.map(\.stderr))")
    let received = Received(sink)
    #expect(received.recipients.count == 200)
    #expect(Set(received.recipients).count == 200)
    #expect(try batch.states() == ["sent": 200])
  }

  @Test func ctrlCStopsAfterTheMessagesInFlightAndTheRestWait() throws {
    let sink = try SMTPSink()
    defer { sink.stop() }
    // Ten messages a second: the run is mid-batch when it is interrupted.
    let batch = try SendFixture(
      port: sink.port, rows: 100, smtpExtra: "parallel = 2", sendExtra: "messages_per_minute = 600")
    defer { batch.remove() }
    let child = try ChildProcess(
      TestFiles.introBinary, batch.sendArguments + ["--send", "--no-limit", "--json"],
      environment: batch.intro.environment)
    defer { child.stop() }
    usleep(1_500_000)

    kill(child.process.processIdentifier, SIGINT)
    let deadline = Date().addingTimeInterval(10)
    while child.process.isRunning && Date() < deadline { usleep(20_000) }

    #expect(!child.process.isRunning, "a polite stop takes one message, not the batch")
    #expect(child.process.terminationStatus == 75)
    var output: [String] = []
    while let line = child.readLine(timeout: 5) { output.append(line) }
    let summary = try #require(
      try JSONSerialization.jsonObject(with: Data(output.joined(separator: "\n").utf8)) as? [String: Any])
    let sent = try #require(summary["sent"] as? Int)
    #expect(sent > 0 && sent < 100)
    #expect(summary["remaining"] as? Int == 100 - sent)
    #expect((summary["stopped"] as? String)?.hasPrefix("interrupted") == true)
    let states = try batch.states()
    #expect(states["sent"] == sent)
    #expect(states["pending"] == 100 - sent)
    #expect(Received(sink).recipients.count == sent)
  }

  @Test func aTerminalSeesAProgressBarAndAScriptSeesOneLine() throws {
    let sink = try SMTPSink()
    defer { sink.stop() }
    let batch = try SendFixture(port: sink.port, rows: 300)
    defer { batch.remove() }
    // `script` runs intro on a pseudo-terminal, as a rep's shell would.
    let command = (batch.sendArguments + ["--send", "--limit", "150"]).map(shellQuote).joined(separator: " ")
    let terminal = try runCommand(
      "/usr/bin/script", ["-q", "-e", "-c", "\(TestFiles.introBinary) \(command)", "/dev/null"],
      environment: batch.intro.environment)
    let piped = try batch.send("--send", "--no-limit")

    #expect(terminal.status == 0, "\(terminal.stdout)")
    #expect(terminal.stdout.contains("\r["))
    #expect(terminal.stdout.contains("/150 sent"))
    #expect(piped.status == 0)
    #expect(!piped.stdout.contains("\r") && !piped.stderr.contains("\r"))
    #expect(piped.stdout.split(separator: "\n").first?.hasPrefix("batch 1: sent 150, deferred 0") == true)
  }

  private func shellQuote(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }
}

@Suite("intro send to the store's own people")
struct SendFromStoreTests {
  /// A home with a rep, no [smtp] (the outbox), and Chris (client) who introduced Pat.
  func home() throws -> IntroCommand {
    let intro = try IntroCommand()
    _ = try intro.writeConfig(
      "[rep]\nname = \"Dana Rep\"\nemail = \"dana@example.com\"\ncompany = \"Acme Analytics\"\n")
    for arguments in [
      ["contact", "add", "chris@example.com", "--name", "Chris Client", "--client", "--satisfaction", "9"],
      ["contact", "add", "sam@example.com", "--name", "Sam Lukewarm", "--client", "--satisfaction", "5"],
      ["contact", "add", "gone@example.com", "--name", "Gone Away", "--client", "--satisfaction", "10"],
      ["contact", "suppress", "gone@example.com"],
      ["contact", "add", "pat@northwind.example", "--name", "Pat Prospect", "--company", "Northwind"],
      [
        "referral", "add", "--client", "chris@example.com", "--prospect", "pat@northwind.example",
        "--why-now", "opening a second office", "--problem", "slow quotes", "--problem", "manual reports",
      ],
    ] {
      let output = try intro.run(arguments)
      guard output.status == 0 else { throw TestEnvironmentError("\(arguments): \(output.stderr)") }
    }
    return intro
  }

  @Test func aReferralThankYouGoesToTheIntroducerAboutTheProspect() throws {
    let intro = try home()
    defer { intro.remove() }

    let output = try intro.run(["send", "thank-you-intro", "--referral", "1", "--send"])

    #expect(output.status == 0, "\(output.stderr)")
    #expect(output.stdout.contains("sent 1,"))
    let outbox = intro.home.file("data/intro/outbox")
    let files = try FileManager.default.contentsOfDirectory(atPath: outbox)
    #expect(files.count == 1)
    let message = try String(contentsOfFile: outbox + "/" + files[0], encoding: .utf8)
    #expect(
      message.contains("To: Chris Client <chris@example.com>") || message.contains("To: chris@example.com"))
    #expect(message.contains("Thank you for introducing me to Pat."))
    #expect(message.contains("Hi Chris,"))
  }

  @Test func clientsWhereFiltersAndLeavesOutDoNotContact() throws {
    let intro = try home()
    defer { intro.remove() }

    let happy = try intro.run(["send", "check-in", "--clients", "--where", "satisfaction>=8"])
    let all = try intro.run(["send", "check-in", "--clients"])
    let badFilter = try intro.run(["send", "check-in", "--clients", "--where", "shoe_size=9"])

    #expect(happy.status == 0, "\(happy.stderr)")
    #expect(happy.stdout.contains("1 message would be sent"))
    #expect(happy.stdout.contains("To: chris@example.com"))
    #expect(all.stdout.contains("2 messages would be sent"))
    #expect(badFilter.status == 64)
    #expect(badFilter.stderr.contains("neither a contact field"))
  }

  @Test func oneContactByAddressAndASuppressedOneIsRefused() throws {
    let intro = try home()
    defer { intro.remove() }

    let chris = try intro.run(["send", "check-in", "--to", "chris@example.com"])
    let gone = try intro.run(["send", "check-in", "--to", "gone@example.com", "--send"])

    #expect(chris.status == 0)
    #expect(chris.stdout.contains("1 message would be sent"))
    #expect(gone.status == 65)
    #expect(gone.stderr.contains("do-not-contact"))
    #expect(!FileManager.default.fileExists(atPath: intro.home.file("data/intro/outbox")))
  }
}

import Foundation
import TestSupport
import Testing

/// Starts a sending run again and again and SIGKILLs it at a random moment:
/// from inside its start-up (storing the batch, recovering) to a few messages in.
struct KillCampaign {
  let arguments: [String]
  let environment: [String: String]
  /// The quickest start-up seen, in microseconds: what a run pays before its first message.
  let setUp: UInt32

  /// Measures the start-up with `dryRun` (the quickest of three, so a moment of
  /// load on the machine does not stretch every delay).
  init(arguments: [String], environment: [String: String], dryRun: () throws -> CommandOutput) throws {
    self.arguments = arguments
    self.environment = environment
    var quickest = UInt32.max
    for _ in 0..<3 {
      let started = Date()
      let output = try dryRun()
      #expect(output.status == 0, "\(output.stderr)")
      quickest = min(quickest, UInt32(Date().timeIntervalSince(started) * 1_000_000))
    }
    setUp = quickest
  }

  /// Kills runs until `kills` of them were killed while still running (at most `maxRuns` runs).
  func run(kills wanted: Int = 50, maxRuns: Int = 200) throws -> (kills: Int, runs: Int) {
    var generator = SystemRandomNumberGenerator()
    var kills = 0
    var runs = 0
    while kills < wanted && runs < maxRuns {
      runs += 1
      let child = try ChildProcess(TestFiles.introBinary, arguments, environment: environment)
      usleep(UInt32.random(in: setUp / 2...setUp + 200_000, using: &generator))
      if child.process.isRunning { kills += 1 }
      child.stop()  // SIGKILL
    }
    return (kills, runs)
  }

  /// A copy of the configuration without the campaign's slow rate, to finish at full speed.
  static func fullSpeedConfig(_ intro: IntroCommand) throws -> String {
    let configuration = intro.home.file("config/intro/config.toml")
    let fast = intro.home.file("fast.toml")
    try String(contentsOfFile: configuration, encoding: .utf8)
      .replacingOccurrences(of: "messages_per_minute = 1200", with: "")
      .write(toFile: fast, atomically: true, encoding: .utf8)
    chmod(fast, 0o600)
    return fast
  }

  /// Every one of the fixture's `rows` recipients got exactly one message,
  /// or at most one when its message is `uncertain`; no Message-ID twice.
  static func expectEachRecipientOnce(_ received: Received, rows: Int, uncertain: Set<String>) {
    #expect(Set(received.messageIDs).count == received.messageIDs.count, "no Message-ID twice")
    var copies: [String: Int] = [:]
    for recipient in received.recipients { copies[recipient, default: 0] += 1 }
    for row in 0..<rows {
      let recipient = "client\(row)@example.org"
      if uncertain.contains(recipient) {
        #expect((copies[recipient] ?? 0) <= 1, "\(recipient) got \(copies[recipient] ?? 0) copies")
      } else {
        #expect(copies[recipient] == 1, "\(recipient) got \(copies[recipient] ?? 0) copies")
      }
    }
  }
}

@Suite("intro send killed at random moments: none lost, none sent twice")
struct CrashCampaignTests {
  @Test func killedFiftyTimesEveryRecipientGetsExactlyOneMessage() throws {
    let sink = try SMTPSink()
    defer { sink.stop() }
    // 20 messages a second over 2 connections, so a run is still sending when it is killed;
    // at that rate a run sends at most a handful, so the batch outlasts 50 kills.
    let batch = try SendFixture(
      port: sink.port, rows: 300, smtpExtra: "parallel = 2", sendExtra: "messages_per_minute = 1200")
    defer { batch.remove() }
    let arguments = batch.sendArguments + ["--send", "--no-limit", "--wait", "10"]
    let campaign = try KillCampaign(arguments: arguments, environment: batch.intro.environment) {
      try batch.send()
    }
    let (kills, runs) = try campaign.run()
    let receivedWhileKilling = Received(sink).recipients.count
    // Then at full speed until nothing is left.
    let fast = try KillCampaign.fullSpeedConfig(batch.intro)
    var finished = false
    for _ in 0..<5 where !finished {
      let output = try batch.intro.run(arguments + ["--config", fast])
      #expect([0, 76].contains(output.status), "\(output.stdout)\(output.stderr)")
      finished = try batch.states().keys.allSatisfy { $0 == "sent" || $0 == "uncertain" }
    }

    #expect(kills >= 50, "killed \(kills) times in \(runs) runs")
    let finalStates = try batch.states()
    #expect(finished, "\(finalStates)")
    let stored = try batch.log()
    #expect(stored.count == 300, "every recipient has its message")
    let uncertain = Set(
      stored.filter { $0["state"] as? String == "uncertain" }.compactMap { $0["recipient"] as? String })
    let received = Received(sink)
    KillCampaign.expectEachRecipientOnce(received, rows: 300, uncertain: uncertain)
    // The rep can find every uncertain message, with its Message-ID, to settle it.
    let listed = try batch.intro.run(["log", "--state", "uncertain"])
    for message in stored where message["state"] as? String == "uncertain" {
      let id = try #require(message["messageID"] as? String)
      #expect(listed.stdout.contains("<\(id)>"))
    }
    print(
      "crash campaign: \(kills) kills in \(runs) runs; \(receivedWhileKilling) received while killing, "
        + "\(received.recipients.count) in all; \(uncertain.count) uncertain")
  }
}

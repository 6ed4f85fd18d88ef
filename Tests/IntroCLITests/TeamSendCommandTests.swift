import Foundation
import TestSupport
import Testing

/// Stored batches sent from a team's PostgreSQL store (a throwaway cluster on
/// 127.0.0.1) to Postfix's smtp-sink: several runs at once, a lost connection.
@Suite("intro send on a PostgreSQL store: each message once")
struct TeamSendCommandTests {
  let server: PostgresServer

  init() throws {
    server = try PostgresServer.shared.get()
  }

  /// A batch of `rows` stored (one sent) in a rep's SQLite file, copied to a new
  /// team database, and the configuration switched to it; returns the database name.
  func batchOnTeamStore(_ batch: SendFixture, rows: Int, on server: PostgresServer? = nil) throws -> String {
    let server = server ?? self.server
    let stored = try batch.send("--send", "--limit", "1")
    #expect(stored.status == 0, "\(stored.stderr)")
    let url = try server.newDatabase()
    let copied = try batch.intro.run(
      ["store", "copy", "--to", url], extraEnvironment: server.clientEnvironment)
    #expect(copied.status == 0, "\(copied.stderr)")
    #expect(copied.stdout.contains("messages                 \(rows) -> \(rows)"))
    let configuration = batch.intro.home.file("config/intro/config.toml")
    let text = try String(contentsOfFile: configuration, encoding: .utf8)
    try (text + "\n[store]\nurl = \"\(url)\"\n").write(
      toFile: configuration, atomically: true, encoding: .utf8)
    return String(url.split(separator: "/").last!.split(separator: "?").first!)
  }

  /// Message states in the team database.
  func states(_ database: String, on server: PostgresServer? = nil) throws -> [String: Int] {
    var counts: [String: Int] = [:]
    for line in try (server ?? self.server).sql(
      "SELECT state || '=' || count(*) FROM messages GROUP BY state", database: database
    )
    .split(separator: "\n") {
      let parts = line.split(separator: "=")
      counts[String(parts[0])] = Int(parts[1])
    }
    return counts
  }

  @Test func fourRunsAtOnceOnOneTeamStoreSendEachMessageOnce() throws {
    let sink = try SMTPSink()
    defer { sink.stop() }
    // 50 messages a second per run, so one run alone would take 4 s and the four overlap.
    let batch = try SendFixture(
      port: sink.port, rows: 200, smtpExtra: "parallel = 2", sendExtra: "messages_per_minute = 3000")
    defer { batch.remove() }
    let database = try batchOnTeamStore(batch, rows: 200)

    let environment = batch.intro.environment.merging(server.clientEnvironment) { $1 }
    let runs = try (0..<4).map { _ in
      try ChildProcess(
        TestFiles.introBinary, ["send", "--resume", "1", "--send", "--no-limit"], environment: environment)
    }
    defer { for run in runs { run.stop() } }
    let statuses = runs.map { $0.waitForExit(seconds: 120) }

    #expect(statuses.allSatisfy { $0 == 0 }, "\(statuses) \(runs.map { $0.standardError() })")
    // Each run's summary: "batch 1: sent N, …"; the batch was shared, not sent by one run.
    let sent = runs.map { run -> Int in
      var lines: [String] = []
      while let line = run.readLine(timeout: 1) { lines.append(line) }
      let summary = lines.first { $0.hasPrefix("batch 1: sent ") } ?? ""
      return Int(summary.dropFirst("batch 1: sent ".count).prefix { $0.isNumber }) ?? 0
    }
    #expect(sent.reduce(0, +) == 199, "\(sent)")
    #expect(sent.filter { $0 > 0 }.count >= 2, "\(sent)")
    let received = Received(sink)
    #expect(received.recipients.count == 200)
    #expect(Set(received.recipients).count == 200, "nobody twice")
    #expect(Set(received.messageIDs).count == received.messageIDs.count)
    #expect(try states(database) == ["sent": 200])
    let attempts = try server.sql("SELECT count(*) FROM delivery_attempts", database: database)
    #expect(attempts == "200")
  }

  @Test func aMessageAnotherRunIsClaimingIsLeftToItAndThisRunStillEndsWell() throws {
    let sink = try SMTPSink()
    defer { sink.stop() }
    let batch = try SendFixture(port: sink.port, rows: 5)
    defer { batch.remove() }
    let database = try batchOnTeamStore(batch, rows: 5)
    // Another host's run has claimed one waiting message and not committed yet.
    let holder = try server.holding(
      "SELECT id FROM messages WHERE state = 'pending' ORDER BY id LIMIT 1 FOR UPDATE", database: database)
    defer { holder.stop() }

    let run = try batch.intro.run(
      ["send", "--resume", "1", "--send", "--no-limit"], extraEnvironment: server.clientEnvironment)
    let whileHeld = Received(sink).recipients.count
    holder.stop()
    let after = try batch.intro.run(
      ["send", "--resume", "1", "--send", "--no-limit"], extraEnvironment: server.clientEnvironment)

    #expect(run.status == 0, "that message is the other run's to send and report: \(run.stdout)\(run.stderr)")
    #expect(run.stdout.contains("batch 1: sent 3"), "\(run.stdout)")
    #expect(whileHeld == 4, "one from the first send, three now")
    #expect(after.status == 0, "\(after.stderr)")
    let received = Received(sink).recipients
    #expect(received.count == 5)
    #expect(Set(received).count == 5, "nobody twice")
    #expect(try states(database) == ["sent": 5])
  }

  @Test func aRepsRunsSendOnlyTheirOwnWaitingMessagesOnATeamStore() throws {
    let sink = try SMTPSink()
    defer { sink.stop() }
    let batch = try SendFixture(port: sink.port, rows: 4)
    defer { batch.remove() }
    let database = try batchOnTeamStore(batch, rows: 4)
    // Sam's batch: its three unsent messages were deferred and are due again.
    try server.sql(
      """
      UPDATE batches SET rep = 'sam@example.com';
      UPDATE messages SET rep = 'sam@example.com', envelope_sender = 'sam@example.com';
      UPDATE messages SET state = 'deferred', next_attempt_at = '2026-01-01T00:00:00Z' WHERE state = 'pending'
      """, database: database)
    let configuration = batch.intro.home.file("config/intro/config.toml")
    let sam = batch.intro.home.file("sam.toml")
    try String(contentsOfFile: configuration, encoding: .utf8)
      .replacingOccurrences(of: "dana@example.com", with: "sam@example.com")
      .write(toFile: sam, atomically: true, encoding: .utf8)
    chmod(sam, 0o600)

    let danaRetry = try batch.intro.run(
      ["send", "--retry", "--send", "--no-limit"], extraEnvironment: server.clientEnvironment)
    let danaResume = try batch.intro.run(
      ["send", "--resume", "1", "--send", "--no-limit"], extraEnvironment: server.clientEnvironment)
    let danaRemind = try batch.intro.run(["remind", "--send"], extraEnvironment: server.clientEnvironment)
    let beforeSam = Received(sink).recipients.count
    let samRetry = try batch.intro.run(
      ["send", "--retry", "--send", "--no-limit", "--config", sam], extraEnvironment: server.clientEnvironment
    )

    #expect(danaRetry.status == 0, "\(danaRetry.stderr)")
    #expect(danaResume.status == 65)
    #expect(danaResume.stderr.contains("batch 1 is sam@example.com's"), "\(danaResume.stderr)")
    #expect(danaRemind.status == 0, "\(danaRemind.stderr)")
    #expect(beforeSam == 1, "Dana's relay sent none of Sam's messages")
    #expect(samRetry.status == 0, "\(samRetry.stdout)\(samRetry.stderr)")
    let received = Received(sink)
    #expect(received.recipients.count == 4)
    #expect(Set(received.recipients).count == 4)
    #expect(try states(database) == ["sent": 4])
  }

  @Test func aLostConnectionMidBatchStopsWith75AndTheNextRunSendsTheRestOnce() throws {
    try expectDroppedMidBatchStopsWith75(on: server) { database in
      _ = try server.sql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(database)'")
    }
  }

  @Test func aNewBatchIsMadeOnTheTeamStoreAndTwoRunsOfItAtOnceSendEachMessageOnce() throws {
    let sink = try SMTPSink()
    defer { sink.stop() }
    let batch = try SendFixture(
      port: sink.port, rows: 100, smtpExtra: "parallel = 2", sendExtra: "messages_per_minute = 3000")
    defer { batch.remove() }
    let url = try server.newDatabase()
    let database = String(url.split(separator: "/").last!.split(separator: "?").first!)
    let configuration = batch.intro.home.file("config/intro/config.toml")
    let text = try String(contentsOfFile: configuration, encoding: .utf8)
    try (text + "\n[store]\nurl = \"\(url)\"\n").write(
      toFile: configuration, atomically: true, encoding: .utf8)

    let dryRun = try batch.intro.run(batch.sendArguments, extraEnvironment: server.clientEnvironment)
    #expect(dryRun.status == 0, "\(dryRun.stderr)")
    #expect(dryRun.stdout.contains("100 messages"), "\(dryRun.stdout)")
    #expect(
      try server.sql("SELECT count(*) FROM messages", database: database) == "0", "a dry run stores nothing")

    // The same rep's cron on two machines: the same batch made twice at once.
    let environment = batch.intro.environment.merging(server.clientEnvironment) { $1 }
    let runs = try (0..<2).map { _ in
      try ChildProcess(
        TestFiles.introBinary, batch.sendArguments + ["--send", "--no-limit"], environment: environment)
    }
    defer { for run in runs { run.stop() } }
    let statuses = runs.map { $0.waitForExit(seconds: 120) }
    let again = try batch.intro.run(
      batch.sendArguments + ["--send", "--no-limit"], extraEnvironment: server.clientEnvironment)

    #expect(statuses.allSatisfy { $0 == 0 }, "\(statuses) \(runs.map { $0.standardError() })")
    let received = Received(sink)
    #expect(received.recipients.count == 100)
    #expect(Set(received.recipients).count == 100, "nobody twice")
    #expect(try states(database) == ["sent": 100])
    #expect(again.status == 0)
    #expect(again.stdout.contains("all 100 messages were sent"), "\(again.stdout)\(again.stderr)")
    // One batch kept (the other run found every message stored), every row the rep's.
    #expect(
      try server.sql("SELECT count(*) || ' ' || min(rep) FROM batches", database: database)
        == "1 dana@example.com")
    #expect(
      try server.sql("SELECT count(*) FROM messages WHERE rep = 'dana@example.com'", database: database)
        == "100")
    #expect(!FileManager.default.fileExists(atPath: batch.intro.home.file("data/intro/intro.sqlite")))
  }

  @Test func killedFiftyTimesOnATeamStoreEveryRecipientGetsExactlyOneMessage() throws {
    let sink = try SMTPSink()
    defer { sink.stop() }
    // 20 messages a second over 2 connections: a run is still sending when it is killed.
    let batch = try SendFixture(
      port: sink.port, rows: 300, smtpExtra: "parallel = 2", sendExtra: "messages_per_minute = 1200")
    defer { batch.remove() }
    let database = try batchOnTeamStore(batch, rows: 300)
    let environment = batch.intro.environment.merging(server.clientEnvironment) { $1 }
    let arguments = ["send", "--resume", "1", "--send", "--no-limit"]
    let campaign = try KillCampaign(arguments: arguments, environment: environment) {
      try batch.intro.run(["send", "--resume", "1"], extraEnvironment: server.clientEnvironment)
    }
    let (kills, runs) = try campaign.run()
    let receivedWhileKilling = Received(sink).recipients.count
    let fast = try KillCampaign.fullSpeedConfig(batch.intro)
    var finished = false
    for _ in 0..<5 where !finished {
      let output = try batch.intro.run(
        arguments + ["--config", fast], extraEnvironment: server.clientEnvironment)
      #expect([0, 76].contains(output.status), "\(output.stdout)\(output.stderr)")
      finished = try states(database).keys.allSatisfy { $0 == "sent" || $0 == "uncertain" }
    }

    #expect(kills >= 50, "killed \(kills) times in \(runs) runs")
    let finalStates = try states(database)
    #expect(finished, "\(finalStates)")
    #expect(finalStates.values.reduce(0, +) == 300, "every recipient has its message")
    let uncertain = Set(
      try server.sql("SELECT recipient FROM messages WHERE state = 'uncertain'", database: database)
        .split(separator: "\n").map(String.init))
    let received = Received(sink)
    KillCampaign.expectEachRecipientOnce(received, rows: 300, uncertain: uncertain)
    // Each kill left its claims to the next run on this host, which settled them.
    let open = try server.sql(
      "SELECT count(*) FROM messages WHERE state IN ('sending', 'in_data')", database: database)
    #expect(open == "0")
    print(
      "team crash campaign: \(kills) kills in \(runs) runs; \(receivedWhileKilling) received while killing, "
        + "\(received.recipients.count) in all; \(uncertain.count) uncertain")
  }

  @Test func aServerRestartMidBatchStopsWith75AndTheNextRunSendsTheRestOnce() throws {
    // A cluster of its own: the other tests' databases stay up.
    let own = try PostgresServer()
    defer { try? own.stop() }
    try expectDroppedMidBatchStopsWith75(on: own, restarting: own.start) { _ in try own.stop() }
  }

  /// A run sending a 60-message batch (10 a second) loses its connection through
  /// `drop` after 10 messages: it stops with 75 saying so, and once `restarting`
  /// has run, the next run sends the rest; nobody gets a message twice, none is lost.
  func expectDroppedMidBatchStopsWith75(
    on server: PostgresServer, restarting: () throws -> Void = {}, drop: (String) throws -> Void
  ) throws {
    let sink = try SMTPSink()
    defer { sink.stop() }
    let batch = try SendFixture(
      port: sink.port, rows: 60, smtpExtra: "parallel = 2", sendExtra: "messages_per_minute = 600")
    defer { batch.remove() }
    let database = try batchOnTeamStore(batch, rows: 60, on: server)
    let environment = batch.intro.environment.merging(server.clientEnvironment) { $1 }

    let run = try ChildProcess(
      TestFiles.introBinary, ["send", "--resume", "1", "--send", "--no-limit"], environment: environment)
    defer { run.stop() }
    var waited = 0
    while Received(sink).recipients.count < 10 && waited < 300 {
      usleep(50_000)
      waited += 1
    }
    try drop(database)
    let status = run.waitForExit(seconds: 60)
    let sentBefore = Received(sink).recipients.count
    try restarting()

    #expect(status == 75, "\(run.standardError())")
    #expect(run.standardError().contains("lost the connection"))
    #expect(sentBefore < 60)
    let rest = try batch.intro.run(
      ["send", "--resume", "1", "--send", "--no-limit"], extraEnvironment: server.clientEnvironment)
    #expect([0, 76].contains(rest.status), "\(rest.stdout)\(rest.stderr)")
    let received = Received(sink)
    #expect(Set(received.recipients).count == received.recipients.count, "nobody twice")
    let finalStates = try states(database, on: server)
    #expect(Set(finalStates.keys).isSubset(of: ["sent", "uncertain"]), "\(finalStates)")
    // Every message is either received once, or uncertain (its body may have been cut off).
    #expect(received.recipients.count + (finalStates["uncertain"] ?? 0) >= 60, "nothing lost")
    #expect(finalStates["sent"] ?? 0 <= received.recipients.count)
  }
}

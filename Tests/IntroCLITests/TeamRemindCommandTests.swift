import Foundation
import TestSupport
import Testing

/// `intro remind` on a team's PostgreSQL store (a throwaway cluster on
/// 127.0.0.1): many runs on many hosts, each reminder fired and sent once.
@Suite("intro remind on a PostgreSQL store: each reminder once, from the rep who owns it")
struct TeamRemindCommandTests {
  let server: PostgresServer

  init() throws {
    server = try PostgresServer.shared.get()
  }

  /// Moves `rep`'s file to a new team database, gives each referral the owner
  /// `owner` says (an SQL expression over `id`), and points the configuration
  /// at it; returns the database's name and a configuration for Sam, a second rep.
  func moveToTeamStore(_ rep: RemindFixture, owner: String) throws -> (database: String, sam: String) {
    let url = try server.newDatabase()
    let database = String(url.split(separator: "/").last!.split(separator: "?").first!)
    let copied = try rep.intro.run(
      ["store", "copy", "--to", url], extraEnvironment: server.clientEnvironment)
    #expect(copied.status == 0, "\(copied.stderr)")
    try server.sql("UPDATE referrals SET rep = \(owner)", database: database)
    let configuration = rep.intro.home.file("config/intro/config.toml")
    let dana = try String(contentsOfFile: configuration, encoding: .utf8) + "\n[store]\nurl = \"\(url)\"\n"
    try dana.write(toFile: configuration, atomically: true, encoding: .utf8)
    let sam = rep.intro.home.file("sam.toml")
    try dana.replacingOccurrences(of: "dana@example.com", with: "sam@example.com")
      .replacingOccurrences(of: "Dana Rep", with: "Sam Rep")
      .write(toFile: sam, atomically: true, encoding: .utf8)
    chmod(sam, 0o600)
    return (database, sam)
  }

  @Test func tenRunsOfTwoRepsAtOnceSendEachReminderOnceFromItsOwner() throws {
    let sink = try SMTPSink()
    defer { sink.stop() }
    let rep = try RemindFixture(port: sink.port, referrals: 20)
    defer { rep.remove() }
    // The rep's file moves to the team store; half the referrals are Sam's.
    let (database, sam) = try moveToTeamStore(
      rep, owner: "CASE WHEN id % 2 = 0 THEN 'sam@example.com' ELSE 'dana@example.com' END")

    let environment = rep.intro.environment.merging(server.clientEnvironment) { $1 }
    let runs = try (0..<10).map { index in
      try ChildProcess(
        TestFiles.introBinary,
        ["remind", "--send", "--now", "2026-12-08T10:00:00Z"] + (index % 2 == 0 ? ["--config", sam] : []),
        environment: environment)
    }
    defer { for run in runs { run.stop() } }
    let statuses = runs.map { $0.waitForExit(seconds: 90) }
    let again = try rep.intro.run(
      ["remind", "--send", "--now", "2026-12-08T11:00:00Z"], extraEnvironment: server.clientEnvironment)

    #expect(
      statuses.allSatisfy { $0 == 0 },
      "\(statuses) \(runs.map { $0.standardOutput() + $0.standardError() })")
    let received = Received(sink).recipients
    #expect(received.count == 20, "\(received)")
    #expect(Set(received).count == 20, "each client nudged once")
    #expect(again.status == 0, "\(again.stderr)")
    #expect(Received(sink).recipients.count == 20, "a later run sends nothing again")
    // Each nudge was fired and sent by the rep who owns the referral.
    #expect(
      try server.sql(
        "SELECT rep || '=' || count(*) FROM reminder_firings GROUP BY rep ORDER BY rep", database: database)
        == "dana@example.com=10\nsam@example.com=10")
    #expect(
      try server.sql(
        """
        SELECT count(*) FROM messages m JOIN reminder_firings f ON f.message_id = m.id
        JOIN referrals r ON f.subject_key = 'referral:' || r.id
        WHERE m.rep = r.rep AND m.state = 'sent' AND m.envelope_sender = r.rep
        """, database: database) == "20")
  }

  @Test func dueAndPauseWorkOnTheTeamStoreAndAPauseHoldsOnlyThatRep() throws {
    let sink = try SMTPSink()
    defer { sink.stop() }
    let rep = try RemindFixture(port: sink.port, referrals: 2)
    defer { rep.remove() }
    let (database, sam) = try moveToTeamStore(
      rep, owner: "CASE WHEN id = 1 THEN 'dana@example.com' ELSE 'sam@example.com' END")
    func run(_ arguments: [String]) throws -> CommandOutput {
      try rep.intro.run(arguments, extraEnvironment: server.clientEnvironment)
    }

    let due = try run(["due", "--json", "--now", "2026-12-08T10:00:00Z"])
    let paused = try run(["pause", "--until", "2026-12-20"])
    let danaRun = try run(["remind", "--send", "--now", "2026-12-08T10:00:00Z"])
    let samRun = try run(["remind", "--send", "--now", "2026-12-08T10:00:00Z", "--config", sam])

    #expect(due.status == 0, "\(due.stderr)")
    #expect(due.stdout.components(separatedBy: "\"late-introduction\"").count - 1 == 1, "\(due.stdout)")
    #expect(paused.status == 0, "\(paused.stderr)")
    #expect(danaRun.status == 0, "\(danaRun.stderr)")
    #expect(samRun.status == 0, "\(samRun.stderr)")
    #expect(Received(sink).recipients == ["client1@example.org"], "Dana is paused; Sam is not")
    #expect(
      try server.sql("SELECT name FROM store_settings WHERE name LIKE 'paused_until%'", database: database)
        == "paused_until:dana@example.com")
  }
}

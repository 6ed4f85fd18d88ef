import Foundation
import TestSupport
import Testing

/// A team's PostgreSQL store from the command line: init, doctor, store copy,
/// against a real server (a throwaway cluster on 127.0.0.1).
@Suite("intro init, doctor and store copy on a PostgreSQL store")
struct TeamStoreCommandTests {
  let server: PostgresServer

  init() throws {
    server = try PostgresServer.shared.get()
  }

  /// A URL that checks the server's certificate against the test CA.
  func verifiedURL() throws -> String {
    try server.newDatabase().replacingOccurrences(
      of: "?sslmode=disable",
      with: "?sslmode=verify-full&sslrootcert=\(try TestCertificates.path("ca.pem"))")
  }

  @Test func initSetsTheSchemaUpAndDoctorShowsTLSTheSchemaAndTheRows() throws {
    let intro = try IntroCommand()
    defer { intro.remove() }
    let url = try verifiedURL()
    _ = try intro.writeConfig("[store]\nurl = \"\(url)\"\n")

    let initialised = try intro.run(["init"], extraEnvironment: server.clientEnvironment)
    let doctor = try intro.run(["doctor"], extraEnvironment: server.clientEnvironment)

    #expect(initialised.status == 0, "\(initialised.stderr)")
    #expect(initialised.stdout.contains("schema pg1-team-store"))
    #expect(doctor.status == 0, "\(doctor.stderr)")
    #expect(doctor.stdout.contains("tls:       TLSv1.3"))
    #expect(doctor.stdout.contains("password:  used"))
    #expect(doctor.stdout.contains("schema:    pg1-team-store (1 migration, current)"))
    #expect(doctor.stdout.contains("rows:      contacts 0, referrals 0"))
    #expect(!FileManager.default.fileExists(atPath: intro.home.file("data/intro/intro.sqlite")))
  }

  @Test func aPasswordComesFromPasswordCommandAndAWrongOneSaysWhereToPutIt() throws {
    let intro = try IntroCommand()
    defer { intro.remove() }
    let url = try server.newDatabase()
    _ = try intro.writeConfig(
      "[store]\nurl = \"\(url)\"\npassword_command = \"printf '%s\\\\n' \(PostgresServer.password)\"\n")
    let fromCommand = try intro.run(["init"])
    #expect(fromCommand.status == 0, "\(fromCommand.stderr)")

    _ = try intro.writeConfig("[store]\nurl = \"\(url)\"\n")
    let wrong = try intro.run(["doctor"], extraEnvironment: ["PGPASSWORD": "not-it"])
    #expect(wrong.status == 78)
    #expect(wrong.stderr.contains("password_command"))
    #expect(!wrong.stderr.contains("not-it"))
  }

  @Test func aURLWithAPasswordIsRefusedAtItsLineAndNeverPrinted() throws {
    let intro = try IntroCommand()
    defer { intro.remove() }
    let url = try server.newDatabase().replacingOccurrences(of: "intro@", with: "intro:hunter2@")
    _ = try intro.writeConfig("[store]\nurl = \"\(url)\"\n")

    let refused = try intro.run(["init"])
    let copy = try intro.run(["store", "copy", "--to", url])

    #expect(refused.status == 78)
    #expect(refused.stderr.contains("config.toml:2:"))
    #expect(refused.stderr.contains("url holds a password"))
    #expect(copy.status == 64)
    for output in [refused, copy] { #expect(!output.stderr.contains("hunter2")) }
  }

  @Test func aCommandThatNeedsTheFileSaysSoOnAPostgreSQLStore() throws {
    let intro = try IntroCommand()
    defer { intro.remove() }
    _ = try intro.writeConfig("[store]\nurl = \"\(try server.newDatabase())\"\n")

    let listed = try intro.run(["contact", "list"], extraEnvironment: server.clientEnvironment)

    #expect(listed.status == 78)
    #expect(listed.stderr.contains("intro contact does not work on a PostgreSQL store yet"))
    #expect(!FileManager.default.fileExists(atPath: intro.home.file("data/intro/intro.sqlite")))
  }

  @Test func aRepMovesTheirStoreToPostgreSQLAndBackWithOneCommandEach() throws {
    let intro = try IntroCommand()
    defer { intro.remove() }
    #expect(try intro.run(["init", "--sample"]).status == 0)
    #expect(try intro.run(["send", "thank-you-business", "--clients", "--send", "--no-limit"]).status == 0)
    let contacts = try intro.run(["contact", "list"]).stdout
    let referrals = try intro.run(["referral", "list"]).stdout
    let log = try intro.run(["log"]).stdout
    let url = try verifiedURL()

    let there = try intro.run(["store", "copy", "--to", url], extraEnvironment: server.clientEnvironment)
    let again = try intro.run(["store", "copy", "--to", url], extraEnvironment: server.clientEnvironment)
    let backPath = intro.home.file("back/intro.sqlite")
    let back = try intro.run(
      ["store", "copy", "--from", url, "--to", backPath], extraEnvironment: server.clientEnvironment)

    #expect(there.status == 0, "\(there.stderr)")
    #expect(there.stdout.contains("contacts                 10 -> 10"))
    #expect(there.stdout.contains("messages                 5 -> 5"))
    #expect(there.stdout.contains("every count matches"))
    #expect(again.status == 65)
    #expect(again.stderr.contains("already holds 10 row(s) in contacts"))
    #expect(back.status == 0, "\(back.stderr)")
    // The copy back reads the same, through intro itself.
    let config = intro.home.file("config/intro/config.toml")
    var text = try String(contentsOfFile: config, encoding: .utf8)
    text += "\n[store]\npath = \"\(backPath)\"\n"
    try text.write(toFile: config, atomically: true, encoding: .utf8)
    #expect(try intro.run(["contact", "list"]).stdout == contacts)
    #expect(try intro.run(["referral", "list"]).stdout == referrals)
    #expect(try intro.run(["log"]).stdout == log)
  }
}

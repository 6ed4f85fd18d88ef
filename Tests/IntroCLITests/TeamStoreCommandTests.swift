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
    #expect(initialised.stdout.contains("schema pg2-report-covering-index"))
    #expect(doctor.status == 0, "\(doctor.stderr)")
    #expect(doctor.stdout.contains("tls:       TLSv1.3"))
    #expect(doctor.stdout.contains("password:  used"))
    #expect(doctor.stdout.contains("schema:    pg2-report-covering-index (2 migrations, current)"))
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

  @Test func aStoreAnotherSessionHoldsIsBusyAfterBusyTimeoutAndNothingChanges() throws {
    let intro = try IntroCommand()
    defer { intro.remove() }
    let url = try server.newDatabase()
    let database = String(url.split(separator: "/").last!.split(separator: "?").first!)
    _ = try intro.writeConfig("[store]\nurl = \"\(url)\"\nbusy_timeout = 1\n")
    #expect(
      try intro.run(
        ["contact", "add", "ana@example.org", "--name", "Ana"], extraEnvironment: server.clientEnvironment
      )
      .status == 0)
    // An analyst's psql session left a transaction open on the contacts.
    let holder = try server.holding("SELECT id FROM contacts FOR UPDATE", database: database)
    defer { holder.stop() }

    let started = Date()
    let edit = try intro.run(
      ["contact", "edit", "ana@example.org", "--title", "COO"], extraEnvironment: server.clientEnvironment)
    let elapsed = Date().timeIntervalSince(started)
    holder.stop()
    let after = try intro.run(
      ["contact", "show", "ana@example.org"], extraEnvironment: server.clientEnvironment)

    #expect(edit.status == 75, "\(edit.stdout)\(edit.stderr)")
    #expect(edit.stderr.contains("is busy"))
    #expect(edit.stderr.contains("busy_timeout"))
    #expect(elapsed < 10, "waited \(elapsed) s for a 1 s busy_timeout")
    #expect(!after.stdout.contains("COO"), "nothing changed")
    let again = try intro.run(
      ["contact", "edit", "ana@example.org", "--title", "COO"], extraEnvironment: server.clientEnvironment)
    #expect(again.status == 0, "once the other session is gone: \(again.stderr)")
  }

  /// A rep's day, command by command, on a SQLite file and on a team store:
  /// every command prints the same (moments and the store's location aside).
  @Test func aRepsDayPrintsTheSameOnAFileAndOnATeamStore() throws {
    let file = try IntroCommand()
    let team = try IntroCommand()
    defer {
      file.remove()
      team.remove()
    }
    let settings = """
      [rep]
      name = "Dana Rep"
      email = "dana@example.com"
      company = "Acme Analytics"
      [schedule]
      \(RemindFixture.always)
      \(RemindFixture.lateNudge)
      """
    _ = try file.writeConfig(settings)
    _ = try team.writeConfig(settings + "\n[store]\nurl = \"\(try server.newDatabase())\"\n")
    // Values that are data, never syntax: commas, quotes, accents, a dollar sign.
    let people = #"""
      email,name,company,client,satisfaction,industry
      "zoe@example.org","Zoë O'Brien","Brien, Sons & Co",yes,9,"logistics"
      ben@example.org,Ben $1 Ortiz,"Ortiz ""Labs""",yes,6,software
      pat@example.net,Pat Prospect,Prospect Ltd,no,,
      """#
    for intro in [file, team] {
      try people.write(toFile: intro.home.file("people.csv"), atomically: true, encoding: .utf8)
    }
    let day: [[String]] = [
      ["contact", "add", "ana@example.org", "--name", "Ana Ruiz", "--client", "--satisfaction", "8"],
      ["contact", "add", "ana@example.org", "--name", "Ana Again"],
      ["contact", "import", "PEOPLE"],
      ["contact", "edit", "ben@example.org", "--title", "CTO"],
      ["contact", "list"],
      [
        "referral", "add", "--client", "zoe@example.org", "--prospect", "pat@example.net", "--about",
        "Ran ops together, 2019", "--why-me", "Quotes take a week", "--why-now", "A second office",
        "--how", "An email to both", "--promised-by", "2026-12-01", "--problem", "slow quotes",
      ],
      ["referral", "add", "--client", "ana@example.org", "--prospect", "pat@example.net"],
      ["referral", "set", "2", "--stage", "introduced", "--note", "Met at the fair"],
      ["referral", "note", "2", "Follow up in January"],
      ["referral", "list"],
      ["touch", "ben@example.org", "--note", "Lunch, talked about Q1", "--kind", "meeting"],
      ["contact", "show", "ben@example.org"],
      ["blurb", "1"],
      ["suggest"],
      ["due", "--now", "2026-12-03T10:00:00Z"],
      ["remind", "--send", "--now", "2026-12-03T10:00:00Z"],
      ["remind", "--send", "--now", "2026-12-03T11:00:00Z"],
      ["send", "thank-you-intro", "--referral", "2", "--send"],
      ["send", "thank-you-intro", "--referral", "2", "--send"],
      ["log"],
      ["report"],
      ["report", "--csv", "--section", "funnel"],
      ["report", "--json"],
      ["contact", "suppress", "ben@example.org"],
      ["send", "thank-you-business", "--to", "ben@example.org"],
      ["contact", "forget", "pat@example.net"],
      ["referral", "list"],
      ["contact", "export", "--format", "csv"],
    ]
    for command in day {
      var outputs: [String] = []
      for intro in [file, team] {
        let arguments = command.map { $0 == "PEOPLE" ? intro.home.file("people.csv") : $0 }
        let output = try intro.run(arguments, extraEnvironment: server.clientEnvironment)
        outputs.append("exit \(output.status)\n\(output.stdout)\(output.stderr)")
      }
      let (onFile, onTeam) = (Self.normalized(outputs[0]), Self.normalized(outputs[1]))
      #expect(
        onFile == onTeam, "intro \(command.joined(separator: " ")):\n--- file\n\(onFile)--- team\n\(onTeam)")
    }
    #expect(!FileManager.default.fileExists(atPath: team.home.file("data/intro/intro.sqlite")))
  }

  /// An output without what differs by nature between two runs: moments,
  /// generated Message-IDs, the home folder and where the store is, and batch
  /// numbers (a PostgreSQL sequence never hands out a number twice, so a
  /// batch that stored nothing leaves a gap; SQLite reuses the number).
  static func normalized(_ text: String) -> String {
    var text = text
    for (pattern, replacement) in [
      (#"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?Z?"#, "<moment>"),
      (#"<[^<>@\s]+@[^<>\s]+>"#, "<message-id>"),
      (#"/tmp/[^\s:]+"#, "<path>"),
      (#"postgresql://\S+"#, "<path>"),
      (#"\d+(\.\d+)? ?(ms|s)\b"#, "<time>"),
      (#"batch \d+"#, "batch <n>"),
    ] {
      text = text.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
    }
    return text
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

    #expect(!back.stdout.contains("rows without a rep"))
    #expect(there.status == 0, "\(there.stderr)")
    #expect(there.stdout.contains("contacts                 10 -> 10"))
    #expect(there.stdout.contains("messages                 5 -> 5"))
    #expect(there.stdout.contains("every count matches"))
    // On the team store, what the rep did is theirs.
    let rep = try #require(
      try String(contentsOfFile: intro.home.file("config/intro/config.toml"), encoding: .utf8)
        .split(separator: "\n").first { $0.hasPrefix("email = ") }?.split(separator: "\"").dropFirst().first)
    #expect(there.stdout.contains("rows without a rep are marked as \(rep)'s"))
    let database = String(try #require(URLComponents(string: url)?.path.dropFirst()))
    for table in ["referrals", "referral_stage_changes", "batches", "messages"] {
      #expect(
        try server.sql(
          "SELECT count(*) || ' ' || count(DISTINCT rep) || ' ' || min(rep) FROM \(table)", database: database
        )
        .hasSuffix(" 1 \(rep)"), "\(table)")
    }
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

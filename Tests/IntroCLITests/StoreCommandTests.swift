import Foundation
import TestSupport
import Testing

@Suite("intro init, contact and referral, on a real store")
struct StoreCommandTests {
  @Test func repRecordsAReferralAndMovesItThroughItsStages() throws {
    let intro = try IntroCommand()
    defer { intro.remove() }

    #expect(try intro.run(["init"]).status == 0)
    #expect(
      try intro.run([
        "contact", "add", "chris@Example.com", "--name", "Chris Client", "--client", "--satisfaction", "9",
      ])
      .status == 0)
    #expect(try intro.run(["contact", "add", "pat@northwind.example", "--name", "Pat Prospect"]).status == 0)
    let added = try intro.run([
      "referral", "add", "--client", "chris@example.com", "--prospect", "pat@northwind.example", "--about",
      "Runs sales ops", "--why-me", "Quotes take a week", "--why-now", "Second office", "--how", "Email",
      "--promised-by", "2026-12-01", "--problem", "slow quotes", "--problem", "manual reports",
    ])
    #expect(added.status == 0, "\(added.stderr)")
    #expect(added.stdout.contains("(promised)"), "a promised date makes it promised")
    #expect(try intro.run(["referral", "note", "1", "said yes"]).status == 0)
    #expect(try intro.run(["referral", "set", "1", "--stage", "introduced"]).status == 0)
    let shown = try intro.run(["referral", "show", "1"])

    #expect(shown.stdout.contains("referral 1: introduced"))
    #expect(shown.stdout.contains("why me: Quotes take a week"))
    #expect(shown.stdout.contains("problems: slow quotes; manual reports"))
    #expect(shown.stdout.contains("new → promised"))
    #expect(shown.stdout.contains("note  (said yes)"))
    #expect(shown.stdout.contains("promised → introduced"))
    let listed = try intro.run(["referral", "list", "--stage", "introduced", "--json"])
    #expect(listed.stdout.contains("\"whyNow\" : \"Second office\""))
    #expect(try mode(intro.home.file("config/intro/config.toml")) == 0o600)
    #expect(try mode(intro.home.file("data/intro/intro.sqlite")) == 0o600)
    #expect(try mode(intro.home.file("data/intro")) == 0o700)
  }

  @Test func badInputIsRefusedWithExit65AndNothingWritten() throws {
    let intro = try IntroCommand()
    defer { intro.remove() }
    #expect(try intro.run(["contact", "add", "chris@example.com"]).status == 0)

    let duplicate = try intro.run(["contact", "add", "Chris@EXAMPLE.com"])
    let badAddress = try intro.run(["contact", "add", "chris at example"])
    let unknown = try intro.run([
      "referral", "add", "--client", "chris@example.com", "--prospect", "nobody@example.com",
    ])
    let listed = try intro.run(["contact", "list"])

    #expect(duplicate.status == 65 && duplicate.stderr.contains("already in the store"))
    #expect(badAddress.status == 65 && badAddress.stderr.contains("invalid address"))
    #expect(unknown.status == 65 && unknown.stderr.contains("intro contact add nobody@example.com"))
    #expect(listed.stdout.split(separator: "\n").count == 1)
  }

  @Test func twoProcessesWritingAtOnceNeverSeeALockedDatabase() throws {
    let intro = try IntroCommand()
    defer { intro.remove() }
    #expect(try intro.run(["init"]).status == 0)
    let binary = TestFiles.introBinary
    let results = ResultsBox()
    let group = DispatchGroup()
    for writer in ["a", "b"] {
      group.enter()
      let environment = intro.environment
      DispatchQueue.global().async {
        let script =
          "for i in $(seq 1 25); do \"$0\" contact add \(writer)$i@example.com --name W$i || exit 1; done"
        let output = try? runCommand(
          "/bin/sh", ["-c", script, binary], environment: environment, timeout: 120)
        results.add(output)
        group.leave()
      }
    }
    group.wait()

    for output in results.all {
      #expect(output?.status == 0, "\(output?.stderr ?? "did not run")")
      #expect(output?.stderr.contains("locked") == false)
    }
    let listed = try intro.run(["contact", "list", "--json"])
    #expect(listed.stdout.components(separatedBy: "\"email\"").count - 1 == 50)
  }

  private func mode(_ path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return (attributes[.posixPermissions] as? Int ?? 0) & 0o777
  }
}

final class ResultsBox: @unchecked Sendable {
  // @unchecked: every access holds `lock`.
  private let lock = NSLock()
  private var outputs: [CommandOutput?] = []
  func add(_ output: CommandOutput?) { lock.withLock { outputs.append(output) } }
  var all: [CommandOutput?] { lock.withLock { outputs } }
}

@Suite("Export, forget and suppress from the command line")
struct PrivacyCommandTests {
  @Test func exportNeutralisesFormulasAndForgetErasesThePerson() throws {
    let intro = try IntroCommand()
    defer { intro.remove() }
    #expect(
      try intro.run([
        "contact", "add", "zed@example.com", "--name", "=cmd|' /C calc'!A0", "--company", "Zed, Inc",
      ]).status == 0)
    #expect(
      try intro.run(["touch", "zed@example.com", "--kind", "call", "--note", "Quokka project next spring"])
        .status == 0)

    let csv = try intro.run(["contact", "export", "--format", "csv"])
    #expect(csv.status == 0)
    #expect(
      csv.stdout.contains("zed@example.com,'=cmd|' /C calc'!A0,'=cmd|',/C calc'!A0,\"Zed, Inc\","),
      "\(csv.stdout)")
    let json = try intro.run(["contact", "export", "zed@example.com"])
    #expect(json.stdout.contains("Quokka project next spring"))

    let forget = try intro.run(["contact", "forget", "ZED@example.com"])
    #expect(forget.status == 0, "\(forget.stderr)")
    let store = intro.home.file("data/intro/intro.sqlite")
    for file in [store, store + "-wal", store + "-shm"] {
      guard let bytes = FileManager.default.contents(atPath: file) else { continue }
      for secret in ["zed@example.com", "Quokka project", "calc'!A0"] {
        #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(secret) is still in \(file)")
      }
    }
    #expect(try intro.run(["contact", "add", "zed@example.com"]).status == 0)
    #expect(
      try intro.run(["contact", "export", "zed@example.com"]).stdout.contains("\"doNotContact\" : true"))
  }

  @Test func doctorChecksTheStoresIntegrity() throws {
    let intro = try IntroCommand()
    defer { intro.remove() }
    #expect(try intro.run(["init"]).status == 0)
    let output = try intro.run(["doctor"])
    #expect(output.status == 0)
    #expect(output.stdout.contains("(integrity ok)"))
  }
}

@Suite("Editing contacts, noting referrals, and the five questions on a terminal")
struct InteractiveStoreCommandTests {
  @Test func editChangesOnlyTheGivenFieldsAndNotesJoinTheHistory() throws {
    let intro = try IntroCommand()
    defer { intro.remove() }
    #expect(
      try intro.run(["contact", "add", "chris@example.com", "--name", "Chris", "--company", "Smith & Sons"])
        .status == 0)
    #expect(try intro.run(["contact", "add", "pat@example.com"]).status == 0)

    let edit = try intro.run(["contact", "edit", "chris@example.com", "--satisfaction", "10"])
    let same = try intro.run(["contact", "edit", "chris@example.com", "--company", "Smith & Sons"])
    #expect(edit.stdout.contains("updated") && same.stdout.contains("nothing changed"))
    let shown = try intro.run(["contact", "show", "chris@example.com"])
    #expect(shown.stdout.contains("company: Smith & Sons") && shown.stdout.contains("satisfaction: 10"))

    #expect(
      try intro.run(["referral", "add", "--client", "chris@example.com", "--prospect", "pat@example.com"])
        .status == 0)
    #expect(try intro.run(["referral", "note", "1", "Chris will email on Monday"]).status == 0)
    #expect(try intro.run(["referral", "show", "1"]).stdout.contains("note  (Chris will email on Monday)"))
  }

  @Test func onATerminalReferralAddAsksTheMissingQuestions() throws {
    let intro = try IntroCommand()
    defer { intro.remove() }
    #expect(try intro.run(["contact", "add", "chris@example.com"]).status == 0)
    #expect(try intro.run(["contact", "add", "pat@example.com", "--name", "Pat Prospect"]).status == 0)
    let command = [
      TestFiles.introBinary, "referral", "add", "--client", "chris@example.com", "--prospect",
      "pat@example.com", "--why-now", "Second office",
    ].map { "'\($0)'" }.joined(separator: " ")

    // script(1) gives the command a terminal, as a rep typing would.
    let answers = "Runs sales ops\n\nEmail, both on it\nsoon\n2026-12-01\n"
    let output = try runCommand(
      "/usr/bin/script", ["-qec", command, "/dev/null"], environment: intro.environment,
      input: Array(answers.utf8))

    #expect(output.status == 0, "\(output.stdout)\(output.stderr)")
    #expect(output.stdout.contains("What can you tell me about Pat"))
    #expect(!output.stdout.contains("Why now?"))
    #expect(output.stdout.contains("a date like 2026-12-01, please"))
    let shown = try intro.run(["referral", "show", "1"])
    #expect(shown.stdout.contains("about the prospect: Runs sales ops"))
    #expect(shown.stdout.contains("why me: -"))
    #expect(shown.stdout.contains("how to introduce: Email, both on it"))
    #expect(shown.stdout.contains("promised by: 2026-12-01"))
  }
}

@Suite("Names from a CRM become the right greeting")
struct NameCommandTests {
  @Test func aLastCommaFirstNameIsGreetedByItsFirstName() throws {
    let intro = try IntroCommand()
    defer { intro.remove() }
    _ = try intro.writeConfig(
      "[rep]\nname = \"Dana Rep\"\nemail = \"dana@example.com\"\ncompany = \"Acme\"\n")
    let csv = intro.home.file("crm.csv")
    try
      "Email,Full Name,Client\nmarie@example.fr,\"Lefèvre, Marie-Anne\",yes\npieter@example.nl,\"van der Berg, Pieter\",yes\n"
      .write(toFile: csv, atomically: true, encoding: .utf8)

    let imported = try intro.run(["contact", "import", csv])
    let added = try intro.run(["contact", "add", "ana@example.es", "--name", "Ruiz, Dr. Ana", "--client"])
    let shown = try intro.run(["contact", "show", "pieter@example.nl", "--json"])
    let preview = try intro.run(["send", "check-in", "--clients", "--send", "--no-limit"])
    let outbox = intro.home.file("data/intro/outbox")
    let messages = try FileManager.default.contentsOfDirectory(atPath: outbox).map {
      try String(contentsOfFile: outbox + "/" + $0, encoding: .utf8)
    }

    #expect(imported.status == 0, "\(imported.stderr)")
    #expect(added.status == 0, "\(added.stderr)")
    #expect(shown.stdout.contains("\"firstName\" : \"Pieter\""), "\(shown.stdout)")
    #expect(shown.stdout.contains("\"lastName\" : \"van der Berg\""))
    #expect(shown.stdout.contains("\"name\" : \"van der Berg, Pieter\""), "the full name is kept for display")
    #expect(preview.status == 0, "\(preview.stderr)")
    let greetings = messages.compactMap { $0.components(separatedBy: "\r\n").first { $0.hasPrefix("Hi ") } }
      .sorted()
    #expect(greetings == ["Hi Ana,", "Hi Marie-Anne,", "Hi Pieter,"], "\(greetings)")
  }
}

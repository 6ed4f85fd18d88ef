import Foundation
import TestSupport
import Testing

/// A home made by `intro init --sample`, as a new rep starts.
private func sampleHome() throws -> IntroCommand {
  let intro = try IntroCommand()
  let output = try intro.run(["init", "--sample"])
  guard output.status == 0 else { throw TestEnvironmentError("init --sample: \(output.stderr)") }
  return intro
}

@Suite("A new rep's first day: init --sample, blurb, previews, suggest")
struct DailyWorkflowCommandTests {
  @Test func initSampleMakesAWorkingHomeAndRunningItAgainAddsNothingTwice() throws {
    let intro = try sampleHome()
    defer { intro.remove() }
    let again = try intro.run(["init", "--sample"])
    let contacts = try intro.run(["contact", "list", "--json"])
    let referrals = try intro.run(["referral", "list", "--json"])
    let config = try String(contentsOfFile: intro.home.file("config/intro/config.toml"), encoding: .utf8)

    #expect(again.status == 0 && again.stdout.contains("0 new referrals"))
    #expect(contacts.stdout.components(separatedBy: "\"email\" :").count - 1 == 10)
    #expect(referrals.stdout.components(separatedBy: "\"introducerID\"").count - 1 == 4)
    #expect(config.contains("name = \"Dana Reyes\""))
    #expect(FileManager.default.fileExists(atPath: intro.home.file("config/intro/sample/contacts.csv")))
  }

  @Test func blurbPrintsPlainUTF8TextAndJSONAndSaysWhenNoClipboardToolIsThere() throws {
    let intro = try sampleHome()
    defer { intro.remove() }
    let text = try intro.run(["blurb", "3"])
    let json = try intro.run(["blurb", "3", "--json"])
    let copy = try intro.run(
      ["blurb", "3", "--copy"], extraEnvironment: ["PATH": "/nonexistent", "DISPLAY": ":0"])
    let missing = try intro.run(["blurb", "99"])

    #expect(text.status == 0, "\(text.stderr)")
    #expect(
      text.stdout.hasPrefix("Dana Reyes of Acme Analytics works with teams that struggle with scheduling"))
    #expect(text.stdout.contains("Since you open two new clinics in January"))
    #expect(!text.stdout.contains("=C3") && !text.stdout.contains("sister-in-law"))
    let decoded = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
    #expect(decoded?["subject"] as? String == "Ana, meet Dana Reyes (Acme Analytics)")
    #expect((decoded?["words"] as? Int ?? 999) <= 120)
    #expect(copy.status == 0 && copy.stderr.contains("no clipboard tool found"))
    #expect(copy.stdout == text.stdout)
    #expect(missing.status == 64 && missing.stderr.contains("no referral 99"))
  }

  @Test func anEmptyRepFieldSaysWhichFileAndKeyToSet() throws {
    let intro = try sampleHome()
    defer { intro.remove() }
    let path = try intro.writeConfig("[rep]\nemail = \"dana@example.com\"\n")
    let blurb = try intro.run(["blurb", "1"])
    let send = try intro.run(["send", "thank-you-intro", "--referral", "1"])

    #expect(blurb.status == 65)
    #expect(blurb.stderr.contains("set name in [rep] of \(path)"), "\(blurb.stderr)")
    #expect(send.status == 65)
    #expect(send.stderr.contains("set name in [rep] of \(path)"), "\(send.stderr)")
  }

  @Test func aDryRunListsEveryRecipientsGreetingAndShowsTheFirstMessageDecoded() throws {
    let intro = try sampleHome()
    defer { intro.remove() }
    let dry = try intro.run(["send", "thank-you-business", "--clients"])
    let eml = try intro.run(["send", "thank-you-business", "--clients", "--eml"])
    let json = try intro.run(["send", "thank-you-business", "--clients", "--json"])

    #expect(dry.status == 0, "\(dry.stderr)")
    #expect(dry.stdout.contains("5 messages would be sent"))
    for greeting in ["Hi Chris,", "Hi Marie-Anne,", "Hi María,", "Hi Seán,", "Hi Pieter,"] {
      #expect(dry.stdout.contains(greeting), "\(greeting)")
    }
    #expect(!dry.stdout.contains("tom.archer"), "do-not-contact is not in the batch")
    #expect(!dry.stdout.contains("=C3") && !dry.stdout.contains("=?utf-8?"))
    #expect(dry.stdout.contains("From: Dana Reyes <dana.reyes@acme-analytics.example>"))
    #expect(eml.stdout.contains("MIME-Version: 1.0") && eml.stdout.contains("Message-ID: <"))
    let plan = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
    let rows = plan?["messages"] as? [[String: Any]]
    #expect(rows?.count == 5)
    #expect(rows?.contains { $0["greeting"] as? String == "Hi María," } == true)
  }

  @Test func aLongDryRunIsPagedFiftyAtATime() throws {
    let intro = try IntroCommand()
    defer { intro.remove() }
    _ = try intro.writeConfig("[rep]\nname = \"Dana Rep\"\nemail = \"dana@example.com\"\n")
    let csv = intro.home.file("list.csv")
    let rows = (1...120).map { "p\($0)@example.org,Person \($0)" }
    try (["email,name"] + rows).joined(separator: "\n").write(toFile: csv, atomically: true, encoding: .utf8)
    let first = try intro.run(["send", "check-in", "--csv", csv])
    let third = try intro.run(["send", "check-in", "--csv", csv, "--page", "3"])

    #expect(first.stdout.contains("page 1 of 3 (50 a page); the next: "))
    #expect(first.stdout.contains("--page 2"))
    #expect(first.stdout.contains("p50@example.org") && !first.stdout.contains("p51@example.org"))
    #expect(third.stdout.contains("p120@example.org") && !third.stdout.contains("p100@example.org "))
    #expect(third.stdout.contains("page 3 of 3"))
  }

  @Test func suggestRanksTheSampleClientsWithReasonsAndLeavesOutDoNotContact() throws {
    let intro = try sampleHome()
    defer { intro.remove() }
    let output = try intro.run(["suggest", "--now", "2026-12-02T09:00:00Z"])
    let lines = output.stdout.split(separator: "\n").map(String.init)

    #expect(output.status == 0, "\(output.stderr)")
    #expect(lines.count >= 6)
    #expect(lines[1].contains("María García") && lines[1].contains("satisfaction 10/10"))
    #expect(lines.contains { $0.contains("Pieter van der Berg") && $0.contains("wait:") })
    #expect(!output.stdout.contains("Tom Archer"))
    #expect(output.stdout.contains("next: intro send intro-request --to maria.garcia@solana-foods.example"))
  }
}

@Suite("Say what matters: contacts, referrals, log")
struct SayWhatMattersCommandTests {
  @Test func contactShowAndListSayDoNotContactAndCustomFields() throws {
    let intro = try sampleHome()
    defer { intro.remove() }
    let shown = try intro.run(["contact", "show", "tom.archer@archer-legal.example"])
    let json = try intro.run(["contact", "show", "tom.archer@archer-legal.example", "--json"])
    let list = try intro.run(["contact", "list"])
    let export = try intro.run(["contact", "export", "--format", "csv"])
    let filtered = try intro.run(["send", "check-in", "--clients", "--where", "industry=logistics"])

    #expect(shown.stdout.hasPrefix("Tom Archer <tom.archer@archer-legal.example>"))
    #expect(shown.stdout.contains("DO NOT CONTACT"))
    #expect(shown.stdout.contains("industry: legal"))
    #expect(json.stdout.contains("\"suppressed\" : true") && json.stdout.contains("\"industry\" : \"legal\""))
    #expect(list.stdout.contains("Marie-Anne Lefèvre\tmarie-anne.lefevre@lumen-logistics.example"))
    #expect(list.stdout.contains("client,do-not-contact\tindustry=legal"))
    #expect(export.stdout.split(separator: "\r\n").first?.hasSuffix(",do_not_contact,industry") == true)
    #expect(filtered.stdout.contains("1 message would be sent") && filtered.stdout.contains("Hi Marie-Anne,"))
  }

  @Test func whereComparingANumberWithANonNumberIsAUsageError() throws {
    let intro = try sampleHome()
    defer { intro.remove() }
    let word = try intro.run(["send", "check-in", "--clients", "--where", "satisfaction>=high"])
    let text = try intro.run(["send", "check-in", "--clients", "--where", "company>3"])
    let custom = try intro.run(["send", "check-in", "--clients", "--where", "industry>3"])

    #expect(word.status == 64 && word.stderr.contains("satisfaction is a number"))
    #expect(text.status == 64 && text.stderr.contains("company is text"))
    #expect(custom.status == 64 && custom.stderr.contains("compares a number"))
  }

  @Test func referralsShowNamesAnOverdueMarkerAndWarnAboutTheSamePairTwice() throws {
    let intro = try sampleHome()
    defer { intro.remove() }
    let list = try intro.run(["referral", "list"])
    let show = try intro.run(["referral", "show", "2"])
    let again = try intro.run([
      "referral", "add", "--client", "pieter@vdberg-bouw.example", "--prospect",
      "jonas.alund@fjordfreight.example",
      "--promised-by", "2027-01-15",
    ])

    #expect(list.stdout.contains("Pieter van der Berg → Jonas Ålund\tpromised by 2026-11-25\tOVERDUE"))
    #expect(!list.stdout.contains("Lefèvre,"))
    #expect(show.stdout.contains("from: Pieter van der Berg <pieter@vdberg-bouw.example>"))
    #expect(show.stdout.contains("OVERDUE"))
    #expect(again.status == 0 && again.stdout.contains("(promised)"))
    #expect(again.stderr.contains("is also referral 2"))
  }

  @Test func logNamesTheTemplateTheReferralAndTheOutboxFile() throws {
    let intro = try sampleHome()
    defer { intro.remove() }
    let sent = try intro.run(["send", "thank-you-intro", "--referral", "1", "--send"])
    let log = try intro.run(["log"])
    let version = try intro.run(["--version"])

    #expect(sent.status == 0, "\(sent.stderr)")
    #expect(log.stdout.contains("template: thank-you-intro, referral 1"))
    let outbox = intro.home.file("data/intro/outbox")
    let file = try #require(try FileManager.default.contentsOfDirectory(atPath: outbox).first)
    #expect(log.stdout.contains("written to \(outbox)/\(file)"))
    #expect(version.status == 0 && version.stdout.split(separator: ".").count == 3)
  }

  @Test func templatesLintStrictFailsOnWarningsAndStillChecksPastABrokenFile() throws {
    let intro = try IntroCommand()
    defer { intro.remove() }
    let folder = intro.home.file("mine")
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try "Subject: {{#x}}\nTo: {{client.email}}\n\nHi\n".write(
      toFile: folder + "/a-broken.mustache", atomically: true, encoding: .utf8)
    try "Subject: Hello\nTo: {{client.email}}\n\nHi {{client.first_name}},\n\nAny leads for our product?\n"
      .write(
        toFile: folder + "/needy.mustache", atomically: true, encoding: .utf8)

    let builtins = try intro.run(["templates", "lint", "--all", "--strict"])
    let mine = try intro.run(["templates", "lint", "--templates", folder])
    let strict = try intro.run(["templates", "lint", "needy", "--templates", folder, "--strict"])
    let loose = try intro.run(["templates", "lint", "needy", "--templates", folder])

    #expect(builtins.status == 0, "\(builtins.stdout)\(builtins.stderr)")
    #expect(!builtins.stdout.contains("warning"))
    #expect(mine.status == 65)
    #expect(mine.stdout.contains("a-broken.mustache:1:10: error"))
    #expect(
      mine.stdout.contains("needy.mustache:4:4: warning:") && mine.stdout.contains("[greeting-fallback]"))
    #expect(mine.stdout.contains("[needy-ask]"))
    #expect(strict.status == 65 && loose.status == 0)
  }
}

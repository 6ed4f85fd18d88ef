import Foundation
import IntroStore
import IntroTemplates
import TestSupport
import Testing

@testable import IntroKit

/// The sample home in a throwaway store: what `intro init --sample` makes.
private func sampleStore(_ dir: TemporaryDirectory, now: Date = Date()) throws -> Store {
  let store = try Store(path: dir.file("intro.sqlite"))
  _ = try SampleHome.install(into: dir.file("sample"), store: store, now: now)
  return store
}

private var sampleConfig: IntroConfig {
  var config = IntroConfig()
  config.rep = SampleHome.repConfig
  return config
}

@Suite("The built-in templates against the sample data")
struct SampleTemplateTests {
  @Test func sampleFilesAreExactlyTheConfigSampleFolder() throws {
    let folder = TestFiles.repository.appendingPathComponent("config/sample").path
    let names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
    let embedded = try Self.embeddedSample()
    #expect(embedded.map(\.0) == names, "run 'make templates' after changing config/sample/")
    for (name, text) in embedded {
      #expect(
        text == (try String(contentsOfFile: folder + "/" + name, encoding: .utf8)),
        "\(name) differs from config/sample/; run 'make templates'")
    }
  }

  @Test func everyBuiltInTemplateRendersStrictlyForEverySampleReferral() throws {
    let library = try TemplateCatalog.builtin()
    let samples = try SampleHome.contexts()
    #expect(samples.count == 4)
    for name in library.names {
      let entry = try #require(library.entry(named: name))
      for (index, sample) in samples.enumerated() {
        let email = try entry.template.render(sample, partials: library, options: RenderOptions(strict: true))
        let text = email.text
        #expect(!email.body.isEmpty, "\(name) #\(index + 1) rendered an empty body")
        #expect(!text.contains("{{"), "\(name) #\(index + 1) left a tag")
        for bad in ["..", ",,", " ,", " .", "Inc..", "referral", "Lefèvre,", "Archer, Tom"] {
          #expect(
            !text.replacingOccurrences(of: "...", with: "").contains(bad), "\(name) #\(index + 1): '\(bad)'")
        }
        if !entry.template.isFragment {
          #expect(email.header("Subject")?.isEmpty == false, "\(name) has no subject")
        }
      }
    }
  }

  @Test func theGreetingUsesTheFirstNameOfALastCommaFirstContact() throws {
    let library = try TemplateCatalog.builtin()
    let samples = try SampleHome.contexts()
    let entry = try #require(library.entry(named: "thank-you-intro"))
    let greetings = try samples.map { sample in
      try entry.template.render(sample, partials: library).body.split(separator: "\n").first.map(String.init)
    }
    #expect(greetings == ["Hi Marie-Anne,", "Hi Pieter,", "Hi María,", "Hi Chris,"])
  }

  @Test func theBuiltInTemplatesPassTheirOwnLint() throws {
    let library = try TemplateCatalog.builtin()
    let samples = try SampleHome.contexts()
    for name in library.names {
      let entry = try #require(library.entry(named: name))
      let findings = TemplateLint.check(entry, in: library, samples: samples)
      #expect(findings.isEmpty, "\(name): \(findings)")
    }
  }

  @Test func theProgressUpdateSaysWhatHappenedAtEachStage() throws {
    let library = try TemplateCatalog.builtin()
    let entry = try #require(library.entry(named: "progress-update"))
    let context = SendContext(rep: SampleHome.repConfig)
    var lines: [ReferralStage: String] = [:]
    for stage in ReferralStage.allCases {
      let store = try TemporaryDirectory()
      defer { store.remove() }
      let db = try sampleStore(store)
      let referral = try db.setStage(referralID: 1, to: stage)
      let client = try #require(try db.contact(id: referral.introducerID))
      let prospect = try #require(try db.contact(id: referral.prospectID))
      let body = try entry.template.render(
        context.forReferral(referral, introducer: client, prospect: prospect), partials: library
      ).body
      lines[stage] = body.split(separator: "\n").dropFirst().first { !$0.isEmpty }.map(String.init)
    }
    #expect(lines[.won]?.contains("agreed to work together") == true)
    #expect(lines[.meeting]?.contains("have met") == true)
    #expect(lines[.lost]?.contains("timing is not right") == true)
    #expect(lines[.introduced]?.contains("now in touch") == true)
    #expect(lines[.stalled]?.contains("not found the right moment") == true)
    #expect(Set(lines.values).count == ReferralStage.allCases.count - 1)  // asked and promised share a line
  }

  private static func embeddedSample() throws -> [(String, String)] {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let store = try Store(path: dir.file("s.sqlite"))
    _ = try SampleHome.install(into: dir.file("files"), store: store)
    return try FileManager.default.contentsOfDirectory(atPath: dir.file("files")).sorted().map {
      ($0, try String(contentsOfFile: dir.file("files/\($0)"), encoding: .utf8))
    }
  }
}

@Suite("intro templates lint: each rule on a bad example")
struct TemplateLintRuleTests {
  private func findings(_ source: String, name: String = "t") throws -> [TemplateLint.Rule] {
    var library = try TemplateCatalog.builtin()
    try library.add(name: name, source: source, file: "\(name).mustache")
    let entry = try #require(library.entry(named: name))
    return TemplateLint.check(entry, in: library, samples: try SampleHome.contexts()).map(\.rule)
  }

  private let head = "Subject: Hello\nTo: {{client.email}}\nIntro-Audience: client\n\n"

  @Test(arguments: [
    ("Thank you for the referral!", TemplateLint.Rule.sayIntroduction),
    ("Would you refer me to someone?", .sayIntroduction),
    ("Who do you know who could use our reporting?", .neediness),
    ("Any leads would help.", .neediness),
    ("Sorry to bother you again.", .neediness),
    ("I am behind on my quota.", .neediness),
    ("Great to work with {{client.company}}.", .doublePunctuation),
    (
      "Great to work with you{{#client.company}} at {{client.company}}{{/client.company}}.",
      .doublePunctuation
    ),
    ("As you said: {{referral.about_prospect}}", .internalNote),
    ("{{client.notes}}", .internalNote),
  ])
  func aRuleFiresOnItsBadExample(body: String, rule: TemplateLint.Rule) throws {
    #expect(try findings(head + "Hi {{client.first_name | \"there\"}},\n\n" + body + "\n") == [rule])
  }

  @Test func aGreetingWithoutAFallbackIsFlaggedAtItsTag() throws {
    var library = try TemplateCatalog.builtin()
    try library.add(name: "t", source: head + "Hi {{client.first_name}},\n\nThanks.\n", file: "t.mustache")
    let found = TemplateLint.check(try #require(library.entry(named: "t")), in: library)
    #expect(found.map(\.rule) == [.greetingFallback])
    #expect(found.first?.location.description == "t.mustache:5:4")
  }

  @Test func aSubjectOver78CharactersWithTheSampleDataIsFlagged() throws {
    let long =
      "Subject: A long note to thank you, {{client.first_name}}, for everything this year and the years before it\n"
    #expect(try findings(long + "To: {{client.email}}\n\nHi there,\n") == [.longSubject])
  }

  @Test func aBlurbOver120WordsIsFlagged() throws {
    let words = Array(repeating: "{{rep.name}} listens before proposing anything.", count: 25).joined(
      separator: " ")
    #expect(try findings(words + "\n", name: "blurb") == [.longBlurb])
    #expect(try findings("{{rep.name}} listens first.\n", name: "blurb").isEmpty)
  }

  @Test func theRepsOwnDigestMayUseNotesAndTheWordReferral() throws {
    let source =
      "Subject: Today\nTo: {{rep.email}}\nIntro-Audience: rep\n\nHi there,\n\nReferral: {{contact.notes}}\n"
    #expect(try findings(source).isEmpty)
  }

  @Test func wordsInsideTagsAndMetadataAreNotCopy() throws {
    let source =
      "Subject: Hi\nTo: {{client.email}}\nIntro-Description: a referral ask\n\nHi there,\n\nAbout {{referral.id}}\n"
    #expect(try findings(source).isEmpty)
  }
}

@Suite("intro blurb")
struct BlurbTests {
  private static let today = Date(timeIntervalSince1970: 1_796_198_400)  // 2026-12-02

  @Test func theBlurbForTheFirstSampleReferralMatchesTheReviewedGoldenFile() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let blurb = try Blurb.make(
      referral: 1, store: try sampleStore(dir), config: sampleConfig, library: try TemplateCatalog.builtin(),
      today: Self.today)
    let golden = TestFiles.repository.appendingPathComponent("Tests/IntroKitTests/Golden/blurb-1.txt").path
    let text = "Subject: \(blurb.subject)\n\n\(blurb.text)\n"
    if ProcessInfo.processInfo.environment["INTRO_UPDATE_GOLDEN"] == "1" {
      try text.write(toFile: golden, atomically: true, encoding: .utf8)
    }
    #expect(
      text == (try String(contentsOfFile: golden, encoding: .utf8)), "INTRO_UPDATE_GOLDEN=1 rewrites it")
  }

  @Test func everySampleBlurbIsShortAndNeverQuotesTheRepsNotes() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let store = try sampleStore(dir)
    let library = try TemplateCatalog.builtin()
    for referral in try store.referrals() {
      let blurb = try Blurb.make(referral: referral.id, store: store, config: sampleConfig, library: library)
      #expect(blurb.words <= Blurb.wordLimit, "referral \(referral.id): \(blurb.words) words")
      #expect(blurb.text.contains("Dana Reyes"))
      for problem in referral.problems { #expect(blurb.text.contains(problem), "\(problem)") }
      let people = [referral.introducerID, referral.prospectID].compactMap { try? store.contact(id: $0) }
      let notes = [referral.aboutProspect, referral.whyMe, referral.howToIntroduce] + people.map(\.notes)
      for note in notes.compactMap({ $0 }) where note.count > 12 {
        #expect(!blurb.text.contains(note), "referral \(referral.id) quotes a note: \(note)")
        #expect(!blurb.text.contains(note.prefix(20)), "referral \(referral.id) quotes a note: \(note)")
      }
    }
  }

  @Test(arguments: [
    ("they are opening a second office.", "you are opening a second office"),
    ("Their board wants a forecast", "Your board wants a forecast"),
    ("they're hiring; funding closed", "you're hiring; funding closed"),
    ("the theory of themes", "the theory of themes"),
  ])
  func whyNowIsToldToTheProspect(note: String, told: String) {
    #expect(SendContext.toReader(note) == told)
  }

  /// Dates in copy are English and exact whatever the locale, and a date
  /// that does not exist is left out rather than moved.
  @Test func datesInCopyAreEnglishAndOnlyRealDatesAreShown() throws {
    #expect(SendContext.longDate("2026-12-05") == "December 5, 2026")
    #expect(SendContext.longDate("2028-02-29T10:00:00Z") == "February 29, 2028")
    #expect(SendContext.longDate("2026-02-30") == nil)
    // The same rule where a rep types a date (--promised-by, an import's column).
    #expect(ContactImport.isDay("2028-02-29") && !ContactImport.isDay("2026-02-29"))
    #expect(!ContactImport.isDay("2026-02-30") && !ContactImport.isDay("2026-2-03"))
    #expect(LocalTime.days(from: "2026-02-27", to: "2026-03-02") == 3)
    #expect(SendContext.longDate("next week") == nil)
    let today = try #require(ISO8601DateFormatter().date(from: "2026-12-02T12:00:00Z"))
    #expect(SendContext.relationship(since: "2024-03-10", today: today) == "since March 2024")
    #expect(SendContext.relationship(since: "2027-01-01", today: today) == nil)
    #expect(SendContext.longDate(today) == "December 2, 2026" || TimeZone.current.secondsFromGMT() != 0)
  }

  @Test func aMissingRepValueSaysWhichKeyToSetInWhichFile() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var config = IntroConfig()
    config.file = "/home/dana/.config/intro/config.toml"
    #expect {
      try Blurb.make(
        referral: 1, store: try sampleStore(dir), config: config, library: try TemplateCatalog.builtin())
    } throws: { error in
      "\(error)".contains("set name in [rep] of /home/dana/.config/intro/config.toml")
    }
  }
}

@Suite("intro suggest: whom to ask next")
struct ClientRankingTests {
  private let now = Date(timeIntervalSince1970: 1_796_198_400)  // 2026-12-02
  private func daysAgo(_ days: Double) -> Date { now.addingTimeInterval(-days * 86_400) }

  @Test func strongRelationshipsComeFirstAndBadMomentsLastEachWithItsReason() {
    let facts = [
      RelationshipFacts(
        contactID: 1, email: "warm@example.com", name: "Warm Long", clientSince: "2023-01-10",
        satisfaction: 9,
        recentContacts: 4, lastContact: daysAgo(3)),
      RelationshipFacts(
        contactID: 2, email: "new@example.com", name: "New Happy", clientSince: "2026-10-01", satisfaction: 10
      ),
      RelationshipFacts(
        contactID: 3, email: "asked@example.com", name: "Asked Lately", clientSince: "2022-01-01",
        satisfaction: 10, recentContacts: 4, lastContact: daysAgo(1), lastAsk: daysAgo(20)),
      RelationshipFacts(
        contactID: 4, email: "cold@example.com", name: "Cold Old", clientSince: "2020-01-01", satisfaction: 8,
        lastContact: daysAgo(300)),
      RelationshipFacts(
        contactID: 5, email: "unhappy@example.com", name: "Unhappy", clientSince: "2021-01-01",
        satisfaction: 4,
        recentContacts: 4, lastContact: daysAgo(2)),
      RelationshipFacts(
        contactID: 6, email: "pending@example.com", name: "Pending Intro", clientSince: "2021-01-01",
        satisfaction: 9, recentContacts: 2, lastContact: daysAgo(5), introductions: 1, pendingIntroductions: 1
      ),
      RelationshipFacts(
        contactID: 7, email: "thanked@example.com", name: "Just Thanked", clientSince: "2021-01-01",
        satisfaction: 9, recentContacts: 2, lastContact: daysAgo(2), lastThanks: daysAgo(3), introductions: 1),
    ]
    var fatigue = FatigueSettings()
    fatigue.periodDays = 90
    let ranked = ClientRanking(fatigue: fatigue, now: now).rank(facts)

    #expect(ranked.map(\.contact) == [1, 4, 2, 3, 7, 6, 5])
    #expect(ranked.map(\.ready) == [true, true, true, false, false, false, false])
    #expect(ranked[0].score == 96)
    #expect(
      ranked[0].reason
        == "satisfaction 9/10, client for 3 years, 4 contacts in 90 days, last in touch 3 days ago, never asked"
    )
    #expect(ranked[3].reason.hasPrefix("wait: asked 20 days ago; the next ask may go from 2027-02-10"))
    #expect(ranked[4].reason == "wait: thanked 3 days ago; give it a couple of weeks")
    #expect(ranked[5].reason.contains("an introduction they offered has not happened yet"))
    #expect(ranked[6].reason == "wait: satisfaction 4/10; a check-in before any ask")
  }

  @Test func theSampleStoreLeavesOutDoNotContactAndHoldsBackAPendingIntroduction() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let ranked = try ClientRanking(now: now).rank(try sampleStore(dir, now: now))
    #expect(!ranked.contains { $0.email == "tom.archer@archer-legal.example" })
    #expect(ranked.count == 5)
    #expect(ranked.last?.email == "pieter@vdberg-bouw.example")
    #expect(ranked.first?.email == "maria.garcia@solana-foods.example")
  }
}

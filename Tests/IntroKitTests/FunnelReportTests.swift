import Foundation
import IntroStore
import TestSupport
import Testing

@testable import IntroKit

/// The report over a store whose stage histories are known, checked against
/// numbers worked out by hand (every date at 10:00 UTC, so stays are whole days).
@Suite("intro report: the funnel, cohorts and timings, by hand")
struct FunnelReportTests {
  func day(_ text: String) throws -> Date {
    try #require(ISO8601DateFormatter().date(from: text + "T10:00:00Z"))
  }

  /// Four referrals: R1 won, R2 lost after a late introduction, R3 still asked, R4 stalled (asked in October).
  func craftedStore(_ dir: TemporaryDirectory) throws -> Store {
    let store = try Store(path: dir.file("intro.sqlite"))
    func contact(_ email: String, _ name: String, client: Bool) throws -> Int64 {
      var input = ContactInput(email: email, normalizedEmail: email)
      input.name = name
      input.isClient = client
      return try store.addContact(input).id
    }
    let ann = try contact("ann@example.com", "Ann Ng", client: true)
    let bo = try contact("bo@example.com", "Bo Li", client: true)
    let prospects = try (1...4).map { try contact("p\($0)@example.net", "Prospect \($0)", client: false) }
    func referral(
      _ introducer: Int64, _ prospect: Int64, asked: String, promisedBy: String?,
      moves: [(ReferralStage, String)]
    )
      throws
    {
      var input = ReferralInput(introducerID: introducer, prospectID: prospect)
      input.promisedBy = promisedBy
      let made = try store.addReferral(input, now: try day(asked))
      for (stage, date) in moves {
        _ = try store.setStage(referralID: made.id, to: stage, now: try day(date))
      }
    }
    try referral(
      ann, prospects[0], asked: "2026-11-02", promisedBy: "2026-11-10",
      moves: [
        (.promised, "2026-11-04"), (.introduced, "2026-11-09"), (.meeting, "2026-11-16"),
        (.won, "2026-11-30"),
      ])
    try referral(
      ann, prospects[1], asked: "2026-11-03", promisedBy: "2026-11-12",
      moves: [(.promised, "2026-11-05"), (.introduced, "2026-11-15"), (.lost, "2026-11-20")])
    try referral(bo, prospects[2], asked: "2026-11-10", promisedBy: nil, moves: [])
    try referral(
      bo, prospects[3], asked: "2026-10-20", promisedBy: nil,
      moves: [(.promised, "2026-10-21"), (.stalled, "2026-10-31")])
    // Three messages in November: one sent, one refused with 550, one deferred.
    let ids = try store.recordTestBatch(count: 3, now: try day("2026-11-20"))
    let attempt = { (code: Int) in
      AttemptRecord(
        startedAt: Date(), finishedAt: Date(), outcome: "permanent", stage: "rcpt-to", smtpCode: code)
    }
    // An ask to Ann, sent on 25 November; a nudge about R2 fired the day before its introduction.
    let asked = try #require(
      try store.recordBatch(
        template: "intro-request", command: "intro send", audience: "--to ann", now: try day("2026-11-25")
      ) {
        recorder in
        try recorder.add(
          NewMessage(
            recipient: "ann@example.com", recipientKey: "ann@example.com", sender: "rep@example.com",
            messageID: "ask.1@example.com", idempotencyKey: "ask-ann", template: "intro-request",
            subject: "A question",
            body: Array("Subject: A question\r\n\r\nHi\r\n".utf8), contactID: ann, purpose: .ask))
        return true
      })
    _ = try store.recordFirings(
      [
        NewFiring(
          key: FiringKey(rule: "late-introduction", subject: "referral:2", occurrence: "2026-11-12"),
          dueAt: try day("2026-11-14"), late: false, message: nil)
      ],
      tasks: [], digest: nil, command: "intro remind --send", now: try day("2026-11-14"))
    let sentAt = try day("2026-11-25")
    try store.record([
      .finished(
        id: asked.messageIDs[0], state: .sent,
        attempt: AttemptRecord(startedAt: sentAt, finishedAt: sentAt, outcome: "delivered"),
        nextAttemptAt: nil,
        note: nil),
      .finished(id: ids[0], state: .sent, attempt: attempt(250), nextAttemptAt: nil, note: nil),
      .finished(id: ids[1], state: .failed, attempt: attempt(550), nextAttemptAt: nil, note: "rejected"),
      .finished(id: ids[2], state: .deferred, attempt: attempt(451), nextAttemptAt: Date(), note: "later"),
    ])
    return store
  }

  @Test func theFunnelCountsEveryStageUpToTheFurthestReached() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let report = try FunnelReport.make(
      store: try craftedStore(dir), since: nil, until: nil, now: try day("2026-12-01"))

    #expect(report.funnel.map(\.count) == [4, 3, 2, 1, 1])
    #expect(report.funnel.map(\.stepRate) == [1, 0.75, 0.667, 0.5, 1])
    #expect(report.funnel.map(\.cumulativeRate) == [1, 0.75, 0.5, 0.25, 0.25])
    #expect((report.lost, report.stalled, report.open, report.closed) == (1, 1, 1, 3))
    #expect(
      report.cohorts == [
        .init(month: "2026-10", asked: 1, won: 0, rate: 0),
        .init(month: "2026-11", asked: 3, won: 1, rate: 0.333),
      ])
  }

  @Test func timingsAreMediansAndNinetiethPercentilesInDays() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let report = try FunnelReport.make(
      store: try craftedStore(dir), since: nil, until: nil, now: try day("2026-12-01"))
    let days = Dictionary(
      uniqueKeysWithValues: report.stageDays.map {
        ("\($0.stage) \($0.status)", [Double($0.count), $0.medianDays, $0.p90Days])
      })

    #expect(days["asked closed"] == [3, 2, 2])
    #expect(days["asked open"] == [1, 21, 21])
    #expect(days["promised closed"] == [3, 10, 10])
    #expect(days["introduced closed"] == [2, 6, 7])
    #expect(days["meeting closed"] == [1, 14, 14])
    #expect(days["won open"] == [1, 1, 1])
    #expect(days["lost open"] == [1, 11, 11])
    #expect(days["stalled open"] == [1, 31, 31])
    #expect(report.askToIntroduction == .init(count: 2, medianDays: 9.5, p90Days: 12))
    #expect(report.onTime == .init(promised: 2, onTime: 1, rate: 0.5))
    #expect(
      report.topIntroducers == [.init(name: "Ann Ng", email: "ann@example.com", introductions: 2, won: 1)])
    #expect(report.mail.sent == 2 && report.mail.failed == 1 && report.mail.deferred == 1)
    #expect(report.mostAsked == [.init(name: "Ann Ng", email: "ann@example.com", asks: 1)])
    #expect(report.reminders == [.init(rule: "late-introduction", fired: 1, followedWithin7Days: 1)])
    #expect(report.mail.failuresByCode == [.init(code: 550, count: 1)])
  }

  @Test func theJSONKeysAndValuesMatchTheGoldenFile() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let report = try FunnelReport.make(
      store: try craftedStore(dir), since: nil, until: nil, now: try day("2026-12-01"))
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let json = String(decoding: try encoder.encode(report), as: UTF8.self) + "\n"
    let golden = TestFiles.repository.appendingPathComponent("Tests/IntroKitTests/Golden/report.json").path
    if ProcessInfo.processInfo.environment["INTRO_UPDATE_GOLDEN"] == "1" {
      try json.write(toFile: golden, atomically: true, encoding: .utf8)
    }

    #expect(
      json == (try String(contentsOfFile: golden, encoding: .utf8)), "INTRO_UPDATE_GOLDEN=1 rewrites it")
  }

  @Test func aPeriodKeepsOnlyTheReferralsAskedInIt() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let report = try FunnelReport.make(
      store: try craftedStore(dir), since: "2026-11-01", until: "2026-11-30", now: try day("2026-12-01"))

    #expect(report.funnel.map(\.count) == [3, 2, 2, 1, 1])
    #expect(report.stalled == 0)
    #expect(report.cohorts.map(\.month) == ["2026-11"])
  }

  @Test func anEmptyStoreOrPeriodReportsZerosAndDividesByNothing() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let empty = try FunnelReport.make(
      store: try Store(path: dir.file("empty.sqlite")), since: nil, until: nil)
    let quiet = try FunnelReport.make(
      store: try craftedStore(dir), since: "2025-01-01", until: "2025-01-31", now: try day("2026-12-01"))

    for report in [empty, quiet] {
      #expect(report.funnel.allSatisfy { $0.count == 0 && $0.stepRate == 0 && $0.cumulativeRate == 0 })
      #expect(report.askToIntroduction == .init(count: 0, medianDays: 0, p90Days: 0))
      #expect(report.onTime.rate == 0)
      #expect(report.cohorts.isEmpty && report.weeks.isEmpty && report.topIntroducers.isEmpty)
      #expect(report.html.contains("no asks in this period"))
    }
  }
}

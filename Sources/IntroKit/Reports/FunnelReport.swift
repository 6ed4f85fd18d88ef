import Foundation
public import IntroStore

/// `intro report`: is asking for introductions working? The JSON keys are
/// stable (documented in the README and pinned by a test).
public struct FunnelReport: Sendable, Codable, Equatable {
  public struct Period: Sendable, Codable, Equatable {
    /// `YYYY-MM-DD`, inclusive; nil for "from the start".
    public var since: String?
    /// `YYYY-MM-DD`, inclusive; nil for "until now".
    public var until: String?

    // Every key is written, null included: the JSON's keys never change.
    public func encode(to encoder: any Encoder) throws {
      var container = encoder.container(keyedBy: CodingKeys.self)
      try container.encode(since, forKey: .since)
      try container.encode(until, forKey: .until)
    }
  }

  /// One step of the funnel: how many of the period's referrals reached it (in order).
  public struct Step: Sendable, Codable, Equatable {
    public var stage: String
    public var count: Int
    /// Of those that reached the step before, the share that reached this one.
    public var stepRate: Double
    /// Of all asked, the share that reached this one.
    public var cumulativeRate: Double
  }

  public struct Cohort: Sendable, Codable, Equatable {
    /// `YYYY-MM`, the month of the ask.
    public var month: String
    public var asked: Int
    public var won: Int
    public var rate: Double
  }

  /// Days spent in a stage: `closed` stays ended when the referral moved on; `open` ones still run.
  public struct Duration: Sendable, Codable, Equatable {
    public var stage: String
    public var status: String
    public var count: Int
    public var medianDays: Double
    public var p90Days: Double
  }

  public struct Summary: Sendable, Codable, Equatable {
    public var count: Int
    public var medianDays: Double
    public var p90Days: Double
  }

  public struct OnTime: Sendable, Codable, Equatable {
    /// Referrals with a promised date that has passed, or that were introduced.
    public var promised: Int
    /// Of those, introduced by the promised date.
    public var onTime: Int
    public var rate: Double
  }

  public struct Introducer: Sendable, Codable, Equatable {
    public var name: String
    public var email: String
    public var introductions: Int
    public var won: Int
  }

  public struct Asked: Sendable, Codable, Equatable {
    public var name: String
    public var email: String
    public var asks: Int
  }

  public struct Mail: Sendable, Codable, Equatable {
    public var sent, deferred, failed, uncertain, suppressed, waiting: Int
    public var failuresByCode: [CodeCount]
  }

  public struct CodeCount: Sendable, Codable, Equatable {
    /// The SMTP reply code of the last attempt; nil when the relay never answered.
    public var code: Int?
    public var count: Int

    public func encode(to encoder: any Encoder) throws {
      var container = encoder.container(keyedBy: CodingKeys.self)
      try container.encode(code, forKey: .code)
      try container.encode(count, forKey: .count)
    }
  }

  public struct ReminderOutcome: Sendable, Codable, Equatable {
    public var rule: String
    public var fired: Int
    /// Reminders about a referral whose referral moved on within 7 days.
    public var followedWithin7Days: Int
  }

  public struct Week: Sendable, Codable, Equatable {
    /// The Monday that starts the week, `YYYY-MM-DD`.
    public var week: String
    public var asks: Int
    public var wins: Int
  }

  public var period: Period
  public var funnel: [Step]
  public var lost: Int
  public var stalled: Int
  /// Referrals still moving (not won, lost or stalled) and those that ended.
  public var open: Int
  public var closed: Int
  public var cohorts: [Cohort]
  public var stageDays: [Duration]
  public var askToIntroduction: Summary
  public var onTime: OnTime
  public var topIntroducers: [Introducer]
  public var mostAsked: [Asked]
  public var mail: Mail
  public var reminders: [ReminderOutcome]
  public var weeks: [Week]

  /// The sections `--csv --section NAME` can print.
  public static let sections = [
    "funnel", "cohorts", "stage-days", "introducers", "most-asked", "mail", "failures", "reminders", "weeks",
  ]

  /// The report of the referrals asked and the messages made in `[since, until]` (local dates, inclusive).
  public static func make(store: any ReportSource, since: String?, until: String?, now: Date = Date())
    throws(StoreError)
    -> FunnelReport
  {
    let start = since.flatMap(Self.day) ?? Date(timeIntervalSince1970: 0)
    let end = until.flatMap(Self.day)?.addingTimeInterval(86_400) ?? now.addingTimeInterval(1)
    let facts = try store.reportFacts(since: start, until: end, now: now)
    return FunnelReport(facts, period: Period(since: since, until: until), now: min(now, end))
  }

  init(_ facts: ReportFacts, period: Period, now: Date) {
    self.period = period
    let referrals = facts.referrals
    var counts = Array(repeating: 0, count: mainPath.count)
    for referral in referrals {
      for rank in 0...min(referral.reached, mainPath.count - 1) { counts[rank] += 1 }
    }
    funnel = mainPath.indices.map { index in
      Step(
        stage: mainPath[index].rawValue, count: counts[index],
        stepRate: Self.rate(counts[index], index == 0 ? counts[0] : counts[index - 1]),
        cumulativeRate: Self.rate(counts[index], counts[0]))
    }
    lost = referrals.filter { $0.stage == .lost }.count
    stalled = referrals.filter { $0.stage == .stalled }.count
    closed = referrals.filter { [.won, .lost, .stalled].contains($0.stage) }.count
    open = referrals.count - closed

    // Keyed by numbers, formatted once per key: a string per referral cost more than the SQL.
    var byMonth: [Int: (asked: Int, won: Int)] = [:]
    for referral in referrals {
      let month = Self.monthKey(referral.askedAt)
      byMonth[month, default: (0, 0)].asked += 1
      if referral.reached >= 4 { byMonth[month, default: (0, 0)].won += 1 }
    }
    cohorts = byMonth.keys.sorted().map { month in
      let value = byMonth[month] ?? (0, 0)
      return Cohort(
        month: String(format: "%04d-%02d", month / 100, month % 100), asked: value.asked, won: value.won,
        rate: Self.rate(value.won, value.asked))
    }

    var stays: [ReferralStage: (closed: [Double], open: [Double])] = [:]
    for stay in facts.stays {
      if stay.closed {
        stays[stay.stage, default: ([], [])].closed.append(stay.days)
      } else {
        stays[stay.stage, default: ([], [])].open.append(stay.days)
      }
    }
    stageDays = ReferralStage.allCases.flatMap { stage in
      ["closed", "open"].compactMap { status -> Duration? in
        let days = (status == "closed" ? stays[stage]?.closed : stays[stage]?.open) ?? []
        guard !days.isEmpty else { return nil }
        let summary = Self.summary(days)
        return Duration(
          stage: stage.rawValue, status: status, count: days.count, medianDays: summary.medianDays,
          p90Days: summary.p90Days)
      }
    }
    askToIntroduction = Self.summary(
      referrals.compactMap { referral in
        referral.introducedAt.map { $0.timeIntervalSince(referral.askedAt) / 86_400 }
      })

    let today = Self.dayText(now)
    let promised = referrals.filter { referral in
      guard let date = referral.promisedBy else { return false }
      return date < today || referral.introducedAt != nil
    }
    let madeInTime = promised.filter { referral in
      guard let date = referral.promisedBy, let made = referral.introducedAt else { return false }
      return Self.dayText(made) <= date
    }.count
    onTime = OnTime(promised: promised.count, onTime: madeInTime, rate: Self.rate(madeInTime, promised.count))

    var made: [Int64: (introductions: Int, won: Int)] = [:]
    for referral in referrals where referral.reached >= 2 {
      made[referral.introducerID, default: (0, 0)].introductions += 1
      if referral.reached >= 4 { made[referral.introducerID, default: (0, 0)].won += 1 }
    }
    func person(_ id: Int64) -> (String, String) {
      let found = facts.people[id]
      return (found?.name ?? found?.email ?? "contact \(id)", found?.email ?? "")
    }
    topIntroducers = made.sorted {
      ($1.value.introductions, $1.value.won, $0.key) < ($0.value.introductions, $0.value.won, $1.key)
    }
    .prefix(10).map { id, value in
      let (name, email) = person(id)
      return Introducer(name: name, email: email, introductions: value.introductions, won: value.won)
    }
    mostAsked = facts.asksByClient.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.prefix(10).map {
      id, asks in
      let (name, email) = person(id)
      return Asked(name: name, email: email, asks: asks)
    }

    let states = facts.messageStates
    mail = Mail(
      sent: states["sent"] ?? 0, deferred: states["deferred"] ?? 0, failed: states["failed"] ?? 0,
      uncertain: states["uncertain"] ?? 0, suppressed: states["suppressed"] ?? 0,
      waiting: (states["pending"] ?? 0) + (states["sending"] ?? 0) + (states["in_data"] ?? 0),
      failuresByCode: facts.failureCodes.sorted { ($1.value, $0.key ?? 0) < ($0.value, $1.key ?? 0) }.map {
        CodeCount(code: $0.key, count: $0.value)
      })

    var byRule: [String: (fired: Int, followed: Int)] = [:]
    for firing in facts.firings {
      byRule[firing.rule, default: (0, 0)].fired += 1
      if firing.followed == true { byRule[firing.rule, default: (0, 0)].followed += 1 }
    }
    reminders = byRule.keys.sorted().map { rule in
      ReminderOutcome(
        rule: rule, fired: byRule[rule]?.fired ?? 0, followedWithin7Days: byRule[rule]?.followed ?? 0)
    }

    var weekly: [Int: (asks: Int, wins: Int)] = [:]
    for referral in referrals { weekly[Self.mondayNumber(referral.askedAt), default: (0, 0)].asks += 1 }
    for win in facts.wins { weekly[Self.mondayNumber(win), default: (0, 0)].wins += 1 }
    weeks = weekly.keys.sorted().map { day in
      Week(
        week: Self.dayText(Date(timeIntervalSince1970: Double(day) * 86_400)), asks: weekly[day]?.asks ?? 0,
        wins: weekly[day]?.wins ?? 0)
    }
  }

  /// `part / whole` to three decimals; 0 when there is nothing to divide.
  static func rate(_ part: Int, _ whole: Int) -> Double {
    whole == 0 ? 0 : (Double(part) / Double(whole) * 1000).rounded() / 1000
  }

  /// Median and 90th percentile (nearest rank), in days to one decimal.
  static func summary(_ values: [Double]) -> Summary {
    guard !values.isEmpty else { return Summary(count: 0, medianDays: 0, p90Days: 0) }
    let sorted = values.sorted()
    let median =
      sorted.count % 2 == 1
      ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    let p90 = sorted[max(0, Int((0.9 * Double(sorted.count)).rounded(.up)) - 1)]
    return Summary(
      count: values.count, medianDays: (median * 10).rounded() / 10, p90Days: (p90 * 10).rounded() / 10)
  }

  private static let utc: Calendar = {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
    return calendar
  }()

  static func day(_ text: String) -> Date? {
    let parts = text.split(separator: "-").compactMap { Int($0) }
    guard parts.count == 3 else { return nil }
    return utc.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2]))
  }

  /// `YYYY-MM-DD` in UTC, through libc: a Calendar per referral cost a second on 100,000.
  static func dayText(_ date: Date) -> String {
    let parts = utcParts(date)
    func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
    return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))"
  }

  /// The day number (days since 1970-01-01) of the Monday of `date`'s UTC week.
  static func mondayNumber(_ date: Date) -> Int {
    let day = Int((date.timeIntervalSince1970 / 86_400).rounded(.down))
    // 1970-01-01 was a Thursday: three days after a Monday.
    return day - ((day % 7 + 7 + 3) % 7)
  }

  /// `year * 100 + month` of `date` in UTC.
  static func monthKey(_ date: Date) -> Int {
    let parts = utcParts(date)
    return Int(parts.tm_year + 1900) * 100 + Int(parts.tm_mon + 1)
  }

  private static func utcParts(_ date: Date) -> tm {
    var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
    var parts = tm()
    gmtime_r(&seconds, &parts)
    return parts
  }
}

import Foundation
internal import GRDB

/// The rows `intro report` is computed from, read in one transaction with
/// the period applied in SQL (on indexed columns), so a store of 100,000
/// referrals and a million messages reports in well under a second.
public struct ReportFacts: Sendable {
  /// A referral asked for in the period, with how far it got.
  public struct ReferralRow: Sendable {
    public var id: Int64
    public var introducerID: Int64
    public var stage: ReferralStage
    public var askedAt: Date
    /// `YYYY-MM-DD`.
    public var promisedBy: String?
    /// The furthest stage on the main path it reached: asked 0 … won 4.
    public var reached: Int
    /// When it first reached `introduced` or later.
    public var introducedAt: Date?
    public var wonAt: Date?
  }

  /// A stretch a referral spent in one stage: closed when it moved on.
  public struct StageStay: Sendable {
    public var stage: ReferralStage
    public var days: Double
    public var closed: Bool
  }

  /// A contact's name and address, for the tables.
  public struct Person: Sendable {
    public var id: Int64
    public var name: String?
    public var email: String
  }

  public var referrals: [ReferralRow] = []
  public var stays: [StageStay] = []
  public var people: [Int64: Person] = [:]
  /// Message states of the period's messages, with counts.
  public var messageStates: [String: Int] = [:]
  /// The last SMTP code of each failed message of the period, with counts (nil: no code).
  public var failureCodes: [Int?: Int] = [:]
  /// Asks per client in the 90 days before the end of the period.
  public var asksByClient: [Int64: Int] = [:]
  /// Per firing in the period: its rule and, for a referral, whether it moved on within 7 days.
  public var firings: [(rule: String, followed: Bool?)] = []
  /// Wins in the period, by when.
  public var wins: [Date] = []
}

/// The main path of a referral, in order.
public let mainPath: [ReferralStage] = [.asked, .promised, .introduced, .meeting, .won]

/// Builds ``ReportFacts`` from the rows each backend reads its own way (a
/// SQLite file with cursors over plain scans, PostgreSQL with its dialect):
/// the grouping, reach and stays are worked out once, here.
struct ReportAssembly {
  var facts = ReportFacts()
  private let since: Date
  private let until: Date
  // Referral ids are dense: a flat table from id to position beats hashing 300,000 lookups.
  private var index: [Int32]
  private var open: [(stage: ReferralStage, at: Date)?] = []
  private let stages = ReferralStage.allCases

  init(since: Date, until: Date, maxReferralID: Int64) {
    self.since = since
    self.until = until
    index = [Int32](repeating: -1, count: Int(max(0, min(maxReferralID, 50_000_000))) + 1)
  }

  /// The CASE that turns a stage's name into its number (its place in
  /// ``ReferralStage/allCases``): numbers decode faster than strings.
  static let stageNumbers = ReferralStage.allCases.enumerated().map { "WHEN '\($1.rawValue)' THEN \($0)" }
    .joined(separator: " ")

  /// A referral of the period, before any stage change.
  mutating func referral(
    id: Int64, introducerID: Int64, stage: String?, createdAt: String, promisedBy: String?
  ) {
    let stage = stage.flatMap(ReferralStage.init(rawValue:)) ?? .asked
    if id >= 0, id < index.count { index[Int(id)] = Int32(facts.referrals.count) }
    facts.referrals.append(
      ReportFacts.ReferralRow(
        id: id, introducerID: introducerID, stage: stage, askedAt: Timestamp.parse(createdAt) ?? since,
        promisedBy: promisedBy, reached: mainPath.firstIndex(of: stage) ?? 0, introducedAt: nil, wonAt: nil))
  }

  /// A real move (not a note) of any referral, in the order they were written; after every referral.
  mutating func change(referral: Int64, stageNumber: Int, seconds: Double) {
    if open.count != facts.referrals.count {
      open = [(stage: ReferralStage, at: Date)?](repeating: nil, count: facts.referrals.count)
    }
    guard stageNumber >= 0, stageNumber < stages.count else { return }
    let stage = stages[stageNumber]
    let at = Date(timeIntervalSince1970: seconds.rounded())
    if stage == .won, at >= since, at < until { facts.wins.append(at) }
    guard referral >= 0, referral < index.count, index[Int(referral)] >= 0 else { return }
    let position = Int(index[Int(referral)])
    if let previous = open[position] {
      facts.stays.append(
        ReportFacts.StageStay(
          stage: previous.stage, days: max(0, at.timeIntervalSince(previous.at) / 86_400), closed: true))
    }
    open[position] = (stage, at)
    if let rank = mainPath.firstIndex(of: stage) {
      facts.referrals[position].reached = max(facts.referrals[position].reached, rank)
      if rank >= 2, facts.referrals[position].introducedAt == nil {
        facts.referrals[position].introducedAt = at
      }
      if stage == .won, facts.referrals[position].wonAt == nil { facts.referrals[position].wonAt = at }
    }
  }

  /// Closes the stays still open at `now`.
  mutating func finishStays(now: Date) {
    for case let stay? in open {
      facts.stays.append(
        ReportFacts.StageStay(
          stage: stay.stage, days: max(0, now.timeIntervalSince(stay.at) / 86_400), closed: false))
    }
  }
}

extension Store {
  /// The report's rows for referrals asked and messages made from `since` up to (not including) `until`.
  ///
  /// A few plain scans, grouped in Swift: every stage change in the order it
  /// was written (a referral's changes are written in time order), the period's referrals, and
  /// index-only counts of the messages. Window functions and correlated
  /// subqueries over the same rows took 8 s on 100,000 referrals; this, well under one.
  public func reportFacts(since: Date, until: Date, now: Date = Date()) throws(StoreError) -> ReportFacts {
    let from = Timestamp.format(since)
    let to = Timestamp.format(until)
    return try read { db in
      let maxID = try Int64.fetchOne(db, sql: "SELECT max(id) FROM referrals") ?? 0
      var assembly = ReportAssembly(since: since, until: until, maxReferralID: maxID)
      // The whole store is a plain table scan; a period, a range of the ask-date index.
      let everything = since.timeIntervalSince1970 <= 0 && until > now
      let referrals = try Row.fetchCursor(
        db,
        sql: "SELECT id, introducer_id, stage, created_at, promised_by FROM referrals"
          + (everything ? "" : " WHERE created_at >= ? AND created_at < ?"),
        arguments: everything ? [] : [from, to])
      while let row = try referrals.next() {
        assembly.referral(
          id: row[0], introducerID: row[1], stage: row[2], createdAt: row[3], promisedBy: row[4])
      }
      // Stays and reach from the changes, read in the order they were written
      // (each referral's in time order): a plain table scan, no sort. Numbers
      // only (the stage's number, seconds since 1970): decoding two strings
      // and a timestamp per row cost more than the scan itself.
      let changes = try Row.fetchCursor(
        db,
        sql: """
          SELECT referral_id, CASE to_stage \(ReportAssembly.stageNumbers) ELSE -1 END,
            (julianday(changed_at) - 2440587.5) * 86400.0
          FROM referral_stage_changes WHERE coalesce(from_stage, '') <> to_stage ORDER BY id
          """)
      while let row = try changes.next() {
        guard let seconds: Double = row[2] else { continue }
        assembly.change(referral: row[0], stageNumber: row[1], seconds: seconds)
      }
      assembly.finishStays(now: now)
      var facts = assembly.facts
      if everything {
        // The whole store: one pass over the state index, in order, no bounds to compare.
        let states = try Row.fetchCursor(db, sql: "SELECT state, count(*) FROM messages GROUP BY state")
        while let row = try states.next() { facts.messageStates[row[0]] = row[1] }
      } else {
        // One index range count per state: a GROUP BY over the period's rows sorted them first.
        for state in MessageState.allCases {
          let count =
            try Int.fetchOne(
              db.cachedStatement(
                sql: "SELECT count(*) FROM messages WHERE state = ? AND created_at >= ? AND created_at < ?"),
              arguments: [state.rawValue, from, to]) ?? 0
          if count > 0 { facts.messageStates[state.rawValue] = count }
        }
      }
      let failures = try Row.fetchCursor(
        db,
        sql: """
          SELECT a.smtp_code, count(*) FROM messages m
          LEFT JOIN delivery_attempts a ON a.id = (SELECT max(id) FROM delivery_attempts WHERE message_id = m.id)
          WHERE m.state = 'failed' AND m.created_at >= ? AND m.created_at < ? GROUP BY 1
          """, arguments: [from, to])
      while let row = try failures.next() { facts.failureCodes[row[0] as Int?] = row[1] }
      let asks = try Row.fetchCursor(
        db,
        sql: """
          SELECT contact_id, count(*) FROM messages INDEXED BY messages_asks
          WHERE purpose = 'ask' AND contact_id IS NOT NULL AND state IN ('sent', 'uncertain', 'in_data')
            AND coalesce(sent_at, updated_at) >= ? AND coalesce(sent_at, updated_at) < ?
          GROUP BY contact_id
          """, arguments: [Timestamp.format(until.addingTimeInterval(-90 * 86_400)), to])
      while let row = try asks.next() { facts.asksByClient[row[0]] = row[1] }
      let firings = try Row.fetchCursor(
        db,
        sql: """
          SELECT f.rule, CASE WHEN f.subject_key LIKE 'referral:%' THEN EXISTS (
              SELECT 1 FROM referral_stage_changes c
              WHERE c.referral_id = CAST(substr(f.subject_key, 10) AS INTEGER) AND c.changed_at > f.fired_at
                AND julianday(c.changed_at) - julianday(f.fired_at) <= 7 AND coalesce(c.from_stage, '') <> c.to_stage)
            END
          FROM reminder_firings f WHERE f.fired_at >= ? AND f.fired_at < ? AND f.rule <> 'digest'
          """, arguments: [from, to])
      while let row = try firings.next() { facts.firings.append((row[0], row[1] as Bool?)) }
      let people = try Row.fetchCursor(db, sql: "SELECT id, name, email FROM contacts")
      while let row = try people.next() {
        let id: Int64 = row[0]
        facts.people[id] = ReportFacts.Person(id: id, name: row[1], email: row[2])
      }
      return facts
    }
  }
}

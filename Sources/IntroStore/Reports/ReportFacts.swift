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

extension Store {
  /// The report's rows for referrals asked and messages made from `since` up to (not including) `until`.
  ///
  /// A few plain scans, grouped in Swift: every stage change in row order (a
  /// referral's changes are written in order), the period's referrals, and
  /// index-only counts of the messages. Window functions and correlated
  /// subqueries over the same rows took 8 s on 100,000 referrals; this, well under one.
  public func reportFacts(since: Date, until: Date, now: Date = Date()) throws(StoreError) -> ReportFacts {
    let from = Timestamp.format(since)
    let to = Timestamp.format(until)
    return try read { db in
      var facts = ReportFacts()
      var index: [Int64: Int] = [:]
      let referrals = try Row.fetchCursor(
        db,
        sql: """
          SELECT id, introducer_id, stage, created_at, promised_by FROM referrals
          WHERE created_at >= ? AND created_at < ?
          """, arguments: [from, to])
      while let row = try referrals.next() {
        let stage = ReferralStage(rawValue: row[2]) ?? .asked
        let id: Int64 = row[0]
        index[id] = facts.referrals.count
        facts.referrals.append(
          ReportFacts.ReferralRow(
            id: id, introducerID: row[1], stage: stage, askedAt: Timestamp.parse(row[3]) ?? since,
            promisedBy: row[4], reached: mainPath.firstIndex(of: stage) ?? 0, introducedAt: nil, wonAt: nil))
      }
      // Stays and reach from the changes, one referral's changes after another.
      var current: (referral: Int64, stage: ReferralStage, at: Date)?
      func close(at end: Date?) {
        guard let open = current else { return }
        let days = ((end ?? now).timeIntervalSince(open.at)) / 86_400
        facts.stays.append(ReportFacts.StageStay(stage: open.stage, days: max(0, days), closed: end != nil))
      }
      let changes = try Row.fetchCursor(
        db,
        sql: """
          SELECT referral_id, from_stage, to_stage, changed_at FROM referral_stage_changes
          ORDER BY referral_id, id
          """)
      while let row = try changes.next() {
        let referral: Int64 = row[0]
        let to: String = row[2]
        let at = Timestamp.parse(row[3]) ?? since
        if to == "won", (row[1] as String?) != "won", at >= since, at < until { facts.wins.append(at) }
        guard let position = index[referral] else { continue }
        if current?.referral != referral {
          close(at: nil)
          current = nil
        }
        guard (row[1] as String?) != to, let stage = ReferralStage(rawValue: to) else { continue }
        close(at: at)
        current = (referral, stage, at)
        if let rank = mainPath.firstIndex(of: stage) {
          facts.referrals[position].reached = max(facts.referrals[position].reached, rank)
          if rank >= 2, facts.referrals[position].introducedAt == nil {
            facts.referrals[position].introducedAt = at
          }
          if stage == .won, facts.referrals[position].wonAt == nil { facts.referrals[position].wonAt = at }
        }
      }
      close(at: nil)
      let states = try Row.fetchCursor(
        db,
        sql: """
          SELECT state, count(*) FROM messages INDEXED BY messages_created_state
          WHERE created_at >= ? AND created_at < ? GROUP BY state
          """, arguments: [from, to])
      while let row = try states.next() { facts.messageStates[row[0]] = row[1] }
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

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
  public func reportFacts(since: Date, until: Date, now: Date = Date()) throws(StoreError) -> ReportFacts {
    let from = Timestamp.format(since)
    let to = Timestamp.format(until)
    let clock = Timestamp.format(now)
    let rank = """
      CASE c.to_stage WHEN 'asked' THEN 0 WHEN 'promised' THEN 1 WHEN 'introduced' THEN 2
        WHEN 'meeting' THEN 3 WHEN 'won' THEN 4 ELSE -1 END
      """
    return try read { db in
      var facts = ReportFacts()
      let referrals = try Row.fetchCursor(
        db,
        sql: """
          SELECT r.id, r.introducer_id, r.stage, r.created_at, r.promised_by,
            max(\(rank)) AS reached,
            min(CASE WHEN \(rank) >= 2 THEN c.changed_at END) AS introduced_at,
            min(CASE WHEN c.to_stage = 'won' THEN c.changed_at END) AS won_at
          FROM referrals r LEFT JOIN referral_stage_changes c ON c.referral_id = r.id
          WHERE r.created_at >= ? AND r.created_at < ?
          GROUP BY r.id
          """, arguments: [from, to])
      while let row = try referrals.next() {
        let stage = ReferralStage(rawValue: row["stage"]) ?? .asked
        let reached: Int? = row["reached"]
        facts.referrals.append(
          ReportFacts.ReferralRow(
            id: row["id"], introducerID: row["introducer_id"], stage: stage,
            askedAt: Timestamp.parse(row["created_at"]) ?? since, promisedBy: row["promised_by"],
            reached: max(reached ?? 0, mainPath.firstIndex(of: stage) ?? 0),
            introducedAt: (row["introduced_at"] as String?).flatMap(Timestamp.parse),
            wonAt: (row["won_at"] as String?).flatMap(Timestamp.parse)))
      }
      // Each stay: from a change to the next change of the same referral (or now, while open).
      let stays = try Row.fetchCursor(
        db,
        sql: """
          SELECT c.to_stage, julianday(coalesce(
              lead(c.changed_at) OVER (PARTITION BY c.referral_id ORDER BY c.changed_at, c.id), ?))
            - julianday(c.changed_at) AS days,
            lead(c.changed_at) OVER (PARTITION BY c.referral_id ORDER BY c.changed_at, c.id) IS NOT NULL AS closed
          FROM referral_stage_changes c JOIN referrals r ON r.id = c.referral_id
          WHERE r.created_at >= ? AND r.created_at < ? AND coalesce(c.from_stage, '') <> c.to_stage
          """, arguments: [clock, from, to])
      while let row = try stays.next() {
        guard let stage = ReferralStage(rawValue: row[0]) else { continue }
        facts.stays.append(ReportFacts.StageStay(stage: stage, days: max(0, row[1] ?? 0), closed: row[2]))
      }
      let states = try Row.fetchCursor(
        db,
        sql: "SELECT state, count(*) FROM messages WHERE created_at >= ? AND created_at < ? GROUP BY state",
        arguments: [from, to])
      while let row = try states.next() { facts.messageStates[row[0]] = row[1] }
      let failures = try Row.fetchCursor(
        db,
        sql: """
          SELECT (SELECT a.smtp_code FROM delivery_attempts a WHERE a.message_id = m.id ORDER BY a.id DESC LIMIT 1),
            count(*)
          FROM messages m WHERE m.state = 'failed' AND m.created_at >= ? AND m.created_at < ? GROUP BY 1
          """, arguments: [from, to])
      while let row = try failures.next() { facts.failureCodes[row[0] as Int?] = row[1] }
      let asks = try Row.fetchCursor(
        db,
        sql: """
          SELECT contact_id, count(*) FROM messages
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
      let wins = try String.fetchAll(
        db,
        sql: """
          SELECT changed_at FROM referral_stage_changes
          WHERE to_stage = 'won' AND coalesce(from_stage, '') <> 'won' AND changed_at >= ? AND changed_at < ?
          """, arguments: [from, to])
      facts.wins = wins.compactMap(Timestamp.parse)
      let ids = Set(facts.referrals.map(\.introducerID)).union(facts.asksByClient.keys)
      for id in ids {
        if let row = try Row.fetchOne(
          db, sql: "SELECT id, name, email FROM contacts WHERE id = ?", arguments: [id])
        {
          facts.people[id] = ReportFacts.Person(id: row["id"], name: row["name"], email: row["email"])
        }
      }
      return facts
    }
  }
}

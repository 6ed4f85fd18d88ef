import Foundation
internal import GRDB

/// What the store knows about one client's relationship with the rep: how
/// long, how happy, how often in touch, and when they were last asked for an
/// introduction or thanked for one. `intro suggest` ranks clients by these.
public struct RelationshipFacts: Sendable, Equatable {
  public var contactID: Int64
  public var email: String
  public var name: String?
  public var company: String?
  /// `YYYY-MM-DD`.
  public var clientSince: String?
  public var satisfaction: Int?
  /// Calls, meetings, notes and emails recorded (asks and thanks sent become touches), and other
  /// messages sent, in the recent window.
  public var recentContacts: Int
  /// The last touch or sent message.
  public var lastContact: Date?
  /// The last ask for an introduction that went out (sent, or possibly sent).
  public var lastAsk: Date?
  /// The last thank-you that went out.
  public var lastThanks: Date?
  /// Introductions this client has made or offered.
  public var introductions: Int
  /// Of those, the ones still waiting to happen (asked, promised).
  public var pendingIntroductions: Int

  public init(
    contactID: Int64, email: String, name: String? = nil, company: String? = nil, clientSince: String? = nil,
    satisfaction: Int? = nil, recentContacts: Int = 0, lastContact: Date? = nil, lastAsk: Date? = nil,
    lastThanks: Date? = nil, introductions: Int = 0, pendingIntroductions: Int = 0
  ) {
    self.contactID = contactID
    self.email = email
    self.name = name
    self.company = company
    self.clientSince = clientSince
    self.satisfaction = satisfaction
    self.recentContacts = recentContacts
    self.lastContact = lastContact
    self.lastAsk = lastAsk
    self.lastThanks = lastThanks
    self.introductions = introductions
    self.pendingIntroductions = pendingIntroductions
  }
}

/// What `intro report` and `intro suggest` read, on either backend.
public protocol ReportSource: AnyObject, Sendable {
  /// The report's rows for referrals asked and messages made from `since` up to (not including) `until`.
  func reportFacts(since: Date, until: Date, now: Date) throws(StoreError) -> ReportFacts
  /// The relationship facts of every client not marked do-not-contact;
  /// `recentSince` starts the window `recentContacts` counts.
  func relationshipFacts(recentSince: Date) throws(StoreError) -> [RelationshipFacts]
}

extension Store: ReportSource {
  public func relationshipFacts(recentSince: Date) throws(StoreError) -> [RelationshipFacts] {
    try session(writing: false) { try RelationshipRecords.facts(recentSince: recentSince, $0) }
  }
}

/// Relationship facts, read the same way on both backends.
enum RelationshipRecords {
  static func facts(recentSince: Date, _ sql: any SQLSession) throws -> [RelationshipFacts] {
    let since = Timestamp.format(recentSince)
    return try sql.rows(
      """
      SELECT c.id, c.email, c.name, c.company, c.client_since, c.satisfaction,
        (SELECT count(*) FROM touches t WHERE t.contact_id = c.id AND t.happened_at >= ?)
          + (SELECT count(*) FROM messages m WHERE m.contact_id = c.id AND m.state = 'sent'
             AND m.purpose IS NULL AND m.sent_at >= ?) AS recent,
        \(sql.dialect.greatest)(coalesce((SELECT max(t.happened_at) FROM touches t WHERE t.contact_id = c.id), ''),
            coalesce((SELECT max(m.sent_at) FROM messages m WHERE m.contact_id = c.id
                      AND m.state = 'sent'), '')) AS last_contact,
        (SELECT max(coalesce(m.sent_at, m.updated_at)) FROM messages m WHERE m.contact_id = c.id
          AND m.purpose = 'ask' AND m.state IN ('sent', 'uncertain', 'in_data')) AS last_ask,
        (SELECT max(coalesce(m.sent_at, m.updated_at)) FROM messages m WHERE m.contact_id = c.id
          AND m.purpose = 'thanks' AND m.state IN ('sent', 'uncertain', 'in_data')) AS last_thanks,
        (SELECT count(*) FROM referrals r WHERE r.introducer_id = c.id) AS introductions,
        (SELECT count(*) FROM referrals r WHERE r.introducer_id = c.id
          AND r.stage IN ('asked', 'promised')) AS pending
      FROM contacts c
      WHERE c.is_client = 1 AND c.do_not_contact = 0
      ORDER BY c.id
      """, [since, since]
    ).map { row in
      func date(_ column: Int) -> Date? {
        row.text(column).flatMap { $0.isEmpty ? nil : Timestamp.parse($0) }
      }
      return RelationshipFacts(
        contactID: row.integer(0) ?? 0, email: row.string(1), name: row.text(2), company: row.text(3),
        clientSince: row.text(4), satisfaction: row.integer(5).map(Int.init),
        recentContacts: Int(row.integer(6) ?? 0), lastContact: date(7), lastAsk: date(8), lastThanks: date(9),
        introductions: Int(row.integer(10) ?? 0), pendingIntroductions: Int(row.integer(11) ?? 0))
    }
  }
}

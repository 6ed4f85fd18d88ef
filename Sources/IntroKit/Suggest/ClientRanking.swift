import Foundation
public import IntroStore

/// `intro suggest`: whom to ask for an introduction next. Clients are scored
/// on relationship strength — satisfaction, how long they have been a client,
/// how often and how lately you were in touch — and put after the ready ones
/// when now is a bad moment: asked within the fatigue period, an introduction
/// of theirs still pending, thanked in the last two weeks, or unhappy.
public struct ClientRanking: Sendable {
  /// One client's place in the list.
  public struct Suggestion: Sendable, Equatable, Encodable {
    public var contact: Int64
    public var email: String
    /// The name to show (the address when there is none).
    public var name: String
    public var company: String?
    /// Relationship strength, 0 to 100.
    public var score: Int
    /// Nothing speaks against asking now.
    public var ready: Bool
    /// One line: the strengths, or why to wait.
    public var reason: String
  }

  /// The window "in touch lately" counts.
  public static let recentDays = 90
  /// A client thanked this recently just gave an introduction: let it breathe.
  public static let thanksRestDays = 14

  public var fatigue: FatigueSettings
  public var now: Date

  public init(fatigue: FatigueSettings = FatigueSettings(), now: Date = Date()) {
    self.fatigue = fatigue
    self.now = now
  }

  /// Every client in the store, ready ones first, strongest first.
  public func rank(_ store: any ReportSource) throws(StoreError) -> [Suggestion] {
    rank(try store.relationshipFacts(recentSince: now.addingTimeInterval(-Double(Self.recentDays) * 86_400)))
  }

  /// `facts`, ready ones first, strongest first; ties by name.
  public func rank(_ facts: [RelationshipFacts]) -> [Suggestion] {
    facts.map(suggestion).sorted { a, b in
      if a.ready != b.ready { return a.ready }
      if a.score != b.score { return a.score > b.score }
      return a.name.lowercased() < b.name.lowercased()
    }
  }

  func suggestion(_ facts: RelationshipFacts) -> Suggestion {
    var score = 0.0
    var strengths: [String] = []
    if let satisfaction = facts.satisfaction {
      score += Double(satisfaction) * 4
      strengths.append("satisfaction \(satisfaction)/10")
    } else {
      score += 16
    }
    if let since = facts.clientSince.flatMap(Self.day), since <= now {
      let months = Calendar(identifier: .gregorian).dateComponents([.month], from: since, to: now).month ?? 0
      score += Double(min(months, 24)) / 24 * 20
      strengths.append("client for " + Self.span(months: months))
    }
    score += Double(min(facts.recentContacts, 4)) / 4 * 20
    if facts.recentContacts > 0 {
      strengths.append(
        "\(facts.recentContacts) contact\(facts.recentContacts == 1 ? "" : "s") in \(Self.recentDays) days")
    }
    if let last = facts.lastContact {
      let days = Self.days(from: last, to: now)
      score += days <= 30 ? 20 : days <= 90 ? 10 : 0
      strengths.append("last in touch \(Self.ago(days))")
    } else {
      strengths.append("no contact recorded")
    }
    if facts.introductions > 0 {
      strengths.append("made \(facts.introductions) introduction\(facts.introductions == 1 ? "" : "s")")
    }
    let wait = waitReason(facts)
    if wait == nil {
      strengths.append(
        facts.lastAsk.map { "last asked \(Self.ago(Self.days(from: $0, to: now)))" } ?? "never asked")
    }
    return Suggestion(
      contact: facts.contactID, email: facts.email,
      name: PersonName.display(
        name: facts.name, email: facts.email),
      company: facts.company,
      score: Int(score.rounded()), ready: wait == nil,
      reason: wait.map { "wait: " + $0 } ?? strengths.joined(separator: ", "))
  }

  /// Why now is a bad moment to ask this client, if it is.
  private func waitReason(_ facts: RelationshipFacts) -> String? {
    if let ask = facts.lastAsk {
      let days = Self.days(from: ask, to: now)
      if days < fatigue.periodDays {
        let next = ask.addingTimeInterval(Double(fatigue.periodDays) * 86_400)
        return "asked \(Self.ago(days)); the next ask may go from \(Self.dayText(next)) ([fatigue])"
      }
    }
    if facts.pendingIntroductions > 0 {
      return
        "\(facts.pendingIntroductions == 1 ? "an introduction" : "\(facts.pendingIntroductions) introductions") "
        + "they offered has not happened yet; follow that up first"
    }
    if let thanks = facts.lastThanks, Self.days(from: thanks, to: now) < Self.thanksRestDays {
      return "thanked \(Self.ago(Self.days(from: thanks, to: now))); give it a couple of weeks"
    }
    if let satisfaction = facts.satisfaction, satisfaction < 7 {
      return "satisfaction \(satisfaction)/10; a check-in before any ask"
    }
    return nil
  }

  // MARK: Wording

  static func days(from start: Date, to end: Date) -> Int {
    max(0, Int((end.timeIntervalSince(start) / 86_400).rounded(.down)))
  }

  static func ago(_ days: Int) -> String {
    switch days {
    case 0: "today"
    case 1: "yesterday"
    case ..<60: "\(days) days ago"
    default: "\(days / 30) months ago"
    }
  }

  static func span(months: Int) -> String {
    if months < 1 { return "less than a month" }
    if months < 24 { return "\(months) month\(months == 1 ? "" : "s")" }
    return "\(months / 12) years"
  }

  private static func day(_ text: String) -> Date? {
    let parts = text.prefix(10).split(separator: "-").compactMap { Int($0) }
    guard parts.count == 3 else { return nil }
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
    return calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2]))
  }

  private static func dayText(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withFullDate]
    return formatter.string(from: date)
  }
}

import Foundation
public import IntroStore
public import IntroTemplates

/// The values a template reads when `intro send` renders it: `rep`, `client`,
/// `prospect`, `referral`, `contact`, `today`, or a CSV row's columns.
public struct SendContext: Sendable {
  /// `rep.*`, made once per batch.
  public let rep: TemplateValue
  /// The day the messages are rendered on.
  public let today: Date
  private let todayText: String
  /// `{{today}}`: the long date, one value for every row.
  var todayValue: TemplateValue { .string(todayText) }

  /// The context maker for a batch rendered `today` by `rep`.
  public init(rep: IntroConfig.Rep, today: Date = Date()) {
    self.rep = Self.rep(rep)
    self.today = today
    todayText = Self.longDate(today)
  }

  /// `rep.*` from `[rep]`, with `first_name` taken from the name.
  public static func rep(_ rep: IntroConfig.Rep) -> TemplateValue {
    object([
      ("name", rep.name), ("first_name", rep.name.flatMap(greetingName)), ("email", rep.email),
      ("title", rep.title), ("company", rep.company), ("phone", rep.phone),
      ("calendar_link", rep.calendarLink), ("about", rep.about), ("signature", rep.signature),
    ])
  }

  /// A contact's fields; `first_name` falls back to the first word of the name,
  /// `relationship_text` says how long they have been a client.
  public static func contact(_ contact: Contact, today: Date = Date()) -> TemplateValue {
    object([
      ("id", String(contact.id)), ("email", contact.email), ("name", contact.name),
      ("first_name", contact.firstName ?? contact.name.flatMap(greetingName)),
      ("last_name", contact.lastName),
      ("company", contact.company), ("title", contact.title), ("phone", contact.phone),
      ("notes", contact.notes), ("client_since", contact.clientSince),
      ("relationship_text", contact.clientSince.flatMap { relationship(since: $0, today: today) }),
      ("satisfaction", contact.satisfaction.map(String.init)), ("sale_closed_on", contact.saleClosedOn),
      ("time_zone", contact.timeZone),
    ])
  }

  /// A referral's five answers, its problems as a list and as a phrase, and its stage.
  public static func referral(_ referral: Referral) -> TemplateValue {
    var fields: [(String, TemplateValue)] = [
      ("id", .string(String(referral.id))),
      ("problems", .list(referral.problems.map(TemplateValue.string))),
    ]
    let text: [(String, String?)] = [
      ("about_prospect", referral.aboutProspect), ("why_me", referral.whyMe), ("why_now", referral.whyNow),
      ("why_now_for_prospect", referral.whyNow.map(toReader)),
      ("how_to_introduce", referral.howToIntroduce), ("promised_by", referral.promisedBy),
      ("promised_by_text", referral.promisedBy.flatMap(longDate)),
      ("problems_text", referral.problems.isEmpty ? nil : phrase(referral.problems.map(withoutFinalStop))),
      ("stage", referral.stage.rawValue), ("stage_text", stageText(referral.stage)),
    ]
    fields += text.compactMap { key, value in value.map { (key, .string($0)) } }
    // `{{#referral.stage_won}}`: words for the stage the referral is at.
    fields.append(("stage_" + referral.stage.rawValue, .bool(true)))
    return .object(TemplateObject(fields))
  }

  /// The context for one contact: `contact` and `client` are both the contact,
  /// and `prospect` too when the contact is a prospect.
  public func forContact(_ contact: Contact) -> TemplateValue {
    let value = Self.contact(contact, today: today)
    var fields: [(String, TemplateValue)] = [
      ("rep", rep), ("contact", value), ("client", value), ("today", .string(todayText)),
    ]
    if contact.isProspect { fields.append(("prospect", value)) }
    return .object(TemplateObject(fields))
  }

  /// The context for a referral: the introducer is `client`, the person introduced `prospect`.
  public func forReferral(_ referral: Referral, introducer: Contact, prospect: Contact) -> TemplateValue {
    .object(
      TemplateObject([
        ("rep", rep), ("client", Self.contact(introducer, today: today)),
        ("prospect", Self.contact(prospect, today: today)), ("referral", Self.referral(referral)),
        ("today", .string(todayText)),
      ]))
  }

  /// How the columns of `header` become a context, worked out once per file.
  public func shape(header: [String]) -> RowShape { RowShape(header: header, context: self) }

  // MARK: Wording

  /// A note about the prospect ("they are opening a second office") as words
  /// to the prospect ("you are opening a second office"): the blurb is read
  /// by the prospect. A trailing full stop goes, since the template ends the sentence.
  static func toReader(_ note: String) -> String {
    let words: [String: String] = [
      "they": "you", "them": "you", "their": "your", "theirs": "yours", "themselves": "yourselves",
      "they're": "you're", "they've": "you've", "they'll": "you'll", "they'd": "you'd",
      "they\u{2019}re": "you\u{2019}re", "they\u{2019}ve": "you\u{2019}ve", "they\u{2019}ll": "you\u{2019}ll",
    ]
    var out = ""
    var word = ""
    func flush() {
      if let replacement = words[word.lowercased()] {
        out +=
          word.first?.isUppercase == true
          ? replacement.prefix(1).uppercased() + replacement.dropFirst() : replacement
      } else {
        out += word
      }
      word = ""
    }
    for character in note.trimmingCharacters(in: .whitespacesAndNewlines) {
      if character.isLetter || character == "'" || character == "\u{2019}" {
        word.append(character)
      } else {
        flush()
        out.append(character)
      }
    }
    flush()
    return withoutFinalStop(out)
  }

  /// A phrase the template puts inside a sentence: no full stop of its own.
  static func withoutFinalStop(_ text: String) -> String {
    var text = text.trimmingCharacters(in: .whitespacesAndNewlines)
    while let last = text.last, last == "." || last == ";" || last == "!" { text.removeLast() }
    return text
  }

  /// "slow quotes", "slow quotes and manual reports", "a, b and c".
  static func phrase(_ items: [String]) -> String {
    guard let last = items.last else { return "" }
    return items.count == 1 ? last : items.dropLast().joined(separator: ", ") + " and " + last
  }

  static func stageText(_ stage: ReferralStage) -> String {
    switch stage {
    case .asked: "have not spoken yet"
    case .promised: "are about to be introduced"
    case .introduced: "have been introduced"
    case .meeting: "have met"
    case .won: "are now working together"
    case .lost: "decided not to work together for now"
    case .stalled: "have not found a time yet"
    }
  }

  /// "since March 2024" for a `YYYY-MM-DD` date in the past.
  static func relationship(since date: String, today: Date) -> String? {
    guard let day = parseDay(date), day <= localDay(today) else { return nil }
    let (year, month, _) = CivilDay.components(day)
    return "since \(months[month - 1]) \(year)"
  }

  /// "December 5, 2026" for a `YYYY-MM-DD` date or a date (in this machine's zone).
  static func longDate(_ date: String) -> String? { parseDay(date).map(longDate(day:)) }

  static func longDate(_ date: Date) -> String { longDate(day: localDay(date)) }

  // English month names whatever the locale, made by hand: a DateFormatter
  // (ICU) per value was an eighth of a fresh `intro blurb`.
  private static let months = [
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
    "November", "December",
  ]

  private static func longDate(day: Int) -> String {
    let (year, month, dayOfMonth) = CivilDay.components(day)
    return "\(months[month - 1]) \(dayOfMonth), \(year)"
  }

  /// The day number of the `YYYY-MM-DD` that `text` starts with, if it is a real date.
  private static func parseDay(_ text: String) -> Int? { CivilDay.parse(String(text.prefix(10))) }

  private static func localDay(_ date: Date) -> Int { CivilDay.local(date, in: .current).day }

  /// The name a greeting uses: "Doe, Jane" → "Jane" (see ``PersonName``).
  static func greetingName(_ name: String) -> String? {
    PersonName(name).first
  }

  private static func object(_ pairs: [(String, String?)]) -> TemplateValue {
    .object(TemplateObject(pairs.compactMap { key, value in value.map { (key, .string($0)) } }))
  }
}

/// How a CSV header becomes each row's template context, worked out once per
/// file instead of once per row: a column `name` is `{{name}}`, a column
/// `prospect.company` is `{{prospect.company}}`; `rep` and `today` are there
/// too, and a file with an `email` column and no `client.` columns reads as
/// the client (`{{client.first_name}}` from `name` when there is no
/// `first_name` column).
public final class RowShape: Sendable {
  private let rep: TemplateValue
  private let today: TemplateValue
  /// Per column: its group (an index into `groups`) or nil for the top level, and its key.
  private let columns: [(group: Int?, key: String)]
  private let groups: [String]
  /// The top-level columns are the client too.
  private let clientFromTop: Bool
  /// Derive `client.first_name` from the `name` column.
  private let greetsFromName: Bool

  init(header: [String], context: SendContext) {
    rep = context.rep
    today = context.todayValue
    var groups: [String] = []
    columns = header.map { name in
      let parts = name.split(separator: ".", maxSplits: 1)
      guard parts.count == 2 else { return (nil, name) }
      let group = String(parts[0])
      if !groups.contains(group) { groups.append(group) }
      return (groups.firstIndex(of: group), String(parts[1]))
    }
    self.groups = groups
    clientFromTop = !groups.contains("client") && header.contains("email")
    greetsFromName = clientFromTop && !header.contains("first_name")
  }

  /// The context of a row of `fields`, in the header's order.
  public func context(_ fields: [String]) -> TemplateValue {
    var top: [(String, TemplateValue)] = []
    top.reserveCapacity(columns.count)
    var nested = [[(String, TemplateValue)]](repeating: [], count: groups.count)
    for (column, value) in zip(columns, fields) {
      if let group = column.group {
        nested[group].append((column.key, .string(value)))
      } else {
        top.append((column.key, .string(value)))
      }
    }
    var fields: [(String, TemplateValue)] = [("rep", rep), ("today", today)]
    fields.reserveCapacity(top.count + groups.count + 3)
    fields += top
    for (index, group) in groups.enumerated() {
      fields.append((group, .object(TemplateObject(nested[index]))))
    }
    if clientFromTop {
      var client = top
      if greetsFromName, let name = top.first(where: { $0.0 == "name" }), case .string(let text) = name.1,
        let first = SendContext.greetingName(text)
      {
        client.append(("first_name", .string(first)))
      }
      fields.append(("client", .object(TemplateObject(client))))
    }
    return .object(TemplateObject(fields))
  }
}

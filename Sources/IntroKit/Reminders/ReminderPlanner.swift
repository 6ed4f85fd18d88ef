import Foundation
public import IntroStore

/// One reminder that is due (or due but held), and why.
public struct DueReminder: Sendable {
  /// Why a due reminder does not go now.
  public enum Hold: Sendable, Equatable {
    /// Outside working time: hours, a non-working day, a holiday, a pause.
    case calendar(String)
    /// The client was asked too recently; the next ask is allowed from this local date.
    case fatigue(nextAllowed: String)
    /// Another reminder goes to the same person in this run (one per person per run).
    case onePerPerson
    /// The rep's digest for today already went: this task is in tomorrow's.
    case nextDigest

    public var text: String {
      switch self {
      case .calendar(let why): why
      case .fatigue(let next): "asked recently; the next ask is allowed from \(next)"
      case .onePerPerson: "another reminder goes to the same person first"
      case .nextDigest: "today's digest already went; in the next one"
      }
    }
  }

  public var rule: ReminderRule
  public var key: FiringKey
  /// The working slot it became due at.
  public var dueAt: Date
  /// More than one working day past `dueAt`.
  public var late: Bool
  public var hold: Hold?
  /// The referral it is about, when it is about one.
  public var referralID: Int64?
  /// Who it is about: the introducer of a referral, or the client.
  public var contactID: Int64
  /// What a person reads in `intro due` and the digest: the trigger and the moment.
  public var reason: String
}

/// Works out which reminders are due at a moment, from the store's facts and the rules.
public struct ReminderPlanner: Sendable {
  public let rules: [ReminderRule]
  public let calendar: WorkCalendar
  public let fatigue: FatigueGuard
  public let workingStart: Int

  public init(rules: [ReminderRule], calendar: WorkCalendar, fatigue: FatigueSettings, workingStart: Int) {
    self.rules = rules
    self.calendar = calendar
    self.fatigue = FatigueGuard(settings: fatigue, calendar: calendar)
    self.workingStart = workingStart
  }

  /// Everything due at `now` that has not fired, oldest first; held ones say why.
  /// - Parameter isAsk: whether a rule's template asks for an introduction.
  public func due(_ facts: ReminderFacts, now: Date, store: any ReminderStore, isAsk: (ReminderRule) -> Bool)
    throws(StoreError) -> [DueReminder]
  {
    var found: [DueReminder] = []
    for rule in rules {
      if rule.trigger.isAboutReferral {
        for referral in facts.referrals {
          guard let (base, occurrence) = moment(rule, referral) else { continue }
          let key = FiringKey(rule: rule.name, subject: "referral:\(referral.id)", occurrence: occurrence)
          if let item = item(rule, key, base: base, now: now, facts: facts) {
            var item = item
            item.referralID = referral.id
            item.contactID = referral.introducerID
            found.append(item)
          }
        }
      } else {
        for client in facts.clients where !client.doNotContact {
          guard let (base, occurrence) = moment(rule, client) else { continue }
          let key = FiringKey(rule: rule.name, subject: "contact:\(client.id)", occurrence: occurrence)
          if var item = item(rule, key, base: base, now: now, facts: facts) {
            item.contactID = client.id
            found.append(item)
          }
        }
      }
    }
    found.sort { ($0.dueAt, $0.key.rule, $0.key.subject) < ($1.dueAt, $1.key.rule, $1.key.subject) }
    let calendarHold = calendar.whyNotWorking(now).map(DueReminder.Hold.calendar)
    let asked =
      calendarHold != nil
      ? [:]
      : try fatigue.nextAskAllowed(
        for: Set(found.filter { $0.rule.recipient == .client && isAsk($0.rule) }.map(\.contactID)),
        now: now, store: store)
    var emailed = Set<Int64>()
    for index in found.indices {
      if let calendarHold {
        found[index].hold = calendarHold
        continue
      }
      guard found[index].rule.recipient == .client else { continue }
      if isAsk(found[index].rule), let next = asked[found[index].contactID] {
        found[index].hold = .fatigue(nextAllowed: next)
        continue
      }
      // One reminder per person per run: after a pause they do not arrive in a burst.
      if !emailed.insert(found[index].contactID).inserted { found[index].hold = .onePerPerson }
    }
    return found
  }

  /// Why a reminder about `referral` no longer applies, or nil when it still does.
  public static func stale(_ rule: ReminderRule, _ referral: ReminderFacts.ReferralFacts?) -> String? {
    guard let referral else { return "cancelled: the referral is no longer in the store" }
    switch rule.trigger {
    case .promisedDatePassed:
      guard referral.stage == .asked || referral.stage == .promised else {
        return "cancelled: the referral moved on to \(referral.stage.rawValue)"
      }
    case .stageEntered(let stage), .daysInStage(let stage):
      guard referral.stage == stage else {
        return "cancelled: the referral moved on to \(referral.stage.rawValue)"
      }
    case .daysSinceSale, .daysSinceContact:
      break
    }
    return nil
  }

  private func item(_ rule: ReminderRule, _ key: FiringKey, base: Date, now: Date, facts: ReminderFacts)
    -> DueReminder?
  {
    guard !facts.fired.contains(key) else { return nil }
    let slot = calendar.nextWorkingSlot(atOrAfter: calendar.adding(days: rule.delayDays, to: base))
    guard slot <= now else { return nil }
    return DueReminder(
      rule: rule, key: key, dueAt: slot, late: calendar.workingDays(from: slot, to: now, limit: 2) > 1,
      hold: nil,
      referralID: nil, contactID: 0, reason: Self.reason(rule, occurrence: key.occurrence))
  }

  /// The trigger's moment for a referral and its local date, or nil when the rule does not apply.
  private func moment(_ rule: ReminderRule, _ referral: ReminderFacts.ReferralFacts) -> (Date, String)? {
    guard Self.stale(rule, referral) == nil else { return nil }
    switch rule.trigger {
    case .promisedDatePassed:
      guard let promised = referral.promisedBy,
        let start = calendar.instant(localDate: promised, minutes: workingStart)
      else { return nil }
      return (start, promised)
    case .stageEntered, .daysInStage:
      return (referral.stageEnteredAt, calendar.localDate(referral.stageEnteredAt))
    case .daysSinceSale, .daysSinceContact:
      return nil
    }
  }

  private func moment(_ rule: ReminderRule, _ client: ReminderFacts.ClientFacts) -> (Date, String)? {
    switch rule.trigger {
    case .daysSinceSale:
      guard let sale = client.saleClosedOn,
        let start = calendar.instant(localDate: sale, minutes: workingStart)
      else { return nil }
      return (start, sale)
    case .daysSinceContact:
      let last = client.lastContactAt ?? client.createdAt
      return (last, calendar.localDate(last))
    default:
      return nil
    }
  }

  private static func reason(_ rule: ReminderRule, occurrence: String) -> String {
    let days = rule.delayDays == 1 ? "1 day" : "\(rule.delayDays) days"
    switch rule.trigger {
    case .promisedDatePassed: return "the introduction promised for \(occurrence) has not happened"
    case .stageEntered(let stage): return "\(days) after it became \(stage.rawValue) on \(occurrence)"
    case .daysInStage(let stage): return "\(stage.rawValue) since \(occurrence), \(days) without a move"
    case .daysSinceSale: return "\(days) after the sale on \(occurrence)"
    case .daysSinceContact: return "no contact since \(occurrence) (\(days))"
    }
  }
}

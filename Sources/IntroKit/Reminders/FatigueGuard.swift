import Foundation
public import IntroStore

/// Protects the introducer: at most `asks` asks for an introduction to one
/// client in `periodDays` (`[fatigue]`), counted over every message whose
/// template says `Intro-Purpose: ask`, sent by `intro send` or by a reminder.
public struct FatigueGuard: Sendable {
  public let settings: FatigueSettings
  public let calendar: WorkCalendar

  public init(settings: FatigueSettings, calendar: WorkCalendar) {
    self.settings = settings
    self.calendar = calendar
  }

  /// The guard for `config`, in the rep's zone.
  public init(_ config: IntroConfig) throws(ConfigError) {
    self.init(settings: config.fatigue, calendar: try WorkCalendar(config.schedule))
  }

  /// The local date from which client `contactID` may be asked again, or nil
  /// when they may be asked now. Message `excluding` (the one about to go) is not counted.
  public func nextAskAllowed(_ contactID: Int64, now: Date, store: any DeliveryStore, excluding: Int64? = nil)
    throws(StoreError) -> String?
  {
    let since = calendar.adding(days: -settings.periodDays, to: now)
    return nextAllowed(after: try store.asks(toContact: contactID, since: since, excluding: excluding))
  }

  /// ``nextAskAllowed(_:now:store:excluding:)`` for many clients in one read:
  /// the clients of `contactIDs` that may not be asked now, each with the
  /// local date from which they may.
  public func nextAskAllowed(for contactIDs: Set<Int64>, now: Date, store: any ReminderStore)
    throws(StoreError)
    -> [Int64: String]
  {
    let since = calendar.adding(days: -settings.periodDays, to: now)
    var held: [Int64: String] = [:]
    for (id, recent) in try store.asks(toContacts: contactIDs, since: since) {
      held[id] = nextAllowed(after: recent)
    }
    return held
  }

  /// The local date an ask is allowed again after `recent` asks (oldest first), or nil for now.
  private func nextAllowed(after recent: [Date]) -> String? {
    guard recent.count >= settings.asks, let oldest = recent.suffix(settings.asks).first else { return nil }
    return calendar.localDate(calendar.adding(days: settings.periodDays, to: oldest))
  }

  /// Why an ask to `contactID` may not go now, for a person; nil when it may.
  public func refusal(_ contactID: Int64, now: Date, store: any DeliveryStore, excluding: Int64? = nil)
    throws(StoreError)
    -> String?
  {
    guard let next = try nextAskAllowed(contactID, now: now, store: store, excluding: excluding) else {
      return nil
    }
    let limit = settings.asks == 1 ? "one ask" : "\(settings.asks) asks"
    return "asked for an introduction recently (\(limit) per \(settings.periodDays) days, [fatigue]); "
      + "the next ask is allowed from \(next)"
  }

  /// The send-time check for `intro send`: an ask that the guard holds does not go.
  public func veto(_ store: any DeliveryStore, now: Date) -> SendVeto {
    SendVeto { message throws(StoreError) in
      guard message.purpose == .ask, let contact = message.contactID else { return nil }
      return try refusal(contact, now: now, store: store, excluding: message.id).map { "held: " + $0 }
    }
  }
}

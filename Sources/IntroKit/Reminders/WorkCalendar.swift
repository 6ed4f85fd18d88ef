import Foundation

/// The rep's working time: their zone, working days and hours, holidays and a
/// pause. Every instant is UTC; every rule about days is local.
///
/// Adding a day keeps the local time (`+1 day` from 09:00 is 09:00, across a
/// DST change, not 86,400 s). A local time that does not exist (02:30 on the
/// night clocks go forward) is moved forward by the gap; one that happens
/// twice (01:30 when clocks go back) is the first of the two. Either way a
/// reminder's key is its local date, so it fires once.
public struct WorkCalendar: Sendable {
  public let timeZone: TimeZone
  private let calendar: Calendar
  private let settings: ScheduleSettings
  /// No working time before this local date (`intro pause --until`).
  private let pausedUntil: String?

  public init(_ settings: ScheduleSettings, pausedUntil: String? = nil) throws(ConfigError) {
    guard let zone = settings.timeZone.map({ TimeZone(identifier: $0) }) ?? TimeZone.current else {
      throw ConfigError(
        "[schedule] time_zone '\(settings.timeZone ?? "")' is not a time zone",
        fix: "use an IANA name such as Europe/London or America/New_York")
    }
    timeZone = zone
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = zone
    self.calendar = calendar
    self.settings = settings
    self.pausedUntil = pausedUntil
  }

  /// `YYYY-MM-DD` of `date` in the rep's zone.
  public func localDate(_ date: Date) -> String {
    let parts = calendar.dateComponents([.year, .month, .day], from: date)
    return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
  }

  /// The instant of `date` (`YYYY-MM-DD`) at `minutes` after local midnight.
  public func instant(localDate date: String, minutes: Int) -> Date? {
    let parts = date.split(separator: "-").compactMap { Int($0) }
    guard parts.count == 3 else { return nil }
    var components = DateComponents(year: parts[0], month: parts[1], day: parts[2])
    components.hour = minutes / 60
    components.minute = minutes % 60
    return resolve(components)
  }

  /// `days` whole days after `date`, at the same local time.
  public func adding(days: Int, to date: Date) -> Date {
    var components = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
    components.day = (components.day ?? 1) + days
    return resolve(components) ?? date.addingTimeInterval(Double(days) * 86_400)
  }

  /// When a reminder due at `date` may go out: `date` itself inside working
  /// time, else the start of the next working window.
  public func nextWorkingSlot(atOrAfter date: Date) -> Date {
    var day = localDate(date)
    // A year of days is far more than any schedule needs to find a working one.
    for _ in 0..<400 {
      if isWorkingDay(day), let start = instant(localDate: day, minutes: settings.workingHours.lowerBound),
        let end = instant(localDate: day, minutes: settings.workingHours.upperBound)
      {
        if date < start { return start }
        if date < end { return date }
      }
      day = nextDay(day)
    }
    return date
  }

  /// Whether `date` is inside working time (a pause aside).
  public func isWorkingTime(_ date: Date) -> Bool { nextWorkingSlot(atOrAfter: date) == date }

  /// Why `date` is not working time, for `intro due`; nil when it is.
  public func whyNotWorking(_ date: Date) -> String? {
    let day = localDate(date)
    if let pausedUntil, day < pausedUntil { return "paused until \(pausedUntil)" }
    if settings.holidays.contains(day) { return "a holiday (\(day))" }
    if !settings.workingDays.contains(weekday(day)) { return "not a working day" }
    return isWorkingTime(date) ? nil : "outside working hours"
  }

  /// Working days that start after `from` and by `to`: 0 when `to` is on the same working day.
  public func workingDays(from: Date, to: Date) -> Int {
    guard to > from else { return 0 }
    var count = 0
    var day = nextDay(localDate(from))
    let last = localDate(to)
    while day <= last && count < 400 {
      if isWorkingDay(day) { count += 1 }
      day = nextDay(day)
    }
    return count
  }

  /// A pause holds reminders back but does not move when they were due: a
  /// reminder due during a pause is late once the pause ends, and says so.
  private func isWorkingDay(_ day: String) -> Bool {
    settings.workingDays.contains(weekday(day)) && !settings.holidays.contains(day)
  }

  /// ISO weekday of a local date: 1 = Monday … 7 = Sunday.
  private func weekday(_ day: String) -> Int {
    guard let noon = instant(localDate: day, minutes: 12 * 60) else { return 0 }
    let sundayFirst = calendar.component(.weekday, from: noon)
    return sundayFirst == 1 ? 7 : sundayFirst - 1
  }

  private func nextDay(_ day: String) -> String {
    guard let noon = instant(localDate: day, minutes: 12 * 60) else { return day }
    return localDate(adding(days: 1, to: noon))
  }

  /// Local components as an instant: a time in a DST gap moves forward by the
  /// gap; a time that happens twice is the earlier one.
  private func resolve(_ components: DateComponents) -> Date? {
    guard let date = calendar.date(from: components) else { return nil }
    // Foundation may pick the later of two instants with the same local time.
    let earlier = date.addingTimeInterval(-3600)
    let wall = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: earlier)
    let wanted = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
    return wall == wanted ? earlier : date
  }
}

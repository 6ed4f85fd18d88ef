import Foundation
internal import IntroStore

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
    self.settings = settings
    self.pausedUntil = pausedUntil
  }

  /// `YYYY-MM-DD` of `date` in the rep's zone.
  public func localDate(_ date: Date) -> String { LocalTime.date(date, in: timeZone) }

  /// The local day of `date` as days since 1970-01-01: the zone's offset at
  /// that instant, then arithmetic (a `Calendar` call per day made `intro due`
  /// take 47 s on 100,000 referrals).
  private func localDay(_ date: Date) -> Int { CivilDay.local(date, in: timeZone).day }

  /// The instant of `date` (`YYYY-MM-DD`) at `minutes` after local midnight.
  public func instant(localDate date: String, minutes: Int) -> Date? {
    guard let day = CivilDay.parse(date) else { return nil }
    return instant(localSeconds: day * 86_400 + minutes * 60)
  }

  /// `days` whole days after `date`, at the same local time.
  public func adding(days: Int, to date: Date) -> Date {
    let seconds = Int(date.timeIntervalSince1970.rounded(.down))
    let local = seconds + timeZone.secondsFromGMT(for: date)
    let fraction = date.timeIntervalSince1970 - Double(seconds)
    return instant(localSeconds: local + days * 86_400).addingTimeInterval(fraction)
  }

  /// When a reminder due at `date` may go out: `date` itself inside working
  /// time, else the start of the next working window.
  public func nextWorkingSlot(atOrAfter date: Date) -> Date {
    var day = localDay(date)
    // A year of days is far more than any schedule needs to find a working one.
    for _ in 0..<400 {
      if isWorkingDay(day) {
        let start = instant(localSeconds: day * 86_400 + settings.workingHours.lowerBound * 60)
        if date < start { return start }
        if date < instant(localSeconds: day * 86_400 + settings.workingHours.upperBound * 60) { return date }
      }
      day += 1
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

  /// Working days that start after `from` and by `to`: 0 when `to` is on the
  /// same working day. Counting stops at `limit` (a year by default): a
  /// caller asking "more than one?" passes 2.
  public func workingDays(from: Date, to: Date, limit: Int = 400) -> Int {
    guard to > from else { return 0 }
    var count = 0
    var day = localDay(from) + 1
    let last = localDay(to)
    while day <= last && count < limit {
      if isWorkingDay(day) { count += 1 }
      day += 1
    }
    return count
  }

  /// A pause holds reminders back but does not move when they were due: a
  /// reminder due during a pause is late once the pause ends, and says so.
  private func isWorkingDay(_ day: Int) -> Bool {
    settings.workingDays.contains(CivilDay.weekday(day))
      && (settings.holidays.isEmpty || !settings.holidays.contains(CivilDay.format(day)))
  }

  /// ISO weekday of a local date: 1 = Monday … 7 = Sunday.
  private func weekday(_ day: String) -> Int {
    CivilDay.parse(day).map(CivilDay.weekday) ?? 0
  }

  /// A local wall-clock time (seconds since 1970-01-01 00:00 local) as an
  /// instant: a time in a DST gap moves forward by the gap; a time that
  /// happens twice is the earlier one. Only the zone's offsets a day either
  /// side are asked for, no `Calendar` (which made `intro due` on 100,000
  /// referrals take seconds).
  private func instant(localSeconds local: Int) -> Date {
    func offset(_ utc: Int) -> Int { timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(utc))) }
    let before = offset(local - 86_400)
    let after = offset(local + 86_400)
    let early = local - before
    if before == after { return Date(timeIntervalSince1970: Double(early)) }
    let late = local - after
    // Each candidate is real when the offset at that instant is the one it assumed.
    let candidates = [early, late].filter { offset($0) == local - $0 }
    // Neither: the time falls in the gap; with the offset from before the
    // change it is the instant as far after the change as the time is into the gap.
    return Date(timeIntervalSince1970: Double(candidates.min() ?? early))
  }
}

/// Calendar dates as days since 1970-01-01 (proleptic Gregorian), converted
/// with Howard Hinnant's arithmetic (the store's ``Timestamp`` has the other
/// direction): no `Calendar`, no locale.
enum CivilDay {
  /// The day number of `YYYY-MM-DD`, or nil when it is not a real date.
  static func parse(_ text: String) -> Int? {
    let bytes = Array(text.utf8)
    guard bytes.count == 10, bytes[4] == 0x2D, bytes[7] == 0x2D else { return nil }
    func number(_ range: Range<Int>) -> Int? {
      var value = 0
      for index in range {
        let digit = Int(bytes[index]) - 0x30
        guard (0...9).contains(digit) else { return nil }
        value = value * 10 + digit
      }
      return value
    }
    guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
      (1...12).contains(month), (1...31).contains(day)
    else { return nil }
    let days = Timestamp.daysFromCivil(year, month, day)
    // 2026-02-30 is not a date (the arithmetic would make it March 2).
    return components(days) == (year, month, day) ? days : nil
  }

  /// The local day of `date` in `zone` (days since 1970-01-01) and the
  /// second of that day: the zone's offset at that instant, then arithmetic.
  static func local(_ date: Date, in zone: TimeZone) -> (day: Int, second: Int) {
    let seconds = Int((date.timeIntervalSince1970 + Double(zone.secondsFromGMT(for: date))).rounded(.down))
    let day = Int((Double(seconds) / 86_400).rounded(.down))
    return (day, seconds - day * 86_400)
  }

  /// `YYYY-MM-DD` of a day number.
  static func format(_ days: Int) -> String {
    let (year, month, day) = components(days)
    func padded(_ value: Int, _ width: Int) -> String {
      let digits = String(value)
      return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
    return "\(padded(year, 4))-\(padded(month, 2))-\(padded(day, 2))"
  }

  /// Year, month (1–12) and day of the month of a day number.
  static func components(_ days: Int) -> (year: Int, month: Int, day: Int) {
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let dayOfEra = z - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let mp = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
  }

  /// ISO weekday: 1 = Monday … 7 = Sunday (1970-01-01 was a Thursday).
  static func weekday(_ days: Int) -> Int {
    let zeroIsMonday = ((days + 3) % 7 + 7) % 7
    return zeroIsMonday + 1
  }
}

/// Local times for people, formatted by hand: a `DateFormatter` is an ICU
/// object whose set-up costs more than a short command's whole output.
public enum LocalTime {
  /// `2026-12-07` in `zone`.
  public static func date(_ date: Date, in zone: TimeZone = .current) -> String {
    CivilDay.format(CivilDay.local(date, in: zone).day)
  }

  /// Whole days from one `YYYY-MM-DD` to another (negative when `end` is
  /// earlier), or nil when either is not a real date.
  public static func days(from start: String, to end: String) -> Int? {
    guard let first = CivilDay.parse(start), let last = CivilDay.parse(end) else { return nil }
    return last - first
  }

  /// `2026-12-07 09:30:00` in `zone`.
  public static func dateTime(_ date: Date, in zone: TimeZone = .current) -> String {
    let (day, time) = CivilDay.local(date, in: zone)
    func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
    return CivilDay.format(day) + " \(two(time / 3600)):\(two(time / 60 % 60)):\(two(time % 60))"
  }
}

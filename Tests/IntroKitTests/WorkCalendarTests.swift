import Foundation
import IntroKit
import Testing

/// The rep's calendar: local days, working windows, DST gaps and overlaps.
@Suite("Working time in the rep's zone")
struct WorkCalendarTests {
  func calendar(
    _ zone: String, days: Set<Int> = [1, 2, 3, 4, 5], hours: ClosedRange<Int> = 540...1050,
    holidays: Set<String> = [], paused: String? = nil
  ) throws -> WorkCalendar {
    var settings = ScheduleSettings()
    settings.timeZone = zone
    settings.workingDays = days
    settings.workingHours = hours
    settings.holidays = holidays
    return try WorkCalendar(settings, pausedUntil: paused)
  }

  func utc(_ text: String) throws -> Date {
    try #require(ISO8601DateFormatter().date(from: text))
  }

  @Test func aDayLaterIsTheSameLocalTimeAcrossTheClockChange() throws {
    let london = try calendar("Europe/London")
    // Saturday 09:00 GMT, the day before clocks go forward.
    let before = try utc("2026-03-28T09:00:00Z")
    #expect(london.adding(days: 1, to: before) == (try utc("2026-03-29T08:00:00Z")))
  }

  @Test(arguments: [
    // A local time that does not exist moves forward by the gap.
    ("Europe/London", "2026-03-29", 90, "2026-03-29T01:30:00Z"),
    ("America/New_York", "2026-03-08", 150, "2026-03-08T07:30:00Z"),
    // A local time that happens twice is the first one.
    ("Europe/London", "2026-10-25", 90, "2026-10-25T00:30:00Z"),
    ("America/New_York", "2026-11-01", 90, "2026-11-01T05:30:00Z"),
  ])
  func aTimeInAGapOrAnOverlapHasOneDefinedInstant(zone: String, day: String, minutes: Int, expected: String)
    throws
  {
    let calendar = try calendar(zone)
    #expect(calendar.instant(localDate: day, minutes: minutes) == (try utc(expected)))
  }

  @Test func weekendsAndHolidaysMoveTheSlotToTheNextWorkingMorningAndAPauseHoldsIt() throws {
    let london = try calendar("Europe/London", holidays: ["2026-12-25"], paused: nil)
    // Thursday 24 Dec, 18:00: after hours; Friday is a holiday; then the weekend.
    #expect(
      london.nextWorkingSlot(atOrAfter: try utc("2026-12-24T18:00:00Z")) == (try utc("2026-12-28T09:00:00Z")))
    #expect(london.whyNotWorking(try utc("2026-12-25T10:00:00Z")) == "a holiday (2026-12-25)")
    // A pause holds reminders back; it does not move when they were due.
    let paused = try calendar("Europe/London", paused: "2026-12-31")
    #expect(paused.whyNotWorking(try utc("2026-12-29T10:00:00Z")) == "paused until 2026-12-31")
    #expect(paused.whyNotWorking(try utc("2026-12-31T10:00:00Z")) == nil)
  }

  @Test func lateMeansMoreThanOneWorkingDayAfterTheSlot() throws {
    let london = try calendar("Europe/London")
    let monday = try utc("2026-12-21T09:00:00Z")
    #expect(london.workingDays(from: monday, to: try utc("2026-12-22T16:00:00Z")) == 1)
    #expect(london.workingDays(from: monday, to: try utc("2026-12-23T10:00:00Z")) == 2)
    // Friday to Monday is one working day: the weekend does not count.
    #expect(london.workingDays(from: try utc("2026-12-18T09:00:00Z"), to: monday) == 1)
  }

  /// Local dates and weekdays are arithmetic on day numbers; they must agree
  /// with Foundation's Gregorian calendar on every day of 1900–2100, in a zone
  /// east and west of UTC, leap days and year ends included.
  @Test(arguments: ["Pacific/Auckland", "America/Los_Angeles", "UTC"])
  func localDatesAndWeekdaysAgreeWithFoundationForTwoCenturies(_ zone: String) throws {
    let work = try calendar(zone, days: [1, 2, 3])
    var gregorian = Calendar(identifier: .gregorian)
    gregorian.timeZone = try #require(TimeZone(identifier: zone))
    var date = try utc("1900-01-01T12:00:00Z")
    let end = try utc("2100-12-31T12:00:00Z")
    var checked = 0
    while date < end {
      let parts = gregorian.dateComponents([.year, .month, .day, .weekday], from: date)
      let expected = String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
      let local = work.localDate(date)
      #expect(local == expected)
      if local != expected { break }
      date = date.addingTimeInterval(86_400 * 7 + 3_600 * 5)
      checked += 1
    }
    #expect(checked > 10_000)
    // Working Mon–Wed. In Auckland these instants are Tue 1 and Thu 3 December
    // (only Wednesday counts); west of it, Mon 30 November and Wed 2 December.
    let days = work.workingDays(from: try utc("2026-11-30T20:00:00Z"), to: try utc("2026-12-02T20:00:00Z"))
    #expect(days == (zone == "Pacific/Auckland" ? 1 : 2))
  }

  @Test func countingWorkingDaysStopsAtTheLimitAskedFor() throws {
    let london = try calendar("Europe/London")
    let yearsAgo = try utc("2023-01-02T09:00:00Z")
    let now = try utc("2026-12-02T09:00:00Z")
    #expect(london.workingDays(from: yearsAgo, to: now, limit: 2) == 2)
    #expect(london.workingDays(from: yearsAgo, to: now) == 400)
  }

  @Test func localTimesAreTheZonesWallClock() throws {
    let instant = try utc("2026-07-01T23:30:05Z")
    #expect(
      LocalTime.dateTime(instant, in: try #require(TimeZone(identifier: "Europe/London")))
        == "2026-07-02 00:30:05")
    #expect(
      LocalTime.dateTime(instant, in: try #require(TimeZone(identifier: "America/New_York")))
        == "2026-07-01 19:30:05")
    #expect(
      LocalTime.dateTime(try utc("1969-12-31T23:59:59Z"), in: try #require(TimeZone(identifier: "UTC")))
        == "1969-12-31 23:59:59")
  }
}

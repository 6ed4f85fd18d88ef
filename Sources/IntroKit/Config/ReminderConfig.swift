import Foundation
import IntroStore

/// Reads `[schedule]`, `[fatigue]` and `[[reminders]]`.
enum ReminderConfig {
  static func schedule(_ reader: inout TableReader) throws(ConfigError) -> ScheduleSettings {
    var schedule = ScheduleSettings()
    if let zone = try reader.string("time_zone") {
      guard TimeZoneCheck.isKnown(zone) else {
        throw reader.error(
          "time_zone '\(zone)' is not a time zone", at: "time_zone",
          fix: "use an IANA name such as Europe/London or America/New_York")
      }
      schedule.timeZone = zone
    }
    if let days = try reader.strings("working_days") {
      let names = ["mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7]
      var set = Set<Int>()
      for day in days {
        guard let number = names[String(day.lowercased().prefix(3))] else {
          throw reader.error(
            "working_days has '\(day)', which is not a day", at: "working_days",
            fix: "list days as \"mon\", \"tue\", … \"sun\"")
        }
        set.insert(number)
      }
      guard !set.isEmpty else {
        throw reader.error("working_days is empty", at: "working_days", fix: "list at least one day")
      }
      schedule.workingDays = set
    }
    if let hours = try reader.strings("working_hours") {
      let minutes = hours.compactMap(Self.minutes)
      guard hours.count == 2, minutes.count == 2, minutes[0] < minutes[1] else {
        throw reader.error(
          "working_hours should be a start and an end, the start first", at: "working_hours",
          fix: "working_hours = [\"09:00\", \"17:30\"]")
      }
      schedule.workingHours = minutes[0]...minutes[1]
    }
    if let holidays = try reader.strings("holidays") {
      for day in holidays where !Self.isDate(day) {
        throw reader.error(
          "holidays has '\(day)', which is not a date", at: "holidays", fix: "write dates as 2026-12-25")
      }
      schedule.holidays = Set(holidays)
    }
    return schedule
  }

  static func fatigue(_ reader: inout TableReader) throws(ConfigError) -> FatigueSettings {
    var fatigue = FatigueSettings()
    if let asks = try reader.integer("asks") {
      guard asks >= 1 else { throw reader.error("asks must be 1 or more", at: "asks", fix: "asks = 1") }
      fatigue.asks = asks
    }
    if let days = try reader.integer("period_days") {
      guard days >= 1 else {
        throw reader.error("period_days must be 1 or more", at: "period_days", fix: "period_days = 90")
      }
      fatigue.periodDays = days
    }
    return fatigue
  }

  static func rules(_ readers: [TableReader]) throws(ConfigError) -> [ReminderRule] {
    var rules: [ReminderRule] = []
    for var reader in readers {
      guard let name = try reader.string("name"), !name.isEmpty else {
        throw ConfigError(
          file: reader.file, position: reader.firstPosition, "a [[reminders]] rule has no name",
          fix: "add name = \"late-introduction\" (names key each firing, so keep them stable)")
      }
      if rules.contains(where: { $0.name == name }) {
        throw reader.error(
          "two [[reminders]] rules are named '\(name)'", at: "name", fix: "give each its own name")
      }
      guard let triggerName = try reader.string("trigger") else {
        throw reader.error(
          "rule '\(name)' has no trigger", at: "name",
          fix: "trigger = one of \(ReminderRule.Trigger.allNames.joined(separator: ", "))")
      }
      let stage = try reader.string("stage").map { text throws(ConfigError) in
        guard let stage = ReferralStage(rawValue: text) else {
          throw reader.error(
            "stage '\(text)' is not a stage", at: "stage",
            fix: "one of \(ReferralStage.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return stage
      }
      let trigger: ReminderRule.Trigger
      switch triggerName {
      case "promised_date_passed": trigger = .promisedDatePassed
      case "stage_entered", "days_in_stage":
        guard let stage else {
          throw reader.error(
            "\(triggerName) needs a stage", at: "trigger",
            fix: "add stage = \"introduced\" (or another stage)")
        }
        trigger = triggerName == "stage_entered" ? .stageEntered(stage) : .daysInStage(stage)
      case "days_since_sale": trigger = .daysSinceSale
      case "days_since_contact": trigger = .daysSinceContact
      default:
        throw reader.error(
          "'\(triggerName)' is not a trigger", at: "trigger",
          fix: "one of \(ReminderRule.Trigger.allNames.joined(separator: ", "))")
      }
      let delay = try Self.days(&reader, "delay")
      let to = try reader.string("to") ?? "client"
      guard let recipient = ReminderRule.Recipient(rawValue: to) else {
        throw reader.error(
          "to = '\(to)' is neither client nor rep", at: "to", fix: "to = \"client\" or to = \"rep\"")
      }
      let template = try reader.string("template")
      if recipient == .client, template == nil {
        throw reader.error(
          "rule '\(name)' emails the client but names no template", at: "name",
          fix: "add template = \"nudge-late-intro\" (see 'intro templates list')")
      }
      try reader.finish()
      rules.append(
        ReminderRule(name: name, trigger: trigger, delayDays: delay, template: template, recipient: recipient)
      )
    }
    return rules
  }

  /// `delay = "3d"`, `"2w"`, `"0d"` or a number of days.
  private static func days(_ reader: inout TableReader, _ key: String) throws(ConfigError) -> Int {
    let problem = reader.error(
      "\(key) should be days or weeks", at: key, fix: "\(key) = \"3d\" (or \"2w\", or 0 for the same day)")
    if let number = try? reader.integer(key) {
      guard number >= 0 else { throw problem }
      return number
    }
    guard let text = try reader.string(key) else { return 0 }
    let trimmed = text.lowercased().replacingOccurrences(of: " ", with: "")
    let units: [(String, Int)] = [("days", 1), ("day", 1), ("d", 1), ("weeks", 7), ("week", 7), ("w", 7)]
    for (unit, factor) in units where trimmed.hasSuffix(unit) {
      guard let number = Int(trimmed.dropLast(unit.count)), number >= 0 else { throw problem }
      return number * factor
    }
    throw problem
  }

  static func minutes(_ text: String) -> Int? {
    let parts = text.split(separator: ":")
    guard parts.count == 2, let hours = Int(parts[0]), let minutes = Int(parts[1]), (0...24).contains(hours),
      (0..<60).contains(minutes), hours * 60 + minutes <= 24 * 60
    else { return nil }
    return hours * 60 + minutes
  }

  static func isDate(_ text: String) -> Bool {
    let parts = text.split(separator: "-")
    return text.count == 10 && parts.count == 3 && parts.allSatisfy { $0.allSatisfy(\.isNumber) }
  }
}

/// Whether a zone name is one the system knows.
enum TimeZoneCheck {
  static func isKnown(_ name: String) -> Bool { TimeZone(identifier: name) != nil }
}

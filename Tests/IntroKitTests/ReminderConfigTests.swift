import IntroKit
import IntroStore
import Testing

@Suite("[[reminders]], [schedule] and [fatigue] in the configuration")
struct ReminderConfigTests {
  @Test func theDefaultsIntroInitWritesAreValidAndComplete() throws {
    let config = try ConfigLoader.decode(ConfigTemplate.text, file: "config.toml")
    #expect(config.reminders.count == 8)
    #expect(Set(config.reminders.map(\.trigger.name)) == Set(ReminderRule.Trigger.allNames))
    #expect(config.schedule.workingDays == [1, 2, 3, 4, 5])
    #expect(config.fatigue == FatigueSettings())
  }

  @Test func aRuleReadsItsTriggerStageDelayTemplateAndRecipient() throws {
    let config = try ConfigLoader.decode(
      """
      [schedule]
      time_zone = "America/New_York"
      working_days = ["Mon", "tue", "saturday"]
      working_hours = ["08:30", "18:00"]
      holidays = [2026-11-26, "2026-12-25"]
      [fatigue]
      asks = 2
      period_days = 60
      [[reminders]]
      name = "update"
      trigger = "stage_entered"
      stage = "meeting"
      delay = "2w"
      template = "progress-update"
      [[reminders]]
      name = "quiet"
      trigger = "days_since_contact"
      delay = 45
      to = "rep"
      """, file: "c.toml")

    #expect(config.schedule.timeZone == "America/New_York")
    #expect(config.schedule.workingDays == [1, 2, 6])
    #expect(config.schedule.workingHours == 510...1080)
    #expect(config.schedule.holidays == ["2026-11-26", "2026-12-25"])
    #expect(config.fatigue.asks == 2 && config.fatigue.periodDays == 60)
    #expect(
      config.reminders == [
        ReminderRule(
          name: "update", trigger: .stageEntered(.meeting), delayDays: 14, template: "progress-update",
          recipient: .client),
        ReminderRule(
          name: "quiet", trigger: .daysSinceContact, delayDays: 45, template: nil, recipient: .rep),
      ])
  }

  @Test(arguments: [
    (
      "[[reminders]]\nname = \"x\"\ntrigger = \"whenever\"\ntemplate = \"check-in\"\n", 3, 1,
      "'whenever' is not a trigger"
    ),
    (
      "[[reminders]]\nname = \"x\"\ntrigger = \"days_since_sale\"\ntemplate = \"check-in\"\ndealy = \"3d\"\n",
      5, 1, "unknown key 'dealy'"
    ),
    (
      "[[reminders]]\nname = \"x\"\ntrigger = \"stage_entered\"\ntemplate = \"check-in\"\n", 3, 1,
      "needs a stage"
    ),
    (
      "[[reminders]]\nname = \"x\"\ntrigger = \"days_since_sale\"\ndelay = \"soon\"\ntemplate = \"c\"\n", 4,
      1, "days or weeks"
    ),
    ("[schedule]\ntime_zone = \"Mars/Olympus\"\n", 2, 1, "is not a time zone"),
    ("[schedule]\nworking_hours = [\"17:00\", \"09:00\"]\n", 2, 1, "the start first"),
  ])
  func aMistakeIsAnErrorAtItsLineAndColumn(source: String, line: Int, column: Int, words: String) {
    do {
      _ = try ConfigLoader.decode(source, file: "c.toml")
      Issue.record("accepted \(source)")
    } catch {
      #expect(error.position == TOMLPosition(line: line, column: column), "\(error)")
      #expect(error.description.contains(words), "\(error)")
    }
  }
}

public import IntroStore

/// One `[[reminders]]` rule: what makes it due, how long after, which template, to whom.
public struct ReminderRule: Sendable, Equatable {
  /// What a rule watches.
  public enum Trigger: Sendable, Equatable {
    /// A referral's promised date passed and the introduction has not happened.
    case promisedDatePassed
    /// A referral entered `stage`; the rule applies while it stays there.
    case stageEntered(ReferralStage)
    /// A referral has sat in `stage` for the delay (stalled).
    case daysInStage(ReferralStage)
    /// The delay has passed since a client's sale closed.
    case daysSinceSale
    /// The delay has passed since the last touch, message or contact with a client.
    case daysSinceContact

    /// The spelling in the configuration.
    public var name: String {
      switch self {
      case .promisedDatePassed: "promised_date_passed"
      case .stageEntered: "stage_entered"
      case .daysInStage: "days_in_stage"
      case .daysSinceSale: "days_since_sale"
      case .daysSinceContact: "days_since_contact"
      }
    }

    /// Whether the rule is about a referral (else about a client).
    public var isAboutReferral: Bool {
      switch self {
      case .promisedDatePassed, .stageEntered, .daysInStage: true
      case .daysSinceSale, .daysSinceContact: false
      }
    }

    /// Every trigger's spelling, for errors and documentation.
    public static let allNames = [
      "promised_date_passed", "stage_entered", "days_in_stage", "days_since_sale", "days_since_contact",
    ]
  }

  /// Who gets what a rule makes.
  public enum Recipient: String, Sendable, Equatable {
    /// An email to the client (the introducer, for a referral).
    case client
    /// A line in the rep's daily digest.
    case rep
  }

  /// Names the rule in the store's firings; unique in the configuration.
  public var name: String
  public var trigger: Trigger
  /// Whole days after the trigger's moment, at the same local time.
  public var delayDays: Int
  /// The template a client email is rendered from (unused for the rep).
  public var template: String?
  public var recipient: Recipient

  public init(name: String, trigger: Trigger, delayDays: Int, template: String?, recipient: Recipient) {
    self.name = name
    self.trigger = trigger
    self.delayDays = delayDays
    self.template = template
    self.recipient = recipient
  }
}

/// `[schedule]`: when the rep works, so reminders go out then.
public struct ScheduleSettings: Sendable, Equatable {
  /// An IANA zone, e.g. `Europe/London`; nil for the machine's zone.
  public var timeZone: String?
  /// ISO weekdays, 1 = Monday … 7 = Sunday.
  public var workingDays: Set<Int> = [1, 2, 3, 4, 5]
  /// Minutes after local midnight: the working window `[start, end)`.
  public var workingHours: ClosedRange<Int> = (9 * 60)...(17 * 60)
  /// Local dates, `YYYY-MM-DD`, when nothing goes out.
  public var holidays: Set<String> = []

  public init() {}
}

/// `[fatigue]`: how often one client may be asked for an introduction.
public struct FatigueSettings: Sendable, Equatable {
  /// At most this many asks of one client …
  public var asks = 1
  /// … in this many days.
  public var periodDays = 90

  public init() {}
}

/// The commented configuration `intro init` writes.
public enum ConfigTemplate {
  /// The configuration with the `[rep]` keys commented out, for the rep to fill in.
  public static var text: String { text(rep: nil) }

  /// The configuration; `rep` gives `[rep]` its values (the sample home), else
  /// every key is a commented example.
  public static func text(rep: [(key: String, value: String)]?) -> String {
    let repLines =
      rep.map { pairs in pairs.map { "\($0.key) = \(TOML.quoted($0.value))" }.joined(separator: "\n") }
      ?? commentedRep
    return head + repLines + "\n" + rest
  }

  /// Who you are: the sender of every message, and `rep.*` in the templates.
  static let commentedRep = """
    # Who you are: the sender of every message and rep.* in the templates.
    # A template that uses a key left out here stops with "set it in [rep]".
    # name = "Dana Rep"
    # email = "dana@example.com"
    # title = "Account Executive"
    # company = "Acme Analytics"
    # phone = "+1 555 0100"
    # calendar_link = "https://cal.example.com/dana"
    # about = "Her team helped Smith & Sons cut quote turnaround from five days to one."
    # signature = "Dana"                         # how you sign off; default: the signature block
    """

  private static let head = """
    # intro configuration (TOML). Unknown keys are errors, so a typo never
    # silently changes what is sent. See README.md for every key.
    version = 1

    [rep]

    """

  private static let rest = """

    # Without [smtp], messages are written to the outbox folder as .eml files.
    # [smtp]
    # url = "smtp://mail.example.com:587"        # STARTTLS required; smtps://host:465 for implicit TLS
    # username = "dana@example.com"
    # password_command = "pass show mail/dana"   # run only when sending

    # [store]
    # path = "~/.local/share/intro/intro.sqlite"
    # busy_timeout = 300                         # seconds to wait for whoever holds the store (any session on PostgreSQL)
    # A team's shared store on PostgreSQL instead of the file (then leave path out); the password
    # comes from $PGPASSWORD, ~/.pgpass or password_command, never from the URL:
    # url = "postgresql://you@db.example.com/intro?sslmode=verify-full"
    # password_command = "pass show intro-db"

    # [templates]
    # path = "~/intro-templates"                 # your templates override the built-in ones by name

    # When you work: 'intro remind' (from cron) sends only then, in your zone.
    [schedule]
    # time_zone = "Europe/London"                # IANA name; default: this machine's zone
    working_days = ["mon", "tue", "wed", "thu", "fri"]
    working_hours = ["09:00", "17:30"]
    # holidays = ["2026-12-25", "2026-12-26"]    # nothing goes out on these days

    # At most `asks` asks for an introduction to one client in `period_days`
    # (templates with Intro-Purpose: ask), for reminders and 'intro send' alike.
    [fatigue]
    asks = 1
    period_days = 90

    # Reminders: each rule fires once per subject and occasion (see 'intro due').
    # trigger: promised_date_passed, stage_entered, days_in_stage (both take a
    # stage), days_since_sale, days_since_contact. to: client (an email) or rep
    # (a line in your daily digest). delay: days ("3d") or weeks ("6w").

    # The client promised an introduction by a date and it has not happened.
    [[reminders]]
    name = "late-introduction"
    trigger = "promised_date_passed"
    delay = "2d"
    template = "nudge-late-intro"
    to = "client"

    # Thank the client the day the introduction happens.
    [[reminders]]
    name = "thanks-for-introduction"
    trigger = "stage_entered"
    stage = "introduced"
    delay = "0d"
    template = "thank-you-intro"
    to = "client"

    # Keep the introducer posted a few days after the introduction.
    [[reminders]]
    name = "progress-after-introduction"
    trigger = "stage_entered"
    stage = "meeting"
    delay = "3d"
    template = "progress-update"
    to = "client"

    # Tell the introducer when it turns into business.
    [[reminders]]
    name = "progress-when-won"
    trigger = "stage_entered"
    stage = "won"
    delay = "0d"
    template = "progress-update"
    to = "client"

    # A promised introduction that has not moved in two weeks: a task for you.
    [[reminders]]
    name = "stalled-promise"
    trigger = "days_in_stage"
    stage = "promised"
    delay = "14d"
    to = "rep"

    # Three weeks after a sale, ask how it is going (permission first) ...
    [[reminders]]
    name = "check-in-after-sale"
    trigger = "days_since_sale"
    delay = "3w"
    template = "check-in"
    to = "client"

    # ... and three weeks later, ask for an introduction-based relationship.
    [[reminders]]
    name = "relationship-ask"
    trigger = "days_since_sale"
    delay = "6w"
    template = "relationship-ask"
    to = "client"

    # A client you have not been in touch with for two months: a task for you.
    [[reminders]]
    name = "quiet-client"
    trigger = "days_since_contact"
    delay = "60d"
    to = "rep"
    """
}

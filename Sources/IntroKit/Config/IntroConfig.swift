public import IntroSMTP

/// The rep's configuration, as read from `config.toml` (see `config/config.example.toml`).
public struct IntroConfig: Sendable {
  /// The file it was read from; nil when no file exists and defaults apply.
  public var file: String?
  /// The format version (`version = 1`).
  public var version: Int = 1
  /// Who the rep is: used as the sender and in templates.
  public var rep = Rep()
  /// The SMTP relay; nil means messages go to the outbox.
  public var smtp: SMTPSettings?
  /// Where the store and the outbox live.
  public var store = StoreSettings()
  /// Where the rep's own templates live.
  public var templates = TemplateSettings()
  /// How batches are sent.
  public var send = SendSettings()
  /// `[import] map`: store field → the CSV header that holds it.
  public var importMap: [String: String] = [:]
  /// When the rep works: reminders go out then.
  public var schedule = ScheduleSettings()
  /// How often one client may be asked for an introduction.
  public var fatigue = FatigueSettings()
  /// The `[[reminders]]` rules.
  public var reminders: [ReminderRule] = []

  /// An empty configuration: outbox delivery, default paths.
  public init() {}

  /// What to do about a template variable with no value: `rep.*` comes from
  /// `[rep]` of the configuration `file`; anything else needs data or a fallback.
  public static func fix(forMissing name: String, file: String?) -> String {
    guard name.hasPrefix("rep."), name.count > 4 else { return "give it a value or a fallback" }
    let place = file.map { "of \($0)" } ?? "of the configuration ('intro init' writes one)"
    return "set \(name.dropFirst(4)) in [rep] \(place), or give the template a fallback"
  }

  /// The `[rep]` section.
  public struct Rep: Sendable, Equatable {
    public var name: String?
    public var email: String?
    public var title: String?
    public var company: String?
    public var phone: String?
    public var calendarLink: String?
    public var about: String?
    public var signature: String?
  }

  /// The `[smtp]` section, as written (secrets are resolved only when a message is sent).
  public struct SMTPSettings: Sendable, Equatable {
    public var url: String
    public var username: String?
    /// Set only when the file is private to its owner (checked on load).
    public var password: String?
    public var passwordCommand: String?
    public var tokenCommand: String?
    public var caFile: String?
    public var tls: SMTPConfiguration.TLSPolicy = .required
    public var helo: String?
    public var connectTimeout: Double = 30
    public var responseTimeout: Double = 600
    public var messageTimeout: Double = 1200
    public var parallel: Int = 4
  }

  /// The `[send]` section.
  public struct SendSettings: Sendable, Equatable {
    /// At most this many messages start per minute over all connections; nil for no limit.
    public var messagesPerMinute: Int?
    /// Seconds a `send` waits for another run on the same store to finish.
    public var lockWait: Double = 10
  }

  /// The `[templates]` section.
  public struct TemplateSettings: Sendable, Equatable {
    /// A folder of `*.mustache` files that override the built-in templates by name.
    public var path: String?
  }

  /// The `[store]` section.
  public struct StoreSettings: Sendable, Equatable {
    /// The SQLite store; default `$XDG_DATA_HOME/intro/intro.sqlite`.
    public var path: String?
    /// A team's PostgreSQL store (`postgresql://rep@host/db?sslmode=verify-full`)
    /// instead of the SQLite file; never with a password in it.
    public var url: String?
    /// Prints the PostgreSQL password (else libpq reads `$PGPASSWORD` or `~/.pgpass`).
    public var passwordCommand: String?
    /// The outbox folder; default `outbox/` next to the store.
    public var outbox: String?
    /// Seconds to wait for another process writing to the store (an import,
    /// another send) before giving up with exit 75.
    public var busyTimeout: Double = 300
  }
}

/// A configuration problem: what is wrong, where, and how to fix it.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The file, when the problem is in one.
  public var file: String?
  /// Where in the file, when known.
  public var position: TOMLPosition?
  /// What is wrong.
  public var message: String
  /// What to do about it.
  public var fix: String?

  /// An error in `file` at `position`.
  public init(file: String? = nil, position: TOMLPosition? = nil, _ message: String, fix: String? = nil) {
    self.file = file
    self.position = position
    self.message = message
    self.fix = fix
  }

  public var description: String {
    var location = file ?? ""
    if let position { location += ":\(position)" }
    let head = location.isEmpty ? message : "\(location): \(message)"
    return fix.map { "\(head)\n  fix: \($0)" } ?? head
  }
}

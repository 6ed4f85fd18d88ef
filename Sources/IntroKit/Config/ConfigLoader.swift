import Foundation
import IntroSMTP
import IntroStore

/// Finds, reads and checks `config.toml`.
///
/// The file is looked for at `--config`, then `$INTRO_CONFIG`, then
/// `$XDG_CONFIG_HOME/intro/config.toml` (`~/.config/intro/config.toml`). A file
/// named explicitly must exist; the default one may be absent, and then
/// everything has its default and messages go to the outbox. Unknown keys are
/// errors with their line and column, so a typo never silently changes what
/// is sent.
public struct ConfigLoader: Sendable {
  /// The process environment (or a test's).
  public var environment: [String: String]

  /// A loader that reads paths and secrets from `environment`.
  public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
    self.environment = environment
  }

  /// Where the configuration is read from, and whether the user named it.
  public func location(explicit: String?) -> (path: String, isExplicit: Bool) {
    if let explicit { return (Paths.expand(explicit, environment), true) }
    if let fromEnvironment = environment["INTRO_CONFIG"], !fromEnvironment.isEmpty {
      return (Paths.expand(fromEnvironment, environment), true)
    }
    return (Paths.configDirectory(environment) + "/config.toml", false)
  }

  /// Loads the configuration.
  /// - Parameter explicit: the `--config` option, if given.
  public func load(explicit: String? = nil) throws(ConfigError) -> IntroConfig {
    let (path, isExplicit) = location(explicit: explicit)
    guard FileManager.default.fileExists(atPath: path) else {
      if isExplicit {
        throw ConfigError(
          file: path, "the configuration file does not exist", fix: "run 'intro init', or check the path")
      }
      return IntroConfig()
    }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw ConfigError(file: path, "the configuration file cannot be read", fix: "check its permissions")
    }
    guard let text = String(bytes: data, encoding: .utf8) else {
      throw ConfigError(file: path, "the configuration file is not UTF-8", fix: "save it as UTF-8")
    }
    var config = try Self.decode(text, file: path)
    config.file = path
    if config.smtp?.password != nil { try Self.checkPrivate(path) }
    return config
  }

  /// Decodes configuration text; `file` names it in errors.
  public static func decode(_ text: String, file: String) throws(ConfigError) -> IntroConfig {
    let root: TOMLTable
    do {
      root = try TOML.parse(text)
    } catch {
      throw ConfigError(file: file, position: error.position, error.message)
    }
    var reader = TableReader(table: root, section: nil, file: file)
    var config = IntroConfig()
    config.version = try reader.integer("version") ?? 1
    if config.version != 1 {
      throw ConfigError(
        file: file, position: root.position(of: "version"),
        "version \(config.version) is not supported; this intro reads version 1",
        fix: "set version = 1, or upgrade intro")
    }
    if var rep = try reader.section("rep") {
      config.rep = IntroConfig.Rep(
        name: try rep.string("name"), email: try rep.string("email"), title: try rep.string("title"),
        company: try rep.string("company"), phone: try rep.string("phone"),
        calendarLink: try rep.string("calendar_link"), about: try rep.string("about"),
        signature: try rep.string("signature"))
      try rep.finish()
    }
    if var smtp = try reader.section("smtp") {
      config.smtp = try decodeSMTP(&smtp)
      try smtp.finish()
    }
    if var store = try reader.section("store") {
      config.store = IntroConfig.StoreSettings(
        path: try store.string("path"), url: try store.string("url"),
        passwordCommand: try store.string("password_command"), outbox: try store.string("outbox"))
      if let url = config.store.url {
        guard url.hasPrefix("postgresql://") || url.hasPrefix("postgres://") else {
          throw store.error(
            "url must be a PostgreSQL URL (postgresql://…); a SQLite store is set with path", at: "url",
            fix: "write url = \"postgresql://rep@db.example.com/intro?sslmode=verify-full\"")
        }
        guard !PostgresStore.hasPassword(url) else {
          throw store.error(
            "url holds a password, which ends up in backups, shell history and error reports", at: "url",
            fix: "remove it from the URL; put it in $PGPASSWORD, ~/.pgpass or [store] password_command")
        }
        guard config.store.path == nil else {
          throw store.error(
            "path and url both name a store; intro uses one", at: "url",
            fix: "keep url for the team's PostgreSQL store, or path for your own SQLite file")
        }
      }
      if let wait = try store.seconds("busy_timeout") {
        guard wait >= 0 else {
          throw store.error(
            "busy_timeout must be 0 or more seconds", at: "busy_timeout",
            fix: "set busy_timeout = 300 to wait up to five minutes for another intro")
        }
        config.store.busyTimeout = wait
      }
      try store.finish()
    }
    if var templates = try reader.section("templates") {
      config.templates = IntroConfig.TemplateSettings(path: try templates.string("path"))
      try templates.finish()
    }
    if var send = try reader.section("send") {
      if let rate = try send.integer("messages_per_minute") {
        guard rate >= 0 else {
          throw send.error(
            "messages_per_minute must be 0 (no limit) or more", at: "messages_per_minute",
            fix: "set messages_per_minute = 60 for one message a second")
        }
        config.send.messagesPerMinute = rate == 0 ? nil : rate
      }
      config.send.lockWait = try send.seconds("wait") ?? config.send.lockWait
      try send.finish()
    }
    if var schedule = try reader.section("schedule") {
      config.schedule = try ReminderConfig.schedule(&schedule)
      try schedule.finish()
    }
    if var fatigue = try reader.section("fatigue") {
      config.fatigue = try ReminderConfig.fatigue(&fatigue)
      try fatigue.finish()
    }
    if let rules = try reader.tables("reminders") {
      config.reminders = try ReminderConfig.rules(rules)
    }
    if var section = try reader.section("import") {
      config.importMap = try section.stringTable("map") ?? [:]
      try section.finish()
    }
    try reader.finish()
    return config
  }

  private static func decodeSMTP(_ smtp: inout TableReader) throws(ConfigError) -> IntroConfig.SMTPSettings {
    guard let url = try smtp.string("url") else {
      throw smtp.error(
        "[smtp] needs a url",
        fix: "add url = \"smtp://mail.example.com:587\", or remove [smtp] to use the outbox")
    }
    var settings = IntroConfig.SMTPSettings(url: url)
    settings.username = try smtp.string("username")
    settings.password = try smtp.string("password")
    settings.passwordCommand = try smtp.string("password_command")
    settings.tokenCommand = try smtp.string("token_command")
    settings.caFile = try smtp.string("ca_file")
    settings.helo = try smtp.string("helo")
    if let tls = try smtp.string("tls") {
      guard let policy = SMTPConfiguration.TLSPolicy(rawValue: tls) else {
        throw smtp.error(
          "tls = \"\(tls)\" is not known", at: "tls",
          fix: "use tls = \"required\" (the default) or, for a loopback relay only, tls = \"none\"")
      }
      settings.tls = policy
    }
    settings.connectTimeout = try smtp.seconds("connect_timeout") ?? settings.connectTimeout
    settings.responseTimeout = try smtp.seconds("response_timeout") ?? settings.responseTimeout
    settings.messageTimeout = try smtp.seconds("message_timeout") ?? settings.messageTimeout
    settings.parallel = try smtp.integer("parallel") ?? settings.parallel
    if settings.password != nil && settings.passwordCommand != nil {
      throw smtp.error(
        "both password and password_command are set", at: "password",
        fix: "keep one; password_command keeps the secret out of the file")
    }
    if settings.tokenCommand != nil && (settings.password != nil || settings.passwordCommand != nil) {
      throw smtp.error(
        "token_command (OAuth2) and a password are both set", at: "token_command",
        fix: "keep token_command for OAuth2, or the password for a plain login")
    }
    return settings
  }

  /// Refuses a file holding a password when others can read it or it is not the user's.
  static func checkPrivate(_ path: String) throws(ConfigError) {
    var info = stat()
    guard stat(path, &info) == 0 else {
      throw ConfigError(file: path, "cannot check the file's permissions", fix: "check that it exists")
    }
    let mode = info.st_mode & 0o777
    if info.st_uid != geteuid() {
      throw ConfigError(
        file: path, "the file holds an SMTP password but belongs to another user",
        fix: "copy it to a file of your own, or use password_command")
    }
    if mode & 0o077 != 0 {
      throw ConfigError(
        file: path,
        "the file holds an SMTP password but others can read it (mode \(String(mode, radix: 8)))",
        fix: "run: chmod 600 \(path)   (or move the secret to password_command)")
    }
  }
}

import Foundation
public import IntroSMTP

/// Builds the transport the configuration asks for.
public struct TransportFactory: Sendable {
  /// The loaded configuration.
  public var config: IntroConfig
  /// The environment, for paths and `$INTRO_SMTP_PASSWORD`.
  public var environment: [String: String]
  /// Where `--debug` output goes.
  public var trace: SMTPTrace?

  /// A factory for `config`.
  public init(config: IntroConfig, environment: [String: String], trace: SMTPTrace? = nil) {
    self.config = config
    self.environment = environment
    self.trace = trace
  }

  /// The outbox when no `[smtp]` is configured, else the checked SMTP relay
  /// (running `password_command` or `token_command` now, not before).
  public func makeTransport() throws(ConfigError) -> any MailTransport {
    guard config.smtp != nil else {
      return OutboxTransport(directory: URL(fileURLWithPath: Paths.outbox(config, environment)))
    }
    return try makeSMTPTransport()
  }

  /// The SMTP relay; a configuration error when there is no `[smtp]` section.
  public func makeSMTPTransport() throws(ConfigError) -> SMTPTransport {
    guard let smtp = config.smtp else {
      throw ConfigError(
        file: config.file, "no [smtp] section is configured; messages go to the outbox",
        fix: "add [smtp] with url, username and password_command to \(config.file ?? "config.toml")")
    }
    let secrets = Secrets(environment: environment, file: config.file)
    let authentication: SMTPConfiguration.Authentication
    if let username = smtp.username {
      if let token = try secrets.token(smtp) {
        authentication = .oauth2(username: username, token: token)
      } else if let password = try secrets.password(smtp) {
        authentication = .password(username: username, password: password)
      } else {
        throw ConfigError(
          file: config.file, "[smtp] has a username but no password",
          fix: "set password_command, or export INTRO_SMTP_PASSWORD")
      }
    } else {
      if smtp.tokenCommand != nil || smtp.passwordCommand != nil || smtp.password != nil {
        throw ConfigError(
          file: config.file, "[smtp] has a secret but no username", fix: "set username in [smtp]")
      }
      authentication = .none
    }
    do {
      let configuration = try SMTPConfiguration(
        url: smtp.url, tls: smtp.tls, authentication: authentication,
        caFile: smtp.caFile.map { Paths.expand($0, environment) }, heloName: smtp.helo,
        connectTimeout: smtp.connectTimeout, responseTimeout: smtp.responseTimeout,
        messageTimeout: smtp.messageTimeout, parallelism: smtp.parallel)
      return SMTPTransport(configuration: configuration, trace: trace)
    } catch {
      throw ConfigError(file: config.file, "[smtp]: \(error.reason)", fix: error.fix)
    }
  }
}

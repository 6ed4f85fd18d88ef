import Foundation
import IntroKit
import IntroSMTP
import TestSupport
import Testing

@Suite("Configuration")
struct ConfigTests {
  @Test func readsEverySMTPSetting() throws {
    let config = try ConfigLoader.decode(
      """
      version = 1
      [rep]
      name = "Dana Rep"
      email = "dana@example.com"
      [smtp]
      url = "smtps://mail.example.com:465"
      username = "dana"
      password_command = "pass show mail"
      ca_file = "~/ca.pem"
      helo = "laptop.example.com"
      connect_timeout = 10
      response_timeout = 300.5
      message_timeout = 900
      parallel = 2
      [store]
      path = "/data/intro.sqlite"
      """, file: "config.toml")
    #expect(config.rep.email == "dana@example.com")
    let smtp = try #require(config.smtp)
    #expect(smtp.url == "smtps://mail.example.com:465")
    #expect(smtp.passwordCommand == "pass show mail")
    #expect(smtp.responseTimeout == 300.5)
    #expect(smtp.parallel == 2)
    #expect(Paths.outbox(config, ["HOME": "/home/dana"]) == "/data/outbox")
  }

  @Test func sendSectionSetsTheRateAndTheWaitAndRefusesANegativeRate() throws {
    let config = try ConfigLoader.decode(
      "[send]\nmessages_per_minute = 60\nwait = 2.5\n", file: "config.toml")
    let unlimited = try ConfigLoader.decode("[send]\nmessages_per_minute = 0\n", file: "config.toml")
    let defaults = try ConfigLoader.decode("", file: "config.toml")

    #expect(config.send.messagesPerMinute == 60)
    #expect(config.send.lockWait == 2.5)
    #expect(unlimited.send.messagesPerMinute == nil)
    #expect(defaults.send.messagesPerMinute == nil && defaults.send.lockWait == 10)
    #expect(throws: ConfigError.self) {
      try ConfigLoader.decode("[send]\nmessages_per_minute = -5\n", file: "config.toml")
    }
  }

  @Test func unknownKeyIsAnErrorWithItsPosition() {
    do {
      _ = try ConfigLoader.decode("[smtp]\nurl = \"smtp://x:587\"\npasword = \"x\"\n", file: "c.toml")
      Issue.record("accepted a typo")
    } catch {
      #expect(error.position == TOMLPosition(line: 3, column: 1))
      #expect(error.description.hasPrefix("c.toml:3:1: unknown key 'pasword' in [smtp]"))
    }
  }

  @Test func wrongTypeSaysWhatWasExpected() {
    do {
      _ = try ConfigLoader.decode("[smtp]\nurl = \"smtp://x:587\"\nparallel = \"4\"\n", file: "c.toml")
      Issue.record("accepted a string for parallel")
    } catch {
      #expect(error.description.contains("smtp.parallel should be a whole number, found a string"))
    }
  }

  @Test func passwordInAFileOthersCanReadIsRefused() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.file("config.toml")
    try "[smtp]\nurl = \"smtp://x:587\"\nusername = \"u\"\npassword = \"p\"\n".write(
      toFile: path, atomically: true, encoding: .utf8)
    chmod(path, 0o644)
    let loader = ConfigLoader(environment: ["HOME": dir.path])

    #expect(throws: ConfigError.self) { try loader.load(explicit: path) }
    do {
      _ = try loader.load(explicit: path)
    } catch {
      #expect(error.description.contains("chmod 600"))
      #expect(!error.description.contains("\"p\""))
    }
    chmod(path, 0o600)
    #expect(try loader.load(explicit: path).smtp?.password == "p")
  }

  @Test func noFileMeansDefaultsAndTheOutbox() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let environment = ["HOME": dir.path, "XDG_DATA_HOME": dir.file("data")]
    let config = try ConfigLoader(environment: environment).load()
    #expect(config.file == nil)
    let transport = try TransportFactory(config: config, environment: environment).makeTransport()
    #expect(transport is OutboxTransport)
    #expect(Paths.outbox(config, environment) == dir.file("data") + "/intro/outbox")
  }

  @Test func explicitFileThatIsMissingIsAnError() {
    #expect(throws: ConfigError.self) {
      try ConfigLoader(environment: [:]).load(explicit: "/nonexistent/intro.toml")
    }
  }

  @Test func passwordComesFromTheEnvironmentFirstThenTheCommand() throws {
    let config = try ConfigLoader.decode(
      "[smtp]\nurl = \"smtp://mail.example.com:587\"\nusername = \"u\"\npassword_command = \"echo from-command\"\n",
      file: "c.toml")
    let fromCommand = try TransportFactory(config: config, environment: [:]).makeSMTPTransport()
    #expect(fromCommand.configuration.authentication == .password(username: "u", password: "from-command"))
    let fromEnvironment = try TransportFactory(
      config: config, environment: ["INTRO_SMTP_PASSWORD": "from-env"]
    ).makeSMTPTransport()
    #expect(fromEnvironment.configuration.authentication == .password(username: "u", password: "from-env"))
  }

  @Test func failingPasswordCommandIsAConfigurationErrorWithoutTheSecret() throws {
    let config = try ConfigLoader.decode(
      "[smtp]\nurl = \"smtp://mail.example.com:587\"\nusername = \"u\"\npassword_command = \"echo oops >&2; exit 3\"\n",
      file: "c.toml")
    do {
      _ = try TransportFactory(config: config, environment: [:]).makeSMTPTransport()
      Issue.record("accepted a failing password_command")
    } catch {
      #expect(error.description.contains("password_command exited with status 3: oops"))
    }
  }

  @Test(arguments: [
    ("smtp://mail.example.com:587", "none", true, "only to a loopback address"),
    ("smtps://127.0.0.1:465", "none", false, "contradicts smtps://"),
    ("smtp://127.0.0.1:25", "none", true, "clear text"),
    ("http://mail.example.com", "required", false, "must start with smtp:// or smtps://"),
    ("smtp://user:pw@mail.example.com", "required", false, "must not contain a user name"),
    ("smtp://mail.example.com:99999", "required", false, "is not 1 to 65535"),
  ])
  func unsafeOrBrokenSMTPSettingsAreRefused(url: String, tls: String, login: Bool, words: String) throws {
    let text =
      "[smtp]\nurl = \"\(url)\"\ntls = \"\(tls)\"\n"
      + (login ? "username = \"u\"\npassword_command = \"echo p\"\n" : "")
    let config = try ConfigLoader.decode(text, file: "c.toml")
    do {
      _ = try TransportFactory(config: config, environment: [:]).makeSMTPTransport()
      Issue.record("accepted \(url) with tls = \(tls)")
    } catch {
      #expect(error.description.contains(words), "\(error)")
    }
  }

  @Test func plainSMTPToLoopbackWithoutLoginIsAllowed() throws {
    let config = try ConfigLoader.decode(
      "[smtp]\nurl = \"smtp://127.0.0.1:2525\"\ntls = \"none\"\n", file: "c.toml")
    let transport = try TransportFactory(config: config, environment: [:]).makeSMTPTransport()
    #expect(transport.configuration.tls == .none)
  }
}

@Suite("Exit status")
struct ExitStatusTests {
  @Test func theMostSeriousOutcomeDecides() {
    func result(_ outcome: DeliveryResult.Outcome) -> DeliveryResult {
      DeliveryResult(outcome: outcome, stage: .done)
    }
    #expect(ExitStatus.worst(of: [result(.delivered)]) == .ok)
    #expect(ExitStatus.worst(of: [result(.delivered), result(.temporary)]) == .temporaryFailure)
    #expect(ExitStatus.worst(of: [result(.temporary), result(.permanent)]) == .rejected)
    #expect(ExitStatus.worst(of: [result(.permanent), result(.uncertain)]) == .uncertain)
    #expect(ExitStatus.worst(of: [result(.uncertain), result(.configuration)]) == .configuration)
  }
}

import ArgumentParser
import Foundation
import IntroKit
import IntroSMTP
import IntroStore

struct Doctor: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "doctor",
    abstract: "Check the configuration and the store, and with --smtp the relay.",
    discussion: """
      Prints where the configuration, outbox and relay are, and the libcurl in use. \
      With --smtp it connects to the relay, upgrades to TLS, logs in, prints the \
      server's capabilities and quits: nothing is sent.

      With [store] url it connects to the team's PostgreSQL store and prints the \
      server, the TLS in use (or says the connection is not encrypted), whether a \
      password was used, the schema version and each table's rows.
      """)

  @OptionGroup var global: GlobalOptions

  @Flag(name: .long, help: "Connect to the SMTP relay: TLS, login, capabilities; sends nothing.")
  var smtp = false

  func run() throws {
    try reporting { () throws(CommandFailure) -> ExitStatus in
      let config = try global.loadConfig()
      let loader = ConfigLoader(environment: global.environment)
      let location = loader.location(explicit: global.config)
      print("config:    \(location.path)\(config.file == nil ? " (not found: using defaults)" : "")")
      print("libcurl:   \(SMTPTransport.libcurlVersion)")
      let storePath = StoreAccess.path(config, global.environment)
      if config.store.url != nil {
        try checkPostgres(config)
      } else if FileManager.default.fileExists(atPath: storePath) {
        let store = try storeCall { () throws(StoreError) in try Store(path: storePath) }
        let check = try storeCall { () throws(StoreError) in try store.integrityCheck() }
        guard check == ["ok"] else {
          throw CommandFailure(
            .configuration,
            "store \(storePath) failed PRAGMA integrity_check:\n" + check.joined(separator: "\n"))
        }
        print("store:     \(storePath) (integrity ok)")
      } else {
        print("store:     \(storePath) (not created yet: run 'intro init')")
      }
      let factory = global.transportFactory(config)
      guard config.smtp != nil else {
        print("transport: outbox \(Paths.outbox(config, global.environment)) (no [smtp] section)")
        if smtp {
          throw CommandFailure(
            .configuration, "--smtp: no [smtp] section is configured; add one to check a relay")
        }
        return .ok
      }
      let transport: SMTPTransport
      do throws(ConfigError) {
        transport = try factory.makeSMTPTransport()
      } catch {
        throw CommandFailure(.configuration, error.description)
      }
      print("transport: \(transport.configuration.summary)")
      guard smtp else { return .ok }
      let report = transport.probe()
      if let tls = report.tlsSession { print("tls:       \(tls)") }
      if !report.capabilities.isEmpty {
        print("server:    \(report.capabilities.joined(separator: ", "))")
      }
      guard report.result.outcome == .delivered else {
        throw CommandFailure(ExitStatus.worst(of: [report.result]), "smtp: \(report.result)")
      }
      print(
        "smtp:      ok: connected, \(transport.configuration.tls == .required ? "encrypted, " : "")"
          + "\(transport.configuration.authentication == .none ? "no login" : "logged in"); nothing was sent")
      return .ok
    }
  }

  /// The team store: connection, TLS, schema version, rows.
  private func checkPostgres(_ config: IntroConfig) throws(CommandFailure) {
    let backend = try storeCall { () throws(StoreError) in
      try StoreAccess.openBackend(config, global.environment)
    }
    guard case .postgres(let store) = backend else { return }
    let health = try storeCall { () throws(StoreError) in try store.health() }
    print("store:     \(store.location)")
    print(
      "server:    \(health.server) at \(health.host):\(health.port), database \(health.database), user \(health.user)"
    )
    print(
      "tls:       "
        + (health.tls.map { "\($0)" }
          ?? "none: the connection is not encrypted (use sslmode=verify-full in [store] url)"))
    print("password:  \(health.usedPassword ? "used" : "not needed by the server")")
    let current = health.migrations.last == health.latestMigration
    print(
      "schema:    \(health.migrations.last ?? "none") (\(health.migrations.count) migration"
        + "\(health.migrations.count == 1 ? "" : "s")\(current ? ", current" : "; this intro knows \(health.latestMigration)"))"
    )
    print(
      "rows:      "
        + health.rowCounts.map { "\($0.table) \($0.rows)" }.joined(separator: ", "))
  }
}

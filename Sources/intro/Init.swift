import ArgumentParser
import Foundation
import IntroKit
import IntroStore

struct Init: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "init",
    abstract: "Create the configuration file (0600) and the store.",
    discussion: """
      Writes a commented configuration to --config, $INTRO_CONFIG or \
      $XDG_CONFIG_HOME/intro/config.toml unless one exists, and creates the store (a SQLite \
      file, 0600, in a 0700 folder). Safe to run again: nothing existing is overwritten.

      With [store] url naming a team's PostgreSQL database, it connects (the password \
      from $PGPASSWORD, ~/.pgpass or [store] password_command) and creates or upgrades \
      the schema: versioned migrations, each applied once under an advisory lock, so \
      many reps running it at once set it up once.

      Fill in [rep] (your name, email, company, the "about" line the blurb uses) before \
      sending; a template that needs a key you left out says which one to set.

      --sample makes a home to try intro on: a sample rep in [rep] (when the configuration \
      is new), six clients, four prospects and four referrals at different stages, written \
      as CSV files beside the configuration (sample/) and imported into the store. Running \
      it again adds nothing twice.

      Examples:
        intro init
        intro init --sample && intro referral list && intro blurb 1
      """)

  @OptionGroup var global: GlobalOptions

  @Flag(help: "Add a sample rep, clients, prospects and referrals to try intro on.")
  var sample = false

  func run() throws {
    try reporting { () throws(CommandFailure) -> ExitStatus in
      let location = ConfigLoader(environment: global.environment).location(explicit: global.config)
      if FileManager.default.fileExists(atPath: location.path) {
        print("config: \(location.path) (exists, kept)")
      } else {
        try writeConfig(location.path, text: sample ? SampleHome.configText : ConfigTemplate.text)
        print("config: \(location.path) (created; \(sample ? "a sample [rep]; " : "")edit [rep] and [smtp])")
      }
      let config = try global.loadConfig()
      if config.store.url != nil {
        // A team's PostgreSQL store: connecting brings its schema up to date,
        // once, however many reps run this at the same moment.
        let backend = try storeCall { () throws(StoreError) in
          try StoreAccess.openBackend(config, global.environment)
        }
        let migrations = try storeCall { () throws(StoreError) in try backend.appliedMigrations() }
        print("store:  \(backend.location) (schema \(migrations.last ?? "none"))")
        guard !sample else {
          throw CommandFailure(
            .usage, "--sample fills a SQLite store only; try it without [store] url, then intro store copy")
        }
        return .ok
      }
      let store = try global.openStore(config)
      print("store:  \(store.path)")
      guard sample else { return .ok }
      let folder = ((location.path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(
        "sample")
      let report: SampleHome.Report
      do {
        report = try SampleHome.install(into: folder, store: store)
      } catch let error as StoreError {
        throw CommandFailure(ExitStatus(error), error.description)
      } catch {
        throw CommandFailure(.dataError, "the sample in \(folder): \(error)")
      }
      print(
        "sample: \(folder): \(report.contacts) contacts (\(report.doNotContact) do-not-contact), \(report.referrals) new referrals"
      )
      print("next:   intro referral list, intro blurb 1, intro due, intro send thank-you-intro --referral 1")
      return .ok
    }
  }

  private func writeConfig(_ path: String, text configText: String) throws(CommandFailure) {
    let folder = (path as NSString).deletingLastPathComponent
    do {
      try FileManager.default.createDirectory(
        atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    } catch {
      throw CommandFailure(.configuration, "cannot create \(folder): \(error.localizedDescription)")
    }
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    guard fd >= 0 else {
      throw CommandFailure(.configuration, "cannot create \(path): \(String(cString: strerror(errno)))")
    }
    defer { close(fd) }
    fchmod(fd, 0o600)
    let text = Array(configText.utf8)
    guard write(fd, text, text.count) == text.count else {
      throw CommandFailure(.configuration, "cannot write \(path): \(String(cString: strerror(errno)))")
    }
  }
}

/// Runs a store step, turning its error into the right exit status.
func storeCall<T>(_ body: () throws(StoreError) -> T) throws(CommandFailure) -> T {
  do {
    return try body()
  } catch {
    throw CommandFailure(ExitStatus(error), error.description)
  }
}

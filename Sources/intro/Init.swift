import ArgumentParser
import Foundation
import IntroKit
import IntroStore

struct Init: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Create the configuration file (0600) and the store.",
    discussion: """
      Writes a commented configuration to --config, $INTRO_CONFIG or \
      $XDG_CONFIG_HOME/intro/config.toml unless one exists, and creates the store (a SQLite \
      file, 0600, in a 0700 folder). Safe to run again: nothing existing is overwritten.
      """)

  @OptionGroup var global: GlobalOptions

  func run() throws {
    try reporting { () throws(CommandFailure) -> ExitStatus in
      let location = ConfigLoader(environment: global.environment).location(explicit: global.config)
      if FileManager.default.fileExists(atPath: location.path) {
        print("config: \(location.path) (exists, kept)")
      } else {
        try writeConfig(location.path)
        print("config: \(location.path) (created; edit [rep] and [smtp])")
      }
      let config = try global.loadConfig()
      let store = try global.openStore(config)
      print("store:  \(store.path)")
      return .ok
    }
  }

  private func writeConfig(_ path: String) throws(CommandFailure) {
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
    let text = Array(ConfigTemplate.text.utf8)
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

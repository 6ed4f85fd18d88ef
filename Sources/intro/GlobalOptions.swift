import ArgumentParser
import Foundation
import IntroKit
import IntroSMTP
import IntroStore

/// Options every command understands.
struct GlobalOptions: ParsableArguments {
  @Option(
    name: .long,
    help: ArgumentHelp(
      "The configuration file.",
      discussion: "Default: $INTRO_CONFIG, else $XDG_CONFIG_HOME/intro/config.toml.",
      valueName: "file"))
  var config: String?

  @Flag(
    name: .long,
    help: ArgumentHelp(
      "Trace the SMTP dialogue on standard error; twice adds libcurl's notes (TLS, connection reuse).",
      discussion: "Passwords, tokens and message bodies are never shown."))
  var debug: Int

  var environment: [String: String] { ProcessInfo.processInfo.environment }

  func loadConfig() throws(CommandFailure) -> IntroConfig {
    do {
      return try ConfigLoader(environment: environment).load(explicit: config)
    } catch {
      throw CommandFailure(.configuration, error.description)
    }
  }

  /// Opens (creating if needed) the store `config` names.
  func openStore(_ config: IntroConfig) throws(CommandFailure) -> Store {
    try storeCall { () throws(StoreError) in
      try StoreAccess.open(
        config, environment, command: "intro " + (CommandLine.arguments.dropFirst().first ?? "")
      ) {
        line in writeError("intro: \(line)")
      }
    }
  }

  /// Opens the store `config` names on either backend, for a command that
  /// works on both: the rep's SQLite file, or the team's PostgreSQL store.
  func openAnyStore(_ config: IntroConfig) throws(CommandFailure) -> StoreBackend {
    guard config.store.url != nil else { return .sqlite(try openStore(config)) }
    return try storeCall { () throws(StoreError) in try StoreAccess.openBackend(config, environment) }
  }

  /// Where `--debug` writes: standard error, one line at a time.
  var trace: SMTPTrace? {
    guard debug > 0 else { return nil }
    return SMTPTrace(level: debug) { line in
      writeError(line)
    }
  }

  func transportFactory(_ config: IntroConfig) -> TransportFactory {
    TransportFactory(config: config, environment: environment, trace: trace)
  }
}

/// A failure that ends the command with a message and an exit status.
struct CommandFailure: Error, CustomStringConvertible {
  let status: ExitStatus
  let description: String

  init(_ status: ExitStatus, _ description: String) {
    self.status = status
    self.description = description
  }
}

extension ParsableCommand {
  /// Runs `body`, turning a ``CommandFailure`` into a message on standard error and its exit code.
  func reporting(_ body: () throws(CommandFailure) -> ExitStatus) throws(ExitCode) {
    let status: ExitStatus
    do {
      status = try body()
    } catch {
      writeError("intro: \(error.description)")
      status = error.status
    }
    if status != .ok { throw ExitCode(status.rawValue) }
  }
}

/// Writes one line to standard error with a single write(2), so lines from
/// parallel sessions never interleave.
func writeError(_ line: String) {
  var text = line + "\n"
  text.withUTF8 { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
}

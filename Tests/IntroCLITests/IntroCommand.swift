import Foundation
import TestSupport

/// Runs the built `intro` binary in a private home, as a rep would from a shell.
struct IntroCommand {
  let home: TemporaryDirectory

  init() throws { home = try TemporaryDirectory() }

  var environment: [String: String] {
    [
      "HOME": home.path, "XDG_CONFIG_HOME": home.file("config"), "XDG_DATA_HOME": home.file("data"),
      "PATH": "/usr/local/bin:/usr/bin:/bin",
    ]
  }

  /// Writes `text` as the default configuration file, mode 0600.
  func writeConfig(_ text: String, mode: mode_t = 0o600) throws -> String {
    let directory = home.file("config/intro")
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let path = directory + "/config.toml"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    chmod(path, mode)
    return path
  }

  /// Configures `[smtp]` for a STARTTLS test server that requires the login `rep`,
  /// trusting the test CA; `extra` lines are added to the section.
  func writeSTARTTLSConfig(port: Int, extra: String = "") throws {
    _ = try writeConfig(
      """
      [smtp]
      url = "smtp://127.0.0.1:\(port)"
      username = "rep"
      ca_file = "\(try TestCertificates.path("ca.pem"))"
      \(extra)
      """)
  }

  func run(_ arguments: [String], input: String = "", extraEnvironment: [String: String] = [:]) throws
    -> CommandOutput
  {
    try runCommand(
      TestFiles.introBinary, arguments, environment: environment.merging(extraEnvironment) { $1 },
      input: Array(input.utf8))
  }

  func remove() { home.remove() }
}

let sampleMessage =
  "From: Rep <rep@example.com>\nTo: client@example.com\nSubject: Thank you\n\nThanks for the introduction.\n"

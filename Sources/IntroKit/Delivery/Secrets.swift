import Foundation

/// Fetches secrets only when a connection is about to be made.
///
/// SMTP: `$INTRO_SMTP_PASSWORD`, then `password_command` (run with `/bin/sh -c`,
/// its first output line is the secret, like msmtp's `passwordeval`), then the
/// `password` key of a private config file. OAuth2 tokens come from
/// `token_command`. A PostgreSQL store: `[store] password_command`, else libpq's
/// own `$PGPASSWORD` and `~/.pgpass`. A secret never appears in an error message.
struct Secrets {
  let environment: [String: String]
  let file: String?

  func password(_ smtp: IntroConfig.SMTPSettings) throws(ConfigError) -> String? {
    if let fromEnvironment = environment["INTRO_SMTP_PASSWORD"], !fromEnvironment.isEmpty {
      return fromEnvironment
    }
    if let command = smtp.passwordCommand { return try run(command, key: "password_command", in: "smtp") }
    return smtp.password
  }

  func token(_ smtp: IntroConfig.SMTPSettings) throws(ConfigError) -> String? {
    guard let command = smtp.tokenCommand else { return nil }
    return try run(command, key: "token_command", in: "smtp")
  }

  /// The PostgreSQL store's password from `[store] password_command`; nil lets libpq find it.
  func password(_ store: IntroConfig.StoreSettings) throws(ConfigError) -> String? {
    guard let command = store.passwordCommand else { return nil }
    return try run(command, key: "password_command", in: "store")
  }

  private func run(_ command: String, key: String, in section: String) throws(ConfigError) -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command]
    process.environment = environment
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    process.standardInput = FileHandle.nullDevice
    do {
      try process.run()
    } catch {
      throw ConfigError(file: file, "cannot run \(key): \(error)", fix: "check the command in [\(section)]")
    }
    // Drain stderr on its own thread: a command that writes a lot there must not
    // block on a full pipe while stdout is being read.
    let errorOutput = ErrorOutput()
    let drained = DispatchSemaphore(value: 0)
    DispatchQueue.global().async {
      errorOutput.data = errors.fileHandleForReading.readDataToEndOfFile()
      drained.signal()
    }
    let secretData = output.fileHandleForReading.readDataToEndOfFile()
    drained.wait()
    let errorData = errorOutput.data
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      let said = String(decoding: errorData.prefix(300), as: UTF8.self)
        .trimmingCharacters(in: .whitespacesAndNewlines)
      throw ConfigError(
        file: file,
        "\(key) exited with status \(process.terminationStatus)"
          + (said.isEmpty ? "" : ": \(said)"),
        fix: "run the command by hand to see what it needs")
    }
    let secret =
      String(decoding: secretData, as: UTF8.self)
      .split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first
      .map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: "\r")) } ?? ""
    guard !secret.isEmpty else {
      throw ConfigError(
        file: file, "\(key) printed nothing", fix: "make it print the secret on its first line")
    }
    return secret
  }
}

/// Standard error of a secret command, filled by one thread and read after it signals.
private final class ErrorOutput: @unchecked Sendable {
  // @unchecked: written once on the draining thread before the semaphore is
  // signalled, read only after waiting on it.
  var data = Data()
}

import Foundation

/// A real SMTP server (aiosmtpd) on 127.0.0.1, started for one test.
///
/// It records every connection and command as events and stores each message
/// exactly as received, so a test can assert on what the server saw.
public final class TestSMTPServer: @unchecked Sendable {
  // @unchecked: used from one test at a time; the child process is stopped in stop().

  /// How the server protects the connection.
  public enum Security: String, Sendable {
    case plain = "none"
    case startTLS = "starttls"
    case implicitTLS = "implicit"
  }

  /// One thing the server saw: `connect`, `ehlo`, `starttls`, `auth`, `mail`, `rcpt`, `data`.
  public struct Event: Sendable {
    public let name: String
    public let fields: [String: String]
  }

  public let port: Int
  private let child: ChildProcess
  private let directory: TemporaryDirectory

  /// Starts a server.
  /// - Parameters:
  ///   - certificate: the base name of the certificate in ``TestCertificates`` (`server`, `wronghost`).
  ///   - user, password: require this login.
  ///   - token: accept this XOAUTH2 bearer token.
  public init(
    security: Security = .plain, certificate: String = "server", user: String? = nil,
    password: String? = nil, token: String? = nil, excludeMechanisms: [String] = []
  ) throws {
    directory = try TemporaryDirectory()
    var arguments = [
      TestFiles.servers.appendingPathComponent("smtp_server.py").path,
      "--tls", security.rawValue, "--events", directory.file("events.jsonl"),
      "--store", directory.file("messages"), "--exit-on-stdin-eof",
    ]
    if security != .plain {
      arguments += [
        "--cert", try TestCertificates.path("\(certificate).pem"),
        "--key", try TestCertificates.path("\(certificate).key"),
      ]
    }
    if let user { arguments += ["--user", user] }
    if let password { arguments += ["--password", password] }
    if let token { arguments += ["--token", token] }
    for mechanism in excludeMechanisms { arguments += ["--exclude-auth", mechanism] }
    child = try ChildProcess("/usr/bin/env", ["python3"] + arguments, stopsWhenStdinCloses: true)
    guard let line = child.readLine(timeout: 20), line.hasPrefix("READY "),
      let port = Int(line.dropFirst(6))
    else {
      child.stop()
      throw TestEnvironmentError(
        "the aiosmtpd test server did not start (run make test to install aiosmtpd): \(child.standardError())"
      )
    }
    self.port = port
  }

  /// The events so far, oldest first.
  public func events() -> [Event] {
    guard let text = try? String(contentsOfFile: directory.file("events.jsonl"), encoding: .utf8) else {
      return []
    }
    return text.split(separator: "\n").compactMap { line in
      guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
        let name = object["event"] as? String
      else { return nil }
      var fields: [String: String] = [:]
      for (key, value) in object where key != "event" { fields[key] = "\(value)" }
      return Event(name: name, fields: fields)
    }
  }

  /// How many events named `name` the server recorded.
  public func count(_ name: String) -> Int { events().filter { $0.name == name }.count }

  /// The messages received, as the exact bytes the server stored, in arrival order.
  public func messages() -> [[UInt8]] {
    let count = self.count("data")
    return (0..<count).compactMap { index in
      FileManager.default.contents(atPath: directory.file("messages/\(index + 1).eml")).map(Array.init)
    }
  }

  /// Stops the server and removes its files.
  public func stop() {
    child.stop()
    directory.remove()
  }

  deinit { stop() }
}

/// Postfix's `smtp-sink` on 127.0.0.1: a fast SMTP server that can fail on purpose.
///
/// `-f STAGE` rejects with 5xx, `-r STAGE` with 4xx, `-q STAGE` hangs up
/// without a reply, `-Q STAGE` replies 421 and hangs up; stages are
/// `CONNECT, EHLO, MAIL, RCPT, DATA, .`.
public final class SMTPSink: @unchecked Sendable {
  // @unchecked: used from one test at a time.
  public let port: Int
  private let child: ChildProcess
  public let directory: TemporaryDirectory

  /// Starts `smtp-sink` with extra `flags`, dumping each message into a folder,
  /// on `port` (a free one if nil).
  public init(flags: [String] = [], port: Int? = nil) throws {
    let binary = "/usr/sbin/smtp-sink"
    guard FileManager.default.isExecutableFile(atPath: binary) else {
      throw TestEnvironmentError("smtp-sink is missing: run make test, which installs postfix")
    }
    directory = try TemporaryDirectory()
    // smtp-sink drops root privileges to nobody, who must be able to write the dumps.
    chmod(directory.path, 0o777)
    self.port = try port ?? freePort()
    var arguments = flags + ["-d", directory.path + "/%M."]
    if geteuid() == 0 { arguments += ["-u", "nobody"] }
    arguments += ["127.0.0.1:\(self.port)", "64"]
    child = try ChildProcess(binary, arguments)
    guard waitForListener(port: self.port) else {
      child.stop()
      throw TestEnvironmentError("smtp-sink did not start: \(child.standardError())")
    }
  }

  /// The dumped transactions, each the envelope lines smtp-sink adds followed by the message.
  public func dumps() -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
    return names.sorted().compactMap { name in
      FileManager.default.contents(atPath: directory.file(name)).map { String(decoding: $0, as: UTF8.self) }
    }
  }

  public func stop() {
    child.stop()
    directory.remove()
  }

  deinit { stop() }
}

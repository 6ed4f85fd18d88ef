/// Delivers through an SMTP relay with libcurl.
///
/// ```swift
/// let smtp = try SMTPConfiguration(url: "smtp://mail.example.com:587",
///                                  authentication: .password(username: "rep", password: secret))
/// let transport = SMTPTransport(configuration: smtp)
/// let session = transport.openSession()
/// let result = session.deliver(message)   // one connection, reused for the next message
/// ```
public struct SMTPTransport: MailTransport {
  /// Where and how to connect.
  public let configuration: SMTPConfiguration
  /// Where `--debug` output goes; nil for none.
  public let trace: SMTPTrace?

  /// A transport for `configuration`.
  public init(configuration: SMTPConfiguration, trace: SMTPTrace? = nil) {
    self.configuration = configuration
    self.trace = trace
  }

  public var parallelism: Int { configuration.parallelism }

  /// The libcurl in use and its TLS backend, e.g. `libcurl/7.88.1 OpenSSL/3.0.17 …`.
  public static var libcurlVersion: String { CurlGlobal.versionDescription }

  public func openSession(number: Int) -> any MailSession { makeSession(number: number) }

  /// Connects, upgrades to TLS, authenticates and quits, sending no message.
  ///
  /// This is `intro doctor --smtp`: the report holds the server's capabilities,
  /// the TLS session and libcurl's version, or what failed and where.
  public func probe() -> SMTPProbeReport {
    let session = makeSession(number: 1)
    defer { session.close() }
    return session.probe()
  }

  func makeSession(number: Int) -> SMTPSession {
    SMTPSession(configuration: configuration, trace: trace, sessionNumber: number)
  }
}

/// What `intro doctor --smtp` learned about a relay.
public struct SMTPProbeReport: Sendable {
  /// `delivered` when the relay accepted the connection, TLS and the login.
  public let result: DeliveryResult
  /// The extensions the relay announced in its last EHLO reply (`SIZE 10240000`, `AUTH PLAIN LOGIN`).
  public let capabilities: [String]
  /// The negotiated TLS version and cipher, when TLS was used.
  public let tlsSession: String?
  /// libcurl's version string, with its TLS backend.
  public let libcurlVersion: String
}

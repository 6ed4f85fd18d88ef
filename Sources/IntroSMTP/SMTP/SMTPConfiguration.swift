/// How to reach and log in to an SMTP relay, checked for safety when it is made.
///
/// The rules, each refused with a ``SMTPConfigurationError`` saying why:
/// - `smtps://` is implicit TLS; `smtp://` upgrades with STARTTLS, which is
///   required: a server that does not offer it is an error, never a silent
///   fall back to plain text.
/// - Plain SMTP (`tls: .none`) only to a loopback address, and never with
///   authentication, so a password never crosses a network in the clear.
/// - Certificates are always verified; `caFile` adds a private CA.
/// - Credentials never go in the URL.
public struct SMTPConfiguration: Sendable, Hashable {
  /// Whether the connection is encrypted.
  public enum TLSPolicy: String, Sendable, Hashable, CaseIterable {
    /// Implicit TLS for `smtps://`, mandatory STARTTLS for `smtp://`.
    case required
    /// Plain text: only to loopback, only without authentication.
    case none
  }

  /// How `intro` logs in.
  public enum Authentication: Sendable, Hashable {
    /// No login (a local relay).
    case none
    /// Username and password, with whichever mechanism the server offers.
    case password(username: String, password: String)
    /// An OAuth2 bearer token (`AUTH XOAUTH2` / `OAUTHBEARER`).
    case oauth2(username: String, token: String)
  }

  /// `smtp` or `smtps`.
  public let scheme: String
  /// The relay's host name or address, without brackets.
  public let host: String
  /// The relay's port; nil for the scheme's default (25 or 465).
  public let port: Int?
  /// The TLS policy.
  public let tls: TLSPolicy
  /// The login.
  public let authentication: Authentication
  /// A PEM file of CA certificates to trust instead of the system's.
  public let caFile: String?
  /// The name `intro` gives in `EHLO`; nil for libcurl's default.
  public let heloName: String?
  /// Seconds to wait for the TCP connection and TLS handshake.
  public let connectTimeout: Double
  /// Seconds to wait for each server reply (RFC 5321 allows 10 minutes after the final dot).
  public let responseTimeout: Double
  /// Seconds one message may take in all, from MAIL FROM to the server's verdict.
  public let messageTimeout: Double
  /// How many connections deliver at once.
  public let parallelism: Int

  /// Checks and makes a configuration.
  ///
  /// - Parameter url: `smtp://host[:port]` or `smtps://host[:port]`.
  /// - Throws: ``SMTPConfigurationError`` when a rule above is broken.
  public init(
    url: String,
    tls: TLSPolicy = .required,
    authentication: Authentication = .none,
    caFile: String? = nil,
    heloName: String? = nil,
    connectTimeout: Double = 30,
    responseTimeout: Double = 600,
    messageTimeout: Double = 1200,
    parallelism: Int = 4
  ) throws(SMTPConfigurationError) {
    let parsed = try SMTPURL(url)
    scheme = parsed.scheme
    host = parsed.host
    port = parsed.port
    self.tls = tls
    self.authentication = authentication
    self.caFile = caFile
    self.heloName = heloName
    self.connectTimeout = connectTimeout
    self.responseTimeout = responseTimeout
    self.messageTimeout = messageTimeout
    self.parallelism = parallelism
    try checkRules()
  }

  /// True for `localhost`, `127.0.0.0/8` and `::1`.
  public var isLoopback: Bool {
    let name = host.lowercased()
    if name == "localhost" || name == "::1" || name == "0:0:0:0:0:0:0:1" { return true }
    let octets = name.split(separator: ".", omittingEmptySubsequences: false)
    return octets.count == 4 && octets[0] == "127"
      && octets.allSatisfy { UInt8($0) != nil }
  }

  /// The URL handed to libcurl: scheme, host, port and the EHLO name as its path.
  var curlURL: String {
    let hostPart = host.contains(":") ? "[\(host)]" : host
    let portPart = port.map { ":\($0)" } ?? ""
    let helo = heloName.map { "/\($0)" } ?? ""
    return "\(scheme)://\(hostPart)\(portPart)\(helo)"
  }

  /// A one-line summary without secrets, for `intro doctor` and logs.
  public var summary: String {
    let security =
      switch (scheme, tls) {
      case ("smtps", _): "implicit TLS"
      case (_, .required): "STARTTLS required"
      default: "plain text (loopback only)"
      }
    let login =
      switch authentication {
      case .none: "no login"
      case .password(let username, _): "login as \(username)"
      case .oauth2(let username, _): "OAuth2 as \(username)"
      }
    return "\(scheme)://\(host)\(port.map { ":\($0)" } ?? ""), \(security), \(login)"
  }

  private func checkRules() throws(SMTPConfigurationError) {
    if tls == .none {
      if scheme == "smtps" {
        throw SMTPConfigurationError(
          "tls = \"none\" contradicts smtps://, which is TLS from the first byte",
          fix: "remove tls = \"none\", or use smtp:// for a plain loopback relay")
      }
      if !isLoopback {
        throw SMTPConfigurationError(
          "plain SMTP (tls = \"none\") is allowed only to a loopback address, not \(host)",
          fix: "remove tls = \"none\" so STARTTLS is required, or use smtps://")
      }
      if authentication != .none {
        throw SMTPConfigurationError(
          "a login over plain SMTP (tls = \"none\") would send the credentials in clear text",
          fix: "remove tls = \"none\", or remove the username for a local relay")
      }
    }
    if case .password(let username, _) = authentication, username.isEmpty {
      throw SMTPConfigurationError("the SMTP username is empty", fix: "set username in [smtp]")
    }
    for (name, value) in [
      ("connect_timeout", connectTimeout), ("response_timeout", responseTimeout),
      ("message_timeout", messageTimeout),
    ] where !(value > 0 && value <= 86_400) {
      throw SMTPConfigurationError(
        "\(name) must be a number of seconds above 0 and at most 86400",
        fix: "set \(name) in [smtp] to, for example, 30")
    }
    if !(1...64).contains(parallelism) {
      throw SMTPConfigurationError(
        "parallel must be between 1 and 64 connections", fix: "set parallel = 4 in [smtp]")
    }
    if let heloName,
      heloName.isEmpty || heloName.contains(where: { !$0.isASCII || $0 == "/" || $0.isWhitespace })
    {
      throw SMTPConfigurationError(
        "helo must be a plain host name", fix: "set helo to this machine's domain, e.g. mail.example.com")
    }
  }
}

/// An SMTP configuration that cannot work or is not safe.
public struct SMTPConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
  /// What is wrong.
  public let reason: String
  /// What to do about it.
  public let fix: String

  /// An error saying what is wrong and how to fix it.
  public init(_ reason: String, fix: String) {
    self.reason = reason
    self.fix = fix
  }

  public var description: String { "\(reason) (\(fix))" }
}

/// The parts of an `smtp://` or `smtps://` URL that `intro` accepts.
struct SMTPURL {
  let scheme: String
  let host: String
  let port: Int?

  init(_ url: String) throws(SMTPConfigurationError) {
    let example = "use smtp://host:587 (STARTTLS) or smtps://host:465 (implicit TLS)"
    guard let schemeEnd = url.range(of: "://") else {
      throw SMTPConfigurationError("the SMTP url \"\(url)\" has no scheme", fix: example)
    }
    let scheme = url[..<schemeEnd.lowerBound].lowercased()
    guard scheme == "smtp" || scheme == "smtps" else {
      throw SMTPConfigurationError("the SMTP url must start with smtp:// or smtps://", fix: example)
    }
    var rest = url[schemeEnd.upperBound...]
    if let slash = rest.firstIndex(of: "/") {
      guard rest[slash...].allSatisfy({ $0 == "/" }) else {
        throw SMTPConfigurationError(
          "the SMTP url must not have a path", fix: "give the EHLO name as helo in [smtp]")
      }
      rest = rest[..<slash]
    }
    if rest.contains("@") {
      throw SMTPConfigurationError(
        "the SMTP url must not contain a user name or password",
        fix: "set username and password_command in [smtp] instead")
    }
    var host: Substring
    var portText: Substring?
    if rest.hasPrefix("[") {
      guard let close = rest.firstIndex(of: "]") else {
        throw SMTPConfigurationError("the IPv6 address in the SMTP url has no ']'", fix: example)
      }
      host = rest[rest.index(after: rest.startIndex)..<close]
      let after = rest[rest.index(after: close)...]
      if after.hasPrefix(":") {
        portText = after.dropFirst()
      } else if !after.isEmpty {
        throw SMTPConfigurationError("unexpected text after ']' in the SMTP url", fix: example)
      }
    } else if let colon = rest.firstIndex(of: ":") {
      host = rest[..<colon]
      portText = rest[rest.index(after: colon)...]
    } else {
      host = rest
    }
    guard !host.isEmpty else {
      throw SMTPConfigurationError("the SMTP url has no host", fix: example)
    }
    if host.contains(where: { $0.isWhitespace || $0.asciiValue.map { $0 < 0x20 } == true }) {
      throw SMTPConfigurationError("the SMTP host contains spaces or control characters", fix: example)
    }
    self.scheme = scheme
    self.host = String(host)
    if let portText {
      guard let port = Int(portText), (1...65535).contains(port) else {
        throw SMTPConfigurationError("the SMTP port \"\(portText)\" is not 1 to 65535", fix: example)
      }
      self.port = port
    } else {
      self.port = nil
    }
  }
}

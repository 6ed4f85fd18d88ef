import Foundation
import IntroMail
import IntroSMTP
import TestSupport
import Testing

@Suite("SMTP delivery against a real aiosmtpd server")
struct SMTPTransportTests {
  @Test func startTLSWithLoginDeliversTheMessageByteForByte() throws {
    let server = try TestSMTPServer(security: .startTLS, user: "rep", password: "pa55word")
    defer { server.stop() }
    let transport = SMTPTransport(
      configuration: try SMTPConfiguration(
        url: "smtp://127.0.0.1:\(server.port)",
        authentication: .password(username: "rep", password: "pa55word"),
        caFile: try TestCertificates.path("ca.pem")))
    let message = try testMessage(body: "Line one.\r\nLine two, caf\u{E9}.\r\n")

    let result = transport.openSession().deliver(message)

    #expect(result.outcome == .delivered, "\(result)")
    #expect(result.responseCode == 250)
    #expect(server.messages() == [message.data])
    #expect(server.events().contains { $0.name == "ehlo" && $0.fields["tls"] == "1" })
  }

  @Test func implicitTLSDeliversTheMessageByteForByte() throws {
    let server = try TestSMTPServer(security: .implicitTLS, user: "rep", password: "pa55word")
    defer { server.stop() }
    let transport = SMTPTransport(
      configuration: try SMTPConfiguration(
        url: "smtps://127.0.0.1:\(server.port)",
        authentication: .password(username: "rep", password: "pa55word"),
        caFile: try TestCertificates.path("ca.pem")))
    let message = try testMessage()

    let result = transport.openSession().deliver(message)

    #expect(result.outcome == .delivered, "\(result)")
    #expect(server.messages() == [message.data])
  }

  @Test func oauth2BearerTokenLogsIn() throws {
    let server = try TestSMTPServer(security: .startTLS, token: "ya29.token")
    defer { server.stop() }
    let transport = SMTPTransport(
      configuration: try SMTPConfiguration(
        url: "smtp://127.0.0.1:\(server.port)",
        authentication: .oauth2(username: "rep@example.com", token: "ya29.token"),
        caFile: try TestCertificates.path("ca.pem")))

    let result = transport.openSession().deliver(try testMessage())

    #expect(result.outcome == .delivered, "\(result)")
    #expect(server.events().contains { $0.name == "auth" && $0.fields["mechanism"] == "XOAUTH2" })
  }

  @Test func serverWithoutSTARTTLSIsAConfigurationErrorBeforeAnyLoginOrMail() throws {
    let server = try TestSMTPServer(security: .plain)
    defer { server.stop() }
    let transport = SMTPTransport(
      configuration: try SMTPConfiguration(
        url: "smtp://127.0.0.1:\(server.port)",
        authentication: .password(username: "rep", password: "pa55word")))

    let result = transport.openSession().deliver(try testMessage())

    #expect(result.outcome == .configuration)
    #expect(result.stage == .startTLS)
    #expect(server.count("auth") == 0)
    #expect(server.count("mail") == 0)
  }

  @Test(arguments: [
    ("server", "other-ca.pem"),  // a certificate from a CA we do not trust
    ("wronghost", "ca.pem"),  // a trusted CA, but the certificate names another host
  ])
  func untrustedCertificateIsRefusedAndNothingIsSent(certificate: String, trusted: String) throws {
    let server = try TestSMTPServer(security: .implicitTLS, certificate: certificate)
    defer { server.stop() }
    let transport = SMTPTransport(
      configuration: try SMTPConfiguration(
        url: "smtps://127.0.0.1:\(server.port)", caFile: try TestCertificates.path(trusted)))

    let result = transport.openSession().deliver(try testMessage())

    #expect(result.outcome == .configuration, "\(result)")
    #expect(result.stage == .tls)
    #expect(server.count("mail") == 0)
    #expect(server.messages().isEmpty)
  }

  @Test func wrongPasswordIsAConfigurationErrorCarrying535() throws {
    let server = try TestSMTPServer(security: .startTLS, user: "rep", password: "right")
    defer { server.stop() }
    let transport = SMTPTransport(
      configuration: try SMTPConfiguration(
        url: "smtp://127.0.0.1:\(server.port)",
        authentication: .password(username: "rep", password: "wrong"),
        caFile: try TestCertificates.path("ca.pem")))

    let result = transport.openSession().deliver(try testMessage())

    #expect(result.outcome == .configuration)
    #expect(result.stage == .auth)
    #expect(result.responseCode == 535)
    #expect(result.serverText?.hasPrefix("535") == true)
    #expect(server.count("mail") == 0)
  }

  @Test func bodyCannotSmuggleASecondMessage() throws {
    let server = try TestSMTPServer()
    defer { server.stop() }
    let transport = SMTPTransport(
      configuration: try SMTPConfiguration(url: "smtp://127.0.0.1:\(server.port)", tls: .none))
    let smuggling =
      "Hello\n.\r\nMAIL FROM:<x@evil.example>\r\nRCPT TO:<y@evil.example>\r\nDATA\r\nevil\r\n.\r\n"
    let message = try testMessage(body: smuggling)

    let result = transport.openSession().deliver(message)

    #expect(result.outcome == .delivered, "\(result)")
    let received = server.messages()
    #expect(received.count == 1)
    #expect(server.count("mail") == 1)
    #expect(
      server.events().filter { $0.name == "rcpt" }.map { $0.fields["address"] } == ["client@example.com"])
    let bytes = try #require(received.first)
    #expect(LineEndings.isCRLFOnly(bytes))
    #expect(bytes == message.data)
  }

  @Test func aThousandMessagesTravelOverOneConnection() throws {
    let server = try TestSMTPServer()
    defer { server.stop() }
    let transport = SMTPTransport(
      configuration: try SMTPConfiguration(url: "smtp://127.0.0.1:\(server.port)", tls: .none))
    let session = transport.openSession()
    var delivered = 0

    for index in 0..<1000 {
      let result = session.deliver(try testMessage(to: "client\(index)@example.com"))
      if result.outcome == .delivered { delivered += 1 }
    }
    session.close()

    #expect(delivered == 1000)
    #expect(server.count("data") == 1000)
    #expect(server.count("connect") == 1)
  }

  @Test func parallelDeliveryUsesAsManyConnectionsAsConfigured() throws {
    let server = try TestSMTPServer()
    defer { server.stop() }
    let transport = SMTPTransport(
      configuration: try SMTPConfiguration(
        url: "smtp://127.0.0.1:\(server.port)", tls: .none, parallelism: 3))
    let messages = try (0..<60).map { try testMessage(to: "c\($0)@example.com") }
    let results = ResultBox(count: messages.count)

    transport.deliverAll(messages) { index, result in results.set(index, result) }

    #expect(results.all.allSatisfy { $0?.outcome == .delivered })
    #expect(server.count("data") == 60)
    #expect(server.count("connect") == 3)
  }

  @Test func bodyStartedIsSignalledOnceBeforeTheVerdict() throws {
    let server = try TestSMTPServer()
    defer { server.stop() }
    let transport = SMTPTransport(
      configuration: try SMTPConfiguration(url: "smtp://127.0.0.1:\(server.port)", tls: .none))
    var signals = 0
    var dataEventsAtSignal = -1

    let result = transport.openSession().deliver(try testMessage()) {
      signals += 1
      dataEventsAtSignal = server.count("data")
      return true
    }

    #expect(result.outcome == .delivered)
    #expect(signals == 1)
    #expect(dataEventsAtSignal == 0)
  }

  @Test func aBodyHeldBackByTheCallerNeverReachesTheServer() throws {
    let server = try TestSMTPServer()
    defer { server.stop() }
    let transport = SMTPTransport(
      configuration: try SMTPConfiguration(url: "smtp://127.0.0.1:\(server.port)", tls: .none))
    let session = transport.openSession()

    let held = session.deliver(try testMessage(to: "held@example.com")) { false }
    let next = session.deliver(try testMessage(to: "next@example.com"))

    #expect(held.heldBack, "\(held)")
    #expect(held.outcome == .temporary)
    #expect(next.outcome == .delivered, "\(next)")
    let received = server.messages().map { String(decoding: $0, as: UTF8.self) }
    #expect(received.count == 1)
    #expect(received.allSatisfy { !$0.contains("held@example.com") })
  }

  @Test func traceRedactsTheLoginForEveryMechanism() throws {
    for excluded in [["LOGIN", "XOAUTH2"], ["PLAIN", "XOAUTH2"]] {
      let server = try TestSMTPServer(
        security: .startTLS, user: "rep", password: "Tr0ub4dor&3", excludeMechanisms: excluded)
      defer { server.stop() }
      let lines = TraceLines()
      let transport = SMTPTransport(
        configuration: try SMTPConfiguration(
          url: "smtp://127.0.0.1:\(server.port)",
          authentication: .password(username: "rep", password: "Tr0ub4dor&3"),
          caFile: try TestCertificates.path("ca.pem")),
        trace: lines.trace)

      let result = transport.openSession().deliver(try testMessage(body: "secret body text\r\n"))

      #expect(result.outcome == .delivered, "\(result)")
      let text = lines.all.joined(separator: "\n")
      #expect(text.contains("AUTH"))
      #expect(text.contains("<redacted>"))
      for secret in Secrets.forms(user: "rep", password: "Tr0ub4dor&3") {
        #expect(!text.contains(secret), "trace shows \(secret)")
      }
      #expect(!text.contains("secret body text"))
    }
  }
}

/// Every form a password takes on the wire, to prove none of them leaks.
enum Secrets {
  static func forms(user: String, password: String) -> [String] {
    let plain = Data("\0\(user)\0\(password)".utf8).base64EncodedString()
    return [password, Data(password.utf8).base64EncodedString(), plain]
  }
}

final class ResultBox: @unchecked Sendable {
  // @unchecked: every access holds `lock`.
  private let lock = NSLock()
  private var results: [DeliveryResult?]

  init(count: Int) { results = Array(repeating: nil, count: count) }

  func set(_ index: Int, _ result: DeliveryResult) { lock.withLock { results[index] = result } }

  var all: [DeliveryResult?] { lock.withLock { results } }
}

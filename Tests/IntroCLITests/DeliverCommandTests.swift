import Foundation
import TestSupport
import Testing

@Suite("intro deliver and intro doctor, run as a rep would")
struct DeliverCommandTests {
  @Test func withoutSMTPTheMessageLandsInTheOutboxPrivately() throws {
    let intro = try IntroCommand()
    defer { intro.remove() }

    let output = try intro.run(
      ["deliver", "--from", "rep@example.com", "--to", "client@example.com"], input: sampleMessage)

    #expect(output.status == 0, "\(output.stderr)")
    let outbox = intro.home.file("data/intro/outbox")
    let files = try FileManager.default.contentsOfDirectory(atPath: outbox)
    #expect(files.count == 1)
    let file = try #require(files.first)
    #expect(file.hasSuffix(".eml") && file.contains("client@example.com"))
    #expect(output.stdout.contains(outbox + "/" + file))
    let bytes = try #require(FileManager.default.contents(atPath: outbox + "/" + file))
    #expect(Array(bytes) == Array(sampleMessage.replacingOccurrences(of: "\n", with: "\r\n").utf8))
    #expect(try mode(outbox + "/" + file) == 0o600)
    #expect(try mode(outbox) == 0o700)
  }

  @Test func envelopeInjectionIsRefusedBeforeAnyConnection() throws {
    let server = try TestSMTPServer()
    defer { server.stop() }
    let intro = try IntroCommand()
    defer { intro.remove() }
    _ = try intro.writeConfig("[smtp]\nurl = \"smtp://127.0.0.1:\(server.port)\"\ntls = \"none\"\n")

    let output = try intro.run(
      ["deliver", "--from", "rep@example.com", "--to", "a@b.example>\r\nRCPT TO:<x@evil.example"],
      input: sampleMessage)

    #expect(output.status == 65)
    #expect(output.stderr.contains("control character"))
    #expect(output.stderr.contains("nothing was sent"))
    #expect(server.count("connect") == 0)
  }

  @Test func deliversThroughSTARTTLSWithThePasswordFromACommand() throws {
    let server = try TestSMTPServer(security: .startTLS, user: "rep", password: "s3cret")
    defer { server.stop() }
    let intro = try IntroCommand()
    defer { intro.remove() }
    _ = try intro.writeConfig(
      """
      [rep]
      email = "rep@example.com"
      [smtp]
      url = "smtp://127.0.0.1:\(server.port)"
      username = "rep"
      password_command = "printf 's3cret\\\\n'"
      ca_file = "\(try TestCertificates.path("ca.pem"))"
      """)

    let output = try intro.run(
      ["deliver", "--to", "client@example.com", "--to", "boss@example.com"], input: sampleMessage)

    #expect(output.status == 0, "\(output.stderr)")
    #expect(server.messages().count == 2)
    #expect(
      Set(server.events().filter { $0.name == "rcpt" }.compactMap { $0.fields["address"] })
        == ["client@example.com", "boss@example.com"])
  }

  @Test func debugAtTheHighestLevelNeverShowsThePassword() throws {
    let password = "Corr3ct-Horse"
    for mechanisms in [["LOGIN", "XOAUTH2"], ["PLAIN", "XOAUTH2"]] {
      let server = try TestSMTPServer(
        security: .startTLS, user: "rep", password: password, excludeMechanisms: mechanisms)
      defer { server.stop() }
      let intro = try IntroCommand()
      defer { intro.remove() }
      try intro.writeSTARTTLSConfig(port: server.port)

      let output = try intro.run(
        ["deliver", "--debug", "--debug", "--from", "rep@example.com", "--to", "client@example.com"],
        input: sampleMessage, extraEnvironment: ["INTRO_SMTP_PASSWORD": password])

      #expect(output.status == 0, "\(output.stderr)")
      let everything = output.stdout + output.stderr
      #expect(everything.contains("> AUTH"))
      #expect(everything.contains("<redacted>"))
      for secret in [
        password, Data(password.utf8).base64EncodedString(),
        Data("\0rep\0\(password)".utf8).base64EncodedString(),
      ] {
        #expect(!everything.contains(secret), "output shows \(secret)")
      }
      #expect(!everything.contains("Thanks for the introduction"))
    }
  }

  @Test func passwordInAConfigOthersCanReadExitsWithConfigurationError() throws {
    let intro = try IntroCommand()
    defer { intro.remove() }
    let path = try intro.writeConfig(
      "[smtp]\nurl = \"smtp://mail.example.com:587\"\nusername = \"rep\"\npassword = \"hunter2\"\n",
      mode: 0o644)

    let output = try intro.run(
      ["deliver", "--from", "rep@example.com", "--to", "c@example.com"], input: sampleMessage)

    #expect(output.status == 78)
    #expect(output.stderr.contains("chmod 600 \(path)"))
    #expect(!output.stderr.contains("hunter2"))
  }

  @Test(arguments: [
    (["-f", "RCPT"], Int32(69), "rejected at RCPT TO"),
    (["-r", "RCPT"], Int32(75), "temporary failure at RCPT TO"),
    (["-q", "."], Int32(76), "uncertain"),
  ])
  func exitCodeTellsWhatToDoNext(flags: [String], status: Int32, words: String) throws {
    let sink = try SMTPSink(flags: flags)
    defer { sink.stop() }
    let intro = try IntroCommand()
    defer { intro.remove() }
    _ = try intro.writeConfig("[smtp]\nurl = \"smtp://127.0.0.1:\(sink.port)\"\ntls = \"none\"\n")

    let output = try intro.run(
      ["deliver", "--from", "rep@example.com", "--to", "c@example.com"], input: sampleMessage)

    #expect(output.status == status, "\(output.stderr)")
    #expect(output.stderr.contains(words), "\(output.stderr)")
  }

  @Test func doctorChecksTheRelayAndSendsNothing() throws {
    let server = try TestSMTPServer(security: .startTLS, user: "rep", password: "s3cret")
    defer { server.stop() }
    let intro = try IntroCommand()
    defer { intro.remove() }
    try intro.writeSTARTTLSConfig(port: server.port, extra: "password_command = \"echo s3cret\"")

    let output = try intro.run(["doctor", "--smtp"])

    #expect(output.status == 0, "\(output.stderr)")
    #expect(output.stdout.contains("AUTH"))
    #expect(output.stdout.contains("TLSv1."))
    #expect(output.stdout.contains("libcurl/"))
    #expect(output.stdout.contains("nothing was sent"))
    #expect(server.events().contains { $0.name == "auth" && $0.fields["ok"] == "1" })
    #expect(server.count("mail") == 0)
  }

  /// libcurl and the libraries it pulls in cost milliseconds at every start;
  /// only a command that talks to the relay opens it.
  @Test func libcurlIsLoadedOnlyByCommandsThatTalkToTheRelay() throws {
    let server = try TestSMTPServer(security: .startTLS, user: "rep", password: "s3cret")
    defer { server.stop() }
    let intro = try IntroCommand()
    defer { intro.remove() }
    try intro.writeSTARTTLSConfig(port: server.port, extra: "password_command = \"echo s3cret\"")
    let loader = ["LD_DEBUG": "files"]

    let version = try intro.run(["--version"], extraEnvironment: loader)
    let templates = try intro.run(["templates", "list"], extraEnvironment: loader)
    let doctor = try intro.run(["doctor", "--smtp"], extraEnvironment: loader)

    #expect(version.status == 0 && templates.status == 0 && doctor.status == 0, "\(doctor.stderr)")
    #expect(!version.stderr.contains("libcurl"))
    #expect(!templates.stderr.contains("libcurl"))
    #expect(doctor.stderr.contains("libcurl.so.4"), "doctor --smtp should have opened libcurl")
    #expect(doctor.stdout.contains("libcurl/"))
  }

  @Test func doctorReportsAWrongPasswordAsConfiguration() throws {
    let server = try TestSMTPServer(security: .startTLS, user: "rep", password: "right")
    defer { server.stop() }
    let intro = try IntroCommand()
    defer { intro.remove() }
    try intro.writeSTARTTLSConfig(port: server.port, extra: "password_command = \"echo wrong\"")

    let output = try intro.run(["doctor", "--smtp"])

    #expect(output.status == 78)
    #expect(output.stderr.contains("535"))
  }

  @Test func helpTeachesTheCommand() throws {
    let intro = try IntroCommand()
    defer { intro.remove() }
    let output = try intro.run(["deliver", "--help"])
    #expect(output.status == 0)
    #expect(output.stdout.contains("Examples:"))
    #expect(output.stdout.contains("--to <address>"))
  }

  private func mode(_ path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return (attributes[.posixPermissions] as? Int ?? 0) & 0o777
  }
}

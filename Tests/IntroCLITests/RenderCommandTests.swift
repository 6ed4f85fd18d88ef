import Foundation
import TestSupport
import Testing

@Suite("intro render and intro templates")
struct RenderCommandTests {
  @Test func strictRenderListsEveryMissingValueAndExits65() throws {
    let intro = try IntroCommand()
    defer { intro.remove() }
    let template = intro.home.file("note.mustache")
    try "Subject: Hi {{client.first_name}}\n\nDear {{client.first_name}},\n{{referral.why_now}} and {{ok}}\n"
      .write(toFile: template, atomically: true, encoding: .utf8)
    let data = intro.home.file("data.json")
    try #"{"ok": "fine", "referral": {"why_now": "  "}}"#.write(
      toFile: data, atomically: true, encoding: .utf8)

    let output = try intro.run(["render", template, "--data", data])

    #expect(output.status == 65)
    #expect(output.stdout.isEmpty)
    #expect(output.stderr.contains("\(template):1:13: error: {{client.first_name}} has no value"))
    #expect(output.stderr.contains("\(template):3:6: error: {{client.first_name}} has no value"))
    #expect(output.stderr.contains("\(template):4:1: error: {{referral.why_now}} is blank"))
  }

  @Test func emailTemplatePrintsHeadersThenBody() throws {
    let intro = try IntroCommand()
    defer { intro.remove() }
    let data = intro.home.file("data.json")
    try
      #"{"client": {"first_name": "Chris", "email": "chris@example.com"}, "prospect": {"first_name": "Pat"}, "rep": {"name": "Dana", "company": "Smith & Sons"}}"#
      .write(toFile: data, atomically: true, encoding: .utf8)

    let output = try intro.run(["render", "thank-you-intro", "--data", data])

    #expect(output.status == 0, "\(output.stderr)")
    #expect(
      output.stdout.hasPrefix(
        "Subject: Thank you for introducing me to Pat\nTo: chris@example.com\n\nHi Chris,\n"))
    #expect(output.stdout.contains("Smith & Sons"))
    #expect(!output.stdout.contains("Intro-"))
  }

  @Test func syntaxErrorPointsAtTheTagAndExits65() throws {
    let intro = try IntroCommand()
    defer { intro.remove() }
    let template = intro.home.file("bad.mustache")
    try "Hello\n  {{#items}}\n{{/itemz}}\n".write(toFile: template, atomically: true, encoding: .utf8)

    let output = try intro.run(["render", template])

    #expect(output.status == 65)
    #expect(
      output.stderr.contains("\(template):3:1: error: {{/itemz}} does not match {{#items}} opened at 2:3"))
    #expect(output.stderr.contains("hint:"))
  }

  @Test func lenientHTMLFragmentWithPartialsFollowsTheSpec() throws {
    let intro = try IntroCommand()
    defer { intro.remove() }
    let partials = intro.home.file("partials")
    try FileManager.default.createDirectory(atPath: partials, withIntermediateDirectories: true)
    try "<b>{{name}}</b>".write(toFile: partials + "/card.mustache", atomically: true, encoding: .utf8)
    let template = intro.home.file("t.mustache")
    try "Subject: {{missing}}\n{{> card}}".write(toFile: template, atomically: true, encoding: .utf8)
    let data = intro.home.file("d.json")
    try #"{"name": "A & B"}"#.write(toFile: data, atomically: true, encoding: .utf8)

    let output = try intro.run([
      "render", template, "--data", data, "--partials", partials, "--fragment", "--lenient", "--html",
    ])

    #expect(output.status == 0, "\(output.stderr)")
    #expect(output.stdout == "Subject: \n<b>A &amp; B</b>")
  }

  @Test func lintPrintsTheDataATemplateNeeds() throws {
    let intro = try IntroCommand()
    defer { intro.remove() }

    let output = try intro.run(["templates", "lint", "thank-you-intro"])

    #expect(output.status == 0, "\(output.stderr)")
    #expect(output.stdout.contains("client.first_name  text, fallback \"there\""))
    #expect(output.stdout.contains("client.email  text, required"))
    #expect(output.stdout.contains("partial partials/signature:"))
    #expect(output.stdout.contains("rep.name  text, required"))
  }

  @Test func exportWritesTemplatesAnOverrideFolderCanUse() throws {
    let intro = try IntroCommand()
    defer { intro.remove() }
    let folder = intro.home.file("mine")

    let export = try intro.run(["templates", "export", folder])
    #expect(export.status == 0, "\(export.stderr)")
    try "Subject: Custom for {{client.first_name}}\n\nShort.\n".write(
      toFile: folder + "/check-in.mustache", atomically: true, encoding: .utf8)
    let list = try intro.run(["templates", "list", "--templates", folder])

    #expect(FileManager.default.fileExists(atPath: folder + "/partials/signature.mustache"))
    #expect(list.stdout.contains(folder + "/check-in.mustache"))
  }

  @Test func oneBrokenFileInTheFolderLeavesTheOtherTemplatesWorking() throws {
    let intro = try IntroCommand()
    defer { intro.remove() }
    let folder = intro.home.file("mine")
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try "Subject: Hi\nTo: {{email}}\n\nHello {{name}}\n".write(
      toFile: folder + "/good.mustache", atomically: true, encoding: .utf8)
    try String(repeating: "{{#a}}\n", count: 10_000).write(
      toFile: folder + "/broken.mustache", atomically: true, encoding: .utf8)
    let data = intro.home.file("data.json")
    try #"{"email": "jo@example.com", "name": "Jo"}"#.write(toFile: data, atomically: true, encoding: .utf8)

    let list = try intro.run(["templates", "list", "--templates", folder])
    let good = try intro.run(["render", "good", "--templates", folder, "--data", data])
    let broken = try intro.run(["render", "broken", "--templates", folder, "--data", data])
    let lint = try intro.run(["templates", "lint", "--templates", folder])

    #expect(list.status == 0, "\(list.stderr)")
    #expect(list.stdout.contains("good"))
    #expect(list.stdout.contains("thank-you-intro"))
    #expect(list.stderr.contains("broken cannot be used: \(folder)/broken.mustache:101:1"), "\(list.stderr)")
    #expect(good.status == 0, "\(good.stderr)")
    #expect(good.stdout.contains("Hello Jo"))
    #expect(broken.status == 65)
    #expect(broken.stderr.contains("broken.mustache:101:1: error: {{#a}} is nested more than 100"))
    #expect(lint.status == 65)
  }
}

@Suite("intro render --eml and delivery of what it composes")
struct ComposedMessageCommandTests {
  @Test func renderedMessageIsDeliveredByteForByte() throws {
    let server = try TestSMTPServer()
    defer { server.stop() }
    let intro = try IntroCommand()
    defer { intro.remove() }
    _ = try intro.writeConfig(
      """
      [rep]
      name = "Dana Rép"
      email = "dana@example.com"
      [smtp]
      url = "smtp://127.0.0.1:\(server.port)"
      tls = "none"
      """)
    let data = intro.home.file("data.json")
    try
      #"{"client": {"first_name": "Zoë", "email": "zoe@bücher.example"}, "prospect": {"first_name": "Ærin", "company": "Smith & Sons"}, "rep": {"name": "Dana Rép", "company": "Acme"}}"#
      .write(toFile: data, atomically: true, encoding: .utf8)

    let rendered = try intro.run(["render", "thank-you-intro", "--data", data, "--eml"])
    #expect(rendered.status == 0, "\(rendered.stderr)")
    let delivered = try intro.run(["deliver", "--to", "zoe@xn--bcher-kva.example"], input: rendered.stdout)

    #expect(delivered.status == 0, "\(delivered.stderr)")
    let received = try #require(server.messages().first)
    #expect(received == Array(rendered.stdout.utf8))
    let text = rendered.stdout
    #expect(text.hasPrefix("From: =?UTF-8?B?"))
    #expect(text.contains("To: zoe@xn--bcher-kva.example\r\n"))
    #expect(text.contains("Content-Transfer-Encoding: quoted-printable\r\n"))
    #expect(
      server.events().filter { $0.name == "rcpt" }.map { $0.fields["address"] } == [
        "zoe@xn--bcher-kva.example"
      ])
  }

  @Test func aNameFromDataIsOneRecipientAndALineBreakNeverAHeader() throws {
    let intro = try IntroCommand()
    defer { intro.remove() }
    _ = try intro.writeConfig("[rep]\nname = \"Dana\"\nemail = \"dana@example.com\"\n")
    let template = intro.home.file("t.mustache")
    try "To: {{name}} <{{email}}>\nSubject: {{subject}}\n\nHi\n".write(
      toFile: template, atomically: true, encoding: .utf8)
    let plain = intro.home.file("plain.json")
    try #"{"name": "Doe, Jane", "email": "jane@example.org", "subject": "Hello"}"#.write(
      toFile: plain, atomically: true, encoding: .utf8)
    let injected = intro.home.file("injected.json")
    try #"{"name": "Jane", "email": "jane@example.org", "subject": "Hello\nBcc: eve@evil.test"}"#.write(
      toFile: injected, atomically: true, encoding: .utf8)

    let eml = try intro.run(["render", template, "--data", plain, "--eml"])
    let text = try intro.run(["render", template, "--data", injected])

    #expect(eml.status == 0, "\(eml.stderr)")
    #expect(eml.stdout.contains("To: \"Doe, Jane\" <jane@example.org>\r\n"), "\(eml.stdout)")
    #expect(text.status == 65)
    #expect(!text.stdout.contains("Bcc"))
    #expect(text.stderr.contains("line break into the Subject header"), "\(text.stderr)")
  }

  @Test func badAddressInTheDataIsAnErrorNamingTheHeader() throws {
    let intro = try IntroCommand()
    defer { intro.remove() }
    _ = try intro.writeConfig("[rep]\nname = \"Dana\"\nemail = \"dana@example.com\"\n")
    let data = intro.home.file("data.json")
    try
      #"{"client": {"first_name": "Chris", "email": "chris at example"}, "prospect": {"first_name": "Pat"}, "rep": {"name": "Dana", "company": "Acme"}}"#
      .write(toFile: data, atomically: true, encoding: .utf8)

    let output = try intro.run(["render", "thank-you-intro", "--data", data, "--eml"])

    #expect(output.status == 65)
    #expect(output.stderr.contains("To: invalid address"))
  }
}

@Suite("Markdown templates")
struct MarkdownTemplateTests {
  @Test func markdownTemplateGetsAnHTMLAlternative() throws {
    let intro = try IntroCommand()
    defer { intro.remove() }
    _ = try intro.writeConfig("[rep]\nname = \"Dana\"\nemail = \"dana@example.com\"\n")
    let folder = intro.home.file("mine")
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try "Subject: Hi\nTo: c@example.com\nIntro-Format: markdown\n\nThis is **important**, {{name}}.\n".write(
      toFile: folder + "/note.mustache", atomically: true, encoding: .utf8)
    let data = intro.home.file("d.json")
    try #"{"name": "Chris"}"#.write(toFile: data, atomically: true, encoding: .utf8)

    let output = try intro.run(["render", "note", "--templates", folder, "--data", data, "--eml"])

    #expect(output.status == 0, "\(output.stderr)")
    #expect(output.stdout.contains("Content-Type: multipart/alternative; boundary="))
    #expect(output.stdout.contains("Content-Type: text/plain; charset=UTF-8\r\n"))
    #expect(output.stdout.contains("This is **important**, Chris."))
    #expect(output.stdout.contains("Content-Type: text/html; charset=UTF-8\r\n"))
    #expect(output.stdout.contains("<p>This is <strong>important</strong>, Chris.</p>"))
  }
}

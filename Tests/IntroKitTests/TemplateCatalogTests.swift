import Foundation
import IntroKit
import IntroTemplates
import TestSupport
import Testing

@Suite("Built-in templates")
struct TemplateCatalogTests {
  @Test func builtInTemplatesAreExactlyTheTemplatesFolder() throws {
    let folder = TestFiles.repository.appendingPathComponent("Templates").path
    let onDisk = try TemplateCatalog.load(directory: folder)
    let builtin = try TemplateCatalog.builtin()
    #expect(builtin.names == onDisk.names, "run 'make templates' after changing Templates/")
    for name in onDisk.names {
      #expect(
        builtin.entry(named: name)?.source == onDisk.entry(named: name)?.source,
        "\(name) differs from Templates/; run 'make templates'")
    }
  }

  @Test func everyBuiltInTemplateRendersFromAFullContext() throws {
    let library = try TemplateCatalog.builtin()
    let context = try TemplateValue(
      json: """
        {"rep": {"name": "Dana Rep", "first_name": "Dana", "email": "dana@example.com", "company": "Acme & Co",
                 "title": "Account Executive", "phone": "+1 555 0100", "calendar_link": "https://cal.example.com/dana"},
         "client": {"first_name": "Chris", "email": "chris@example.com", "company": "Smith & Sons"},
         "prospect": {"first_name": "Pat", "company": "Northwind"},
         "referral": {"why_now": "they are hiring", "problems_text": "slow quotes"},
         "due_count": 0, "items": []}
        """)
    for name in library.names {
      let entry = try #require(library.entry(named: name))
      let email = try entry.template.render(context, partials: library)
      #expect(!email.body.isEmpty, "\(name) rendered an empty body")
      #expect(!email.text.contains("{{"), "\(name) left a tag unrendered")
      if !entry.template.isFragment {
        #expect(email.header("Subject")?.isEmpty == false, "\(name) has no subject")
      }
    }
  }

  @Test func clientTemplatesNeverSayReferral() throws {
    let library = try TemplateCatalog.builtin()
    for name in library.names {
      let entry = try #require(library.entry(named: name))
      let findings = TemplateLint.check(entry, in: library)
      #expect(findings.isEmpty, "\(name): \(findings)")
    }
  }

  @Test func lintFlagsReferralInClientCopyButNotInsideTags() {
    let source = "Subject: hi\nIntro-Audience: client\n\nThanks for the referral, {{referral.name}}!\n"
    let findings = TemplateLint.check(source: source, file: "t", audience: "client")
    #expect(findings.filter { $0.rule == .sayIntroduction }.map(\.location.description) == ["t:4:16"])
  }

  @Test func aFolderOverridesTheBuiltInTemplatesByName() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    try FileManager.default.createDirectory(atPath: dir.file("partials"), withIntermediateDirectories: true)
    try "Cheers,\n{{rep.name}}\n".write(
      toFile: dir.file("partials/signature.mustache"), atomically: true, encoding: .utf8)
    var config = IntroConfig()
    config.templates.path = dir.path
    let library = try TemplateCatalog.library(config: config, directory: nil, environment: [:])
    #expect(library.entry(named: "partials/signature")?.file == dir.file("partials/signature.mustache"))
    #expect(library.entry(named: "thank-you-intro")?.file == nil)
  }
}

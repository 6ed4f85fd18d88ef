import Foundation
import IntroMail
import IntroTemplates
import TestSupport
import Testing

@testable import IntroKit

/// A template's `To: {{name}} <{{email}}>` composed into a real message and
/// read back by Python's strict parser: one recipient, the name exactly.
@Suite("Address headers from templates: data never adds a recipient")
struct AddressHeaderTests {
  static let names = [
    "Doe, Jane", "x@evil.test, Bob", "Bob <x@evil.test>,", #""Bob""#, "Ana (Finance) @ HQ",
    "van der Berg, Pieter",
  ]

  func compose(_ template: String, _ context: TemplateValue) throws -> ComposedMessage {
    let email = try EmailTemplate(template, name: "t.mustache")
    var rep = IntroConfig.Rep()
    rep.name = "Dana Rep"
    rep.email = "dana@example.com"
    return try EmailAssembly.compose(try email.render(context), rep: rep)
  }

  @Test func everyNameReachesTheReaderExactlyWithOneRecipient() throws {
    let messages = try Self.names.map { name in
      try compose(
        "To: {{name}} <{{email}}>\nSubject: Hi\n\nHello\n",
        ["name": .string(name), "email": "jane@example.org"])
    }
    let parsed = try parseWithPython(messages.map(\.data))

    for (name, (message, read)) in zip(Self.names, zip(messages, parsed)) {
      #expect(message.recipients.map(\.rawValue) == ["jane@example.org"], "\(name)")
      #expect(read.error == nil, "\(name): \(read.error ?? "")")
      #expect(read.to?.map(\.name) == [name], "\(name)")
      #expect(read.to?.map(\.addr) == ["jane@example.org"], "\(name)")
    }
  }

  @Test func anEmailFromDataWithASecondAddressIsRefused() {
    #expect(throws: EmailAssembly.Failure.self) {
      _ = try compose("To: {{email}}\nSubject: Hi\n\nHello\n", ["email": "jane@example.org, eve@evil.test"])
    }
  }

  @Test func aLineBreakFromDataInAHeaderIsAnErrorNamingTheHeader() throws {
    let email = try EmailTemplate("To: j@example.org\nSubject: {{subject}}\n\nHi\n", name: "t.mustache")
    #expect(throws: RenderError.lineBreakInHeader(field: "Subject", file: "t.mustache")) {
      _ = try email.render(["subject": "Hi\r\nBcc: eve@evil.test"])
    }
  }
}

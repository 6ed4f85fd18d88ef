import IntroMail
import Testing

/// Address headers where values came from data: the data is always one name
/// or one address, never a comma, a quote or a bracket of the header's own.
@Suite("Address fields: data is never syntax")
struct AddressFieldTests {
  /// `{{name}} <{{email}}>` with these names.
  static let names = [
    "Doe, Jane", "x@evil.test, Bob", "Bob <x@evil.test>,", #""Bob""#, #"Chris "The Closer" O'Neil"#,
    "Ana (Finance)", #"Back\slash"#, "José Müller, Jr.", "a@b.example", "<>", "\"unclosed",
  ]

  @Test(arguments: names)
  func aNameFromDataIsOneDisplayNameExactlyAsGiven(_ name: String) throws {
    let field = AddressField([.literal(name), .syntax(" <"), .literal("jane@example.org"), .syntax(">")])

    let mailboxes = try Mailbox.list(parsing: field)

    #expect(mailboxes.count == 1)
    #expect(mailboxes.first?.displayName == name)
    #expect(mailboxes.first?.address.rawValue == "jane@example.org")
  }

  @Test func aQuotedNameInTheTemplateKeepsTheDataExactlyToo() throws {
    let field = AddressField([
      .syntax("\""), .literal("Doe, \"J\""), .syntax("\" <"), .literal("j@x.example"), .syntax(">"),
    ])
    let mailboxes = try Mailbox.list(parsing: field)
    #expect(mailboxes.map(\.displayName) == ["Doe, \"J\""])
  }

  @Test(arguments: [
    "a@x.example, b@y.example", "a@x.example>, <b@y.example", "b@y.example> , Eve <eve@evil.test",
    "Bob <b@y.example>",
  ])
  func anAddressFromDataThatIsNotOneAddressIsRefused(_ value: String) {
    #expect(throws: AddressError.self) {
      try Mailbox.list(parsing: AddressField([.syntax("Bob <"), .literal(value), .syntax(">")]))
    }
    #expect(throws: AddressError.self) { try Mailbox.list(parsing: AddressField([.literal(value)])) }
  }

  @Test func theTemplatesOwnTextStillMakesALists() throws {
    let field = AddressField([
      .syntax("a@x.example, \"Smith, J\" <j@x.example>, "), .literal("Lee, Kim"), .syntax(" <k@x.example>"),
    ])

    let mailboxes = try Mailbox.list(parsing: field)

    #expect(mailboxes.map(\.address.rawValue) == ["a@x.example", "j@x.example", "k@x.example"])
    #expect(mailboxes.map(\.displayName) == [nil, "Smith, J", "Lee, Kim"])
  }

  @Test func aLineBreakInANameFromDataIsRefused() {
    #expect(throws: AddressError.self) {
      try Mailbox.list(
        parsing: AddressField([
          .literal("Bob\r\nBcc: x@evil.example"), .syntax(" <"), .literal("b@y.example"), .syntax(">"),
        ]))
    }
  }
}

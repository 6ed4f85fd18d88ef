import IntroMail
import Testing

@Suite("Mailboxes and the address policy")
struct MailboxTests {
  static let accepted: [(String, String?, String)] = [
    ("chris@example.com", nil, "chris@example.com"),
    ("Chris Client <chris@Example.COM>", "Chris Client", "chris@example.com"),
    (#""Smith, John" <john.smith@example.com>"#, "Smith, John", "john.smith@example.com"),
    (#""Chris \"CJ\" O'Neil" <cj@example.com>"#, #"Chris "CJ" O'Neil"#, "cj@example.com"),
    ("first.last+tag@sub.example.co.uk", nil, "first.last+tag@sub.example.co.uk"),
    ("o'brien@example.ie", nil, "o'brien@example.ie"),
    ("user@bücher.example", nil, "user@xn--bcher-kva.example"),
    ("Jürgen <j@MÜNCHEN.de>", "Jürgen", "j@xn--mnchen-3ya.de"),
    ("x@日本語.jp", nil, "x@xn--wgv71a119e.jp"),
    ("a!#$%&'*+-/=?^_`{|}~@example.com", nil, "a!#$%&'*+-/=?^_`{|}~@example.com"),
  ]

  @Test(arguments: accepted)
  func acceptsAndNormalises(_ input: String, _ name: String?, _ address: String) throws {
    let mailbox = try Mailbox(parsing: input)
    #expect(mailbox.displayName == name)
    #expect(mailbox.address.rawValue == address)
  }

  static let refused: [(String, AddressError.Code)] = [
    (#""a b"@example.com"#, .quotedLocalPart),
    ("chris(comment)@example.com", .comment),
    ("chris@[192.0.2.1]", .ipLiteral),
    ("josé@example.com", .nonASCIILocalPart),
    ("a..b@example.com", .badLocalPart),
    (".a@example.com", .badLocalPart),
    ("a.@example.com", .badLocalPart),
    ("a,b@example.com", .badLocalPart),
    ("a@-example.com", .badDomain),
    ("a@exa_mple.com", .badDomain),
    ("a@example..com", .badDomain),
    ("a@" + String(repeating: "l", count: 64) + ".com", .badDomain),
    (String(repeating: "a", count: 65) + "@example.com", .localPartTooLong),
    ("Chris <chris@example.com", .unclosedAngleBracket),
    ("chris.example.com", .missingAt),
    ("Bob\r\n <b@example.com>", .controlCharacter),
    ("", .empty),
  ]

  @Test(arguments: refused)
  func refusesWithAReason(_ input: String, _ code: AddressError.Code) {
    do {
      _ = try Mailbox(parsing: input)
      Issue.record("accepted \(input.debugDescription)")
    } catch {
      #expect(error.code == code, "\(input.debugDescription): \(error)")
      #expect(!error.description.isEmpty)
    }
  }

  @Test func nonASCIILocalPartNamesSMTPUTF8() {
    do {
      _ = try Mailbox(parsing: "josé@example.com")
    } catch {
      #expect(error.description.contains("SMTPUTF8"))
    }
  }

  @Test func listsSplitOnlyOnCommasBetweenMailboxes() throws {
    let list = try Mailbox.list(
      parsing: #"a@example.com, "Smith, John" <j@example.com>,Pat <p@example.com>, "#)
    #expect(list.map(\.address.rawValue) == ["a@example.com", "j@example.com", "p@example.com"])
    #expect(list[1].displayName == "Smith, John")
    #expect(try Mailbox.list(parsing: "  ").isEmpty)
  }

  @Test func theSameMailboxTypedTwoWaysNormalisesTheSame() throws {
    #expect(
      try Mailbox(parsing: "Chris@EXAMPLE.com").normalized
        == (try Mailbox(parsing: "Chris@example.COM")).normalized)
  }
}

import IntroMail
import Testing

@Suite("Envelope addresses")
struct EnvelopeAddressTests {
  @Test(arguments: [
    "client@example.com", "first.last+tag@sub.example.co.uk", "a@b", "o'brien@example.ie",
    "user@bücher.example",
  ])
  func acceptsOrdinaryAddresses(_ address: String) throws {
    let parsed = try EnvelopeAddress(address)
    #expect(parsed.rawValue == address)
  }

  static let longLocal = String(repeating: "a", count: 65) + "@example.com"
  static let longDomain = "a@" + String(repeating: "b", count: 256)
  static let longPath = String(repeating: "a", count: 64) + "@" + String(repeating: "b", count: 190)
  static let refused: [(String, AddressError.Code)] = [
    ("a@b.example>\r\nRCPT TO:<x@evil.example", .controlCharacter),
    ("a@b.example\nRCPT TO:<x@evil.example>", .controlCharacter),
    ("a\0@b.example", .controlCharacter),
    ("a@b.example\u{2028}", .controlCharacter),
    ("a@b.example\u{85}", .controlCharacter),
    ("a b@example.com", .whitespace),
    ("<a@example.com>", .angleBracket),
    ("example.com", .missingAt),
    ("a@b@example.com", .severalAts),
    ("@example.com", .emptyLocalPart),
    ("a@", .emptyDomain),
    ("", .empty),
    ("jos\u{E9}@example.com", .nonASCIILocalPart),
    (longLocal, .localPartTooLong),
    (longDomain, .domainTooLong),
    (longPath, .addressTooLong),
  ]

  @Test(arguments: refused)
  func refusesWhatCouldBreakTheEnvelope(_ address: String, _ code: AddressError.Code) {
    #expect(throws: AddressError.self) { try EnvelopeAddress(address) }
    do {
      _ = try EnvelopeAddress(address)
    } catch {
      #expect(error.code == code)
      #expect(!error.address.contains("\r") && !error.address.contains("\n"))
    }
  }

  @Test func errorShowsInvisibleCharacters() {
    do {
      _ = try EnvelopeAddress("a@b.example\r\nRCPT TO:<x@evil.example>")
      Issue.record("accepted an address with CRLF")
    } catch {
      #expect(error.description.contains(#"a@b.example\r\nRCPT"#))
      #expect(error.description.contains("U+000D"))
    }
  }
}

@Suite("Line endings")
struct LineEndingsTests {
  @Test(arguments: [
    ("a\nb", "a\r\nb"),
    ("a\rb", "a\r\nb"),
    ("a\r\nb", "a\r\nb"),
    ("a\n.\r\nb", "a\r\n.\r\nb"),
    ("\r", "\r\n"),
    ("\n\n", "\r\n\r\n"),
    ("\r\r\n", "\r\n\r\n"),
    ("", ""),
  ])
  func bareLineEndingsBecomeCRLF(_ input: String, _ expected: String) {
    #expect(LineEndings.normalizedToCRLF(Array(input.utf8)) == Array(expected.utf8))
  }

  @Test func randomBytesAlwaysComeOutCRLFOnlyWithEveryOtherByteKept() {
    var generator = SystemRandomNumberGenerator()
    let alphabet: [UInt8] = [0x0D, 0x0A, 0x2E, 0x41, 0x20, 0xC3, 0xA9]
    for _ in 0..<10_000 {
      let length = Int.random(in: 0..<40, using: &generator)
      let input = (0..<length).map { _ in alphabet.randomElement(using: &generator) ?? 0x41 }
      let output = LineEndings.normalizedToCRLF(input)
      #expect(LineEndings.isCRLFOnly(output))
      #expect(output.filter { $0 != 0x0D && $0 != 0x0A } == input.filter { $0 != 0x0D && $0 != 0x0A })
      #expect(LineEndings.normalizedToCRLF(output) == output)
    }
  }

  @Test func detectsBareLineEndings() {
    #expect(LineEndings.isCRLFOnly(Array("a\r\nb\r\n".utf8)))
    #expect(!LineEndings.isCRLFOnly(Array("a\nb".utf8)))
    #expect(!LineEndings.isCRLFOnly(Array("a\rb".utf8)))
    #expect(!LineEndings.isCRLFOnly(Array("a\r".utf8)))
  }
}

@Suite("Message check")
struct MessageCheckTests {
  @Test func acceptsAMessage() throws {
    try MessageCheck.validate(Array("Subject: hi\r\n\r\nbody\r\n".utf8))
  }

  @Test(arguments: [
    ("", nil as Int?),
    ("hello world\r\n\r\nbody", 1),
    (": no name\r\n", 1),
    ("Subject: a\r\n\r\nnul\0byte", 3),
    ("Subject: a\r\n\r\n" + String(repeating: "x", count: 999) + "\r\n", 3),
  ])
  func refusesWhatIsNotAMessage(_ text: String, _ line: Int?) {
    do {
      try MessageCheck.validate(Array(text.utf8))
      Issue.record("accepted \(text.prefix(20))")
    } catch {
      #expect(error.line == line)
    }
  }
}

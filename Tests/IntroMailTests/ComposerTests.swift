import Foundation
import IntroMail
import TestSupport
import Testing

@Suite("Composed messages, read back by Python's strict email parser")
struct ComposerTests {
  static let names = [
    "Αλέξανδρος Παπαδόπουλος", "山田 太郎", "محمد الأحمد", "👩‍👩‍👧‍👦 Family Office", "Zoe\u{308} Cafe\u{301}",
    String(repeating: "é", count: 200), #"Chris "The Closer" O'Neil"#, "Smith, John", #"Back\slash"#,
    "<Angle> Brackets", "a@b.example", "José Müller-Lüdenscheidt", "=?UTF-8?Q?=0D=0ABcc:_x@evil.example?=",
  ]

  @Test func everyNameDecodesToExactlyTheInputWithOneAddress() throws {
    let messages = try Self.names.map { name in
      try MessageComposer.compose(draft(to: try Mailbox(name: name, address: "client@example.com"))).data
    }
    let parsed = try parseWithPython(messages)
    for (name, message) in zip(Self.names, parsed) {
      #expect(message.error == nil, "\(name): \(message.error ?? "")")
      let addresses = try #require(message.to)
      #expect(addresses.count == 1)
      #expect(addresses.first?.addr == "client@example.com")
      // A name longer than one encoded word (45 UTF-8 bytes) is split over
      // several; CPython's address parser keeps the space between them, against
      // RFC 2047 §6.2, so those names are checked with its RFC 2047 decoder.
      if name.utf8.count > 45 && !name.utf8.allSatisfy({ $0 < 0x80 }) {
        #expect(message.toRfc2047Name == name, "\(name)")
      } else {
        #expect(addresses.first?.name == name, "\(name)")
      }
      #expect(message.headers?.contains("Bcc") == false)
      #expect(message.crlfOnly && message.longestLine <= 998)
    }
  }

  @Test(arguments: [
    "Bob\r\nBcc: x@evil.example", "Bob\rEve", "Bob\nEve", "Bob\u{2028}Eve", "Bob\u{0}", "Bob\u{85}",
  ])
  func injectionInANameIsRefused(_ name: String) {
    #expect(throws: AddressError.self) { try Mailbox(name: name, address: "bob@example.com") }
    #expect(throws: AddressError.self) { try Mailbox(parsing: "\(name) <bob@example.com>") }
  }

  @Test(arguments: [
    "Hi\r\nBcc: x@evil.example", "Hi\rthere", "Hi\nthere", "Hi\u{2028}", "Hi\u{0}", "Hi\u{9F}",
  ])
  func injectionInASubjectIsAnErrorNamingTheField(_ subject: String) throws {
    do {
      _ = try MessageComposer.compose(draft(to: try Mailbox(parsing: "c@example.com"), subject: subject))
      Issue.record("accepted \(subject.debugDescription)")
    } catch {
      guard case .header(let header)? = error as? CompositionError else {
        Issue.record("unexpected \(error)")
        return
      }
      #expect(header.field == "Subject")
    }
  }

  @Test func preEncodedWordsAreCarriedAsLiteralText() throws {
    let sneaky = "=?UTF-8?Q?=0D=0ABcc:_x@evil.example?="
    let message = try MessageComposer.compose(
      draft(to: try Mailbox(name: sneaky, address: "c@example.com"), subject: sneaky))
    let parsed = try #require(try parseWithPython([message.data]).first)
    #expect(parsed.error == nil)
    #expect(parsed.subject == sneaky)
    #expect(parsed.to?.first?.name == sneaky)
    #expect(parsed.headers?.contains("Bcc") == false)
    #expect(message.recipients.map(\.rawValue) == ["c@example.com"])
  }

  @Test func longNoteAndLongSubjectStayWithinLineLimitsAndDecodeExactly() throws {
    let words = ["introduction", "pipeline", "Smith & Sons", "Zürich", "quarterly", "onboarding", "✓"]
    var generator = SplitMix64(seed: 7)
    let note = (0..<700).map { _ in words[Int(generator.next() % UInt64(words.count))] }.joined(
      separator: " ")
    let subject = String(note.prefix(1200))
    let longWord = String(repeating: "x", count: 5000)
    let messages = try [note, longWord].map { body in
      try MessageComposer.compose(
        draft(to: try Mailbox(parsing: "c@example.com"), subject: subject, text: body)
      ).data
    }
    let parsed = try parseWithPython(messages)
    for (body, message) in zip([note, longWord], parsed) {
      #expect(message.error == nil, "\(message.error ?? "")")
      #expect(message.longestLine <= 998)
      #expect(message.subject == subject)
      #expect(message.body == body + "\n")
    }
  }

  @Test func tenThousandRandomSubjectsAndBodiesRoundTrip() throws {
    var generator = SplitMix64(seed: 2026)
    var drafts: [(String, String)] = []
    for _ in 0..<10_000 {
      drafts.append((randomText(&generator, lines: false), randomText(&generator, lines: true)))
    }
    var messages: [[UInt8]] = []
    for (subject, body) in drafts {
      let composed = try MessageComposer.compose(
        draft(to: try Mailbox(parsing: "c@example.com"), subject: subject, text: body))
      messages.append(composed.data)
    }
    let parsed = try parseWithPython(messages)
    #expect(parsed.count == 10_000)
    var failures = 0
    for ((subject, body), message) in zip(drafts, parsed) {
      let expectedBody = normalizedLines(body)
      let ok =
        message.error == nil && message.crlfOnly && message.longestLine <= 998 && message.subject == subject
        && message.body == expectedBody
      if !ok {
        failures += 1
        if failures <= 3 {
          Issue.record(
            "subject \(subject.debugDescription) body \(body.debugDescription): \(message.error ?? "") got subject \(message.subject.debugDescription) body \(message.body.debugDescription)"
          )
        }
      }
    }
    #expect(failures == 0)
  }

  @Test func bccIsInTheEnvelopeOnlyAndRecipientsAreDeduplicated() throws {
    var message = try draft(to: try Mailbox(parsing: "Chris <chris@Example.com>"))
    message.cc = [try Mailbox(parsing: "chris@example.COM"), try Mailbox(parsing: "pat@example.com")]
    message.bcc = [try Mailbox(parsing: "boss@example.com"), try Mailbox(parsing: "pat@example.com")]
    let composed = try MessageComposer.compose(message)
    let text = String(decoding: composed.data, as: UTF8.self)
    #expect(!text.contains("boss@example.com"))
    #expect(!text.lowercased().contains("bcc"))
    #expect(
      composed.recipients.map(\.rawValue) == ["chris@example.com", "pat@example.com", "boss@example.com"])
    #expect(composed.sender.rawValue == "dana@example.com")
  }

  @Test(arguments: ["Europe/Berlin", "America/St_Johns", "Asia/Kolkata", "Pacific/Chatham", "UTC"])
  func dateHeaderMatchesTheRFC5322FormInEveryZone(_ zone: String) throws {
    let timeZone = try #require(TimeZone(identifier: zone))
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = timeZone
    formatter.dateFormat = "EEE, d MMM yyyy HH:mm:ss xx"
    // Both sides of a DST change, a leap day, the turn of a year.
    for seconds in [1_800_000_000, 1_774_746_000, 1_790_467_200, 1_709_208_000, 1_798_761_599] {
      let date = Date(timeIntervalSince1970: TimeInterval(seconds))
      var value = try draft(to: try Mailbox(parsing: "c@example.com"), text: "x\n")
      value.date = date
      value.timeZone = timeZone
      let text = String(decoding: try MessageComposer.compose(value).data, as: UTF8.self)
      #expect(text.contains("\r\nDate: \(formatter.string(from: date))\r\n"), "\(zone) \(date)")
    }
  }

  @Test func headersCarryDateMessageIDAndMIME() throws {
    let composed = try MessageComposer.compose(
      draft(to: try Mailbox(parsing: "c@example.com"), text: "plain ascii\n"))
    let text = String(decoding: composed.data, as: UTF8.self)
    #expect(text.contains("\r\nDate: Wed, 18 Nov 2026 12:06:40 +0100\r\n"))
    #expect(text.contains("\r\nMessage-ID: <test.1@example.com>\r\n"))
    #expect(text.contains("\r\nMIME-Version: 1.0\r\n"))
    #expect(text.contains("Content-Transfer-Encoding: 7bit\r\n"))
  }

  private func normalizedLines(_ text: String) -> String {
    if text.isEmpty { return "" }
    var out = String(decoding: LineEndings.normalizedToCRLF(Array(text.utf8)), as: UTF8.self)
      .replacingOccurrences(of: "\r\n", with: "\n")
    if !out.hasSuffix("\n") { out += "\n" }
    return out
  }
}

/// Random text from a mix of scripts, spaces, punctuation and (for bodies) line breaks.
func randomText(_ generator: inout SplitMix64, lines: Bool) -> String {
  let pieces: [String] = [
    "a", "Z", "7", " ", "  ", "=", "?", "_", ".", "&", "\"", "'", "\\", "é", "ß", "Ω", "я", "日", "本", "ع",
    "ש",
    "🙂", "👩‍💻", "e\u{301}", "\t", "=?", "?=", "From ", ".", "~",
  ]
  let breaks = ["\n", "\r\n", "\r", "\n.\n", "\n\n"]
  var text = ""
  let length = Int(generator.next() % 120)
  for _ in 0..<length {
    if lines && generator.next() % 10 == 0 {
      text += breaks[Int(generator.next() % UInt64(breaks.count))]
    } else {
      text += pieces[Int(generator.next() % UInt64(pieces.count))]
    }
  }
  if !lines {
    // A subject is one line of text; leading and trailing white space is part of it.
    text = text.replacingOccurrences(of: "\t", with: " ")
  }
  return text
}

/// A small seeded generator so a failing case can be reproduced.
struct SplitMix64: RandomNumberGenerator {
  private var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

@Suite("HTML alternatives and attachments")
struct MultipartTests {
  @Test func htmlAlternativeAndAttachmentsDecodeExactly() throws {
    var message = try draft(
      to: try Mailbox(parsing: "c@example.com"), subject: "Proposal für Smith & Sons",
      text: "Hi Zoë,\nsee attached.\n")
    message.html = "<p>Hi Zoë,<br>see <b>attached</b>.</p>\n"
    let pdf: [UInt8] = (0..<3000).map { UInt8(truncatingIfNeeded: $0 * 7) }
    message.attachments = [
      Attachment(filename: "Angebot Müller – 2026 (final).pdf", contentType: "application/pdf", data: pdf),
      Attachment(filename: "notes.txt", contentType: "text/plain", data: Array("a\r\nb\r\n".utf8)),
    ]
    let composed = try MessageComposer.compose(message)
    let parsed = try #require(try parseWithPython([composed.data]).first)

    #expect(parsed.error == nil, "\(parsed.error ?? "")")
    #expect(parsed.crlfOnly && parsed.longestLine <= 998)
    #expect(parsed.body == "Hi Zoë,\nsee attached.\n")
    #expect(parsed.html == "<p>Hi Zoë,<br>see <b>attached</b>.</p>\n")
    #expect(parsed.attachments?.map(\.filename) == ["Angebot Müller – 2026 (final).pdf", "notes.txt"])
    #expect(parsed.attachments?.first?.data == pdf)
    #expect(parsed.attachments?.first?.contentType == "application/pdf")
  }

  @Test(arguments: ["", "a/b.pdf", "bad\r\nname.pdf"])
  func badFileNamesAreRefused(_ name: String) throws {
    var message = try draft(to: try Mailbox(parsing: "c@example.com"))
    message.attachments = [Attachment(filename: name, contentType: "application/pdf", data: [1])]
    #expect(throws: CompositionError.self) { try MessageComposer.compose(message) }
  }

  /// A batch's From and Date lines are encoded once; a draft with another
  /// sender or date gets its own, so reusing them never changes a message.
  @Test func batchHeadersGiveTheSameBytesAndOnlyWhenTheyMatch() throws {
    let to = try Mailbox(parsing: "Zoë Client <zoe@example.org>")
    let message = try draft(to: to)
    let headers = BatchHeaders(from: message.from, date: message.date, timeZone: message.timeZone)
    #expect(
      try MessageComposer.compose(message, reusing: headers).data == MessageComposer.compose(message).data)

    var other = message
    other.from = try Mailbox(parsing: "Sam Other <sam@example.net>")
    other.date = message.date.addingTimeInterval(3_600)
    let reused = String(decoding: try MessageComposer.compose(other, reusing: headers).data, as: UTF8.self)
    #expect(reused == String(decoding: try MessageComposer.compose(other).data, as: UTF8.self))
    #expect(reused.contains("sam@example.net") && !reused.contains("dana@example.com"))
  }
}

/// Follows one SMTP conversation line by line, as libcurl's debug callback sees it.
///
/// It knows the stage the conversation is in, the server's last reply (all
/// lines, verbatim, for the delivery log), the capabilities from the last
/// `EHLO`, and it feeds the redacted dialogue to a ``SMTPTrace``.
///
/// libcurl hands over eight or so lines per message, so they are read as bytes
/// where they lie: a line becomes a `String` only for a trace, and the last
/// reply only when someone asks for ``serverText``.
final class SMTPDialogue {
  private(set) var stage: SMTPStage = .connect
  /// The capability lines of the most recent EHLO reply (after STARTTLS, the encrypted one).
  private(set) var capabilities: [String] = []
  /// libcurl's note on the TLS session, e.g. "TLSv1.3 / TLS_AES_256_GCM_SHA384".
  private(set) var tlsSession: String?
  private(set) var bodyStarted = false

  /// The server's last complete or partial reply: its lines, joined by newlines.
  private var reply: [UInt8] = []
  private var replyComplete = true
  /// After QUIT the stage and the last reply stay those of the failure that led to it.
  private var quitting = false
  private var lastVerb = Verb.other
  private var answeringChallenge = false
  private let trace: SMTPTrace?
  private let prefix: String

  init(trace: SMTPTrace?, sessionNumber: Int) {
    self.trace = trace
    prefix = "smtp[\(sessionNumber)] "
  }

  /// Resets per-transfer state before the next message on the same connection.
  func beginTransfer() {
    stage = .connect
    reply.removeAll(keepingCapacity: true)
    replyComplete = true
    bodyStarted = false
    quitting = false
  }

  /// The server's last reply as one string, lines joined by newlines.
  var serverText: String? { reply.isEmpty ? nil : String(decoding: reply, as: UTF8.self) }

  func clientSent(_ bytes: UnsafeRawBufferPointer) {
    Self.forEachLine(bytes) { line in
      let verb = Verb(line)
      emit(1, "> " + shown(line, verb))
      if !answeringChallenge { noteCommand(verb) }
      answeringChallenge = false
    }
  }

  func serverSent(_ bytes: UnsafeRawBufferPointer) {
    Self.forEachLine(bytes) { line in
      emit(1, "< " + Self.text(line))
      if quitting { return }
      if replyComplete {
        reply.removeAll(keepingCapacity: true)
      } else {
        reply.append(0x0A)
      }
      reply.append(contentsOf: line)
      // "250-PIPELINING" continues a reply, "250 OK" ends it.
      replyComplete = line.count < 4 || line[line.startIndex + 3] != UInt8(ascii: "-")
      if stage == .connect { stage = .greeting }
      if replyComplete {
        answeringChallenge = line.starts(with: "334".utf8)
        if lastVerb == .ehlo {
          capabilities = reply.split(separator: 0x0A).dropFirst().map {
            String(decoding: $0.dropFirst(4), as: UTF8.self)
          }
        }
      }
    }
  }

  /// Whether libcurl's note `bytes` is worth reading: when notes are traced,
  /// or when it is the TLS session summary.
  func wantsNote(_ bytes: UnsafeRawBufferPointer) -> Bool {
    if let trace, trace.level >= 2 { return true }
    return bytes.starts(with: Self.tlsMarker.utf8)
  }

  private static let tlsMarker = "SSL connection using "

  func libcurlNote(_ bytes: UnsafeRawBufferPointer) {
    Self.forEachLine(bytes) { line in
      if line.starts(with: Self.tlsMarker.utf8) {
        tlsSession = String(decoding: line.dropFirst(Self.tlsMarker.utf8.count), as: UTF8.self)
      }
      emit(2, "* " + Self.text(line))
    }
  }

  func bodyReadStarted() {
    bodyStarted = true
    stage = .body
  }

  func bodyReadFinished() { stage = .endOfData }

  private func noteCommand(_ verb: Verb) {
    lastVerb = verb
    switch verb {
    case .ehlo: stage = .ehlo
    case .startTLS: stage = .startTLS
    case .auth: stage = .auth
    case .mail: stage = .mailFrom
    case .rcpt: stage = .rcptTo
    case .data: stage = .data
    case .quit: quitting = true
    case .other: break
    }
  }

  private func emit(_ level: Int, _ line: @autoclosure () -> String) {
    guard let trace, trace.level >= level else { return }
    trace.write(prefix + line())
  }

  /// A client line as a trace shows it: secrets (AUTH arguments, answers to 334) redacted.
  private func shown(_ line: Slice<UnsafeRawBufferPointer>, _ verb: Verb) -> String {
    if answeringChallenge { return "<redacted>" }
    guard verb == .auth else { return Self.text(line) }
    let words = Self.text(line).split(separator: " ", maxSplits: 2)
    return words.prefix(2).joined(separator: " ") + (words.count > 2 ? " <redacted>" : "")
  }

  private static func text(_ line: Slice<UnsafeRawBufferPointer>) -> String {
    String(decoding: line, as: UTF8.self)
  }

  /// Calls `body` with each non-empty line of `bytes`, without its CR or LF.
  private static func forEachLine(
    _ bytes: UnsafeRawBufferPointer, _ body: (Slice<UnsafeRawBufferPointer>) -> Void
  ) {
    var start = bytes.startIndex
    for index in bytes.indices where bytes[index] == 0x0A || bytes[index] == 0x0D {
      if index > start { body(bytes[start..<index]) }
      start = index + 1
    }
    if bytes.endIndex > start { body(bytes[start..<bytes.endIndex]) }
  }

  /// The command a client line starts with, read without making a string.
  private enum Verb {
    case ehlo, startTLS, auth, mail, rcpt, data, quit, other

    init(_ line: Slice<UnsafeRawBufferPointer>) {
      // The verb's letters, upper-cased, packed into one integer (a verb longer than 8 is .other).
      var key: UInt64 = 0
      var length = 0
      for byte in line {
        if byte == UInt8(ascii: " ") || byte == UInt8(ascii: ":") { break }
        length += 1
        if length > 8 {
          self = .other
          return
        }
        let upper = byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") ? byte - 32 : byte
        key = key << 8 | UInt64(upper)
      }
      switch key {
      case Self.key("EHLO"), Self.key("HELO"): self = .ehlo
      case Self.key("STARTTLS"): self = .startTLS
      case Self.key("AUTH"): self = .auth
      case Self.key("MAIL"): self = .mail
      case Self.key("RCPT"): self = .rcpt
      case Self.key("DATA"): self = .data
      case Self.key("QUIT"): self = .quit
      default: self = .other
      }
    }

    private static func key(_ verb: StaticString) -> UInt64 {
      var key: UInt64 = 0
      verb.withUTF8Buffer { for byte in $0 { key = key << 8 | UInt64(byte) } }
      return key
    }
  }
}

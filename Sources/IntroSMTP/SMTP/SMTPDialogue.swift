/// Follows one SMTP conversation line by line, as libcurl's debug callback sees it.
///
/// It knows the stage the conversation is in, the server's last reply (all
/// lines, verbatim, for the delivery log), the capabilities from the last
/// `EHLO`, and it feeds the redacted dialogue to a ``SMTPTrace``.
final class SMTPDialogue {
  private(set) var stage: SMTPStage = .connect
  /// Lines of the server's last complete or partial reply.
  private(set) var replyLines: [String] = []
  /// The capability lines of the most recent EHLO reply (after STARTTLS, the encrypted one).
  private(set) var capabilities: [String] = []
  /// libcurl's note on the TLS session, e.g. "TLSv1.3 / TLS_AES_256_GCM_SHA384".
  private(set) var tlsSession: String?
  private(set) var bodyStarted = false

  private var replyComplete = true
  /// After QUIT the stage and the last reply stay those of the failure that led to it.
  private var quitting = false
  private var lastVerb = ""
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
    replyLines = []
    replyComplete = true
    bodyStarted = false
    quitting = false
  }

  /// The server's last reply as one string, lines joined by newlines.
  var serverText: String? { replyLines.isEmpty ? nil : replyLines.joined(separator: "\n") }

  func clientSent(_ text: String) {
    for line in Self.lines(text) {
      let verb = line.prefix(while: { $0 != " " && $0 != ":" }).uppercased()
      let shown: String
      if answeringChallenge {
        shown = "<redacted>"
      } else if verb == "AUTH" {
        let words = line.split(separator: " ", maxSplits: 2)
        shown = words.prefix(2).joined(separator: " ") + (words.count > 2 ? " <redacted>" : "")
      } else {
        shown = line
      }
      if !answeringChallenge { noteCommand(verb) }
      answeringChallenge = false
      emit(1, "> " + shown)
    }
  }

  func serverSent(_ text: String) {
    for line in Self.lines(text) {
      emit(1, "< " + line)
      if quitting { continue }
      if replyComplete { replyLines = [] }
      replyLines.append(line)
      // "250-PIPELINING" continues a reply, "250 OK" ends it.
      let separator = line.dropFirst(3).first
      replyComplete = separator != "-"
      if stage == .connect { stage = .greeting }
      if replyComplete {
        answeringChallenge = line.hasPrefix("334")
        if lastVerb == "EHLO" {
          capabilities = replyLines.dropFirst().map { String($0.dropFirst(4)) }
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

  func libcurlNote(_ text: String) {
    for line in Self.lines(text) {
      if line.hasPrefix(Self.tlsMarker) {
        tlsSession = String(line.dropFirst(Self.tlsMarker.count))
      }
      emit(2, "* " + line)
    }
  }

  func bodyReadStarted() {
    bodyStarted = true
    stage = .body
  }

  func bodyReadFinished() { stage = .endOfData }

  private func noteCommand(_ verb: String) {
    lastVerb = verb
    switch verb {
    case "EHLO", "HELO": stage = .ehlo
    case "STARTTLS": stage = .startTLS
    case "AUTH": stage = .auth
    case "MAIL": stage = .mailFrom
    case "RCPT": stage = .rcptTo
    case "DATA": stage = .data
    case "QUIT": quitting = true
    default: break
    }
  }

  private func emit(_ level: Int, _ line: @autoclosure () -> String) {
    guard let trace, trace.level >= level else { return }
    trace.write(prefix + line())
  }

  private static func lines(_ text: String) -> [String] {
    text.utf8.split(whereSeparator: { $0 == 0x0A || $0 == 0x0D }).map { String(Substring($0)) }
  }
}

import Foundation
import IntroMail
import IntroSMTP
import Synchronization

/// A small message from rep@example.com to `recipient`, ending in CRLF.
func testMessage(
  to recipient: String = "client@example.com", subject: String = "Hello", body: String = "Hi there.\r\n"
) throws -> OutgoingMessage {
  let text = "From: Rep <rep@example.com>\r\nTo: <\(recipient)>\r\nSubject: \(subject)\r\n\r\n\(body)"
  return OutgoingMessage(
    envelope: Envelope(
      sender: try EnvelopeAddress("rep@example.com"), recipient: try EnvelopeAddress(recipient)),
    data: Array(text.utf8))
}

/// A trace that keeps every line, to look at after the transfer.
final class TraceLines: Sendable {
  private let lines = Mutex<[String]>([])
  var trace: SMTPTrace { SMTPTrace(level: 2) { [self] line in lines.withLock { $0.append(line) } } }
  var all: [String] { lines.withLock { $0 } }
}

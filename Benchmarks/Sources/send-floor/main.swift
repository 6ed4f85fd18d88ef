// send-floor: what libcurl alone costs. Sends one ready message to N recipients
// (client0@example.org …) over C connections with IntroSMTP's transport, with no
// rendering, no composing and no store, and prints the seconds it took. The
// send benchmark runs it beside `intro send` to show where a batch's time goes.
//
// Usage: send-floor MESSAGE.eml HOST:PORT COUNT CONNECTIONS
import Foundation
import IntroMail
import IntroSMTP
import Synchronization

let arguments = CommandLine.arguments
guard arguments.count == 5, let count = Int(arguments[3]), let connections = Int(arguments[4]),
  let data = FileManager.default.contents(atPath: arguments[1])
else {
  FileHandle.standardError.write(Data("usage: send-floor MESSAGE.eml HOST:PORT COUNT CONNECTIONS\n".utf8))
  exit(64)
}
let sender = try EnvelopeAddress("dana@example.com")
let messages = try (0..<count).map { index in
  OutgoingMessage(
    envelope: Envelope(sender: sender, recipient: try EnvelopeAddress("client\(index)@example.org")),
    data: Array(data))
}
let transport = SMTPTransport(
  configuration: try SMTPConfiguration(url: "smtp://\(arguments[2])", tls: .none, parallelism: connections))
let delivered = Atomic(0)
let start = Date()
transport.deliverAll(messages) { _, result in
  if result.outcome == .delivered { delivered.add(1, ordering: .relaxed) }
}
let seconds = Date().timeIntervalSince(start)
print(String(format: "%.3f", seconds))
if delivered.load(ordering: .relaxed) != count {
  FileHandle.standardError.write(
    Data("only \(delivered.load(ordering: .relaxed)) of \(count) delivered\n".utf8))
  exit(1)
}

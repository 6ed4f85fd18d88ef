import Foundation
import IntroMail
import TestSupport

/// What Python's `email` package, strict policy, read back from a composed message.
struct ParsedMessage: Decodable {
  struct Address: Decodable, Equatable {
    let name: String
    let addr: String
  }

  let headers: [String]?
  let from: [Address]?
  let to: [Address]?
  /// The display name of `To` decoded by RFC 2047 alone, when it has encoded words.
  let toRfc2047Name: String?
  let cc: [Address]?
  let subject: String?
  let body: String?
  let html: String?
  let attachments: [ParsedAttachment]?
  let defects: [String]?
  let error: String?
  let longestLine: Int
  let crlfOnly: Bool
}

struct ParsedAttachment: Decodable, Equatable {
  let filename: String?
  let contentType: String
  let data: [UInt8]
}

/// Parses every message with one Python process (`Tests/servers/parse_messages.py`).
func parseWithPython(_ messages: [[UInt8]]) throws -> [ParsedMessage] {
  let dir = try TemporaryDirectory()
  defer { dir.remove() }
  var paths: [String] = []
  for (index, data) in messages.enumerated() {
    let path = dir.file("\(index).eml")
    try Data(data).write(to: URL(fileURLWithPath: path))
    paths.append(path)
  }
  let script = TestFiles.servers.appendingPathComponent("parse_messages.py").path
  let output = try runCommand(
    "/usr/bin/env", ["python3", script], input: Array(paths.joined(separator: "\n").utf8), timeout: 600)
  guard output.status == 0 else { throw TestEnvironmentError("parse_messages.py failed: \(output.stderr)") }
  let decoder = JSONDecoder()
  decoder.keyDecodingStrategy = .convertFromSnakeCase
  return try output.stdout.split(separator: "\n").map {
    try decoder.decode(ParsedMessage.self, from: Data($0.utf8))
  }
}

/// A draft from the rep to `to`, with a fixed date and Message-ID.
func draft(to: Mailbox, subject: String = "Hello", text: String = "Hi.\n") throws -> MessageDraft {
  MessageDraft(
    from: try Mailbox(parsing: "Dana Rep <dana@example.com>"), to: [to], subject: subject, text: text,
    date: Date(timeIntervalSince1970: 1_795_000_000),
    timeZone: TimeZone(identifier: "Europe/Berlin") ?? .current,
    messageID: "<test.1@example.com>")
}

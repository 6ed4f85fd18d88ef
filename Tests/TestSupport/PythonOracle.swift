import Foundation

/// What Python's `email` package, strict policy, read back from a composed message.
public struct ParsedMessage: Decodable, Sendable {
  public struct Address: Decodable, Equatable, Sendable {
    public let name: String
    public let addr: String
  }

  public let headers: [String]?
  public let from: [Address]?
  public let to: [Address]?
  /// The display name of `To` decoded by RFC 2047 alone, when it has encoded words.
  public let toRfc2047Name: String?
  public let cc: [Address]?
  public let subject: String?
  public let body: String?
  public let html: String?
  public let attachments: [ParsedAttachment]?
  public let defects: [String]?
  public let error: String?
  public let longestLine: Int
  public let crlfOnly: Bool
}

public struct ParsedAttachment: Decodable, Equatable, Sendable {
  public let filename: String?
  public let contentType: String
  public let data: [UInt8]
}

/// Parses every message with one Python process (`Tests/servers/parse_messages.py`).
public func parseWithPython(_ messages: [[UInt8]]) throws -> [ParsedMessage] {
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

/// Checks that bytes look like an RFC 5322 message before they are sent as one.
public enum MessageCheck {
  /// Why a message was refused.
  public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The 1-based line where the problem is, when it is on one line.
    public var line: Int?
    /// What is wrong.
    public var reason: String

    public var description: String {
      line.map { "line \($0): \(reason)" } ?? reason
    }
  }

  /// The most octets a line may hold, CRLF excluded (RFC 5322 §2.1.1).
  public static let maximumLineLength = 998

  /// Refuses an empty message, NUL bytes, lines over 998 octets, and a first
  /// line that is not a header field (`Name: value`).
  public static func validate(_ bytes: [UInt8]) throws(Failure) {
    guard !bytes.isEmpty else { throw Failure(line: nil, reason: "the message is empty") }
    var line = 1
    var length = 0
    var sawColonOnFirstLine = false
    var firstLineIsName = true
    for byte in bytes {
      switch byte {
      case 0:
        throw Failure(line: line, reason: "the message contains a NUL byte")
      case 0x0A, 0x0D:
        if line == 1 && !sawColonOnFirstLine {
          throw Failure(line: 1, reason: "the message does not start with a header such as 'Subject: …'")
        }
        if byte == 0x0A { line += 1 }
        length = 0
      default:
        length += 1
        if length > maximumLineLength {
          throw Failure(line: line, reason: "the line is longer than \(maximumLineLength) octets")
        }
        if line == 1 && !sawColonOnFirstLine {
          if byte == 0x3A {
            sawColonOnFirstLine = firstLineIsName && length > 1
            if !sawColonOnFirstLine {
              throw Failure(line: 1, reason: "the message does not start with a header such as 'Subject: …'")
            }
          } else if byte <= 0x20 || byte >= 0x7F {
            firstLineIsName = false
          }
        }
      }
    }
    if !sawColonOnFirstLine {
      throw Failure(line: 1, reason: "the message does not start with a header such as 'Subject: …'")
    }
  }
}

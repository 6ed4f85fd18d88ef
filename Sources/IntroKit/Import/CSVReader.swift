import Foundation

/// A CSV problem, with the line it is on.
public struct CSVError: Error, Sendable, Equatable, CustomStringConvertible {
  public let line: Int
  public let message: String
  public var description: String { "line \(line): \(message)" }
}

/// The text encodings a CRM or spreadsheet export comes in.
public enum CSVEncoding: String, Sendable, CaseIterable {
  case utf8 = "utf-8"
  case windows1252 = "windows-1252"
  case latin1
}

/// Reads RFC 4180 CSV as a stream of records, a chunk of the file at a time,
/// so memory stays flat however many rows the file has.
///
/// Quoted fields may hold the delimiter, `""` for a quote, and line breaks;
/// rows end in CRLF or LF. A UTF-8 byte order mark is skipped. Bytes that are
/// not valid in the chosen encoding are an error, never U+FFFD.
public struct CSVReader: ~Copyable {
  private let handle: FileHandle
  private var buffer: [UInt8] = []
  private var position = 0
  private var atEnd = false
  private let encoding: CSVEncoding
  public private(set) var delimiter: UInt8
  /// The line the next record starts on.
  private var line = 1

  /// Opens `path`; `delimiter` nil detects `,` or `;` from the header row.
  public init(path: String, encoding: CSVEncoding = .utf8, delimiter: UInt8? = nil) throws(CSVError) {
    guard let handle = FileHandle(forReadingAtPath: path) else {
      throw CSVError(line: 0, message: "cannot open \(path)")
    }
    self.handle = handle
    self.encoding = encoding
    self.delimiter = delimiter ?? UInt8(ascii: ",")
    fill()
    if buffer.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
    if delimiter == nil { self.delimiter = detectDelimiter() }
  }

  deinit { try? handle.close() }

  /// The next record and the line it starts on, or nil at the end of the file.
  public mutating func next() throws(CSVError) -> (line: Int, fields: [String])? {
    guard let (startLine, raw) = try nextRawRecord() else { return nil }
    var fields: [String] = []
    fields.reserveCapacity(raw.count)
    for bytes in raw { fields.append(try decode(bytes, line: startLine)) }
    return (startLine, fields)
  }

  private mutating func nextRawRecord() throws(CSVError) -> (Int, [[UInt8]])? {
    if position >= buffer.count { fill() }
    if position >= buffer.count && atEnd { return nil }
    let startLine = line
    var fields: [[UInt8]] = []
    var field: [UInt8] = []
    var quoted = false
    var fieldStarted = false
    while true {
      if position >= buffer.count {
        fill()
        if position >= buffer.count {
          if quoted {
            throw CSVError(line: startLine, message: "a quoted field opened on this line is never closed")
          }
          fields.append(field)
          return (startLine, fields)
        }
      }
      let byte = buffer[position]
      position += 1
      if quoted {
        if byte == UInt8(ascii: "\"") {
          if peek() == UInt8(ascii: "\"") {
            position += 1
            field.append(byte)
          } else {
            quoted = false
          }
        } else {
          if byte == 0x0A { line += 1 }
          field.append(byte)
        }
        continue
      }
      switch byte {
      case UInt8(ascii: "\"") where !fieldStarted && field.isEmpty:
        quoted = true
        fieldStarted = true
      case delimiter:
        fields.append(field)
        field = []
        fieldStarted = false
      case 0x0D where peek() == 0x0A:
        continue
      case 0x0A:
        line += 1
        fields.append(field)
        return (startLine, fields)
      default:
        field.append(byte)
        fieldStarted = true
      }
    }
  }

  private mutating func peek() -> UInt8? {
    if position >= buffer.count { fill() }
    return position < buffer.count ? buffer[position] : nil
  }

  /// Keeps the unread tail and appends the next chunk of the file.
  private mutating func fill() {
    guard !atEnd else { return }
    if position > 0 {
      buffer.removeFirst(position)
      position = 0
    }
    let chunk = handle.readData(ofLength: 1 << 16)
    if chunk.isEmpty { atEnd = true } else { buffer += chunk }
  }

  private func detectDelimiter() -> UInt8 {
    var commas = 0
    var semicolons = 0
    var quoted = false
    for byte in buffer[position...] {
      if byte == UInt8(ascii: "\"") { quoted.toggle() }
      if quoted { continue }
      if byte == 0x0A { break }
      if byte == UInt8(ascii: ",") { commas += 1 }
      if byte == UInt8(ascii: ";") { semicolons += 1 }
    }
    return semicolons > commas ? UInt8(ascii: ";") : UInt8(ascii: ",")
  }

  private func decode(_ bytes: [UInt8], line: Int) throws(CSVError) -> String {
    switch encoding {
    case .utf8:
      guard let text = String(validating: bytes, as: UTF8.self) else {
        throw CSVError(
          line: line,
          message:
            "the file is not UTF-8 here; an Excel export is usually Windows-1252: try --encoding windows-1252"
        )
      }
      return text
    case .latin1:
      return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
    case .windows1252:
      var scalars = String.UnicodeScalarView()
      for byte in bytes {
        guard let scalar = Windows1252.scalar(byte) else {
          throw CSVError(
            line: line, message: "byte 0x\(String(byte, radix: 16)) is not a Windows-1252 character")
        }
        scalars.append(scalar)
      }
      return String(scalars)
    }
  }
}

enum Windows1252 {
  /// 0x80–0x9F differ from Latin-1; five of them are undefined.
  private static let high: [UInt32?] = [
    0x20AC, nil, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, nil,
    0x017D, nil, nil, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A,
    0x0153, nil, 0x017E, 0x0178,
  ]

  static func scalar(_ byte: UInt8) -> Unicode.Scalar? {
    if (0x80...0x9F).contains(byte) { return high[Int(byte) - 0x80].flatMap(Unicode.Scalar.init) }
    return Unicode.Scalar(byte)
  }
}

/// A file sent with a message.
public struct Attachment: Sendable, Hashable {
  /// The file name the recipient sees; any Unicode (written per RFC 2231).
  public var filename: String
  /// `application/pdf`, `text/calendar; method=REQUEST`…
  public var contentType: String
  public var data: [UInt8]

  public init(filename: String, contentType: String, data: [UInt8]) {
    self.filename = filename
    self.contentType = contentType
    self.data = data
  }
}

/// The MIME structure of a message body: the part headers (Content-Type and
/// Content-Transfer-Encoding, ending in the blank line) and the encoded content.
enum MIMEPart {
  /// `text/plain`; `multipart/alternative` with an HTML version; `multipart/mixed` with attachments.
  static func body(for draft: MessageDraft) throws(CompositionError) -> [UInt8] {
    let text = textPart(draft.text, subtype: "plain")
    var content = text
    var boundaries = BoundarySource()
    if let html = draft.html {
      content = multipart(
        "alternative", [text, textPart(html, subtype: "html")], boundary: boundaries.next())
    }
    if !draft.attachments.isEmpty {
      var parts = [content]
      for attachment in draft.attachments { parts.append(try attachmentPart(attachment)) }
      content = multipart("mixed", parts, boundary: boundaries.next())
    }
    return content
  }

  /// A text part: 7bit when plain ASCII with lines of at most 998 octets, else quoted-printable.
  private static func textPart(_ text: String, subtype: String) -> [UInt8] {
    let body = LineEndings.normalizedToCRLF(Array(text.utf8))
    let sevenBit = body.allSatisfy { $0 < 0x80 } && MessageComposer.longestLine(body) <= 998
    var part = Array(
      ("Content-Type: text/\(subtype); charset=UTF-8\r\n"
        + "Content-Transfer-Encoding: \(sevenBit ? "7bit" : "quoted-printable")\r\n\r\n").utf8)
    part += sevenBit ? body : QuotedPrintable.encode(body)
    if part.last != 0x0A { part += [0x0D, 0x0A] }
    return part
  }

  private static func attachmentPart(_ attachment: Attachment) throws(CompositionError) -> [UInt8] {
    guard !attachment.filename.isEmpty, !attachment.filename.contains("/") else {
      throw .badAttachment("the file name '\(attachment.filename)' is empty or has a '/'")
    }
    do {
      try HeaderEncoding.checkSingleLine(attachment.filename, field: "attachment file name")
      try HeaderEncoding.checkSingleLine(attachment.contentType, field: "attachment content type")
    } catch {
      throw .header(error)
    }
    let type = attachment.contentType.split(separator: ";").first.map(String.init) ?? ""
    guard type.split(separator: "/").count == 2,
      type.utf8.allSatisfy({ $0.isAtext || $0 == 0x2F || $0 == 0x2E })
    else {
      throw .badAttachment("'\(attachment.contentType)' is not a MIME type such as application/pdf")
    }
    var header = "Content-Type: \(attachment.contentType)\r\n"
    header +=
      HeaderEncoding.fold("Content-Disposition: attachment; " + filenameParameter(attachment.filename))
      + "\r\n"
    header += "Content-Transfer-Encoding: base64\r\n\r\n"
    var part = Array(header.utf8)
    let encoded = Array(Base64.encode(attachment.data).utf8)
    var index = 0
    while index < encoded.count {
      let end = min(index + 76, encoded.count)
      part += encoded[index..<end]
      part += [0x0D, 0x0A]
      index = end
    }
    return part
  }

  /// `filename="report.pdf"` for a plain ASCII name, else RFC 2231:
  /// `filename*=UTF-8''Angebot%20M%C3%BCller.pdf`.
  static func filenameParameter(_ name: String) -> String {
    let plainASCII = name.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C }
    if plainASCII && name.utf8.count <= 60 { return "filename=\"\(name)\"" }
    var encoded = ""
    for byte in name.utf8 {
      if byte.isAtext && byte != UInt8(ascii: "%") && byte != UInt8(ascii: "'") && byte != UInt8(ascii: "*") {
        encoded.unicodeScalars.append(Unicode.Scalar(byte))
      } else {
        encoded += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
      }
    }
    return "filename*=UTF-8''" + encoded
  }

  private static func multipart(_ subtype: String, _ parts: [[UInt8]], boundary: String) -> [UInt8] {
    var out = Array("Content-Type: multipart/\(subtype); boundary=\"\(boundary)\"\r\n\r\n".utf8)
    // The CRLF before each delimiter belongs to the delimiter (RFC 2046 §5.1.1),
    // so every part keeps its own final line break.
    for part in parts {
      out += Array("--\(boundary)\r\n".utf8)
      out += part
      out += [0x0D, 0x0A]
    }
    out += Array("--\(boundary)--\r\n".utf8)
    return out
  }
}

/// Boundaries that cannot occur in the parts: they contain "=_", which
/// quoted-printable never writes (its "=" is always followed by a hex digit
/// or a line break) and base64 never contains.
struct BoundarySource {
  private var count = 0

  mutating func next() -> String {
    count += 1
    return "=_intro_\(count)_" + String(UInt64.random(in: .min ... .max), radix: 36)
  }
}

extension String {
  fileprivate func leftPadded(to width: Int) -> String {
    String(repeating: "0", count: max(0, width - count)) + self
  }
}

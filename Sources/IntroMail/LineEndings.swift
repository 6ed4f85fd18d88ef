/// Line-ending normalisation for message bytes.
///
/// SMTP requires CRLF line endings, and libcurl dot-stuffs only lines that
/// follow a CRLF. A bare LF or bare CR in a body would let a line starting
/// with "." through unstuffed, which is how SMTP smuggling works. Normalising
/// on bytes (not on `Character`s, where `"\r\n"` is a single grapheme) makes
/// every line end in exactly CRLF.
public enum LineEndings {
  private static let cr: UInt8 = 0x0D
  private static let lf: UInt8 = 0x0A

  /// Returns `bytes` with every bare LF and bare CR replaced by CRLF.
  ///
  /// Existing CRLF pairs are kept as they are; the result never contains a CR
  /// that is not followed by LF, nor an LF that is not preceded by CR.
  public static func normalizedToCRLF<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count + bytes.count / 32 + 2)
    var previousWasCR = false
    for byte in bytes {
      if byte == lf {
        if !previousWasCR { out.append(cr) }
        out.append(lf)
        previousWasCR = false
      } else {
        if previousWasCR { out.append(lf) }
        out.append(byte)
        previousWasCR = byte == cr
      }
    }
    if previousWasCR { out.append(lf) }
    return out
  }

  /// `bytes` with every line ending CRLF; an array that is already so is
  /// returned as it is, without a copy (composed messages always are).
  public static func normalizedToCRLF(_ bytes: [UInt8]) -> [UInt8] {
    let clean = bytes.withUnsafeBufferPointer { buffer in isCRLFOnly(buffer) }
    return clean ? bytes : normalizedToCRLF(bytes[...])
  }

  /// True when every CR in `bytes` is followed by LF and every LF preceded by CR.
  public static func isCRLFOnly<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Bool {
    var previous: UInt8 = 0
    var expectLF = false
    for byte in bytes {
      if expectLF && byte != lf { return false }
      if byte == lf && previous != cr { return false }
      expectLF = byte == cr
      previous = byte
    }
    return !expectLF
  }
}

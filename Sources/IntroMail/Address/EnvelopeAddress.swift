/// An address as it appears in the SMTP envelope (`MAIL FROM:<…>`, `RCPT TO:<…>`).
///
/// libcurl copies envelope addresses onto the wire as they are: a CR or LF in
/// one would start a new SMTP command. Every `EnvelopeAddress` has therefore
/// been checked before any network code sees it:
///
/// - `local@domain`, exactly one `@`, both parts non-empty;
/// - no control characters (C0, DEL, C1, U+2028, U+2029), no spaces, no `<` or `>`;
/// - an ASCII local part of at most 64 octets (a non-ASCII one needs SMTPUTF8,
///   which `intro` does not use), a domain of at most 255 octets, 254 in all.
///
/// ```swift
/// let sender = try EnvelopeAddress("rep@example.com")
/// ```
public struct EnvelopeAddress: Hashable, Sendable, CustomStringConvertible {
  /// The address exactly as validated, `local@domain`.
  public let rawValue: String

  /// Validates `address` for use in the SMTP envelope.
  /// - Throws: ``AddressError`` saying what is wrong with it.
  public init(_ address: String) throws(AddressError) {
    try Self.validate(address)
    rawValue = address
  }

  /// The part before the `@`.
  public var localPart: Substring { rawValue[..<atIndex] }

  /// The part after the `@`.
  public var domain: Substring { rawValue[rawValue.index(after: atIndex)...] }

  public var description: String { rawValue }

  private var atIndex: String.Index {
    // validate() guarantees exactly one "@".
    rawValue.lastIndex(of: "@") ?? rawValue.endIndex
  }

  private static func validate(_ address: String) throws(AddressError) {
    if address.isEmpty { throw AddressError(.empty, address) }
    // Control characters first: they are the dangerous ones, whatever else is wrong.
    if let control = address.unicodeScalars.first(where: \.isForbiddenInHeaderOrEnvelope) {
      throw AddressError(.controlCharacter, address, detail: control.debugName)
    }
    for scalar in address.unicodeScalars {
      switch scalar {
      case " ", "\t": throw AddressError(.whitespace, address)
      case "<", ">": throw AddressError(.angleBracket, address)
      default: break
      }
    }
    let parts = address.split(separator: "@", omittingEmptySubsequences: false)
    guard parts.count == 2 else {
      throw AddressError(parts.count < 2 ? .missingAt : .severalAts, address)
    }
    let local = parts[0]
    let domain = parts[1]
    if local.isEmpty { throw AddressError(.emptyLocalPart, address) }
    if domain.isEmpty { throw AddressError(.emptyDomain, address) }
    if local.unicodeScalars.contains(where: { !$0.isASCII }) {
      throw AddressError(.nonASCIILocalPart, address)
    }
    if local.utf8.count > 64 { throw AddressError(.localPartTooLong, address) }
    if domain.utf8.count > 255 { throw AddressError(.domainTooLong, address) }
    if address.utf8.count > 254 { throw AddressError(.addressTooLong, address) }
  }
}

extension Unicode.Scalar {
  /// True for the scalars that may never appear in a header line or the envelope:
  /// C0 controls (tab included), DEL, C1 controls (U+0085 among them), and the
  /// Unicode line and paragraph separators.
  public var isForbiddenInHeaderOrEnvelope: Bool {
    switch value {
    case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029: true
    default: false
    }
  }

  /// `U+000D` style name, for error messages about invisible characters.
  var debugName: String {
    let hex = String(value, radix: 16, uppercase: true)
    return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
  }
}

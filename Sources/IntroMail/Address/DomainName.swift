import Foundation

/// A domain name checked and converted to its ASCII form (A-labels).
///
/// `bücher.example` becomes `xn--bcher-kva.example`: non-ASCII labels are
/// normalised (NFC, lower case) and encoded with Punycode (RFC 3492), as
/// IDNA 2008 does for ordinary names. Labels are letters, digits and hyphens,
/// 1 to 63 octets, not starting or ending with a hyphen; the whole name at most
/// 255 octets. IP literals (`[192.0.2.1]`) are not accepted.
enum DomainName {
  /// The ASCII (A-label) form of `domain`, lower-cased.
  static func ascii(_ domain: Substring, address: String) throws(AddressError) -> String {
    if domain.hasPrefix("[") { throw AddressError(.ipLiteral, address) }
    var labels: [String] = []
    for label in domain.split(separator: ".", omittingEmptySubsequences: false) {
      labels.append(try asciiLabel(label, address: address))
    }
    let result = labels.joined(separator: ".")
    if result.utf8.count > 255 { throw AddressError(.domainTooLong, address) }
    return result
  }

  private static func asciiLabel(_ label: Substring, address: String) throws(AddressError) -> String {
    guard !label.isEmpty else { throw AddressError(.badDomain, address, detail: "an empty label") }
    var ascii: String
    if label.unicodeScalars.allSatisfy(\.isASCII) {
      ascii = label.lowercased()
    } else {
      let normalized = String(label).lowercased().precomposedStringWithCanonicalMapping
      guard
        normalized.unicodeScalars.allSatisfy({
          $0.properties.isAlphabetic || $0.properties.numericType != nil || $0 == "-"
            || $0.properties.generalCategory == .nonspacingMark
            || $0.properties.generalCategory == .spacingMark
        }),
        let encoded = Punycode.encode(Array(normalized.unicodeScalars))
      else {
        throw AddressError(.badDomain, address, detail: "'\(label)' cannot be an internationalised label")
      }
      ascii = "xn--" + encoded
    }
    guard ascii.utf8.count <= 63 else {
      throw AddressError(.badDomain, address, detail: "a label is longer than 63 octets")
    }
    guard ascii.utf8.allSatisfy({ $0.isLetterDigitHyphen }), !ascii.hasPrefix("-"), !ascii.hasSuffix("-")
    else {
      throw AddressError(.badDomain, address, detail: "'\(label)' is not letters, digits and inner hyphens")
    }
    return ascii
  }
}

extension UInt8 {
  fileprivate var isLetterDigitHyphen: Bool {
    (0x61...0x7A).contains(self) || (0x41...0x5A).contains(self) || (0x30...0x39).contains(self)
      || self == 0x2D
  }
}

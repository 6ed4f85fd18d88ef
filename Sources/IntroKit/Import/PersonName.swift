/// A full name as a person or a CRM writes it, split into the first name a
/// greeting uses and the last name: `Jane Doe`, `Doe, Jane`,
/// `van der Berg, Pieter`, `Pieter van der Berg`, `Dr. Ana Ruiz`,
/// `John Smith, Jr.`. The full name itself is always kept as given.
///
/// ```swift
/// PersonName("Lefèvre, Marie-Anne").first   // "Marie-Anne", never "Lefèvre,"
/// ```
public struct PersonName: Sendable, Equatable {
  /// What a greeting says: "Hi Marie-Anne,". Nil for an empty name.
  public var first: String?
  /// The family name, particles included (`van der Berg`); nil for a single name.
  public var last: String?

  /// Titles that are not a first name.
  private static let titles: Set<String> = [
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "herr", "frau", "m", "mme", "mlle", "sr",
    "sra",
  ]
  /// Suffixes that are not a given or family name.
  private static let suffixes: Set<String> = [
    "jr", "sr", "ii", "iii", "iv", "phd", "md", "esq", "mba", "cpa", "dds",
  ]

  /// The name in reading order: "Thi Lan Nguyen" for "Nguyen, Thi Lan"; nil when it was already.
  public var reordered: String?

  /// The name to show a rep: "Marie-Anne Lefèvre" for a CRM's "Lefèvre, Marie-Anne",
  /// the name as typed otherwise, else the address.
  public static func display(name: String?, email: String) -> String {
    guard let name else { return email }
    return name.contains(",") ? PersonName(name).reordered ?? name : name
  }

  /// A name made of its parts.
  public init(first: String?, last: String?) {
    self.first = first
    self.last = last
  }

  public init(_ full: String) {
    // Each word with its bare form, made once: the lists are checked per word,
    // and every row of a batch has a name.
    let parts = full.split(separator: ",").map { part in
      Self.words(part).map { Word(text: String($0), bare: Self.bare($0)) }
    }.filter { !$0.isEmpty }
    let isSuffix = { (words: [Word]) in words.allSatisfy { Self.suffixes.contains($0.bare) } }
    // "Last, First …" unless what follows the comma is only a suffix ("John Smith, Jr.").
    if parts.count >= 2, !isSuffix(parts[1]) {
      let given = parts[1].drop { Self.titles.contains($0.bare) }.map(\.text)
      first = given.first ?? parts[1].first?.text
      last = parts[0].map(\.text).joined(separator: " ")
      reordered = (given.isEmpty ? parts[1].map(\.text) : given).joined(separator: " ") + " " + (last ?? "")
      return
    }
    let words = (parts.first ?? []).filter { !Self.suffixes.contains($0.bare) }
    let given = words.drop { Self.titles.contains($0.bare) && words.count > 1 }.map(\.text)
    first = given.first
    last = given.count > 1 ? given.dropFirst().joined(separator: " ") : nil
  }

  private struct Word {
    let text: String
    let bare: String
  }

  /// The words of `text`. ASCII text (most names in a CSV) is split on its
  /// bytes; other text by characters, so an accent is never cut off its letter.
  private static func words(_ text: Substring) -> [Substring] {
    guard text.utf8.allSatisfy({ $0 < 0x80 }) else { return text.split(whereSeparator: \.isWhitespace) }
    return text.utf8.split(whereSeparator: { $0 == 0x20 || (0x09...0x0D).contains($0) }).map { Substring($0) }
  }

  /// A word without dots, lower-cased, to compare with the lists: "Dr." → "dr".
  /// The lists are ASCII, so a word with any other letter is "" (matches none).
  private static func bare(_ word: Substring) -> String {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(word.utf8.count)
    for byte in word.utf8 where byte != 0x2E {
      guard byte < 0x80 else { return "" }
      bytes.append((0x41...0x5A).contains(byte) ? byte | 0x20 : byte)
    }
    return String(decoding: bytes, as: UTF8.self)
  }
}

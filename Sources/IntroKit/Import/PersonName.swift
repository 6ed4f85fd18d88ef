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
    let parts = full.split(separator: ",").map { $0.split(whereSeparator: \.isWhitespace).map(String.init) }
      .filter { !$0.isEmpty }
    let isSuffix = { (words: [String]) in words.allSatisfy { Self.suffixes.contains(Self.bare($0)) } }
    // "Last, First …" unless what follows the comma is only a suffix ("John Smith, Jr.").
    if parts.count >= 2, !isSuffix(parts[1]) {
      let given = parts[1].drop { Self.titles.contains(Self.bare($0)) }
      first = given.first ?? parts[1].first
      last = parts[0].joined(separator: " ")
      reordered = (given.isEmpty ? parts[1] : Array(given)).joined(separator: " ") + " " + (last ?? "")
      return
    }
    let words = (parts.first ?? []).filter { !Self.suffixes.contains(Self.bare($0)) }
    let given = Array(words.drop { Self.titles.contains(Self.bare($0)) && words.count > 1 })
    first = given.first
    last = given.count > 1 ? given.dropFirst().joined(separator: " ") : nil
  }

  /// A word without dots, lower-cased, to compare with the lists: "Dr." → "dr".
  private static func bare(_ word: String) -> String {
    String(word.lowercased().filter { $0 != "." })
  }
}

public import IntroTemplates

/// Checks template wording against the practice `intro` encodes.
public enum TemplateLint {
  /// A wording problem at a place in a template.
  public struct Finding: Sendable, Hashable, CustomStringConvertible {
    public let location: SourceLocation
    public let message: String
    public var description: String { "\(location): warning: \(message)" }
  }

  private static let clientWords: [(String, String)] = [
    ("referral", "say \"introduction\" to clients, not \"referral\""),
    ("refer ", "say \"introduce\" to clients, not \"refer\""),
  ]
  private static let needyPhrases: [(String, String)] = [
    ("my quota", "talk about the client's contacts' problems, not your quota"),
    ("i need more", "ask about problems people face, not what you need"),
    ("our product", "ask who struggles with a problem, not who needs the product"),
    ("buy our", "ask who struggles with a problem, not who will buy"),
  ]

  /// Warnings for the template `source` called `file`, whose audience is `audience`
  /// (`client` templates must not say "referral").
  public static func check(source: String, file: String, audience: String?) -> [Finding] {
    var findings: [Finding] = []
    let rules = (audience?.lowercased() == "client" ? clientWords : []) + needyPhrases
    for (number, line) in source.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      // Metadata lines describe the template to the rep; they are never sent.
      if line.lowercased().hasPrefix("intro-") { continue }
      let lowered = line.lowercased()
      for (word, advice) in rules {
        var searchStart = lowered.startIndex
        while let range = lowered.range(of: word, range: searchStart..<lowered.endIndex) {
          if !isInsideTag(lowered, at: range.lowerBound) {
            let column = lowered.distance(from: lowered.startIndex, to: range.lowerBound) + 1
            findings.append(
              Finding(location: SourceLocation(file: file, line: number + 1, column: column), message: advice)
            )
          }
          searchStart = range.upperBound
        }
      }
    }
    return findings
  }

  private static func isInsideTag(_ line: String, at index: String.Index) -> Bool {
    let before = line[..<index]
    guard let open = before.range(of: "{{", options: .backwards) else { return false }
    return before[open.upperBound...].range(of: "}}") == nil
  }
}

import Foundation
public import IntroTemplates

/// Checks template wording against the practice `intro` encodes: what reads
/// badly to a client, and what breaks with real data.
public enum TemplateLint {
  /// What a finding is about; `[rule]` in the output, so a rep can look it up.
  public enum Rule: String, Sendable, CaseIterable {
    /// "referral" in copy that can reach a client or prospect.
    case sayIntroduction = "say-introduction"
    /// Product-first or needy asks.
    case neediness = "needy-ask"
    /// `Hi {{client.first_name}},` with no fallback: one contact without a first name stops a batch.
    case greetingFallback = "greeting-fallback"
    /// A subject over 78 characters, as rendered with the sample data.
    case longSubject = "long-subject"
    /// A blurb over ``Blurb/wordLimit`` words, as rendered with the sample data.
    case longBlurb = "long-blurb"
    /// `{{client.company}}.` makes "Northwind, Inc.." when the value ends with a stop.
    case doublePunctuation = "double-punctuation"
    /// A rep's private notes pasted into copy a client or prospect reads.
    case internalNote = "internal-note"
  }

  /// A wording problem at a place in a template.
  public struct Finding: Sendable, Hashable, CustomStringConvertible {
    public let location: SourceLocation
    public let rule: Rule
    public let message: String
    public var description: String { "\(location): warning: \(message) [\(rule.rawValue)]" }

    init(_ location: SourceLocation, _ rule: Rule, _ message: String) {
      self.location = location
      self.rule = rule
      self.message = message
    }
  }

  /// The longest subject that mail programs show whole (RFC 5322's recommended line length).
  public static let subjectLimit = 78

  private static let clientWords: [(String, String)] = [
    ("referral", "say \"introduction\" to clients, not \"referral\""),
    ("refer ", "say \"introduce\" to clients, not \"refer\""),
    ("referred", "say \"introduced\" to clients, not \"referred\""),
    ("referring", "say \"introducing\" to clients, not \"referring\""),
  ]
  private static let needyPhrases: [(String, String)] = [
    ("my quota", "talk about the problems of the people they know, not your quota"),
    ("my numbers", "talk about the problems of the people they know, not your numbers"),
    ("my target", "talk about the problems of the people they know, not your target"),
    ("i need more", "ask about problems people face, not what you need"),
    ("i really need", "ask about problems people face, not what you need"),
    ("our product", "ask who struggles with a problem, not who needs the product"),
    ("our solution", "ask who struggles with a problem, not who needs the solution"),
    ("could use our", "ask who struggles with a problem, not who could use what you sell"),
    ("buy our", "ask who struggles with a problem, not who will buy"),
    ("who needs", "ask who struggles with a problem, not who needs something"),
    ("in the market for", "ask who struggles with a problem, not who is in the market"),
    ("any leads", "ask for an introduction to a person with a problem, not for leads"),
    ("send business my way", "ask for an introduction to a person with a problem, not for business"),
    ("sorry to bother", "no apology: an introduction helps the person introduced too"),
    ("i hate to ask", "no apology: an introduction helps the person introduced too"),
    ("do me a favo", "an introduction is not a favour to you; say how it helps them"),
    ("just checking in", "say why you are writing; \"just checking in\" reads as a chaser"),
    ("desperate", "never sound desperate to a client"),
  ]
  /// Fields that hold the rep's own notes: to prepare with, never to paste.
  private static let internalFields = [
    "notes", "about_prospect", "why_me", "why_now", "how_to_introduce", "update_note",
  ]
  /// Values `intro` itself writes as phrases that never end in punctuation.
  private static let phraseSuffixes = [
    "_text", "first_name", "email", "why_now_for_prospect", "due_count", "today",
  ]

  /// Every rule, for the template `entry` of `library`; `samples` are the
  /// contexts the length rules render with (see ``SampleHome/contexts(today:)``).
  public static func check(
    _ entry: TemplateLibrary.Entry, in library: TemplateLibrary, samples: [TemplateValue] = []
  ) -> [Finding] {
    let template = entry.template
    let file = entry.file ?? "Templates/\(entry.name).mustache"
    let audience = template.metadata["Audience"]?.lowercased()
    var findings = check(source: entry.source, file: file, audience: audience)
    let reachesClients = audience != "rep"
    let body = template.body.dataModel
    if reachesClients {
      findings += internalNotes(in: template.headers.flatMap(\.value.dataModel) + body, file: file)
    }
    findings += greetingWithoutFallback(template, source: entry.source, references: body, file: file)
    let rendered = samples.compactMap { sample in
      try? template.render(sample, partials: library, options: RenderOptions(strict: false))
    }
    if template.headers.contains(where: { $0.name == "Subject" }),
      let longest = rendered.compactMap({ $0.header("Subject") }).max(by: { $0.count < $1.count }),
      longest.count > subjectLimit
    {
      findings.append(
        Finding(
          SourceLocation(file: file, line: line(ofHeader: "Subject", in: entry.source), column: 1),
          .longSubject,
          "the subject runs to \(longest.count) characters with the sample data (\"\(longest.prefix(40))…\"); "
            + "keep it under \(subjectLimit) so it shows whole"))
    }
    if entry.name == "blurb" || entry.name.hasSuffix("/blurb"),
      let longest = rendered.map({ Blurb.wordCount($0.body) }).max(), longest > Blurb.wordLimit
    {
      findings.append(
        Finding(
          SourceLocation(file: file, line: line(ofBody: entry.source), column: 1), .longBlurb,
          "the blurb runs to \(longest) words with the sample data; keep it under \(Blurb.wordLimit) "
            + "so the prospect reads it all"))
    }
    return findings.sorted { ($0.location.line, $0.location.column) < ($1.location.line, $1.location.column) }
  }

  /// The rules that read the text: wording ("referral" where a client or
  /// prospect reads it, needy asks) and punctuation after a value. `audience`
  /// `rep` is the rep's own mail; any other (or none) can reach a client.
  public static func check(source: String, file: String, audience: String?) -> [Finding] {
    var findings: [Finding] = []
    let rules =
      (audience?.lowercased() == "rep" ? [] : clientWords.map { ($0.0, $0.1, Rule.sayIntroduction) })
      + needyPhrases.map { ($0.0, $0.1, Rule.neediness) }
    for (number, line) in source.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      // Metadata lines describe the template to the rep; they are never sent.
      if line.lowercased().hasPrefix("intro-") { continue }
      let lowered = line.lowercased()
      for (word, advice, rule) in rules {
        var searchStart = lowered.startIndex
        while let range = lowered.range(of: word, range: searchStart..<lowered.endIndex) {
          if !isInsideTag(lowered, at: range.lowerBound) {
            let column = lowered.distance(from: lowered.startIndex, to: range.lowerBound) + 1
            findings.append(
              Finding(SourceLocation(file: file, line: number + 1, column: column), rule, advice))
          }
          searchStart = range.upperBound
        }
      }
      findings += doublePunctuation(in: String(line), line: number + 1, file: file)
    }
    return findings
  }

  // MARK: Rules

  /// `{{name}}` followed (after any closing section tags) by `.`, `,`, `;`, `:`, `!` or `?`,
  /// for a value that may end in punctuation of its own.
  static func doublePunctuation(in line: String, line number: Int, file: String) -> [Finding] {
    let characters = Array(line)
    var findings: [Finding] = []
    var index = 0
    while index + 1 < characters.count {
      guard characters[index] == "{", characters[index + 1] == "{" else {
        index += 1
        continue
      }
      guard let close = closing(characters, from: index + 2) else { break }
      let inner = String(characters[(index + 2)..<close]).trimmingCharacters(
        in: CharacterSet(charactersIn: "{}& "))
      var after = close + 2
      if after < characters.count, characters[after] == "}" { after += 1 }
      let sigil = inner.first
      let name = inner.split(separator: "|").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
      if sigil.map({ !"#^/!>=<$".contains($0) }) ?? false, !name.isEmpty, name != ".",
        !phraseSuffixes.contains(where: { name.hasSuffix($0) })
      {
        var next = after
        while next + 2 < characters.count, characters[next] == "{", characters[next + 1] == "{",
          characters[next + 2] == "/", let end = closing(characters, from: next + 2)
        {
          next = end + 2
        }
        if next < characters.count, ".,;:!?".contains(characters[next]) {
          findings.append(
            Finding(
              SourceLocation(file: file, line: number, column: next + 1), .doublePunctuation,
              "'\(characters[next])' right after {{\(name)}}: a value that ends in one (\"Northwind, Inc.\") "
                + "prints two; end the sentence with your own words"))
        }
      }
      index = after
    }
    return findings
  }

  private static func internalNotes(in references: [DataReference], file: String) -> [Finding] {
    var findings: [Finding] = []
    var pending = references[...]
    while let reference = pending.popFirst() {
      pending += reference.children
      guard reference.use == .variable, let field = reference.name.split(separator: ".").last,
        internalFields.contains(String(field))
      else { continue }
      findings.append(
        Finding(
          reference.location, .internalNote,
          "{{\(reference.name)}} is your own note: prepare with it, but do not paste it into a message "
            + "a client or prospect reads\(field == "why_now" ? " (referral.why_now_for_prospect speaks to the prospect)" : "")"
        ))
    }
    return findings
  }

  private static let greetings = [
    "hi ", "hello ", "dear ", "hey ", "good morning ", "good afternoon ", "good evening ",
  ]

  private static func greetingWithoutFallback(
    _ template: EmailTemplate, source: String, references: [DataReference], file: String
  ) -> [Finding] {
    guard !template.isFragment else { return [] }
    // The greeting is the body's first line with text; only tags on it count.
    let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
    var greetingLine = line(ofBody: source)
    while greetingLine <= lines.count, lines[greetingLine - 1].allSatisfy(\.isWhitespace) {
      greetingLine += 1
    }
    guard greetingLine <= lines.count,
      greetings.contains(where: { lines[greetingLine - 1].lowercased().hasPrefix($0) })
    else { return [] }
    return references.filter { $0.use == .variable && $0.location.line == greetingLine && $0.fallback == nil }
      .map {
        reference in
        Finding(
          reference.location, .greetingFallback,
          "the greeting needs a fallback, {{\(reference.name) | \"there\"}}: one contact without it stops the batch"
        )
      }
  }

  // MARK: Helpers

  private static func closing(_ characters: [Character], from start: Int) -> Int? {
    var index = start
    while index + 1 < characters.count {
      if characters[index] == "}", characters[index + 1] == "}" { return index }
      index += 1
    }
    return nil
  }

  private static func line(ofHeader name: String, in source: String) -> Int {
    let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
    return (lines.firstIndex { $0.lowercased().hasPrefix(name.lowercased() + ":") } ?? 0) + 1
  }

  private static func line(ofBody source: String) -> Int {
    let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
    guard let first = lines.first, first.contains(":"), !first.hasPrefix("{{") else { return 1 }
    return (lines.firstIndex { $0.isEmpty } ?? 0) + 2
  }

  private static func isInsideTag(_ line: String, at index: String.Index) -> Bool {
    let before = line[..<index]
    guard let open = before.range(of: "{{", options: .backwards) else { return false }
    return before[open.upperBound...].range(of: "}}") == nil
  }
}

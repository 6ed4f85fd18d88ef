import Foundation
public import IntroStore
public import IntroTemplates

/// The paragraph about the rep that a client pastes into an introduction
/// email (`intro blurb`), rendered from the `blurb` template for one referral.
public struct Blurb: Sendable, Equatable, Encodable {
  public var referral: Int64
  /// A subject line for the client's introduction email.
  public var subject: String
  /// The paragraph, plain UTF-8 text.
  public var text: String
  public var words: Int

  /// The most words a blurb should have: a client pastes it, a prospect skims it.
  public static let wordLimit = 120

  /// Renders the `blurb` template of `library` for referral `id`.
  public static func make(
    referral id: Int64, store: any ClientDirectory, config: IntroConfig, library: TemplateLibrary,
    today: Date = Date()
  ) throws(BlurbError) -> Blurb {
    let found: (Referral, Contact, Contact)
    do {
      guard let referral = try store.referral(id: id) else { throw BlurbError.noReferral(id) }
      guard let client = try store.contact(id: referral.introducerID),
        let prospect = try store.contact(id: referral.prospectID)
      else { throw BlurbError.noReferral(id) }
      found = (referral, client, prospect)
    } catch let error as StoreError {
      throw .store(error)
    } catch let error as BlurbError {
      throw error
    } catch {
      throw .noReferral(id)
    }
    guard let entry = library.entry(named: "blurb") else { throw .noTemplate }
    let context = SendContext(rep: config.rep, today: today).forReferral(
      found.0, introducer: found.1, prospect: found.2)
    let rendered: RenderedEmail
    do {
      rendered = try entry.template.render(context, partials: library, options: RenderOptions(strict: true))
    } catch {
      throw .render(Self.explain(error, file: config.file))
    }
    let text = rendered.body.trimmingCharacters(in: .whitespacesAndNewlines)
    return Blurb(
      referral: id, subject: rendered.header("Subject") ?? "", text: text, words: Self.wordCount(text))
  }

  /// Words as a reader counts them: runs of letters or digits, with what joins them ("Marie-Anne", "don't").
  public static func wordCount(_ text: String) -> Int {
    text.split(whereSeparator: { $0.isWhitespace || $0 == "\u{2014}" || $0 == "\u{2013}" }).filter {
      $0.contains(where: { $0.isLetter || $0.isNumber })
    }.count
  }

  private static func explain(_ error: RenderError, file: String?) -> String {
    guard case .missingValues(let values) = error else { return "\(error)" }
    return values.map { value in
      "\(value.location): {{\(value.name)}} has no value; \(IntroConfig.fix(forMissing: value.name, file: file))"
    }.joined(separator: "\n")
  }
}

/// Why `intro blurb` could not make the paragraph.
public enum BlurbError: Error, Sendable, CustomStringConvertible {
  case noReferral(Int64)
  case noTemplate
  case render(String)
  case store(StoreError)

  public var description: String {
    switch self {
    case .noReferral(let id): "no referral \(id); see 'intro referral list'"
    case .noTemplate: "no template named blurb; see 'intro templates list'"
    case .render(let text): text + "\nnothing was printed"
    case .store(let error): error.description
    }
  }
}

import IntroTemplates
import Testing

/// Input nested far deeper than any email, as a hostile or broken file would
/// be: an error at a line and column, never a crash.
@Suite("Templates nested thousands deep")
struct DeepInputTests {
  /// A source nested thousands deep, named briefly for the test log.
  struct Deep: Sendable, CustomTestStringConvertible {
    let testDescription: String
    let source: String

    init(_ open: String, close: String, count: Int, separator: String = "") {
      testDescription = "\(count) × \(open)"
      source =
        String(repeating: open + separator, count: count) + "x"
        + String(repeating: close, count: close.isEmpty ? 0 : count)
    }
  }

  @Test(arguments: [
    Deep("{{#a}}", close: "{{/a}}", count: 7_000),
    Deep("{{^a}}", close: "{{/a}}", count: 7_000),
    Deep("{{<p}}", close: "{{/p}}", count: 7_000),
    Deep("{{$b}}", close: "{{/b}}", count: 7_000),
    Deep("{{#a}}", close: "", count: 10_000, separator: "\n"),
  ])
  func deepNestingIsAnErrorAtTheFirstTagTooDeep(_ deep: Deep) {
    do {
      _ = try Template(deep.source, name: "deep.mustache")
      Issue.record("a template nested thousands deep was accepted")
    } catch {
      #expect(error.kind == .tooDeep)
      #expect(error.location.file == "deep.mustache")
      // The 101st opening tag: column 601 on one line, or line 101.
      #expect(error.location.column == 601 || error.location.line == 101, "\(error.location)")
      #expect(error.description.count < 600, "the error shows the whole 40 KB line")
    }
  }

  @Test func aHundredNestedSectionsStillRender() throws {
    let source = String(repeating: "{{#a}}", count: 100) + "deep" + String(repeating: "{{/a}}", count: 100)
    #expect(try Template(source).render(["a": true]) == "deep")
  }

  @Test func aPartialRecursingInsideManySectionsStopsWithAnError() throws {
    // Each level is 99 sections and the partial again: 100 levels would be 9,900 frames.
    let partial = String(repeating: "{{#a}}", count: 99) + "{{>p}}" + String(repeating: "{{/a}}", count: 99)
    let template = try Template("{{>p}}", name: "t.mustache")
    let partials = PartialSet(["p": try Template(partial, name: "p.mustache")])

    #expect {
      _ = try template.render(["a": true], partials: partials)
    } throws: { error in
      guard case .syntax(let syntax) = error as? RenderError else { return false }
      return syntax.kind == .tooDeep && syntax.location.file == "p.mustache"
    }
  }
}

import IntroTemplates
import Testing

@Suite("Strict rendering, fallbacks and escaping")
struct StrictRenderingTests {
  @Test func everyMissingValueIsReportedWithItsExactPosition() throws {
    let template = try Template(
      "Hi {{client.first_name}},\n\nabout {{prospect.company}}:\n  {{referral.why_now}} and {{ok}}\n",
      name: "ask.mustache")

    #expect(throws: RenderError.self) { try template.render(["ok": "fine"]) }
    do {
      _ = try template.render(["ok": "fine", "client": ["first_name": "  "], "referral": ["why_now": nil]])
    } catch {
      guard case .missingValues(let values) = error else {
        Issue.record("unexpected \(error)")
        return
      }
      #expect(values.map(\.name) == ["client.first_name", "prospect.company", "referral.why_now"])
      #expect(values.map(\.reason) == [.blank, .missing, .null])
      #expect(
        values.map(\.location.description) == ["ask.mustache:1:4", "ask.mustache:3:7", "ask.mustache:4:3"])
      #expect(error.description.contains("ask.mustache:3:7: error: {{prospect.company}} has no value"))
    }
  }

  @Test func sectionOverAMissingKeyIsSimplyFalse() throws {
    let template = try Template(
      "{{#referral.problems}}- {{.}}\n{{/referral.problems}}{{^client}}no client{{/client}}")
    #expect(try template.render([:]) == "no client")
    #expect(
      try template.render(["referral": ["problems": ["slow quotes", "churn"]], "client": ["x": 1]])
        == "- slow quotes\n- churn\n")
  }

  @Test func blankStringIsAFalseSection() throws {
    let template = try Template("{{#name}}Hi {{name}},{{/name}}{{^name}}Hello,{{/name}}")
    #expect(try template.render(["name": " "]) == "Hello,")
    #expect(try template.render(["name": "Chris"]) == "Hi Chris,")
  }

  @Test func fallbackFillsMissingAndBlankValuesInStrictMode() throws {
    let template = try Template(#"Hi {{client.first_name | "there"}}! {{note | "say \"hi\" \\ bye"}}"#)
    #expect(try template.render([:]) == #"Hi there! say "hi" \ bye"#)
    #expect(try template.render(["client": ["first_name": ""], "note": "x"]) == "Hi there! x")
    #expect(try template.render(["client": ["first_name": "Chris"], "note": "x"]) == "Hi Chris! x")
  }

  @Test(arguments: [#"{{a | there}}"#, #"{{a | "there}}"#, #"{{a |}}"#, #"{{ | "x"}}"#, #"{{a | "x" "y"}}"#])
  func malformedFallbackIsAParseErrorAtTheTag(_ source: String) {
    do {
      _ = try Template("line one\nsay " + source, name: "t")
      Issue.record("accepted \(source)")
    } catch {
      #expect(error.kind == .badFallback)
      #expect(error.location.line == 2 && error.location.column == 5)
    }
  }

  @Test func lenientModeRendersMissingAsEmpty() throws {
    let template = try Template("[{{a}}][{{b.c}}][{{d}}]")
    #expect(try template.render(["d": " "], options: .lenient) == "[][][ ]")
  }

  @Test func textModeNeverEscapesAndHTMLModeDoes() throws {
    let template = try Template("{{company}} | {{{company}}} | {{& company}}")
    let context: TemplateValue = ["company": "Smith & Sons <\"Ltd\">"]
    #expect(
      try template.render(context)
        == "Smith & Sons <\"Ltd\"> | Smith & Sons <\"Ltd\"> | Smith & Sons <\"Ltd\">")
    #expect(
      try template.render(context, options: RenderOptions(html: true))
        == "Smith &amp; Sons &lt;&quot;Ltd&quot;&gt; | Smith & Sons <\"Ltd\"> | Smith & Sons <\"Ltd\">")
  }

  @Test func numbersPrintAsWritten() throws {
    let template = try Template("{{a}} {{b}} {{c}} {{d}}")
    let context = try TemplateValue(json: #"{"a": 85, "b": 1.21, "c": 85.0, "d": -0.5}"#)
    #expect(try template.render(context) == "85 1.21 85 -0.5")
  }

  @Test func listOrObjectInATextTagIsAStrictError() throws {
    let template = try Template("{{problems}}")
    #expect(throws: RenderError.self) { try template.render(["problems": ["a"]]) }
  }
}

@Suite("Template syntax errors")
struct TemplateSyntaxErrorTests {
  @Test(arguments: [
    (
      "Hi\n{{#a}}\n  {{#b}}x{{/b}}\n", TemplateSyntaxError.Kind.unclosedSection, 2, 1,
      "{{#a}} is never closed"
    ),
    ("{{#a}}\n{{#b}}\n{{/a}}\n{{/b}}", .mismatchedClose, 3, 1, "{{/a}} does not match {{#b}} opened at 2:1"),
    ("ok\n  {{/a}}", .unexpectedClose, 2, 3, "closes nothing"),
    ("x {{= | =}}", .badDelimiter, 1, 3, "exactly two delimiters"),
    ("Dear {{client.name\nrest", .unclosedTag, 1, 6, "never closed"),
    ("a {{{b}}", .unclosedTag, 1, 3, "never closed"),
    ("é {{ }}", .emptyTag, 1, 3, "no name"),
  ])
  func errorPointsAtTheOffendingTag(
    source: String, kind: TemplateSyntaxError.Kind, line: Int, column: Int, words: String
  ) {
    do {
      _ = try Template(source, name: "t.mustache")
      Issue.record("accepted \(source.debugDescription)")
    } catch {
      #expect(error.kind == kind)
      #expect(error.location == SourceLocation(file: "t.mustache", line: line, column: column), "\(error)")
      #expect(error.message.contains(words), "\(error)")
      #expect(!error.hint.isEmpty)
      #expect(error.description.hasPrefix("t.mustache:\(line):\(column): error:"))
    }
  }

  @Test func unknownPartialIsAnErrorAtItsTagInStrictMode() throws {
    let template = try Template("Hello\n  {{> signature}}\n", name: "t.mustache")
    do {
      _ = try template.render([:], partials: PartialSet([:]))
      Issue.record("rendered an unknown partial")
    } catch {
      guard case .syntax(let syntax) = error else {
        Issue.record("unexpected \(error)")
        return
      }
      #expect(syntax.kind == .unknownPartial)
      #expect(syntax.location.line == 2 && syntax.location.column == 3)
      #expect(syntax.lineText == "  {{> signature}}")
    }
    #expect(try template.render([:], partials: PartialSet([:]), options: .lenient) == "Hello\n")
  }

  @Test func runawayPartialRecursionIsCapped() throws {
    let partials = try PartialSet(sources: ["loop": "x{{> loop}}"])
    let template = try Template("{{> loop}}", name: "t")
    do {
      _ = try template.render([:], partials: partials)
      Issue.record("rendered endless recursion")
    } catch {
      guard case .syntax(let syntax) = error else {
        Issue.record("unexpected \(error)")
        return
      }
      #expect(syntax.kind == .partialRecursion)
    }
  }

  @Test func recursionThatEndsIsFine() throws {
    let partials = try PartialSet(sources: ["node": "{{name}}{{#kids}}({{> node}}){{/kids}}"])
    let template = try Template("{{> node}}")
    let tree: TemplateValue = ["name": "a", "kids": [["name": "b", "kids": [["name": "c", "kids": []]]]]]
    #expect(try template.render(tree, partials: partials) == "a(b(c))")
  }
}

@Suite("Email templates")
struct EmailTemplateTests {
  static let source = """
    Subject: Thank you, {{client.first_name}}
    To: {{client.email}}
    Intro-Description: Thank a client for an introduction
    Intro-Audience: client

    Hi {{client.first_name}},
    thanks for introducing me to {{prospect.name}}.

    """

  @Test func headersAreTemplatesAndMetadataIsNeverSent() throws {
    let template = try EmailTemplate(Self.source, name: "thanks.mustache")
    let email = try template.render([
      "client": ["first_name": "Chris", "email": "chris@example.com"], "prospect": ["name": "Pat"],
    ])
    #expect(email.headers.map(\.0) == ["Subject", "To"])
    #expect(email.header("Subject") == "Thank you, Chris")
    #expect(email.body == "Hi Chris,\nthanks for introducing me to Pat.\n")
    #expect(template.metadata["Audience"] == "client")
    #expect(!email.text.contains("Intro-"))
  }

  @Test func errorsInHeadersAndBodyPointAtTheFileLines() throws {
    let template = try EmailTemplate(Self.source, name: "thanks.mustache")
    do {
      _ = try template.render([:])
    } catch {
      guard case .missingValues(let values) = error else { return }
      #expect(
        values.map(\.location.description) == [
          "thanks.mustache:1:21", "thanks.mustache:2:5", "thanks.mustache:6:4", "thanks.mustache:7:30",
        ])
    }
  }

  @Test func syntaxErrorInTheBodyHasItsFileLine() {
    do {
      _ = try EmailTemplate("Subject: hi\n\nline\n{{#x}}\n", name: "e")
      Issue.record("accepted an unclosed section")
    } catch {
      #expect(error.location.line == 4)
    }
  }

  @Test func fileWithoutHeadersIsAFragment() throws {
    let template = try EmailTemplate("Dear {{name}}:\n\nbody", name: "f")
    #expect(template.isFragment)
    #expect(try template.render(["name": "Pat"]).body == "Dear Pat:\n\nbody")
  }

  @Test func unknownHeaderInTheBlockIsAnError() {
    do {
      _ = try EmailTemplate("Subject: hi\nX-Mailer: me\n\nbody", name: "e")
      Issue.record("accepted an unknown header")
    } catch {
      #expect(error.kind == .badHeader)
      #expect(error.location.line == 2)
    }
  }

  @Test func crlfFilesWork() throws {
    let template = try EmailTemplate("Subject: {{s}}\r\n\r\nHi\r\n", name: "e")
    #expect(try template.render(["s": "x"]).body == "Hi\r\n")
  }
}

@Suite("Scale")
struct ScaleTests {
  @Test(.timeLimit(.minutes(1)))
  func aMegabyteTemplateOnOneLineAndAHundredThousandItemsRender() throws {
    let piece = "{{a}} and some text "
    let big = String(repeating: piece, count: 1_048_576 / piece.utf8.count)
    let template = try Template(big)
    let output = try template.render(["a": "x"])
    #expect(output.utf8.count == big.utf8.count - (big.utf8.count / piece.utf8.count) * 4)

    let list = try Template("{{#items}}{{name}},{{/items}}")
    let items = TemplateValue.list((0..<100_000).map { ["name": .string("n\($0)")] })
    let rendered = try list.render(["items": items])
    #expect(rendered.hasPrefix("n0,n1,") && rendered.hasSuffix("n99999,"))
  }
}

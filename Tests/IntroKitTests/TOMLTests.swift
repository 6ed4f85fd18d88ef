import IntroKit
import Testing

@Suite("TOML")
struct TOMLTests {
  @Test func readsTheShapesAConfigUses() throws {
    let table = try TOML.parse(
      #"""
      # comment
      version = 1
      title = "Rep's \"notes\"\tand \u00E9"
      path = 'C:\Users\rep'
      bio = """
      Line one \
        continued
      Line two"""
      raw = '''
      no \escapes'''
      big = 1_000_000
      hex = 0xff
      ratio = 0.5
      exp = 1e3
      on = true
      when = 2026-11-23
      at = 1979-05-27T07:32:00Z
      list = [1, 2,
        3, ] # trailing comma
      inline = { a = 1, "b c" = "x" }
      a.b.c = "dotted"

      [smtp]
      url = "smtp://mail.example.com:587"

      [[reminders]]
      name = "first"
      [[reminders]]
      name = "second"
      [reminders.when]
      days = 3
      """#)
    #expect(table["version"] == .integer(1))
    #expect(table["title"] == .string("Rep's \"notes\"\tand \u{E9}"))
    #expect(table["path"] == .string(#"C:\Users\rep"#))
    #expect(table["bio"] == .string("Line one continued\nLine two"))
    #expect(table["raw"] == .string(#"no \escapes"#))
    #expect(table["big"] == .integer(1_000_000))
    #expect(table["hex"] == .integer(255))
    #expect(table["ratio"] == .float(0.5))
    #expect(table["exp"] == .float(1000))
    #expect(table["on"] == .bool(true))
    #expect(table["when"] == .dateTime("2026-11-23"))
    #expect(table["at"] == .dateTime("1979-05-27T07:32:00Z"))
    #expect(table["list"] == .array([.integer(1), .integer(2), .integer(3)]))
    guard case .table(let inline)? = table["inline"] else {
      Issue.record("no inline table")
      return
    }
    #expect(inline["b c"] == .string("x"))
    guard case .table(let a)? = table["a"], case .table(let b)? = a["b"] else {
      Issue.record("no a.b")
      return
    }
    #expect(b["c"] == .string("dotted"))
    guard case .array(let reminders)? = table["reminders"] else {
      Issue.record("no reminders")
      return
    }
    #expect(reminders.count == 2)
    guard case .table(let second) = reminders[1], case .table(let when)? = second["when"] else {
      Issue.record("no reminders[1].when")
      return
    }
    #expect(when["days"] == .integer(3))
    #expect(table.position(of: "smtp") == TOMLPosition(line: 23, column: 1))
  }

  @Test(arguments: [
    ("a = 1\na = 2", 2, 1, "already defined"),
    ("[x]\n[x]", 2, 1, "defined twice"),
    ("name = rep", 1, 8, "strings need quotes"),
    ("s = \"open", 1, 5, "no closing"),
    ("a = 1 b = 2", 1, 7, "one key = value per line"),
    ("a = [1, 2", 1, 10, "expected"),
    ("a = \"\\q\"", 1, 6, "unknown escape"),
    ("n = 012", 1, 5, "not a valid value"),
    ("= 3", 1, 1, "expected a key"),
  ])
  func errorsPointAtTheProblem(_ text: String, _ line: Int, _ column: Int, _ words: String) {
    do {
      _ = try TOML.parse(text)
      Issue.record("accepted \(text)")
    } catch {
      #expect(error.position == TOMLPosition(line: line, column: column), "\(error)")
      #expect(error.message.contains(words), "\(error)")
    }
  }
}

@Suite("TOML nested thousands deep")
struct DeepTOMLTests {
  /// A document nested thousands deep, named briefly for the test log.
  struct Deep: Sendable, CustomTestStringConvertible {
    let testDescription: String
    let source: String
    /// Where the error points: the first opening past the limit.
    let column: Int
  }

  @Test(arguments: [
    Deep(
      testDescription: "20,000 nested arrays",
      source: "a = " + String(repeating: "[", count: 20_000) + String(repeating: "]", count: 20_000),
      column: 105),
    Deep(
      testDescription: "50,000 nested inline tables",
      source: "a = " + String(repeating: "{b = ", count: 50_000) + "1"
        + String(repeating: "}", count: 50_000),
      column: 505),
    Deep(
      testDescription: "a 50,000-part dotted key",
      source: Array(repeating: "k", count: 50_000).joined(separator: ".") + " = 1", column: 1),
  ])
  func deepNestingIsAnErrorAtItsPosition(_ deep: Deep) {
    #expect {
      _ = try TOML.parse(deep.source)
    } throws: { error in
      guard let error = error as? TOMLError else { return false }
      return error.position.line == 1 && error.position.column == deep.column && error.message.contains("100")
    }
  }

  @Test func arraysNestedAHundredDeepAreRead() throws {
    let table = try TOML.parse(
      "a = " + String(repeating: "[", count: 100) + String(repeating: "]", count: 100))
    #expect(table["a"] != nil)
  }
}

import Foundation
import IntroTemplates
import TestSupport
import Testing

/// Every case of the official Mustache spec (core files, inheritance, dynamic
/// names), rendered leniently in HTML mode as the spec expects.
@Suite("Mustache spec")
struct MustacheSpecTests {
  struct SpecCase: Sendable, CustomTestStringConvertible {
    let file: String
    let name: String
    let template: String
    let data: TemplateValue
    let partials: [String: String]
    let expected: String
    var testDescription: String { "\(file): \(name)" }
  }

  static let files = [
    "comments", "delimiters", "interpolation", "inverted", "partials", "sections", "~inheritance",
    "~dynamic-names",
  ]

  static func loadCases() throws -> [SpecCase] {
    var cases: [SpecCase] = []
    for file in files {
      let path = TestFiles.repository.appendingPathComponent(
        "Tests/IntroTemplatesTests/MustacheSpec/\(file).json"
      ).path
      let text = try String(contentsOfFile: path, encoding: .utf8)
      guard case .object(let root) = try TemplateValue(json: text), case .list(let tests)? = root["tests"]
      else {
        throw TestEnvironmentError("\(path) is not a Mustache spec file")
      }
      for test in tests {
        guard case .object(let fields) = test, case .string(let name)? = fields["name"],
          case .string(let template)? = fields["template"], case .string(let expected)? = fields["expected"]
        else { throw TestEnvironmentError("a case in \(path) lacks name, template or expected") }
        var partials: [String: String] = [:]
        if case .object(let object)? = fields["partials"] {
          for (key, value) in zip(object.keys, object.values) {
            if case .string(let source) = value { partials[key] = source }
          }
        }
        cases.append(
          SpecCase(
            file: file, name: name, template: template, data: fields["data"] ?? .null, partials: partials,
            expected: expected))
      }
    }
    return cases
  }

  @Test func everySpecCasePasses() throws {
    let cases = try Self.loadCases()
    #expect(cases.count == 184)
    var failures: [String] = []
    for spec in cases {
      do {
        let template = try Template(spec.template, name: spec.name)
        let partials = try PartialSet(sources: spec.partials)
        let output = try template.render(
          spec.data, partials: partials, options: RenderOptions(strict: false, html: true))
        if output != spec.expected {
          failures.append(
            "\(spec.testDescription): expected \(spec.expected.debugDescription), got \(output.debugDescription)"
          )
        }
      } catch {
        failures.append("\(spec.testDescription): \(error)")
      }
    }
    #expect(
      failures.isEmpty,
      "\(failures.count) of \(cases.count) spec cases fail:\n\(failures.joined(separator: "\n"))")
  }
}

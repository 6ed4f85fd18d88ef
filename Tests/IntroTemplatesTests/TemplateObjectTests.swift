import IntroTemplates
import Testing

@Suite("Template objects: keys in order, a later duplicate wins")
struct TemplateObjectTests {
  /// Small objects find duplicates by scanning, big ones through a
  /// dictionary: both keep the first position and the last value.
  @Test(arguments: [3, 40])
  func aLaterDuplicateKeyReplacesTheEarlierValueInItsPlace(_ count: Int) {
    var pairs: [(String, TemplateValue)] = (0..<count).map { ("k\($0)", .string("first \($0)")) }
    pairs.append(("k1", .string("second 1")))
    pairs.append(("k\(count - 1)", .string("second last")))
    let object = TemplateObject(pairs)

    #expect(object.keys == (0..<count).map { "k\($0)" })
    #expect(object["k1"] == .string("second 1"))
    #expect(object["k\(count - 1)"] == .string("second last"))
    #expect(object["k0"] == .string("first 0"))
    #expect(object["missing"] == nil)
  }
}

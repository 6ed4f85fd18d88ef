import IntroKit
import Testing

@testable import IntroStore

@Suite("--clients --where: which clients a filter keeps")
struct ContactFilterTests {
  let chris = Contact(
    id: 1, email: "chris@example.com", name: "Chris Client", firstName: "Chris", lastName: nil,
    company: "Smith & Sons", title: "Director of Sales", phone: nil, timeZone: nil, notes: nil,
    isClient: true,
    clientSince: "2024-03-01", satisfaction: 9, saleClosedOn: nil, isProspect: false, doNotContact: false)

  @Test(arguments: [
    ("satisfaction>=9", true), ("satisfaction>9", false), ("satisfaction<=8", false),
    ("satisfaction<10", true),
    ("satisfaction=9", true), ("satisfaction!=9", false), ("company=smith & sons", true),
    ("title~director", true), ("title~intern", false), ("client_since<2025-01-01", true),
    ("sale_closed_on!=2024-01-01", true), ("phone=555", false), ("prospect=no", true),
  ])
  func keepsExactlyTheMatchingClients(_ expression: String, _ kept: Bool) throws {
    #expect(try ContactFilter(expression).matches(chris) == kept, "\(expression)")
  }

  @Test func aFilterWithoutAComparisonOrOnAnUnknownFieldSaysWhatIsAllowed() {
    #expect(throws: AudienceError.self) { try ContactFilter("satisfaction") }
    do {
      _ = try ContactFilter("shoe_size>=42")
      Issue.record("an unknown field was accepted")
    } catch {
      #expect(error.description.contains("not a contact field"))
      #expect(error.description.contains("satisfaction"))
    }
  }
}

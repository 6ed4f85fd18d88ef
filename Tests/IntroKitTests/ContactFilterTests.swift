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
      _ = try ContactFilter("sh@e>=42")
      Issue.record("a field name with an @ was accepted")
    } catch {
      #expect(error.description.contains("not a field name"))
      #expect(error.description.contains("satisfaction"))
    }
  }

  @Test(arguments: [
    ("satisfaction>=high", "satisfaction is a number, and 'high' is not"),
    ("satisfaction<ten", "satisfaction is a number"),
    ("client_since>=last year", "client_since is a date"),
    ("company>5", "company is text, so > cannot compare it with the number 5"),
  ])
  func comparingANumberWithANonNumberIsAUsageError(_ expression: String, _ message: String) {
    do {
      _ = try ContactFilter(expression)
      Issue.record("\(expression) was accepted")
    } catch {
      #expect(error.isUsage)
      #expect(error.description.contains(message), "\(error)")
    }
  }

  @Test func aCustomFieldFiltersByItsValueAndANonNumberValueIsAnError() throws {
    var logistics = chris
    logistics.customFields = ["Deal Size": "120", "industry": "logistics"]
    var vague = chris
    vague.customFields = ["Deal Size": "big"]
    #expect(try ContactFilter("industry=Logistics").matches(logistics))
    #expect(try ContactFilter("deal_size>=100").matches(logistics))
    #expect(try !ContactFilter("deal_size>=200").matches(logistics))
    #expect(try !ContactFilter("industry=logistics").matches(chris))
    #expect(throws: AudienceError.self) { try ContactFilter("deal_size>=100").matches(vague) }
  }
}

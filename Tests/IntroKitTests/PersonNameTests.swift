import IntroKit
import Testing

@Suite("Names as CRMs write them: the first name a greeting uses")
struct PersonNameTests {
  @Test(arguments: [
    ("Jane Doe", "Jane", "Doe"),
    ("Doe, Jane", "Jane", "Doe"),
    ("van der Berg, Pieter", "Pieter", "van der Berg"),
    ("Pieter van der Berg", "Pieter", "van der Berg"),
    ("Lefèvre, Marie-Anne", "Marie-Anne", "Lefèvre"),
    ("  O'Neil ,  Chris  ", "Chris", "O'Neil"),
    ("Dr. Ana Ruiz", "Ana", "Ruiz"),
    ("Ruiz, Dr. Ana", "Ana", "Ruiz"),
    ("John Smith, Jr.", "John", "Smith"),
    ("García López, María José", "María", "García López"),
    ("Zoë Ünal", "Zoë", "Ünal"),
    ("山田 太郎", "山田", "太郎"),
  ])
  func aFullNameSplitsIntoFirstAndLast(full: String, first: String, last: String) {
    let name = PersonName(full)
    #expect(name.first == first, "\(full)")
    #expect(name.last == last, "\(full)")
  }

  @Test func aSingleNameIsAFirstNameAndNothingIsNothing() {
    #expect(PersonName("Madonna") == PersonName(first: "Madonna", last: nil))
    #expect(PersonName("Dr.") == PersonName(first: "Dr.", last: nil))
    #expect(PersonName("  ").first == nil)
  }

  @Test func noGreetingNameEverEndsWithAComma() {
    for full in ["Lefèvre, Marie", "Doe,Jane", "Smith , J.", "Doe, Jane, PhD"] {
      let first = PersonName(full).first ?? ""
      #expect(!first.contains(","), "\(full) → \(first)")
      #expect(!first.isEmpty)
    }
  }
}

import Foundation
import IntroKit
import IntroStore
import TestSupport
import Testing

@Suite("CSV import of a CRM export")
struct ContactImportTests {
  /// A store and a folder for CSV files, both removed afterwards.
  struct Fixture {
    let dir: TemporaryDirectory
    let store: Store

    init() throws {
      dir = try TemporaryDirectory()
      store = try Store(path: dir.file("intro.sqlite"))
    }

    func csv(_ bytes: [UInt8], name: String = "export.csv") throws -> String {
      let path = dir.file(name)
      try Data(bytes).write(to: URL(fileURLWithPath: path))
      return path
    }

    func csv(_ text: String) throws -> String { try csv(Array(text.utf8)) }
  }

  @Test func bomQuotedNewlinesEscapedQuotesAndCRLF() throws {
    let fixture = try Fixture()
    defer { fixture.dir.remove() }
    let text =
      "\u{FEFF}E-mail Address,Full Name,Company,Notes,Client,Satisfaction\r\n"
      + "chris@example.com,Chris Client,\"Smith, Jones & Co\",\"Said \"\"yes\"\"\r\nto an intro\",yes,9\r\n"
      + "pat@example.com,Pat Prospect,Northwind,,,\r\n"

    let report = try ContactImport.run(path: try fixture.csv(text), into: fixture.store)

    #expect(report.added == 2 && report.rejected.isEmpty)
    let chris = try #require(try fixture.store.contact(normalizedEmail: "chris@example.com"))
    #expect(chris.company == "Smith, Jones & Co")
    #expect(chris.notes == "Said \"yes\"\r\nto an intro")
    #expect(chris.isClient && chris.satisfaction == 9 && chris.firstName == "Chris")
  }

  @Test func semicolonsAreDetectedAndSecondImportUpdatesOrLeavesAlone() throws {
    let fixture = try Fixture()
    defer { fixture.dir.remove() }
    _ = try ContactImport.run(
      path: try fixture.csv("email;name\na@example.com;Ann\nb@example.com;Bob\n"), into: fixture.store)

    let report = try ContactImport.run(
      path: try fixture.csv("email;name\nA@EXAMPLE.com;Ann\nb@example.com;Robert\nc@example.com;Cy\n", ),
      into: fixture.store)

    #expect((report.added, report.updated, report.unchanged) == (1, 1, 1))
    #expect(try fixture.store.contact(normalizedEmail: "b@example.com")?.name == "Robert")
  }

  @Test(arguments: [
    ("email,name,Email\na@example.com,A,x\n", 1, "name the same column"),
    ("email,name\na@example.com,A\nb@example.com\n", 3, "has 1 fields; the header has 2"),
    ("email,name\na@example.com,A\nb@example.com,\"open\nc@example.com,C\n", 3, "never closed"),
    ("name,company\nA,B\n", 1, "no email column"),
  ])
  func brokenFileNamesTheLineAndWritesNothing(_ text: String, _ line: Int, _ words: String) throws {
    let fixture = try Fixture()
    defer { fixture.dir.remove() }
    do {
      _ = try ContactImport.run(path: try fixture.csv(text), into: fixture.store)
      Issue.record("imported a broken file")
    } catch let error as CSVError {
      #expect(error.line == line, "\(error)")
      #expect(error.message.contains(words), "\(error)")
    }
    #expect(try fixture.store.contacts().isEmpty)
  }

  @Test func latin1NeedsItsEncodingAndIsNeverReplacementCharacters() throws {
    let fixture = try Fixture()
    defer { fixture.dir.remove() }
    // "email,name\nj@example.com,Jürgen Müller\n" in Windows-1252, with a euro sign in the notes.
    var bytes = Array("email,name,notes\nj@example.com,J".utf8) + [0xFC] + Array("rgen M".utf8) + [0xFC]
    bytes += Array("ller,costs 5".utf8) + [0x80] + [0x0A]
    let path = try fixture.csv(bytes)

    do {
      _ = try ContactImport.run(path: path, into: fixture.store)
      Issue.record("read Windows-1252 as UTF-8")
    } catch let error as CSVError {
      #expect(error.line == 2)
      #expect(error.message.contains("--encoding windows-1252"))
    }
    #expect(try fixture.store.contacts().isEmpty)

    _ = try ContactImport.run(path: path, into: fixture.store, encoding: .windows1252)
    let jurgen = try #require(try fixture.store.contact(normalizedEmail: "j@example.com"))
    #expect(jurgen.name == "Jürgen Müller")
    #expect(jurgen.notes == "costs 5€")
  }

  @Test func badRowsAreRejectedWithTheirLinesAndTheRestLands() throws {
    let fixture = try Fixture()
    defer { fixture.dir.remove() }
    let text =
      "email,name,satisfaction\nok@example.com,Ok,7\nnot an address,X,\nsad@example.com,Sad,11\n,Nobody,\n"

    let report = try ContactImport.run(path: try fixture.csv(text), into: fixture.store)

    #expect(report.added == 1)
    #expect(report.rejected.map(\.line) == [3, 4, 5])
    #expect(report.rejected[1].reason.contains("1 to 10"))
  }

  @Test func mappingNamesAColumnTheAliasesDoNotKnow() throws {
    let fixture = try Fixture()
    defer { fixture.dir.remove() }
    let report = try ContactImport.run(
      path: try fixture.csv("Primary Contact Mail,Who\nm@example.com,Mo\n"), into: fixture.store,
      mapping: ["email": "primary contact mail", "name": "Who"])
    #expect(report.added == 1)
    #expect(try fixture.store.contact(normalizedEmail: "m@example.com")?.name == "Mo")
  }

  @Test func reimportingAForgottenAddressLeavesItSuppressed() throws {
    let fixture = try Fixture()
    defer { fixture.dir.remove() }
    let path = try fixture.csv("email,name\ngone@example.com,Gone\n")
    _ = try ContactImport.run(path: path, into: fixture.store)
    _ = try fixture.store.forget(normalizedEmail: "gone@example.com")

    _ = try ContactImport.run(path: path, into: fixture.store)

    #expect(try fixture.store.contact(normalizedEmail: "gone@example.com")?.doNotContact == true)
  }
}

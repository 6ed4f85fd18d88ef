import Foundation
import IntroStore
import TestSupport
import Testing

@Suite("The store: a real SQLite file")
struct StoreTests {
  @Test func newStoreIsMigratedAndHealthy() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let store = try Store(path: dir.file("data/intro.sqlite"))
    #expect(
      try store.appliedMigrations() == [
        "v1-contacts-referrals-messages", "v2-store-settings", "v3-delivery-journal", "v4-reminders",
        "v5-checks-without-in-lists", "v6-sent-by-contact",
        "v7-stage-changes-covering", "v8-rep",
      ])
    #expect(try store.integrityCheck() == ["ok"])
    _ = try store.addContact(ContactInput(email: "Chris@Example.com", normalizedEmail: "Chris@example.com"))

    let reopened = try Store(path: dir.file("data/intro.sqlite"))
    #expect(try reopened.contacts().map(\.email) == ["Chris@Example.com"])
  }

  @Test func filesAndFolderArePrivateWhateverTheUmask() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let old = umask(0o022)
    defer { umask(old) }
    let path = dir.file("nested/intro.sqlite")
    let store = try Store(path: path)
    _ = try store.addContact(ContactInput(email: "a@example.com", normalizedEmail: "a@example.com"))

    #expect(try mode(dir.file("nested")) == 0o700)
    for file in [path, path + "-wal", path + "-shm"] {
      #expect(try mode(file) == 0o600, "\(file)")
    }
  }

  @Test func storeOthersCanReadIsRefusedWithTheFix() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.file("intro.sqlite")
    _ = try Store(path: path)
    chmod(path, 0o644)
    do {
      _ = try Store(path: path)
      Issue.record("opened a store others can read")
    } catch {
      #expect(error.kind == .permissions)
      #expect(error.description.contains("chmod 600 \(path)"))
    }
  }

  @Test func schemaRefusesImpossibleRows() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let store = try Store(path: dir.file("intro.sqlite"))
    var client = ContactInput(email: "c@example.com", normalizedEmail: "c@example.com")
    client.isClient = true
    let chris = try store.addContact(client)

    #expect(throws: StoreError.self) { try store.addContact(client) }
    var unhappy = ContactInput(email: "u@example.com", normalizedEmail: "u@example.com")
    unhappy.satisfaction = 11
    #expect(throws: StoreError.self) { try store.addContact(unhappy) }
    #expect(throws: StoreError.self) {
      try store.addReferral(ReferralInput(introducerID: chris.id, prospectID: chris.id))
    }
    #expect(throws: StoreError.self) {
      try store.addReferral(ReferralInput(introducerID: chris.id, prospectID: 999))
    }
  }

  @Test func referralKeepsItsIntelAndEveryStageChange() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let store = try Store(path: dir.file("intro.sqlite"))
    let chris = try store.addContact(ContactInput(email: "c@example.com", normalizedEmail: "c@example.com"))
    let pat = try store.addContact(ContactInput(email: "p@example.com", normalizedEmail: "p@example.com"))
    var input = ReferralInput(introducerID: chris.id, prospectID: pat.id)
    input.aboutProspect = "Runs sales ops at Northwind"
    input.whyMe = "Their quotes take a week"
    input.whyNow = "Opening a second office"
    input.howToIntroduce = "Email, both on it"
    input.promisedBy = "2026-12-01"
    input.problems = ["slow quotes", "manual reports"]
    let start = Date(timeIntervalSince1970: 1_795_000_000)

    let referral = try store.addReferral(input, now: start)
    _ = try store.setStage(referralID: referral.id, to: .promised, note: "said yes", now: start + 60)
    let moved = try store.setStage(referralID: referral.id, to: .introduced, now: start + 120)

    #expect(moved.stage == .introduced)
    #expect(moved.problems == ["slow quotes", "manual reports"])
    #expect(moved.whyNow == "Opening a second office")
    let history = try store.stageHistory(referralID: referral.id)
    #expect(history.map(\.to) == [.asked, .promised, .introduced])
    #expect(history.map(\.from) == [nil, .asked, .promised])
    #expect(history[1].note == "said yes")
    #expect(try store.contact(id: pat.id)?.isProspect == true)
    #expect(try store.referrals(stage: .introduced).map(\.id) == [referral.id])
  }

  private func mode(_ path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return (attributes[.posixPermissions] as? Int ?? 0) & 0o777
  }
}

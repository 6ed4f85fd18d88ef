import Foundation
import TestSupport
import Testing

@testable import IntroStore

@Suite("Forgetting and suppressing")
struct PrivacyTests {
  @Test func sha256AndHMACMatchTheStandardVectors() {
    #expect(
      SHA256.hex(SHA256.hash(Array("abc".utf8)))
        == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(SHA256.hex(SHA256.hash([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    // FIPS 180-2: a 56-byte message (its padding needs a second block) and a million a's.
    #expect(
      SHA256.hex(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
        == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    #expect(
      SHA256.hex(SHA256.hash([UInt8](repeating: 0x61, count: 1_000_000)))
        == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    #expect(
      SHA256.hex(SHA256.hmac(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8)))
        == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
  }

  @Test func forgottenPersonIsGoneFromEveryFileAndStaysSuppressed() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.file("intro.sqlite")
    let store = try Store(path: path)
    var client = ContactInput(email: "zelda.quux@example.com", normalizedEmail: "zelda.quux@example.com")
    client.name = "Zelda Quuxington"
    client.notes = "Prefers calls on Fridays"
    let zelda = try store.addContact(client)
    let pat = try store.addContact(ContactInput(email: "pat@example.com", normalizedEmail: "pat@example.com"))
    var referral = ReferralInput(introducerID: zelda.id, prospectID: pat.id)
    referral.aboutProspect = "Met Zelda Quuxington at a conference"
    _ = try store.addReferral(referral)

    let report = try store.forget(normalizedEmail: "zelda.quux@example.com")

    #expect(report == ForgetReport(contacts: 1, referrals: 1, messages: 0))
    for file in [path, path + "-wal", path + "-shm"] {
      guard let bytes = FileManager.default.contents(atPath: file) else { continue }
      for secret in ["zelda.quux@example.com", "Zelda Quuxington", "Prefers calls on Fridays", "Met Zelda"] {
        #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(secret) is still in \(file)")
      }
    }
    #expect(try store.isSuppressed(normalizedEmail: "zelda.quux@example.com"))
    #expect(try !store.isSuppressed(normalizedEmail: "pat@example.com"))
    let back = try store.addContact(client)
    #expect(back.doNotContact)
  }

  @Test func suppressMarksTheContactDoNotContact() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let store = try Store(path: dir.file("intro.sqlite"))
    _ = try store.addContact(ContactInput(email: "a@example.com", normalizedEmail: "a@example.com"))
    try store.suppress(normalizedEmail: "a@example.com")
    #expect(try store.contact(normalizedEmail: "a@example.com")?.doNotContact == true)
    #expect(try store.isSuppressed(normalizedEmail: "a@example.com"))
  }

  @Test func migratesAStoreMadeByTheFirstVersion() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.file("intro.sqlite")
    try Store.createAtFirstVersion(path: path)
    let store = try Store(path: path)
    #expect(try store.appliedMigrations().last == "v8-rep")
    #expect(try store.integrityCheck() == ["ok"])
  }
}

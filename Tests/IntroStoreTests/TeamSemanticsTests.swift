import Foundation
import TestSupport
import Testing

@testable import IntroStore

/// Two reps on one PostgreSQL store: what is shared, what is each rep's.
@Suite("A team store: contacts, suppressions and asks shared; referrals and reminders each rep's")
struct TeamSemanticsTests {
  let dana: PostgresStore
  let sam: PostgresStore
  static let now = Date(timeIntervalSince1970: 1_796_000_000)

  init() throws {
    let server = try PostgresServer.shared.get()
    let url = try server.newDatabase()
    dana = try PostgresStore(url: url, password: PostgresServer.password, rep: "dana@example.com")
    sam = try PostgresStore(url: url, password: PostgresServer.password, rep: "sam@example.com")
  }

  func client(_ email: String) throws -> Contact {
    var input = ContactInput(email: email, normalizedEmail: email)
    input.isClient = true
    return try dana.addContact(input, now: Self.now)
  }

  func ask(_ store: PostgresStore, to contact: Contact, key: String) throws -> Int64 {
    let batch = try store.recordBatch(template: "intro-request", command: "c", audience: "a", now: Self.now) {
      recorder in
      try recorder.add(
        NewMessage(
          recipient: contact.email, recipientKey: contact.email, sender: store.rep ?? "",
          messageID: "\(key)@x",
          idempotencyKey: key, template: "intro-request", subject: "s", body: [], contactID: contact.id,
          purpose: .ask))
      return true
    }
    return try #require(batch?.messageIDs.first)
  }

  @Test func anAskByOneRepCountsForEveryRepsFatigueGuard() throws {
    let ana = try client("ana@example.org")
    let id = try ask(dana, to: ana, key: "ask-1")
    let log = try dana.openDeliveryLog()
    _ = try dana.claim([id], bootID: "b", log: log)
    try log.append(
      .finished(
        id: id, state: .sent,
        attempt: AttemptRecord(startedAt: Self.now, finishedAt: Self.now, outcome: "delivered"),
        nextAttemptAt: nil, note: nil))

    #expect(
      try sam.asks(toContact: ana.id, since: Self.now.addingTimeInterval(-86_400), excluding: nil).count == 1)
    #expect(
      try sam.asks(toContacts: [ana.id], since: Self.now.addingTimeInterval(-86_400))[ana.id]?.count == 1)
    // The sent ask is a touch with the client, marked as Dana's.
    #expect(try sam.touches(contactID: ana.id).count == 1)
  }

  @Test func oneRepsContactsAndSuppressionsAreTheTeams() throws {
    let ana = try client("ana@example.org")
    try sam.suppress(normalizedEmail: "ana@example.org", reason: .optOut, now: Self.now)

    #expect(try sam.contact(normalizedEmail: "ana@example.org")?.id == ana.id)
    #expect(try dana.contact(id: ana.id)?.doNotContact == true)
    _ = try dana.recordBatch(template: "t", command: "c", audience: "a", now: Self.now) { recorder in
      let suppressed = try recorder.isSuppressed("ana@example.org")
      #expect(suppressed, "Dana's next batch sees Sam's opt-out")
      return false
    }
  }

  @Test func eachRepRemindsAboutTheirOwnReferralsAndAFiringIsTheTeamsOnce() throws {
    let ana = try client("ana@example.org")
    let ben = try client("ben@example.org")
    let pat = try dana.addContact(
      ContactInput(email: "pat@example.net", normalizedEmail: "pat@example.net"), now: Self.now)
    let danas = try dana.addReferral(
      ReferralInput(introducerID: ana.id, prospectID: pat.id), note: nil, now: Self.now)
    let sams = try sam.addReferral(
      ReferralInput(introducerID: ben.id, prospectID: pat.id), note: nil, now: Self.now)
    let key = FiringKey(rule: "check-in", subject: "contact:\(ana.id)", occurrence: "2026-12-01")
    let firing = NewFiring(key: key, dueAt: Self.now, late: false, message: nil)

    let byDana = try dana.recordFirings([firing], tasks: [], digest: nil, command: "remind", now: Self.now)
    let bySam = try sam.recordFirings([firing], tasks: [], digest: nil, command: "remind", now: Self.now)

    #expect(try dana.reminderFacts().referrals.map(\.id) == [danas.id])
    #expect(try sam.reminderFacts().referrals.map(\.id) == [sams.id])
    #expect(try sam.reminderFacts().clients.count == 2, "clients are the team's")
    #expect(byDana.fired == [key])
    #expect(bySam.fired.isEmpty, "the team's client is checked in with once")
    #expect(dana.pauseSetting != sam.pauseSetting)
    #expect(dana.digestSubject != sam.digestSubject)
    #expect(try sam.stageHistory(referralID: danas.id).count == 1, "a rep may read another's referral")
  }
}

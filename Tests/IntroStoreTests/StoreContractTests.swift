import Foundation
import TestSupport
import Testing

@testable import IntroStore

/// The two stores a rep can point intro at.
enum Backend: String, CaseIterable, CustomTestStringConvertible {
  case sqlite, postgres

  var testDescription: String { rawValue }

  /// A new, empty store of this kind, and how to remove it.
  func makeStore(rep: String? = nil) throws -> (store: any StoreContract, remove: () -> Void) {
    switch self {
    case .sqlite:
      let folder = try TemporaryDirectory()
      return (try Store(path: folder.file("intro.sqlite")), { folder.remove() })
    case .postgres:
      let server = try PostgresServer.shared.get()
      let store = try PostgresStore(
        url: try server.newDatabase(), password: PostgresServer.password, rep: rep)
      return (store, {})
    }
  }
}

/// One contract, two backends: every test runs against a real SQLite file and
/// a real PostgreSQL database (a throwaway cluster on 127.0.0.1), through the
/// same protocol (`StoreContract`), and expects the same answers.
@Suite("The store contract, on a SQLite file and on PostgreSQL")
struct StoreContractTests {
  static let now = Date(timeIntervalSince1970: 1_796_000_000)  // 2026-11-29T…Z

  func person(_ store: any StoreContract, _ email: String, name: String? = nil, client: Bool = true) throws
    -> Contact
  {
    var input = ContactInput(email: email, normalizedEmail: email.lowercased())
    input.name = name
    input.isClient = client
    return try store.addContact(input, now: Self.now)
  }

  func message(_ key: String, to recipient: String, contact: Int64? = nil, purpose: MessagePurpose? = nil)
    -> NewMessage
  {
    NewMessage(
      recipient: recipient, recipientKey: recipient, sender: "dana@example.com",
      messageID: "\(key)@example.com",
      idempotencyKey: key, template: "thank-you", subject: "Thanks", body: Array("Hello \(key)\r\n".utf8),
      contactID: contact, purpose: purpose)
  }

  @Test(arguments: Backend.allCases)
  func aContactIsAddedOnceAndFoundByAddressAndByTextNeverByPattern(_ backend: Backend) throws {
    let (store, remove) = try backend.makeStore()
    defer { remove() }
    let ana = try person(store, "ana@example.org", name: "Ana Ruiz")
    _ = try person(store, "zoe@example.org", name: "Zoë O'Brien")
    _ = try person(store, "pat_100%@example.net", name: "Pat", client: false)

    #expect(throws: StoreError.self) { _ = try person(store, "ana@example.org", name: "Again") }
    #expect(try store.contact(normalizedEmail: "ana@example.org") == ana)
    #expect(try store.contact(id: ana.id) == ana)
    #expect(
      try store.contacts(clientsOnly: false, search: nil).map(\.name) == ["Ana Ruiz", "Pat", "Zoë O'Brien"])
    #expect(try store.contacts(clientsOnly: true, search: nil).count == 2)
    #expect(try store.contacts(clientsOnly: false, search: "o'b").map(\.name) == ["Zoë O'Brien"])
    // A search is text: % and _ match themselves, not anything.
    #expect(try store.contacts(clientsOnly: false, search: "_100%").map(\.name) == ["Pat"])
    #expect(try store.contacts(clientsOnly: false, search: "%").map(\.name) == ["Pat"])
    #expect(try store.contacts(ids: [ana.id, 999]).keys.sorted() == [ana.id])
  }

  @Test(arguments: Backend.allCases)
  func aReferralKeepsEveryMoveAndNoteInOrder(_ backend: Backend) throws {
    let (store, remove) = try backend.makeStore(rep: "dana@example.com")
    defer { remove() }
    let client = try person(store, "ana@example.org")
    let prospect = try person(store, "pat@example.net", client: false)
    var input = ReferralInput(introducerID: client.id, prospectID: prospect.id)
    input.problems = ["slow quotes", "a \"quoted\" problem; DROP TABLE referrals; --", "$1 ? ?"]
    input.whyNow = "A second office?"

    let referral = try store.addReferral(input, note: "asked at lunch", now: Self.now)
    _ = try store.setStage(
      referralID: referral.id, to: .promised, note: nil, now: Self.now.addingTimeInterval(60))
    try store.addNote(
      referralID: referral.id, note: "call back Tuesday?", now: Self.now.addingTimeInterval(120))
    let won = try store.setStage(
      referralID: referral.id, to: .won, note: "signed", now: Self.now.addingTimeInterval(180))

    #expect(won.stage == .won)
    #expect(won.problems == input.problems)
    #expect(won.whyNow == "A second office?")
    #expect(try store.referral(id: referral.id) == won)
    #expect(
      try store.stageHistory(referralID: referral.id).map {
        "\($0.from?.rawValue ?? "-")>\($0.to.rawValue) \($0.note ?? "")"
      }
        == [
          "->asked asked at lunch", "asked>promised ", "promised>promised call back Tuesday?",
          "promised>won signed",
        ])
    #expect(try store.referrals(stage: .won, introducerID: nil).map(\.id) == [referral.id])
    #expect(try store.referrals(stage: .asked, introducerID: nil).isEmpty)
    #expect(try store.referral(introducerID: client.id, prospectID: prospect.id)?.id == referral.id)
    #expect(try store.contact(id: prospect.id)?.isProspect == true)
    #expect(throws: StoreError.self) {
      _ = try store.addReferral(
        ReferralInput(introducerID: client.id, prospectID: client.id), note: nil, now: Self.now)
    }
    #expect(throws: StoreError.self) {
      _ = try store.setStage(referralID: 999, to: .won, note: nil, now: Self.now)
    }
  }

  @Test(arguments: Backend.allCases)
  func aTouchMovesTheLastContactForwardNeverBack(_ backend: Backend) throws {
    let (store, remove) = try backend.makeStore()
    defer { remove() }
    let client = try person(store, "ana@example.org")
    _ = try store.addTouch(
      contactID: client.id, kind: .call, note: "later", at: Self.now.addingTimeInterval(3600))
    _ = try store.addTouch(contactID: client.id, kind: .note, note: "earlier", at: Self.now)

    #expect(try store.touches(contactID: client.id).map(\.note) == ["earlier", "later"])
    #expect(
      try store.reminderFacts().clients.first?.lastContactAt == Self.now.addingTimeInterval(3600))
    #expect(throws: StoreError.self) {
      _ = try store.addTouch(contactID: 999, kind: .call, note: "x", at: Self.now)
    }
    #expect(throws: StoreError.self) {
      _ = try store.addTouch(contactID: client.id, kind: .call, note: " ", at: Self.now)
    }
  }

  @Test(arguments: Backend.allCases)
  func aBatchStoresEachMessageOnceAndARefusedBatchStoresNothing(_ backend: Backend) throws {
    let (store, remove) = try backend.makeStore()
    defer { remove() }
    let first = try store.recordBatch(template: "t", command: "intro send", audience: "--csv", now: Self.now)
    {
      recorder in
      let a = try recorder.add(message("a", to: "a@example.org"))
      let b = try recorder.add(message("b", to: "b@example.org"))
      #expect(a == nil && b == nil, "both new")
      return true
    }
    let again = try store.recordBatch(template: "t", command: "intro send", audience: "--csv", now: Self.now)
    {
      recorder in
      let existing = try recorder.add(message("a", to: "a@example.org"))
      #expect(existing?.state == .pending)
      _ = try recorder.add(message("c", to: "c@example.org"))
      return true
    }
    let refused = try store.recordBatch(
      template: "t", command: "intro send", audience: "--csv", now: Self.now
    ) {
      recorder in
      _ = try recorder.add(message("d", to: "d@example.org"))
      return false
    }

    #expect(first?.added == 2)
    #expect(again?.added == 1)
    #expect(again?.messageIDs.first == first?.messageIDs.first)
    #expect(refused == nil)
    #expect(
      try store.messages(MessageFilter()).map(\.recipient).sorted() == [
        "a@example.org", "b@example.org", "c@example.org",
      ])
    #expect(try store.inspect { try $0.existing(idempotencyKey: "d") } == nil)
    #expect(try store.inspect { try $0.existing(idempotencyKey: "c") }?.batchID == again?.batchID)
  }

  @Test(arguments: Backend.allCases)
  func aSuppressedAddressIsSeenByBatchesAndByClaimsMadeAfterIt(_ backend: Backend) throws {
    let (store, remove) = try backend.makeStore()
    defer { remove() }
    let batch = try store.recordBatch(template: "t", command: "c", audience: "a", now: Self.now) { recorder in
      let suppressed = try recorder.isSuppressed("b@example.org")
      #expect(!suppressed)
      _ = try recorder.add(message("a", to: "a@example.org"))
      _ = try recorder.add(message("b", to: "b@example.org"))
      return true
    }
    let ids = try #require(batch?.messageIDs)

    try store.suppress(normalizedEmail: "b@example.org", reason: .optOut, now: Self.now)
    let log = try store.openDeliveryLog()
    let claim = try store.claim(ids, bootID: "boot", log: log)
    try log.finish()

    #expect(try store.isSuppressed(normalizedEmail: "b@example.org"))
    #expect(try store.isSuppressed(normalizedEmail: "a@example.org") == false)
    #expect(claim.claimed.map(\.recipient) == ["a@example.org"])
    #expect(claim.suppressed == 1)
    #expect(claim.heldElsewhere.isEmpty)
    #expect(try store.stateCounts(ids: ids) == [.sending: 1, .suppressed: 1])
    _ = try store.recordBatch(template: "t", command: "c", audience: "a", now: Self.now) { recorder in
      let suppressed = try recorder.isSuppressed("b@example.org")
      #expect(suppressed)
      return false
    }
    // A second claim of the same messages hands out nothing.
    #expect(try store.claim(ids, bootID: "boot", log: try store.openDeliveryLog()).claimed.isEmpty)
  }

  @Test(arguments: Backend.allCases)
  func aFiringIsRecordedOnceHoweverOftenItIsRecorded(_ backend: Backend) throws {
    let (store, remove) = try backend.makeStore()
    defer { remove() }
    let key = FiringKey(rule: "late-introduction", subject: "referral:1", occurrence: "2026-12-02")
    let firing = NewFiring(
      key: key, dueAt: Self.now, late: true, message: message("nudge", to: "a@example.org"))
    let task = NewFiring(
      key: FiringKey(rule: "call-back", subject: "contact:1", occurrence: "2026-12-02"), dueAt: Self.now,
      late: false,
      message: nil)
    let digest = NewFiring(
      key: FiringKey(rule: "digest", subject: store.digestSubject, occurrence: "2026-12-02"), dueAt: Self.now,
      late: false, message: message("digest", to: "dana@example.com"))

    let first = try store.recordFirings(
      [firing], tasks: [task], digest: digest, command: "intro remind", now: Self.now)
    let second = try store.recordFirings(
      [firing], tasks: [task], digest: digest, command: "intro remind", now: Self.now)

    #expect(first.fired.count == 3)
    #expect(first.messageIDs.count == 2)
    #expect(second.fired.isEmpty)
    #expect(second.messageIDs.isEmpty)
    #expect(try store.reminderFacts().fired == [key, task.key, digest.key])
    #expect(try store.firing(messageID: first.messageIDs[0]) == key)
    #expect(try store.unsentReminderMessages(now: Self.now) == first.messageIDs)
    try store.withhold([(first.messageIDs[0], "cancelled: the introduction happened")], now: Self.now)
    // The digest is left, with the task it lists.
    #expect(Set(try store.unsentReminders().map(\.key)) == [digest.key, task.key])
  }

  @Test(arguments: Backend.allCases)
  func anUncertainMessageIsResolvedOnceAndTheLogShowsHow(_ backend: Backend) throws {
    let (store, remove) = try backend.makeStore()
    defer { remove() }
    let client = try person(store, "ana@example.org")
    let batch = try store.recordBatch(template: "t", command: "c", audience: "a", now: Self.now) { recorder in
      _ = try recorder.add(message("ask", to: "ana@example.org", contact: client.id, purpose: .ask))
      return true
    }
    let id = try #require(batch?.messageIDs.first)
    let log = try store.openDeliveryLog()
    _ = try store.claim([id], bootID: "boot", log: log)
    try log.append(.bodyStarted(id: id))
    try log.append(
      .finished(
        id: id, state: .uncertain,
        attempt: AttemptRecord(
          startedAt: Self.now, finishedAt: Self.now, outcome: "uncertain",
          stage: "end-of-data", detail: "no reply after the body"), nextAttemptAt: nil, note: "no reply"))
    try log.finish()

    #expect(
      try store.asks(toContact: client.id, since: Self.now.addingTimeInterval(-60), excluding: nil).count == 1
    )
    #expect(try store.resolve(messageID: id, sent: true, now: Self.now) == .sent)
    #expect(throws: StoreError.self) { _ = try store.resolve(messageID: id, sent: true, now: Self.now) }
    let logged = try #require(try store.message(reference: "<ask@example.com>"))
    #expect(logged.state == .sent)
    #expect(logged.attempts.map(\.outcome) == ["uncertain", "delivered"])
    #expect(logged.attempts.first?.stage == "end-of-data")
    #expect(
      try store.resolveUncertain(batchID: try #require(batch?.batchID), sent: false, now: Self.now).isEmpty)
  }

  @Test(arguments: Backend.allCases)
  func theReportCountsHowFarEachReferralGot(_ backend: Backend) throws {
    let (store, remove) = try backend.makeStore()
    defer { remove() }
    let client = try person(store, "ana@example.org")
    var stages: [ReferralStage] = []
    for (index, last) in [ReferralStage.asked, .introduced, .won, .lost].enumerated() {
      let prospect = try person(store, "p\(index)@example.net", client: false)
      let referral = try store.addReferral(
        ReferralInput(introducerID: client.id, prospectID: prospect.id), note: nil, now: Self.now)
      var at = Self.now
      for stage in [ReferralStage.promised, .introduced, .meeting, .won] where last != .asked {
        at += 86_400
        _ = try store.setStage(referralID: referral.id, to: stage == .won ? last : stage, note: nil, now: at)
        if stage == last || (last == .introduced && stage == .introduced) { break }
      }
      stages.append(last)
    }

    let facts = try store.reportFacts(
      since: Self.now.addingTimeInterval(-86_400), until: Self.now.addingTimeInterval(30 * 86_400),
      now: Self.now.addingTimeInterval(10 * 86_400))
    #expect(facts.referrals.map(\.reached) == [0, 2, 4, 3])
    #expect(facts.wins.count == 1)
    #expect(facts.people[client.id]?.email == "ana@example.org")
    // Every move closes the stay before it: 0, 2, 4 and 4 moves after the ask.
    #expect(facts.stays.filter(\.closed).count == 0 + 2 + 4 + 4)
    #expect(facts.stays.filter { !$0.closed }.count == 4, "each is still in its last stage")
    let relationships = try store.relationshipFacts(recentSince: Self.now.addingTimeInterval(-86_400))
    #expect(relationships.map(\.introductions) == [4])
    #expect(relationships.map(\.pendingIntroductions) == [1])
  }

  @Test(arguments: Backend.allCases)
  func forgettingSomeoneErasesThemAndKeepsThemSuppressed(_ backend: Backend) throws {
    let (store, remove) = try backend.makeStore()
    defer { remove() }
    let client = try person(store, "ana@example.org")
    let prospect = try person(store, "pat@example.net", client: false)
    _ = try store.addReferral(
      ReferralInput(introducerID: client.id, prospectID: prospect.id), note: nil, now: Self.now)
    _ = try store.recordBatch(
      template: "t", command: "intro send --to pat@example.net", audience: "pat@example.net", now: Self.now
    ) {
      recorder in
      _ = try recorder.add(message("p", to: "pat@example.net", contact: prospect.id))
      return true
    }

    let report = try store.forget(normalizedEmail: "pat@example.net", now: Self.now)

    #expect(report.contacts == 1)
    #expect(report.referrals == 1)
    #expect(report.messages == 1)
    #expect(try store.contact(normalizedEmail: "pat@example.net") == nil)
    #expect(try store.referrals(stage: nil, introducerID: nil).isEmpty)
    #expect(try store.messages(MessageFilter()).isEmpty)
    #expect(try store.isSuppressed(normalizedEmail: "pat@example.net"))
    // Added again later (an import), they come back do-not-contact.
    #expect(try person(store, "pat@example.net", client: false).doNotContact)
  }

  @Test(arguments: Backend.allCases)
  func anImportAddsUpdatesAndLeavesAloneAndAnEditChangesOnlyWhatItGives(_ backend: Backend) throws {
    let (store, remove) = try backend.makeStore()
    defer { remove() }
    var ana = ContactInput(email: "ana@example.org", normalizedEmail: "ana@example.org")
    ana.name = "Ana Ruiz"
    ana.satisfaction = 7
    var outcomes: [ImportOutcome] = []
    try store.importContacts(now: Self.now) { importer in
      outcomes.append(try importer.upsert(ana, customFields: ["industry": "logistics, freight"]))
      outcomes.append(try importer.upsert(ana))
      ana.isClient = true
      outcomes.append(try importer.upsert(ana, customFields: ["region": "Nörd"]))
    }
    var edit = ContactInput(email: "ana@example.org", normalizedEmail: "ana@example.org")
    edit.title = "COO"

    #expect(outcomes == [.added, .unchanged, .updated])
    #expect(try store.editContact(edit, now: Self.now) == .updated)
    #expect(throws: StoreError.self) {
      _ = try store.editContact(
        ContactInput(email: "x@example.org", normalizedEmail: "x@example.org"), now: Self.now)
    }
    let stored = try #require(try store.contact(normalizedEmail: "ana@example.org"))
    #expect(stored.title == "COO")
    #expect(stored.name == "Ana Ruiz")
    #expect(stored.satisfaction == 7)
    #expect(stored.isClient)
    #expect(stored.customFields == ["industry": "logistics, freight", "region": "Nörd"])
  }

  struct Interrupted: Error, Equatable {}

  @Test(arguments: Backend.allCases)
  func aBatchInterruptedHalfwayStoresNothingAndTheCallersErrorComesOutUnchanged(_ backend: Backend) throws {
    let (store, remove) = try backend.makeStore()
    defer { remove() }

    #expect(throws: Interrupted()) {
      _ = try store.recordBatch(template: "t", command: "c", audience: "a", now: Self.now) { recorder in
        _ = try recorder.add(message("a", to: "a@example.org"))
        throw Interrupted()
      }
    }
    #expect(throws: Interrupted()) {
      try store.importContacts(now: Self.now) { importer in
        _ = try importer.upsert(ContactInput(email: "ana@example.org", normalizedEmail: "ana@example.org"))
        throw Interrupted()
      }
    }
    #expect(try store.messages(MessageFilter()).isEmpty)
    #expect(try store.contacts(clientsOnly: false, search: nil).isEmpty)
    // The store is usable afterwards: the transaction was rolled back, not left open.
    _ = try person(store, "ana@example.org")
    #expect(try store.contacts(clientsOnly: false, search: nil).count == 1)
  }
}

import Foundation
import IntroStore
import TestSupport
import Testing

@Suite("The delivery journal: what a crash leaves, what the next run does with it")
struct DeliveryJournalTests {
  /// A store holding one batch of `count` messages; returns their ids.
  func storeWithBatch(_ dir: TemporaryDirectory, count: Int) throws -> (Store, [Int64]) {
    let store = try Store(path: dir.file("intro.sqlite"))
    return (store, try store.recordTestBatch(count: count))
  }

  func state(_ store: Store, _ id: Int64) throws -> MessageState? {
    var filter = MessageFilter()
    filter.ids = [id]
    return try store.messages(filter).first?.state
  }

  @Test func aClaimedMessageWhoseBodyNeverStartedGoesAgainAfterAProcessCrash() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let (store, ids) = try storeWithBatch(dir, count: 3)

    let claimed = try store.claim(ids, bootID: "boot-1").claimed
    try store.record([.bodyStarted(id: ids[1])])
    let report = try store.recoverInterrupted(bootID: "boot-1")

    #expect(claimed.map(\.id) == ids)
    #expect(report.requeued == 2)
    #expect(report.uncertain == [ids[1]])
    #expect(try state(store, ids[0]) == .pending)
    #expect(try state(store, ids[1]) == .uncertain)
    #expect(try state(store, ids[2]) == .pending)
  }

  @Test func afterAPowerLossEveryClaimedMessageIsUncertainNeverResent() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let (store, ids) = try storeWithBatch(dir, count: 2)

    _ = try store.claim(ids, bootID: "boot-before-the-outage")
    let report = try store.recoverInterrupted(bootID: "boot-after")

    #expect(report.requeued == 0)
    #expect(report.uncertain.sorted() == ids)
    let logged = try store.messages(MessageFilter())
    #expect(logged.allSatisfy { $0.attempts.last?.detail?.contains("machine restarted") == true })
  }

  @Test func settledMessagesAreNeverClaimedAgain() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let (store, ids) = try storeWithBatch(dir, count: 2)
    _ = try store.claim([ids[0]], bootID: "b")
    try store.record([
      .finished(
        id: ids[0], state: .sent,
        attempt: AttemptRecord(startedAt: Date(), finishedAt: Date(), outcome: "delivered"),
        nextAttemptAt: nil, note: nil)
    ])

    let again = try store.claim(ids, bootID: "b").claimed

    #expect(again.map(\.id) == [ids[1]])
    #expect(try store.unsettledMessages(batchID: 1) == [])
  }

  @Test func aRecipientSuppressedAfterTheBatchWasMadeIsSuppressedAtSendTime() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let (store, ids) = try storeWithBatch(dir, count: 2)
    try store.suppress(normalizedEmail: "client1@example.org")

    let claim = try store.claim(ids, bootID: "b")

    #expect(claim.claimed.map(\.id) == [ids[0]])
    #expect(claim.suppressed == 1)
    #expect(try state(store, ids[1]) == .suppressed)
  }

  @Test func aPersonForgottenWhileTheirMessageWasSendingLeavesNoAttemptBehind() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let (store, ids) = try storeWithBatch(dir, count: 2)
    _ = try store.claim(ids, bootID: "b")
    _ = try store.forget(normalizedEmail: "client1@example.org")

    try store.record(
      ids.map { id in
        .finished(
          id: id, state: .sent,
          attempt: AttemptRecord(startedAt: Date(), finishedAt: Date(), outcome: "delivered"),
          nextAttemptAt: nil, note: nil)
      })

    let logged = try store.messages(MessageFilter())
    #expect(logged.map(\.recipient) == ["client0@example.org"])
    #expect(logged.first?.attempts.count == 1)
    #expect(try store.integrityCheck() == ["ok"])
  }

  @Test func theSameMessageAddedTwiceIsStoredOnce() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let (store, ids) = try storeWithBatch(dir, count: 2)

    let second = try store.recordBatch(template: "thank-you", command: "intro send", audience: "--csv x") {
      recorder in
      let existing = try recorder.add(
        NewMessage(
          recipient: "client0@example.org", recipientKey: "client0@example.org", sender: "rep@example.com",
          messageID: "other@example.com", idempotencyKey: "client0", template: "thank-you", subject: "Thanks",
          body: []))
      #expect(existing?.id == ids[0])
      return true
    }

    #expect(second?.added == 0)
    #expect(try store.messages(MessageFilter()).count == 2)
  }

  @Test func aDeferredMessageIsClaimedOnlyWhenDue() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let (store, ids) = try storeWithBatch(dir, count: 1)
    let now = Date()
    _ = try store.claim(ids, bootID: "b", now: now)
    try store.record([
      .finished(
        id: ids[0], state: .deferred,
        attempt: AttemptRecord(startedAt: now, finishedAt: now, outcome: "temporary", smtpCode: 451),
        nextAttemptAt: now.addingTimeInterval(300), note: "451 try later")
    ])

    // Times come back as stored: UTC, to the second.
    let due = try #require(try store.messages(MessageFilter()).first?.nextAttemptAt)
    #expect(due.timeIntervalSince1970 == now.addingTimeInterval(300).timeIntervalSince1970.rounded(.down))
    #expect(try store.claim(ids, bootID: "b", now: now.addingTimeInterval(60)).claimed.isEmpty)
    #expect(try store.dueMessages(now: now.addingTimeInterval(60)).isEmpty)
    #expect(try store.dueMessages(now: now.addingTimeInterval(301)) == ids)
    let later = try store.claim(ids, bootID: "b", now: now.addingTimeInterval(301)).claimed
    #expect(later.first?.attemptCount == 1)
    #expect(later.first?.previousState == .deferred)
  }

  @Test func journalLinesOfAKilledRunAreFoldedInOnceByTheNextRun() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let (store, ids) = try storeWithBatch(dir, count: 3)
    do {
      let journal = try DeliveryJournal(store: store)
      _ = try store.claim(ids, bootID: "boot-1", journal: journal)
      let now = Date()
      try journal.append(.bodyStarted(id: ids[0]))
      try journal.append(
        .finished(
          id: ids[0], state: .sent,
          attempt: AttemptRecord(
            startedAt: now, finishedAt: now, outcome: "delivered", stage: "done", smtpCode: 250,
            smtpText: "250 2.0.0 Ok:\tqueued as X\n\\ done", bootID: "boot-1"),
          nextAttemptAt: nil, note: nil))
      try journal.append(.bodyStarted(id: ids[1]))
      // The run is killed here: no checkpoint, no finish.
    }
    // A torn line from the moment of the crash says nothing and is skipped.
    let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter {
      $0.contains(".journal-")
    }
    #expect(files.count == 1)
    let handle = try #require(FileHandle(forWritingAtPath: dir.file(files[0])))
    try handle.seekToEnd()
    try handle.write(contentsOf: Data("F\t\(ids[2])\tsent\t1".utf8))
    try handle.close()

    let reopened = try Store(path: dir.file("intro.sqlite"))
    let report = try reopened.recoverInterrupted(bootID: "boot-1")
    let again = try reopened.recoverInterrupted(bootID: "boot-1")

    #expect(report.uncertain == [ids[1]])
    #expect(report.requeued == 1)
    #expect(again.requeued == 0 && again.uncertain.isEmpty)
    #expect(try state(reopened, ids[0]) == .sent)
    #expect(try state(reopened, ids[1]) == .uncertain)
    #expect(try state(reopened, ids[2]) == .pending)
    var filter = MessageFilter()
    filter.ids = [ids[0]]
    let sent = try #require(try reopened.messages(filter).first)
    #expect(sent.attempts.count == 1)
    #expect(sent.attempts.first?.smtpText == "250 2.0.0 Ok:\tqueued as X\n\\ done")
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".journal-") }
        .isEmpty)
  }
}

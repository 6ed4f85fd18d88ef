import Foundation
import TestSupport
import Testing

@testable import IntroStore

/// Recovery on a team store: each host settles only what its own dead runs left.
@Suite("PostgreSQL store: recovery per host, claims that never overlap")
struct PostgresRecoveryTests {
  let server: PostgresServer

  init() throws {
    server = try PostgresServer.shared.get()
  }

  /// A team store with messages 1…n pending in batch 1.
  func teamStore(messages: Int) throws -> PostgresStore {
    let store = try PostgresStore(url: try server.newDatabase(), password: PostgresServer.password)
    try store.withConnection { connection throws(StoreError) in
      try connection.execute(
        "INSERT INTO batches (id, template, command, created_at) VALUES (1, 't', 'c', 'n')")
      for id in 1...messages {
        try connection.execute(
          "INSERT INTO messages (id, batch_id, recipient, recipient_key, message_id, envelope_sender, body, "
            + "created_at, updated_at) VALUES ($1, 1, $2, $2, $3, 'rep@example.com', $4, 'n', 'n')",
          [id, "p\(id)@example.org", "<\(id)@example.com>", SQLValue.blob(Array("body \(id)".utf8))])
      }
    }
    return store
  }

  func setClaimant(_ store: PostgresStore, id: Int, state: String, claimant: String) throws {
    _ = try store.withConnection { connection throws(StoreError) in
      try connection.execute(
        "UPDATE messages SET state = $1, boot_id = $2 WHERE id = $3", [state, claimant, id])
    }
  }

  @Test func onlyThisHostsDeadRunsAreSettledAndALiveRunIsLeftAlone() throws {
    let store = try teamStore(messages: 5)
    let boot = "boot-1"
    let host = PostgresStore.hostName
    // A child that has exited: its pid is no longer running.
    let gone = try runCommand("/bin/sh", ["-c", "echo $$"]).stdout.trimmingCharacters(
      in: .whitespacesAndNewlines)
    let live = try ChildProcess("/bin/sleep", ["30"], environment: [:])
    defer { live.stop() }
    try setClaimant(store, id: 1, state: "sending", claimant: "\(boot) \(host) \(gone)")
    try setClaimant(store, id: 2, state: "in_data", claimant: "\(boot) \(host) \(gone)")
    try setClaimant(
      store, id: 3, state: "sending", claimant: "\(boot) \(host) \(live.process.processIdentifier)")
    try setClaimant(store, id: 4, state: "sending", claimant: "\(boot) other-host 1")
    try setClaimant(
      store, id: 5, state: "sending", claimant: "boot-0 \(host) \(live.process.processIdentifier)")

    let report = try store.recoverInterrupted(bootID: boot, now: Date())

    #expect(report.requeued == 2, "a dead run's sending, and a run of an earlier boot")
    #expect(report.uncertain == [2])
    let states = try store.withConnection { connection throws(StoreError) in
      try connection.execute("SELECT state FROM messages ORDER BY id").rows.compactMap { $0.first?.text }
    }
    #expect(states == ["pending", "uncertain", "sending", "sending", "pending"])
  }

  @Test func twoRunsClaimingTheSameMessagesAtOnceNeverGetTheSameOne() async throws {
    let store = try teamStore(messages: 400)
    let other = try PostgresStore(url: store.location, password: PostgresServer.password)
    let ids = Array(Int64(1)...400)
    let claimed = try await withThrowingTaskGroup(of: [Int64].self) { group in
      for side in [store, other] {
        group.addTask {
          let log = try side.openDeliveryLog()
          var mine: [Int64] = []
          for start in stride(from: 0, to: 400, by: 16) {
            mine += try side.claim(Array(ids[start..<start + 16]), bootID: "b", log: log).claimed.map(\.id)
          }
          return mine
        }
      }
      var all: [[Int64]] = []
      for try await ids in group { all.append(ids) }
      return all
    }
    let together = claimed.flatMap { $0 }
    #expect(together.count == 400)
    #expect(Set(together).count == 400, "no message claimed twice")
    #expect(try store.stateCounts(ids: ids) == [.sending: 400])
  }

  @Test func aMessageAnotherRunIsClaimingIsSkippedAndNamedAsItsNotThisRunsWorkLeft() throws {
    let store = try teamStore(messages: 3)
    let other = try PostgresStore(url: store.location, password: PostgresServer.password)
    // Another host's claim of message 2, not committed yet.
    let claim = try other.withConnection { connection throws(StoreError) in
      try connection.transaction { () throws(StoreError) in
        try connection.execute("SELECT id FROM messages WHERE id = 2 FOR UPDATE")
        return try store.claim([1, 2, 3], bootID: "boot-a", log: try store.openDeliveryLog())
      }
    }

    #expect(claim.claimed.map(\.id) == [1, 3])
    #expect(claim.heldElsewhere == [2], "still pending to every reader, but that run's to send")
    let states = try store.withConnection { connection throws(StoreError) in
      try connection.execute("SELECT state FROM messages ORDER BY id").rows.compactMap { $0.first?.text }
    }
    #expect(states == ["sending", "pending", "sending"])
  }

  @Test func anotherHostsClaimIsSettledOnlyOnceItHasLapsed() throws {
    let store = try teamStore(messages: 4)
    let now = Date()
    let lapsed = Timestamp.format(now.addingTimeInterval(-PostgresStore.claimLease - 60))
    let recent = Timestamp.format(now.addingTimeInterval(-3600))
    let live = try ChildProcess("/bin/sleep", ["30"], environment: [:])
    defer { live.stop() }
    let claims: [(id: Int, state: String, claimant: String, at: String)] = [
      (1, "sending", "boot-9 gone-host 42", lapsed),
      (2, "in_data", "boot-9 gone-host 42", lapsed),
      (3, "sending", "boot-9 busy-host 42", recent),
      (4, "sending", "\(BootID.current) \(PostgresStore.hostName) \(live.process.processIdentifier)", lapsed),
    ]
    for claim in claims {
      _ = try store.withConnection { connection throws(StoreError) in
        try connection.execute(
          "UPDATE messages SET state = $1, boot_id = $2, updated_at = $3 WHERE id = $4",
          [claim.state, claim.claimant, claim.at, claim.id])
      }
    }

    let report = try store.recoverInterrupted(bootID: BootID.current, now: now)

    #expect(report.requeued == 1)
    #expect(report.uncertain == [2], "its body may have gone: never sent again by itself")
    let states = try store.withConnection { connection throws(StoreError) in
      try connection.execute("SELECT state FROM messages ORDER BY id").rows.compactMap { $0.first?.text }
    }
    #expect(
      states == ["pending", "uncertain", "sending", "sending"], "a recent claim and a live run are left")
  }

  @Test func aRunWhoseClaimWasTakenOverSendsNoBodyAndReleasesNothing() throws {
    let store = try teamStore(messages: 2)
    let log = try store.openDeliveryLog()
    let claimed = try store.claim([1, 2], bootID: "boot-a", log: log).claimed
    #expect(claimed.count == 2)
    // Its claim lapsed and a run on another host settled and took message 1.
    try setClaimant(store, id: 1, state: "sending", claimant: "boot-b other-host 7")

    let refused = try #require(throws: StoreError.self) { try log.append(.bodyStarted(id: 1)) }
    try log.append(.released(id: 1, state: .pending))
    // Its relay connection then failed: that outcome is not the message's any more.
    try log.append(
      .finished(
        id: 1, state: .deferred,
        attempt: AttemptRecord(startedAt: Date(), finishedAt: Date(), outcome: "temporary"),
        nextAttemptAt: Date(), note: "connection refused", charged: false))
    try log.append(.bodyStarted(id: 2))

    #expect(refused.message.contains("its body was not sent"))
    let rows = try store.withConnection { connection throws(StoreError) in
      try connection.execute("SELECT state || ' ' || boot_id FROM messages ORDER BY id").rows
        .compactMap { $0.first?.text }
    }
    #expect(rows.first == "sending boot-b other-host 7", "the other run's claim stands")
    let attempts = try store.withConnection { connection throws(StoreError) in
      try connection.execute("SELECT count(*) FROM delivery_attempts WHERE message_id = 1").scalar?.integer
    }
    #expect(attempts == 0)
    #expect(rows.last?.hasPrefix("in_data boot-a ") == true)
  }

  @Test func aConnectionLostWhileABatchIsStoredLeavesNothingAndSaysSo() throws {
    let url = try server.newDatabase()
    let database = String(url.split(separator: "/").last!.split(separator: "?").first!)
    let store = try PostgresStore(url: url, password: PostgresServer.password)
    var lost: StoreError?
    do {
      _ = try store.recordBatch(template: "t", command: "c", audience: "a", now: Date()) { recorder in
        for index in 0..<3 {
          if index == 1 {
            try server.sql(
              "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(database)'")
          }
          _ = try recorder.add(
            NewMessage(
              recipient: "p\(index)@example.org", recipientKey: "p\(index)@example.org",
              sender: "rep@example.com",
              messageID: "\(index)@example.com", idempotencyKey: "k\(index)", template: "t", subject: "s",
              body: []))
        }
        return true
      }
    } catch let error as StoreError {
      lost = error
    }

    #expect(lost?.kind == .connectionLost, "\(String(describing: lost))")
    let reopened = try PostgresStore(url: url, password: PostgresServer.password)
    #expect(try reopened.messages(MessageFilter()).isEmpty, "the first message was not committed either")
    #expect(try server.sql("SELECT count(*) FROM batches", database: database) == "0")
  }
}

import Foundation
import IntroKit
import IntroSMTP
import IntroStore
import TestSupport
import Testing

/// The send core in process: a scripted relay, a real SQLite store, and store
/// faults injected at every step. Each test states what a rep would see: who
/// got a message, how often, and what state the store is left in.
@Suite("The batch runner in process: faults, opt-outs, limits and stops")
struct BatchRunnerTests {
  struct Fixture {
    let dir: TemporaryDirectory
    let faults = StoreFaults()
    let store: Store
    let ids: [Int64]

    init(count: Int) throws {
      dir = try TemporaryDirectory()
      store = try Store(path: dir.file("intro.sqlite"), faults: faults)
      ids = try store.recordTestBatch(count: count)
    }

    func recipient(_ index: Int) -> String { "client\(index)@example.org" }

    /// Settles an interrupted run and sends what is left, with the faults healed.
    func recoverAndFinish(over transport: ScriptedTransport) throws -> SendReport {
      faults.heal()
      _ = try store.recoverInterrupted(bootID: BootID.current)
      let left = try store.unsettledMessages(batchID: 1)
      return try BatchRunner(store: store, transport: transport, options: .unlimited(group: 16)).run(left)
    }
  }

  /// No recipient got two messages, and each one got one unless its message is `uncertain`.
  func expectExactlyOnce(_ fixture: Fixture, _ transport: ScriptedTransport, _ note: String = "") throws {
    let received = transport.receivedRecipients
    #expect(Set(received).count == received.count, "someone got two messages \(note)")
    let states = try fixture.store.states(fixture.ids)
    for (index, state) in states.enumerated() {
      let got = received.contains(fixture.recipient(index))
      switch state {
      case .sent: #expect(got, "message \(index) is sent but never arrived \(note)")
      case .uncertain: break
      default: Issue.record("message \(index) is \(String(describing: state)) after recovery \(note)")
      }
    }
  }

  @Test func aFoldThatFailsAtAnyClaimLosesNoJournalLine() throws {
    // 120 messages in claims of 16: the run claims 8 times; fail each claim in turn.
    for failing in 1...8 {
      let fixture = try Fixture(count: 120)
      defer { fixture.dir.remove() }
      fixture.faults.fail(.claim, on: failing...failing, with: StoreFaults.busy)
      let transport = ScriptedTransport(parallelism: 2)

      let failed = #expect(throws: StoreError.self) {
        try BatchRunner(store: fixture.store, transport: transport, options: .unlimited(group: 16))
          .run(fixture.ids)
      }
      _ = try fixture.recoverAndFinish(over: transport)

      #expect(failed?.kind == .busy)
      try expectExactlyOnce(fixture, transport, "(claim \(failing) failed)")
      #expect(Set(transport.receivedRecipients).count == 120, "claim \(failing)")
    }
  }

  @Test func aBodyIsNeverSentWhenItsInDataMarkCannotBeWritten() throws {
    let fixture = try Fixture(count: 10)
    defer { fixture.dir.remove() }
    fixture.faults.fail(.journalBodyStarted, on: 3...3)
    let transport = ScriptedTransport()

    let failed = #expect(throws: StoreError.self) {
      try BatchRunner(store: fixture.store, transport: transport, options: .unlimited(group: 4)).run(
        fixture.ids)
    }

    #expect(failed?.kind == .diskFull)
    #expect(transport.heldBack == 1)
    #expect(transport.receivedRecipients == [fixture.recipient(0), fixture.recipient(1)])
    #expect(try fixture.store.states([fixture.ids[2]]) == [.sending])

    _ = try fixture.recoverAndFinish(over: transport)
    try expectExactlyOnce(fixture, transport)
    #expect(transport.received.count == 10)
  }

  @Test func aStoreFailureAtAnyStepSendsNobodyTwice() throws {
    let steps: [StoreStep] = [.claim, .fold, .journalBodyStarted, .journalOutcome]
    for step in steps {
      for occurrence in [1, 2, 5, 17] {
        let fixture = try Fixture(count: 40)
        defer { fixture.dir.remove() }
        fixture.faults.fail(step, from: occurrence)
        let transport = ScriptedTransport(parallelism: 2)

        _ = try? BatchRunner(store: fixture.store, transport: transport, options: .unlimited(group: 8))
          .run(fixture.ids)
        _ = try fixture.recoverAndFinish(over: transport)

        try expectExactlyOnce(fixture, transport, "(\(step) from \(occurrence))")
      }
    }
  }

  @Test func anOptOutDuringARunStopsEveryMessageNotYetHandedOver() throws {
    let fixture = try Fixture(count: 30)
    defer { fixture.dir.remove() }
    // Another process, as `intro contact suppress` and `intro contact forget` would be.
    let other = try Store(path: fixture.store.path)
    let transport = ScriptedTransport { attempt, _ in
      if attempt == 3 {
        try? other.suppress(normalizedEmail: fixture.recipient(10))
        _ = try? other.forget(normalizedEmail: fixture.recipient(20))
      }
      return .accept
    }

    let report = try BatchRunner(store: fixture.store, transport: transport, options: .unlimited(group: 256))
      .run(fixture.ids)

    #expect(!transport.receivedRecipients.contains(fixture.recipient(10)))
    #expect(!transport.receivedRecipients.contains(fixture.recipient(20)))
    #expect(transport.received.count == 28)
    #expect(report.counts.suppressed == 2)
    #expect(try fixture.store.states([fixture.ids[10], fixture.ids[20]]) == [.suppressed, nil])
  }

  @Test func theLimitCountsOnlyMessagesTriedNotSuppressedOnes() throws {
    let fixture = try Fixture(count: 10)
    defer { fixture.dir.remove() }
    try fixture.store.suppress(normalizedEmail: fixture.recipient(0))
    try fixture.store.suppress(normalizedEmail: fixture.recipient(1))
    var options = SendOptions.unlimited(group: 256)
    options.limit = 3
    let transport = ScriptedTransport()

    let report = try BatchRunner(store: fixture.store, transport: transport, options: options).run(
      fixture.ids)

    #expect(transport.receivedRecipients == (2...4).map(fixture.recipient))
    #expect(report.counts.suppressed == 2)
    #expect(report.stop == .limit)
    #expect(report.remaining == 5)
    #expect(report.exitStatus == .ok)
  }

  @Test func aRefusedGreetingTripsTheBreakerAndLeavesEveryMessageAsItWas() throws {
    for (code, status) in [(554, ExitStatus.configuration), (421, .temporaryFailure)] {
      let fixture = try Fixture(count: 20)
      defer { fixture.dir.remove() }
      let refusal = DeliveryResult(
        outcome: code >= 500 ? .configuration : .temporary, stage: .greeting, responseCode: code,
        serverText: "\(code) no service")
      let transport = ScriptedTransport { _, _ in .refuse(refusal) }

      let report = try BatchRunner(store: fixture.store, transport: transport, options: .unlimited(group: 8))
        .run(fixture.ids)

      #expect(transport.attempts.count == 3, "\(code)")
      #expect(report.counts.notSent == 3)
      #expect(report.exitStatus == status, "\(code)")
      #expect(try fixture.store.states(fixture.ids).allSatisfy { $0 == .pending }, "\(code)")
    }
  }

  @Test func aMessageLeftUnsentIsNeverASuccess() throws {
    let fixture = try Fixture(count: 1)
    defer { fixture.dir.remove() }
    let garbage = DeliveryResult(outcome: .temporary, stage: .greeting, detail: "weird server reply")
    let transport = ScriptedTransport { _, _ in .refuse(garbage) }

    let report = try BatchRunner(store: fixture.store, transport: transport, options: .unlimited(group: 8))
      .run(fixture.ids)

    #expect(report.counts.notSent == 1)
    #expect(report.exitStatus == .temporaryFailure)
    #expect(try fixture.store.states(fixture.ids) == [.pending])
  }

  @Test func stopDuringARunFinishesTheMessageInFlightAndReleasesTheRest() throws {
    let fixture = try Fixture(count: 50)
    defer { fixture.dir.remove() }
    let runner = Box<BatchRunner>()
    let transport = ScriptedTransport { attempt, _ in
      if attempt == 2 { runner.value?.stop() }
      return .accept
    }
    runner.value = BatchRunner(store: fixture.store, transport: transport, options: .unlimited(group: 8))

    let report = try #require(runner.value).run(fixture.ids)

    #expect(transport.received.count == 2)
    #expect(report.stop == .interrupted)
    #expect(report.exitStatus == .temporaryFailure)
    #expect(try fixture.store.states(Array(fixture.ids.dropFirst(2))).allSatisfy { $0 == .pending })
  }

  @Test func stopDuringAClaimReleasesWhatThatClaimTook() throws {
    let fixture = try Fixture(count: 64)
    defer { fixture.dir.remove() }
    let runner = Box<BatchRunner>()
    // The second claim is under way (its transaction about to commit) when Ctrl-C comes.
    fixture.faults.when(.claim, 2) { runner.value?.stop() }
    let transport = ScriptedTransport()
    runner.value = BatchRunner(store: fixture.store, transport: transport, options: .unlimited(group: 8))

    let report = try #require(runner.value).run(fixture.ids)

    let sent = transport.received.count
    let states = try fixture.store.states(fixture.ids)
    #expect(report.stop == .interrupted)
    #expect(sent < 16, "the run went on after the stop")
    #expect(states.filter { $0 == .sent }.count == sent)
    #expect(states.filter { $0 == .pending }.count == 64 - sent, "\(states)")
  }

  @Test func theSendSequenceRecoversThenDeliversAndSaysWhatItMeans() throws {
    let fixture = try Fixture(count: 5)
    defer { fixture.dir.remove() }
    // An interrupted run left one message claimed and one with its body started.
    _ = try fixture.store.claim(Array(fixture.ids.prefix(2)), bootID: BootID.current)
    try fixture.store.record([.bodyStarted(id: fixture.ids[1])])
    let transport = ScriptedTransport()
    let run = SendRun(store: fixture.store, options: .unlimited(group: 8), lockWait: 0)

    let outcome = try run.perform(
      select: { .messages(try! fixture.store.unsettledMessages(batchID: 1), batch: 1) },
      transport: { transport })

    guard case .delivered(let summary) = outcome else {
      Issue.record("expected a delivery, got \(outcome)")
      return
    }
    #expect(summary.recovery.requeued == 1)
    #expect(summary.recovery.uncertain == [fixture.ids[1]])
    #expect(transport.receivedRecipients == [0, 2, 3, 4].map(fixture.recipient))
    #expect(outcome.status == .ok)
  }

  @Test func theSendSequenceWaitsForNoOneWhenAnotherRunHoldsTheLock() throws {
    let fixture = try Fixture(count: 1)
    defer { fixture.dir.remove() }
    let held = try RunLock(storePath: fixture.store.path, wait: 0)
    defer { withExtendedLifetime(held) {} }
    let run = SendRun(store: fixture.store, options: .unlimited(group: 8), lockWait: 0.2)

    #expect {
      _ = try run.perform(select: { .nothing("") }, transport: { ScriptedTransport() })
    } throws: { error in
      (error as? SendError)?.exitStatus == .temporaryFailure
    }
  }
}

extension SendOptions {
  /// No limit, claims of `group`.
  static func unlimited(group: Int) -> SendOptions {
    var options = SendOptions()
    options.limit = nil
    options.claimGroup = group
    return options
  }
}

/// A value set after the closure that reads it is made.
final class Box<T>: @unchecked Sendable {
  // @unchecked: written once before the run starts, read during it.
  var value: T?
}

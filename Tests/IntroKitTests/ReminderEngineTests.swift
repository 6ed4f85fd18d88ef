import Foundation
import IntroKit
import IntroStore
import IntroTemplates
import TestSupport
import Testing

/// Reminders in process: the engine, a real store, a scripted relay.
@Suite("Reminders in process: fired once, cancelled at the last moment")
struct ReminderEngineTests {
  /// A store with `count` referrals promised by 7 December, and an engine with the late-introduction rule.
  func setUp(_ dir: TemporaryDirectory, count: Int) throws -> (Store, ReminderEngine) {
    let store = try Store(path: dir.file("intro.sqlite"))
    for index in 0..<count {
      var client = ContactInput(
        email: "client\(index)@example.org", normalizedEmail: "client\(index)@example.org")
      client.name = "Client \(index)"
      client.isClient = true
      var prospect = ContactInput(
        email: "prospect\(index)@example.net", normalizedEmail: "prospect\(index)@example.net")
      prospect.name = "Prospect \(index)"
      let introducer = try store.addContact(client)
      let person = try store.addContact(prospect)
      var referral = ReferralInput(introducerID: introducer.id, prospectID: person.id)
      referral.promisedBy = "2026-12-07"
      referral.stage = .promised
      referral.aboutProspect = "Runs operations"
      referral.whyMe = "Quotes take a week"
      referral.whyNow = "A second office"
      referral.howToIntroduce = "An email to both"
      referral.problems = ["slow quotes"]
      _ = try store.addReferral(referral)
    }
    var config = IntroConfig()
    config.rep.name = "Dana Rep"
    config.rep.email = "dana@example.com"
    config.rep.company = "Acme"
    config.schedule.timeZone = "Europe/London"
    config.reminders = [
      ReminderRule(
        name: "late-introduction", trigger: .promisedDatePassed, delayDays: 1, template: "nudge-late-intro",
        recipient: .client)
    ]
    let engine = try ReminderEngine(config: config, library: try TemplateCatalog.builtin(), pausedUntil: nil)
    return (store, engine)
  }

  let tuesday = Date(timeIntervalSince1970: 1_796_724_000)  // 2026-12-08T10:00:00Z

  @Test func anIntroductionMadeWhileTheRunSendsCancelsThatNudge() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let (store, engine) = try setUp(dir, count: 2)
    // Another process records the second introduction while the first nudge is on the wire.
    let other = try Store(path: store.path)
    let transport = ScriptedTransport { attempt, _ in
      if attempt == 1 { _ = try? other.setStage(referralID: 2, to: .introduced) }
      return .accept
    }
    var run = SendRun(store: store, options: SendOptions.unlimited(group: 8), lockWait: 0)
    run.veto = engine.veto(store, now: tuesday)

    let outcome = try run.perform(
      select: { () throws(SendError) in
        do throws(StoreError) {
          return .messages(try engine.fire(store, now: tuesday, command: "test").messageIDs, batch: nil)
        } catch {
          throw .store(error)
        }
      }, transport: { transport })

    guard case .delivered(let summary) = outcome else {
      Issue.record("expected a delivery, got \(outcome)")
      return
    }
    #expect(transport.receivedRecipients == ["client0@example.org"])
    #expect(summary.report.counts.withheld == 1)
    let logged = try store.messages(MessageFilter())
    #expect(
      logged.first { $0.recipient == "client1@example.org" }?.lastError
        == "cancelled: the referral moved on to introduced")
  }

  @Test func aFiringIsRecordedOnceHoweverOftenItIsPlanned() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let (store, engine) = try setUp(dir, count: 3)

    let first = try engine.fire(store, now: tuesday, command: "test")
    let second = try engine.fire(store, now: tuesday.addingTimeInterval(900), command: "test")

    #expect(first.fired == 3)
    #expect(second.fired == 0)
    // The first run's messages were never sent: the second run lists them to send, not new ones.
    #expect(Set(second.messageIDs) == Set(first.messageIDs))
    #expect(try store.messages(MessageFilter()).count == 3)
  }
}

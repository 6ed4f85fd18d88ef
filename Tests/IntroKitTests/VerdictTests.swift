import Foundation
import IntroSMTP
import Testing

@testable import IntroKit
@testable import IntroStore

@Suite("What one delivery attempt means for its message")
struct VerdictTests {
  func message(attempts: Int, firstAttempt: Date?) -> ClaimedMessage {
    ClaimedMessage(
      id: 1, messageID: "m@example.com", recipient: "a@example.org", recipientKey: "a@example.org",
      sender: "rep@example.com", body: [],
      previousState: attempts == 0 ? .pending : .deferred, attemptCount: attempts,
      firstAttemptAt: firstAttempt)
  }

  @Test func aRefusalAfterFiveDaysFailsTheMessageAsExpired() {
    let now = Date()
    let result = DeliveryResult(
      outcome: .temporary, stage: .rcptTo, responseCode: 450, serverText: "450 busy")
    let young = Verdict(
      message: message(attempts: 3, firstAttempt: now.addingTimeInterval(-86_400)), result: result, now: now,
      policy: RetryPolicy())
    let old = Verdict(
      message: message(attempts: 40, firstAttempt: now.addingTimeInterval(-5 * 86_400 - 1)), result: result,
      now: now, policy: RetryPolicy())

    #expect(young.state == .deferred)
    #expect(young.nextAttempt.map { $0.timeIntervalSince(now) >= 2400 } == true)
    #expect(old.state == .failed)
    #expect(old.note?.hasPrefix("expired") == true)
  }

  @Test func aConnectionFailureLeavesTheMessageAsItWasAndCountsForTheBreaker() {
    let result = DeliveryResult(outcome: .temporary, stage: .connect, detail: "Couldn't connect to server")
    let verdict = Verdict(
      message: message(attempts: 2, firstAttempt: Date()), result: result, now: Date(), policy: RetryPolicy())

    #expect(verdict.state == .deferred)
    #expect(verdict.isConnectionFailure)
    #expect(!verdict.isConfiguration)
  }

  @Test func outcomesMapToStates() {
    let cases: [(DeliveryResult.Outcome, SMTPStage, MessageState)] = [
      (.delivered, .done, .sent), (.permanent, .rcptTo, .failed), (.uncertain, .endOfData, .uncertain),
      (.temporary, .endOfData, .deferred), (.configuration, .auth, .pending),
    ]
    for (outcome, stage, state) in cases {
      let verdict = Verdict(
        message: message(attempts: 0, firstAttempt: nil),
        result: DeliveryResult(outcome: outcome, stage: stage),
        now: Date(), policy: RetryPolicy())
      #expect(verdict.state == state, "\(outcome) at \(stage)")
    }
  }
}

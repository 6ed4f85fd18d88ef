import Foundation
import IntroKit
import Testing

@Suite("Retries: backoff and lifetime of a deferred message")
struct RetryPolicyTests {
  @Test func backoffDoublesFromFiveMinutesToAboutAnHourWithJitter() {
    let policy = RetryPolicy()
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let expected: [Double] = [300, 600, 1200, 2400, 4000, 4000, 4000]
    for (index, base) in expected.enumerated() {
      for _ in 0..<50 {
        let wait = policy.nextAttempt(after: index + 1, now: now).timeIntervalSince(now)
        #expect(wait >= base && wait <= base * 1.1, "attempt \(index + 1): \(wait)")
      }
    }
  }

  @Test func aMessageExpiresFiveDaysAfterItsFirstAttempt() {
    let policy = RetryPolicy()
    let first = Date(timeIntervalSince1970: 1_800_000_000)
    #expect(!policy.isExpired(firstAttempt: first, now: first.addingTimeInterval(5 * 86_400 - 1)))
    #expect(policy.isExpired(firstAttempt: first, now: first.addingTimeInterval(5 * 86_400)))
  }
}

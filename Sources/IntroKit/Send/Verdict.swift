import Foundation
import IntroSMTP
import IntroStore

/// What one attempt means for its message.
struct Verdict {
  var state: MessageState
  var nextAttempt: Date?
  var note: String?
  /// The relay could not be reached or refused the login: the message never left
  /// and is put back as it was; three in a row stop the run.
  var isConnectionFailure = false
  var isConfiguration = false

  init(message: ClaimedMessage, result: DeliveryResult, now: Date, policy: RetryPolicy) {
    if result.outcome == .delivered {
      // The common case, per message: no words to keep beyond the attempt's own.
      state = .sent
      return
    }
    let summary = result.description
    switch result.outcome {
    case .delivered:
      state = .sent
    case .permanent:
      state = .failed
      note = summary
    case .uncertain:
      state = .uncertain
      note = summary
    case .configuration:
      state = message.previousState
      note = summary
      isConnectionFailure = true
      isConfiguration = true
    case .temporary:
      switch result.stage {
      case .connect, .tls, .greeting, .ehlo, .startTLS, .auth, .outbox:
        state = message.previousState
        note = summary
        isConnectionFailure = true
      default:
        if policy.isExpired(firstAttempt: message.firstAttemptAt ?? now, now: now) {
          state = .failed
          note = "expired: still refused after \(Int(policy.lifetime / 86_400)) days; \(summary)"
        } else {
          state = .deferred
          nextAttempt = policy.nextAttempt(after: message.attemptCount + 1, now: now)
          note = summary
        }
      }
    }
  }
}

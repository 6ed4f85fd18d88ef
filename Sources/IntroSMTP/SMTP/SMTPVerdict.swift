/// Turns libcurl's result code, the server's reply code and how far the
/// conversation got into a ``DeliveryResult/Outcome``.
///
/// libcurl's result codes do not tell 4xx from 5xx, so the reply code decides
/// between temporary and permanent. Once the body has started, only an explicit
/// reply to the final dot is a verdict: a 354 still standing, a dropped
/// connection or a timeout mean the server may have taken the message.
struct SMTPVerdict: Equatable {
  let outcome: DeliveryResult.Outcome
  let stage: SMTPStage

  // CURLcode values, from curl/curl.h; kept numeric so the rules read as a table.
  private static let tlsFailures: Set<UInt32> = [
    35,  // CURLE_SSL_CONNECT_ERROR
    53,  // CURLE_SSL_ENGINE_NOTFOUND
    58,  // CURLE_SSL_CERTPROBLEM
    59,  // CURLE_SSL_CIPHER
    60,  // CURLE_PEER_FAILED_VERIFICATION
    66,  // CURLE_SSL_ENGINE_INITFAILED
    77,  // CURLE_SSL_CACERT_BADFILE
    80,  // CURLE_SSL_SHUTDOWN_FAILED
    82,  // CURLE_SSL_CRL_BADFILE
    83,  // CURLE_SSL_ISSUER_ERROR
    90,  // CURLE_SSL_PINNEDPUBKEYNOTMATCH
    91,  // CURLE_SSL_INVALIDCERTSTATUS
  ]
  private static let setupFailures: Set<UInt32> = [
    1,  // CURLE_UNSUPPORTED_PROTOCOL
    3,  // CURLE_URL_MALFORMAT
    4,  // CURLE_NOT_BUILT_IN
    48,  // CURLE_UNKNOWN_OPTION
  ]
  private static let authFailures: Set<UInt32> = [
    67,  // CURLE_LOGIN_DENIED
    94,  // CURLE_AUTH_ERROR
  ]
  private static let startTLSMissing: UInt32 = 64  // CURLE_USE_SSL_FAILED
  private static let authReplies: Set<Int> = [530, 534, 535, 538]
  /// Stages before any command about a message: a failure there is the connection's.
  private static let connectionStages: Set<SMTPStage> = [.connect, .greeting, .ehlo, .startTLS, .tls]

  init(outcome: DeliveryResult.Outcome, stage: SMTPStage) {
    self.outcome = outcome
    self.stage = stage
  }

  /// - Parameters:
  ///   - code: the CURLcode of the transfer.
  ///   - responseCode: `CURLINFO_RESPONSE_CODE`, 0 when the server sent none.
  ///   - stage: how far the dialogue got.
  ///   - bodyStarted: whether libcurl had started reading the body (the 354 had come).
  init(code: UInt32, responseCode: Int, stage: SMTPStage, bodyStarted: Bool) {
    if code == 0 {
      self.init(outcome: .delivered, stage: .done)
    } else if Self.tlsFailures.contains(code) {
      self.init(outcome: .configuration, stage: .tls)
    } else if code == Self.startTLSMissing {
      self.init(outcome: .configuration, stage: .startTLS)
    } else if Self.authFailures.contains(code) || Self.authReplies.contains(responseCode) {
      self.init(outcome: .configuration, stage: .auth)
    } else if Self.setupFailures.contains(code) {
      self.init(outcome: .configuration, stage: .connect)
    } else if bodyStarted {
      // The 354 was the last reply before the body; any later code is the server's verdict.
      switch responseCode {
      case 400..<500: self.init(outcome: .temporary, stage: stage)
      case 500..<600: self.init(outcome: .permanent, stage: stage)
      default: self.init(outcome: .uncertain, stage: stage)
      }
    } else if Self.connectionStages.contains(stage) {
      // A refused or garbled greeting or EHLO says nothing about the message:
      // the relay will not talk to us. A 5xx there needs a person (a wrong
      // relay, a blocked address); anything else may pass. Either way the
      // message stays as it was.
      self.init(outcome: (500..<600).contains(responseCode) ? .configuration : .temporary, stage: stage)
    } else {
      switch responseCode {
      case 500..<600: self.init(outcome: .permanent, stage: stage)
      default: self.init(outcome: .temporary, stage: stage)
      }
    }
  }
}

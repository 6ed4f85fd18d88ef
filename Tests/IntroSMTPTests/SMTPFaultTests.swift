import Foundation
import IntroMail
import IntroSMTP
import TestSupport
import Testing

/// Each case makes Postfix's smtp-sink fail at one stage and checks the verdict.
@Suite("SMTP failures per stage against Postfix smtp-sink")
struct SMTPFaultTests {
  struct Fault: Sendable, CustomTestStringConvertible {
    let flags: [String]
    let outcome: DeliveryResult.Outcome
    let stage: SMTPStage
    let code: Int?
    var testDescription: String { "\(flags.joined(separator: " ")) → \(outcome) at \(stage.label)" }
  }

  static let faults: [Fault] = [
    Fault(flags: ["-f", "RCPT"], outcome: .permanent, stage: .rcptTo, code: 500),
    Fault(flags: ["-r", "RCPT"], outcome: .temporary, stage: .rcptTo, code: 450),
    Fault(flags: ["-f", "MAIL"], outcome: .permanent, stage: .mailFrom, code: 500),
    Fault(flags: ["-r", "DATA"], outcome: .temporary, stage: .data, code: 450),
    Fault(flags: ["-r", "."], outcome: .temporary, stage: .endOfData, code: 450),
    Fault(flags: ["-f", "."], outcome: .permanent, stage: .endOfData, code: 500),
    Fault(flags: ["-Q", "RCPT"], outcome: .temporary, stage: .rcptTo, code: 421),
    Fault(flags: ["-q", "MAIL"], outcome: .temporary, stage: .mailFrom, code: nil),
    Fault(flags: ["-q", "."], outcome: .uncertain, stage: .endOfData, code: 354),
    Fault(flags: ["-Q", "."], outcome: .temporary, stage: .endOfData, code: 421),
    // A refused greeting is the connection's failure, never the message's.
    Fault(flags: ["-f", "CONNECT"], outcome: .configuration, stage: .greeting, code: nil),
    Fault(flags: ["-r", "CONNECT"], outcome: .temporary, stage: .greeting, code: nil),
    Fault(flags: ["-f", "EHLO", "-f", "HELO"], outcome: .configuration, stage: .ehlo, code: nil),
  ]

  @Test(arguments: faults)
  func failureAtAStageHasTheDesignedVerdict(_ fault: Fault) throws {
    let sink = try SMTPSink(flags: fault.flags)
    defer { sink.stop() }
    let transport = SMTPTransport(
      configuration: try SMTPConfiguration(
        url: "smtp://127.0.0.1:\(sink.port)", tls: .none, responseTimeout: 5, messageTimeout: 10))

    let result = transport.openSession().deliver(try testMessage())

    #expect(result.outcome == fault.outcome, "\(result)")
    #expect(result.stage == fault.stage, "\(result)")
    if let code = fault.code {
      #expect(result.responseCode == code, "\(result)")
    }
  }

  @Test func replyThatNeverComesAfterTheFinalDotIsUncertain() throws {
    // -W .:3 holds the verdict for 3 s; the client gives up after 1 s.
    let sink = try SMTPSink(flags: ["-W", ".:3"])
    defer { sink.stop() }
    let transport = SMTPTransport(
      configuration: try SMTPConfiguration(
        url: "smtp://127.0.0.1:\(sink.port)", tls: .none, responseTimeout: 1, messageTimeout: 10))

    let result = transport.openSession().deliver(try testMessage())

    #expect(result.outcome == .uncertain, "\(result)")
    #expect(result.stage == .endOfData)
  }

  /// Sends two messages over one session to a sink started with `flags`;
  /// returns both results and how many times the session said EHLO (once per connection).
  private func twoMessagesOverOneSession(sinkFlags flags: [String]) throws -> (
    [DeliveryResult], Int, SMTPSink
  ) {
    let sink = try SMTPSink(flags: flags)
    let lines = TraceLines()
    let transport = SMTPTransport(
      configuration: try SMTPConfiguration(url: "smtp://127.0.0.1:\(sink.port)", tls: .none),
      trace: lines.trace)
    let session = transport.openSession()
    let results = [
      session.deliver(try testMessage(to: "one@example.com")),
      session.deliver(try testMessage(to: "two@example.com")),
    ]
    return (results, lines.all.filter { $0.contains("> EHLO") }.count, sink)
  }

  @Test func failedTransferThrowsTheConnectionAway() throws {
    let (results, greetings, sink) = try twoMessagesOverOneSession(sinkFlags: ["-r", "."])
    defer { sink.stop() }

    #expect(results.map(\.outcome) == [.temporary, .temporary])
    #expect(greetings == 2)
  }

  @Test func successfulTransferKeepsTheConnection() throws {
    let (results, greetings, sink) = try twoMessagesOverOneSession(sinkFlags: [])
    defer { sink.stop() }

    #expect(results.map(\.outcome) == [.delivered, .delivered])
    #expect(greetings == 1)
    #expect(sink.dumps().count == 2)
  }

  @Test func relayThatIsDownIsATemporaryFailureAtConnect() throws {
    let port = try freePort()
    let transport = SMTPTransport(
      configuration: try SMTPConfiguration(url: "smtp://127.0.0.1:\(port)", tls: .none))

    let result = transport.openSession().deliver(try testMessage())

    #expect(result.outcome == .temporary)
    #expect(result.stage == .connect)
    #expect(result.detail?.isEmpty == false)
  }
}

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

  @Test func failedTransferThrowsTheConnectionAway() throws {
    let sink = try SMTPSink(flags: ["-r", "."])
    defer { sink.stop() }
    let lines = TraceLines()
    let transport = SMTPTransport(
      configuration: try SMTPConfiguration(url: "smtp://127.0.0.1:\(sink.port)", tls: .none),
      trace: lines.trace)
    let session = transport.openSession()

    let first = session.deliver(try testMessage(to: "one@example.com"))
    let second = session.deliver(try testMessage(to: "two@example.com"))

    #expect(first.outcome == .temporary)
    #expect(second.outcome == .temporary)
    #expect(lines.all.filter { $0.contains("Connected to") }.count == 2)
    #expect(lines.all.filter { $0.contains("> EHLO") }.count == 2)
  }

  @Test func successfulTransferKeepsTheConnection() throws {
    let sink = try SMTPSink()
    defer { sink.stop() }
    let lines = TraceLines()
    let transport = SMTPTransport(
      configuration: try SMTPConfiguration(url: "smtp://127.0.0.1:\(sink.port)", tls: .none),
      trace: lines.trace)
    let session = transport.openSession()

    let first = session.deliver(try testMessage(to: "one@example.com"))
    let second = session.deliver(try testMessage(to: "two@example.com"))

    #expect(first.outcome == .delivered)
    #expect(second.outcome == .delivered)
    #expect(lines.all.filter { $0.contains("> EHLO") }.count == 1)
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

import Foundation
import IntroMail

/// A draft from the rep to `to`, with a fixed date and Message-ID.
func draft(to: Mailbox, subject: String = "Hello", text: String = "Hi.\n") throws -> MessageDraft {
  MessageDraft(
    from: try Mailbox(parsing: "Dana Rep <dana@example.com>"), to: [to], subject: subject, text: text,
    date: Date(timeIntervalSince1970: 1_795_000_000),
    timeZone: TimeZone(identifier: "Europe/Berlin") ?? .current,
    messageID: "<test.1@example.com>")
}

import Foundation
public import IntroStore

extension Store {
  /// Stores one batch of `count` small messages, to `client0@example.org` and
  /// on, and returns their ids in order.
  public func recordTestBatch(count: Int, recipientPrefix: String = "client", now: Date = Date()) throws
    -> [Int64]
  {
    let recorder = try recordBatch(
      template: "thank-you", command: "intro send", audience: "--csv x", now: now
    ) {
      recorder in
      for number in 0..<count {
        let recipient = "\(recipientPrefix)\(number)@example.org"
        try recorder.add(
          NewMessage(
            recipient: recipient, recipientKey: recipient, sender: "rep@example.com",
            messageID: "m\(number).\(recipientPrefix)@example.com",
            idempotencyKey: "\(recipientPrefix)\(number)",
            template: "thank-you", subject: "Thanks",
            body: Array("To: \(recipient)\r\nSubject: Thanks\r\n\r\nHi\r\n".utf8)))
      }
      return true
    }
    return recorder?.messageIDs ?? []
  }

  /// The state of each message in `ids`, in order.
  public func states(_ ids: [Int64]) throws -> [MessageState?] {
    var filter = MessageFilter()
    filter.ids = ids
    filter.limit = nil
    let found = Dictionary(uniqueKeysWithValues: try messages(filter).map { ($0.id, $0.state) })
    return ids.map { found[$0] }
  }
}

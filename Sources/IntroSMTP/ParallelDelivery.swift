import Foundation
import Synchronization

extension MailTransport {
  /// Delivers `messages` over up to ``parallelism`` sessions at once.
  ///
  /// Each session runs on a thread of its own and keeps its connection from one
  /// message to the next; messages are handed out in order as sessions become
  /// free. Returns when every message has a result.
  ///
  /// - Parameters:
  ///   - bodyStarted: called with a message's index the moment its body starts to go out.
  ///   - completed: called with a message's index and result as soon as it is known,
  ///     from the session's thread.
  public func deliverAll(
    _ messages: [OutgoingMessage],
    bodyStarted: @escaping @Sendable (Int) -> Void = { _ in },
    completed: @escaping @Sendable (Int, DeliveryResult) -> Void
  ) {
    let next = Mutex(0)
    let group = DispatchGroup()
    let sessions = min(parallelism, messages.count)
    for number in 1...max(1, sessions) where !messages.isEmpty {
      group.enter()
      let thread = Thread {
        defer { group.leave() }
        let session = openSession(number: number)
        defer { session.close() }
        while true {
          let index = next.withLock { value in
            defer { value += 1 }
            return value
          }
          guard index < messages.count else { break }
          let result = session.deliver(messages[index]) {
            bodyStarted(index)
            return true
          }
          completed(index, result)
        }
      }
      thread.name = "intro-delivery-\(number)"
      thread.start()
    }
    group.wait()
  }
}

import Foundation
import IntroKit
import Synchronization

/// A one-line progress bar on standard error, redrawn at most ten times a second.
final class ProgressBar: Sendable {
  private let enabled: Bool
  private let lastDraw = Mutex(Date.distantPast)

  init(enabled: Bool) { self.enabled = enabled }

  func update(_ counts: SendCounts) {
    guard enabled else { return }
    let now = Date()
    let due = lastDraw.withLock { last in
      guard now.timeIntervalSince(last) >= 0.1 || counts.done == counts.total else { return false }
      last = now
      return true
    }
    if due { draw(counts) }
  }

  func finish() {
    guard enabled else { return }
    let line = "\r" + String(repeating: " ", count: 79) + "\r"
    _ = line.withCString { write(2, $0, strlen($0)) }
  }

  private func draw(_ c: SendCounts) {
    let width = 24
    let filled = c.total == 0 ? width : min(width, width * c.done / c.total)
    let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
    var line = "\r[\(bar)] \(c.done)/\(c.total) sent \(c.sent)"
    if c.deferred > 0 { line += " deferred \(c.deferred)" }
    if c.failed > 0 { line += " failed \(c.failed)" }
    if c.uncertain > 0 { line += " uncertain \(c.uncertain)" }
    if c.suppressed > 0 { line += " suppressed \(c.suppressed)" }
    _ = line.withCString { write(2, $0, strlen($0)) }
  }
}

/// Turns the first Ctrl-C (or SIGTERM) into a polite stop: messages in flight
/// finish and are recorded, the rest stay as they are. A second one ends the
/// process at once (what is journaled is still safe: see BatchRunner).
final class InterruptHandler {
  private let sources: [any DispatchSourceSignal]

  init(_ stop: @escaping @Sendable () -> Void) {
    var sources: [any DispatchSourceSignal] = []
    for signalNumber in [SIGINT, SIGTERM] {
      signal(signalNumber, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
      let count = Atomic(0)
      source.setEventHandler {
        if count.add(1, ordering: .relaxed).newValue == 1 {
          writeError("\nintro: stopping after the messages in flight (again to stop at once)")
          stop()
        } else {
          signal(signalNumber, SIG_DFL)
          raise(signalNumber)
        }
      }
      source.resume()
      sources.append(source)
    }
    self.sources = sources
  }

  deinit {
    for source in sources { source.cancel() }
  }
}

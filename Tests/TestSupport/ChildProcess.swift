import Foundation

/// A process a test starts and must stop: a server, or the `intro` binary.
///
/// Standard output is read line by line with a deadline, so a server that
/// never says it is ready fails the test instead of hanging it.
public final class ChildProcess: @unchecked Sendable {
  // @unchecked: `process` and the pipes are only touched from the test's own
  // task; Foundation's Process is not marked Sendable on Linux.
  public let process = Process()
  private let stdout = Pipe()
  private let stderr = Pipe()
  private let stdin = Pipe()
  private var buffer: [UInt8] = []
  private var stopped = false
  private let stopsWhenStdinCloses: Bool

  /// Starts `executable` with `arguments`; its stdin is a pipe kept open until ``stop()``.
  /// - Parameter stopsWhenStdinCloses: the child exits by itself when its stdin closes.
  public init(
    _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
    stopsWhenStdinCloses: Bool = false
  ) throws {
    self.stopsWhenStdinCloses = stopsWhenStdinCloses
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    process.standardOutput = stdout
    process.standardError = stderr
    process.standardInput = stdin
    try process.run()
  }

  /// The next line of standard output, or nil at end of output or after `timeout` seconds.
  public func readLine(timeout: Double) -> String? {
    let deadline = Date().addingTimeInterval(timeout)
    let fd = stdout.fileHandleForReading.fileDescriptor
    while true {
      if let newline = buffer.firstIndex(of: 0x0A) {
        let line = String(decoding: buffer[..<newline], as: UTF8.self)
        buffer.removeSubrange(...newline)
        return line
      }
      let remaining = deadline.timeIntervalSinceNow
      guard remaining > 0 else { return nil }
      var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
      let ready = poll(&poller, 1, Int32(min(remaining, 1) * 1000))
      if ready <= 0 { continue }
      var chunk = [UInt8](repeating: 0, count: 4096)
      let count = read(fd, &chunk, chunk.count)
      if count <= 0 { return nil }
      buffer.append(contentsOf: chunk[..<count])
    }
  }

  /// Waits up to `seconds` for the process to end; its exit status, or nil if it is still running.
  public func waitForExit(seconds: Double = 30) -> Int32? {
    let deadline = Date().addingTimeInterval(seconds)
    while process.isRunning && Date() < deadline { usleep(20_000) }
    return process.isRunning ? nil : process.terminationStatus
  }

  /// Writes `text` to the child's standard input.
  public func write(_ text: String) {
    stdin.fileHandleForWriting.write(Data(text.utf8))
  }

  /// Everything the process wrote to standard output and has not been read as a line (call after it ended).
  public func standardOutput() -> String {
    let rest = stdout.fileHandleForReading.readDataToEndOfFile()
    defer { buffer = [] }
    return String(decoding: buffer + rest, as: UTF8.self)
  }

  /// Everything the process wrote to standard error (call after it ended).
  public func standardError() -> String {
    String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
  }

  /// Ends the process and waits for it: closes its stdin, and kills it unless it
  /// was started with `stopsWhenStdinCloses` and ends within 3 s.
  public func stop() {
    guard !stopped else { return }
    stopped = true
    // The test runner blocks SIGTERM, and children inherit that mask, so a
    // polite child is asked to stop by closing its stdin; others are killed.
    try? stdin.fileHandleForWriting.close()
    let pid = process.processIdentifier
    let watchdog = DispatchWorkItem { kill(pid, SIGKILL) }
    DispatchQueue.global().asyncAfter(deadline: .now() + (stopsWhenStdinCloses ? 3 : 0), execute: watchdog)
    process.waitUntilExit()
    watchdog.cancel()
  }

  deinit { stop() }
}

/// What a finished command printed and how it exited.
public struct CommandOutput: Sendable {
  public let status: Int32
  public let stdout: String
  public let stderr: String
}

/// Runs `executable` to completion (at most `timeout` seconds) with `input` on stdin.
public func runCommand(
  _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
  input: [UInt8] = [], timeout: Double = 60
) throws -> CommandOutput {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: executable)
  process.arguments = arguments
  if let environment { process.environment = environment }
  let output = Pipe()
  let errors = Pipe()
  let stdin = Pipe()
  process.standardOutput = output
  process.standardError = errors
  process.standardInput = stdin
  try process.run()
  // Read both pipes on their own threads so a chatty process never blocks on a full pipe.
  let collected = CollectedOutput()
  let group = DispatchGroup()
  for (pipe, isError) in [(output, false), (errors, true)] {
    group.enter()
    DispatchQueue.global().async {
      let data = pipe.fileHandleForReading.readDataToEndOfFile()
      collected.set(data, isError: isError)
      group.leave()
    }
  }
  try stdin.fileHandleForWriting.write(contentsOf: input)
  try stdin.fileHandleForWriting.close()
  let deadline = Date().addingTimeInterval(timeout)
  while process.isRunning && Date() < deadline { usleep(5_000) }
  if process.isRunning {
    // SIGTERM is blocked in children of the test runner; only SIGKILL is sure.
    kill(process.processIdentifier, SIGKILL)
  }
  process.waitUntilExit()
  group.wait()
  return CommandOutput(
    status: process.terminationStatus, stdout: collected.text(isError: false),
    stderr: collected.text(isError: true))
}

private final class CollectedOutput: @unchecked Sendable {
  // @unchecked: every access holds `lock`.
  private let lock = NSLock()
  private var out = Data()
  private var err = Data()

  func set(_ data: Data, isError: Bool) {
    lock.withLock { if isError { err = data } else { out = data } }
  }

  func text(isError: Bool) -> String {
    lock.withLock { String(decoding: isError ? err : out, as: UTF8.self) }
  }
}

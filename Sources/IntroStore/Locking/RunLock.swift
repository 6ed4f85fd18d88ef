import Foundation

/// One sending run per store at a time: an exclusive `flock(2)` on
/// `STORE.lock`, next to the store. The kernel drops the lock when the process
/// ends, however it ends, so a killed run never leaves a stale lock behind.
///
/// `send` and `remind` hold it from before they look for work until they exit,
/// so two cron runs that overlap can never both claim the same message.
public final class RunLock: Sendable {
  /// The lock file.
  public let path: String
  private let descriptor: Int32

  /// What a lock is for: each kind is a file of its own.
  public enum Purpose: Sendable {
    /// One `send` or `remind` at a time (`STORE.lock`).
    case send
    /// One process setting up or upgrading the schema at a time (`STORE.setup-lock`),
    /// apart from the send lock so a running send never holds up a new store.
    case setup

    var suffix: String { self == .send ? ".lock" : ".setup-lock" }
    var doing: String { self == .send ? "send" : "set up or upgrade the store" }
    var holder: String { self == .send ? "another intro send or remind" : "another intro" }
  }

  /// Takes the lock for the store at `storePath`, waiting up to `wait` seconds
  /// for another run to finish.
  /// - Parameter purpose: which lock, and what to say when it cannot be had.
  /// - Throws: ``StoreError/Kind/busy`` when the other run is still going.
  public init(storePath: String, wait: TimeInterval, purpose: Purpose = .send) throws(StoreError) {
    path = storePath + purpose.suffix
    let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
    guard fd >= 0 else {
      throw StoreError(.permissions, "cannot open the lock file \(path): \(String(cString: strerror(errno)))")
    }
    let deadline = Date().addingTimeInterval(max(0, wait))
    while flock(fd, LOCK_EX | LOCK_NB) != 0 {
      guard errno == EWOULDBLOCK || errno == EINTR, Date() < deadline else {
        let reason = errno == EWOULDBLOCK ? nil : String(cString: strerror(errno))
        close(fd)
        if let reason { throw StoreError(.permissions, "cannot lock \(path): \(reason)") }
        let holders = LockHolders.describe([path])
        let who = holders.isEmpty ? "" : " (\(holders.joined(separator: ", ")))"
        throw StoreError(
          .busy,
          "cannot \(purpose.doing): \(purpose.holder) is already running on this store\(who) "
            + "(\(path)); it was still running after \(Int(wait)) s. Nothing was sent or lost; "
            + "try again later, or pass --wait SECONDS")
      }
      usleep(50_000)
    }
    descriptor = fd
  }

  deinit {
    flock(descriptor, LOCK_UN)
    close(descriptor)
  }
}

/// The kernel's id for the current boot. A message claimed under another boot
/// id was in flight when the machine went down, and the unflushed end of the
/// store's log may have gone with it.
public enum BootID {
  /// `/proc/sys/kernel/random/boot_id`, or `unknown` where there is none.
  public static let current: String = {
    guard let text = try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8) else {
      return "unknown"
    }
    return text.trimmingCharacters(in: .whitespacesAndNewlines)
  }()
}

import Foundation

/// Delivers by writing each message as an `.eml` file into a folder.
///
/// This is the transport when no SMTP relay is configured, so `intro` works on
/// a fresh machine: the rep opens the files in a mail client or sends them by
/// hand. Each file appears whole or not at all (written to a hidden temporary
/// file, flushed, then renamed) and is readable by its owner only (0600), in a
/// folder created 0700. The envelope recipient is part of the file name,
/// because a `Bcc` recipient appears nowhere in the message itself.
public struct OutboxTransport: MailTransport {
  /// The folder the `.eml` files go to.
  public let directory: URL

  /// An outbox writing to `directory`, which is created when the first message arrives.
  public init(directory: URL) {
    self.directory = directory
  }

  public var parallelism: Int { 1 }

  public func openSession(number: Int) -> any MailSession { OutboxSession(directory: directory) }

  /// Deletes the `.eml` files addressed to `address` or mentioning it, in any
  /// case (for `intro contact forget`): the outbox keeps nothing of a
  /// forgotten person. Files that cannot be read are left alone and reported.
  /// - Returns: the files removed and the files that could not be checked.
  public func removeMessages(about address: String) -> (removed: [String], unreadable: [String]) {
    let needle = Array(address.lowercased().utf8)
    guard !needle.isEmpty,
      let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path)
    else { return ([], []) }
    var removed: [String] = []
    var unreadable: [String] = []
    for name in names.sorted() where name.hasSuffix(".eml") || name.hasSuffix(".tmp") {
      let path = directory.appendingPathComponent(name).path
      let mentions: Bool
      if Self.contains(Array(name.lowercased().utf8), needle) {
        mentions = true
      } else if let data = FileManager.default.contents(atPath: path) {
        mentions = Self.contains(data.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, needle)
      } else {
        unreadable.append(path)
        continue
      }
      if mentions {
        if unlink(path) == 0 { removed.append(path) } else { unreadable.append(path) }
      }
    }
    return (removed, unreadable)
  }

  private static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard haystack.count >= needle.count else { return false }
    for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
      if haystack[start..<start + needle.count].elementsEqual(needle) { return true }
    }
    return false
  }
}

final class OutboxSession: MailSession {
  private let directory: URL

  init(directory: URL) { self.directory = directory }

  func deliver(_ message: OutgoingMessage, bodyStarted: () -> Bool) -> DeliveryResult {
    do throws(OutboxError) {
      try Self.makeDirectory(directory)
      guard bodyStarted() else { return .heldBack(at: .outbox) }
      let path = try write(message)
      return DeliveryResult(outcome: .delivered, stage: .done, location: path)
    } catch {
      return DeliveryResult(outcome: .temporary, stage: .outbox, detail: error.description)
    }
  }

  func close() {}

  private func write(_ message: OutgoingMessage) throws(OutboxError) -> String {
    let name = Self.fileName(for: message.envelope.recipient.rawValue)
    let final = directory.appendingPathComponent(name).path
    let temporary = directory.appendingPathComponent(".\(name).tmp").path
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw OutboxError(action: "create", path: temporary, errno: errno) }
    var failure: OutboxError?
    message.data.withUnsafeBytes { bytes in
      var offset = 0
      while offset < bytes.count, let base = bytes.baseAddress {
        let written = Foundation.write(fd, base + offset, bytes.count - offset)
        if written < 0 {
          if errno == EINTR { continue }
          failure = OutboxError(action: "write", path: temporary, errno: errno)
          return
        }
        offset += written
      }
    }
    if failure == nil, fsync(fd) != 0 {
      failure = OutboxError(action: "flush", path: temporary, errno: errno)
    }
    Foundation.close(fd)
    if failure == nil, rename(temporary, final) != 0 {
      failure = OutboxError(action: "rename", path: final, errno: errno)
    }
    if let failure {
      unlink(temporary)
      throw failure
    }
    return final
  }

  static func makeDirectory(_ directory: URL) throws(OutboxError) {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory) {
      guard isDirectory.boolValue else {
        throw OutboxError(action: "use as a folder", path: directory.path, errno: ENOTDIR)
      }
      return
    }
    do {
      try FileManager.default.createDirectory(
        at: directory, withIntermediateDirectories: true,
        attributes: [.posixPermissions: 0o700])
    } catch {
      throw OutboxError(action: "create folder", path: directory.path, reason: "\(error)")
    }
  }

  /// `20261123T210455Z-client@example.com-1f3a9c.eml`: sorts by time, says who it is for.
  static func fileName(for recipient: String) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
    let safeRecipient = String(
      recipient.map { $0 == "/" || $0 == "\\" ? "_" : $0 })
    let random = String(UInt32.random(in: 0...UInt32.max), radix: 16)
    return "\(formatter.string(from: Date()))-\(safeRecipient)-\(random).eml"
  }
}

/// The outbox could not store a message.
struct OutboxError: Error, CustomStringConvertible {
  let action: String
  let path: String
  let reason: String

  init(action: String, path: String, reason: String) {
    self.action = action
    self.path = path
    self.reason = reason
  }

  init(action: String, path: String, errno code: Int32) {
    self.init(action: action, path: path, reason: String(cString: strerror(code)))
  }

  var description: String {
    "cannot \(action) \(path): \(reason) (check that the outbox folder is yours and the disk has room)"
  }
}

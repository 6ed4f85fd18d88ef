import Foundation

/// A counter beside the store (`STORE.optouts`), raised after every committed
/// suppression or forget, so that a running send notices an opt-out between
/// two messages for the price of one `pread(2)` instead of a database query.
///
/// A send claims messages up to two groups ahead and checks suppressions when
/// it claims them; it reads the counter again just before handing a message to
/// a connection, and when the counter moved since the claim, it asks the store
/// whether that recipient is still allowed. So a suppression that has returned
/// stops every message whose `MAIL FROM` has not gone yet.
public final class OptOutSignal: Sendable {
  /// The counter file.
  public let path: String
  // -1 when the file could not be opened: then every hand-out asks the store.
  private let descriptor: Int32

  init(storePath: String) {
    path = storePath + ".optouts"
    descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
    // The counter's 8 bytes are allocated now, so raising it later never needs
    // a new block: a suppression on a full disk still reaches running sends.
    var info = stat()
    if descriptor >= 0, fstat(descriptor, &info) == 0, info.st_size < 8 {
      var zero: UInt64 = 0
      _ = withUnsafeBytes(of: &zero) { pwrite(descriptor, $0.baseAddress, 8, 0) }
    }
  }

  deinit { if descriptor >= 0 { close(descriptor) } }

  /// The number of suppressions so far, or nil when the file cannot be read
  /// (then a caller must ask the store every time).
  public var generation: UInt64? {
    guard descriptor >= 0 else { return nil }
    var value: UInt64 = 0
    let read = withUnsafeMutableBytes(of: &value) { pread(descriptor, $0.baseAddress, 8, 0) }
    if read == 0 { return 0 }
    return read == 8 ? value : nil
  }

  /// Raises the counter; called after a suppression has committed.
  func raise() throws(StoreError) {
    guard descriptor >= 0 else {
      throw StoreError(.permissions, "cannot open \(path): \(String(cString: strerror(errno)))")
    }
    flock(descriptor, LOCK_EX)
    defer { flock(descriptor, LOCK_UN) }
    var value = (generation ?? 0) &+ 1
    let written = withUnsafeBytes(of: &value) { pwrite(descriptor, $0.baseAddress, 8, 0) }
    guard written == 8 else {
      throw StoreError(
        .database,
        "the address is suppressed in the store, but \(path) could not be updated "
          + "(\(String(cString: strerror(errno)))): a send running right now may not notice")
    }
  }
}

/// The bytes a render writes: a growable buffer with cheap appends.
///
/// An `Array` append checks uniqueness and capacity and calls through generic
/// code on every call; a render makes dozens per message, so the renderer
/// writes here and hands the result over once at the end.
struct OutputBuffer: ~Copyable {
  private var base: UnsafeMutablePointer<UInt8>
  private(set) var count = 0
  private var capacity: Int

  init(capacity: Int) {
    self.capacity = max(capacity, 64)
    base = .allocate(capacity: self.capacity)
  }

  deinit { base.deallocate() }

  /// Makes room for `extra` more bytes and returns where they go.
  @inline(__always)
  mutating func reserve(_ extra: Int) -> UnsafeMutablePointer<UInt8> {
    if count + extra > capacity { grow(to: count + extra) }
    return base + count
  }

  /// Counts `written` bytes placed after ``reserve(_:)``.
  @inline(__always)
  mutating func commit(_ written: Int) { count += written }

  @inline(__always)
  mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
    guard let source = bytes.baseAddress, bytes.count > 0 else { return }
    reserve(bytes.count).update(from: source, count: bytes.count)
    count += bytes.count
  }

  mutating func append(_ bytes: [UInt8]) {
    bytes.withUnsafeBufferPointer { append($0) }
  }

  /// The bytes from `start` to the end.
  func bytes(from start: Int) -> [UInt8] {
    Array(UnsafeBufferPointer(start: base + start, count: count - start))
  }

  /// Drops everything from `start` on.
  mutating func truncate(to start: Int) { count = min(count, start) }

  /// Appends everything written to `array`.
  func copy(into array: inout [UInt8]) {
    array.append(contentsOf: UnsafeBufferPointer(start: base, count: count))
  }

  private mutating func grow(to needed: Int) {
    let newCapacity = max(needed, capacity * 2)
    let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
    grown.update(from: base, count: count)
    base.deallocate()
    base = grown
    capacity = newCapacity
  }
}

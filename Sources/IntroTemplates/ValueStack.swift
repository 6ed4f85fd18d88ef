/// The context stack of a render: the root value, then one frame per open section.
///
/// Frames are pushed and popped in strict order, so a manually managed buffer
/// does the job without the uniqueness checks (and, measured, the copies) an
/// `Array` makes on every push inside a loop over a list.
struct ValueStack: ~Copyable {
  private var base: UnsafeMutablePointer<TemplateValue>
  private var count: Int
  private var capacity: Int

  init(root: TemplateValue) {
    capacity = 16
    base = .allocate(capacity: capacity)
    base.initialize(to: root)
    count = 1
  }

  deinit {
    base.deinitialize(count: count)
    base.deallocate()
  }

  /// The innermost frame.
  var top: TemplateValue { base[count - 1] }

  mutating func push(_ value: TemplateValue) {
    if count == capacity {
      let grown = UnsafeMutablePointer<TemplateValue>.allocate(capacity: capacity * 2)
      grown.moveInitialize(from: base, count: count)
      base.deallocate()
      base = grown
      capacity *= 2
    }
    (base + count).initialize(to: value)
    count += 1
  }

  mutating func pop() {
    count -= 1
    (base + count).deinitialize(count: 1)
  }

  /// The value of `key` in the innermost frame that is an object holding it.
  func find(_ key: Key) -> TemplateValue? {
    var index = count - 1
    while index >= 0 {
      if case .object(let object) = base[index], let value = object[key] { return value }
      index -= 1
    }
    return nil
  }
}

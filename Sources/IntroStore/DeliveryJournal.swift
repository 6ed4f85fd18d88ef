import Foundation
internal import GRDB

/// The redo log of a sending run: every state change is appended to a file
/// next to the store with one `write(2)`, and folded into the store in bulk.
///
/// Why: a state change must be safe before the next network step, but a
/// SQLite transaction per change costs a hundred microseconds and a dozen
/// system calls (locks, one write per page), which caps a batch far below what
/// a local relay accepts. An append costs a few microseconds.
///
/// What it guarantees:
/// - **Process killed** (`kill -9`, a crash): an appended line is in the
///   kernel's page cache the moment `append` returns, so it survives the
///   process. The next run replays every line the store has not seen yet
///   (``Store/recoverInterrupted(bootID:now:)``) before it looks at any state.
/// - **Power loss**: lines not yet flushed are lost, and a message may look
///   `sending` although it went out. Messages are claimed in a flushed store
///   transaction tagged with the kernel boot id, so such a message is found
///   with an older boot id and becomes `uncertain`: never sent twice, never
///   silently `pending` again.
///
/// Files are `STORE.journal-N`. A store transaction applies a file's lines and
/// records `N` in `store_settings` (`journal_applied`) in one commit; the file
/// is deleted afterwards, and a file whose number is already recorded is never
/// applied twice. A fold that fails (the store is busy, the disk is full)
/// hands its lines back, and the next fold applies them first: a later file is
/// never marked applied while an earlier one's lines are not in the store. Readers of the store (`intro log` during a run) see the
/// store as of the last claim, at most one claim group behind.
public final class DeliveryJournal: @unchecked Sendable {
  // @unchecked: `file` is only written with `fileLock` held for writing, and
  // read with it held for reading; `updates` only with `lock` held.
  //
  // Four sessions append at once, and a write(2) takes microseconds: held
  // under one mutex, it made the sessions queue (and sleep in the kernel) for
  // each other. So appenders share `fileLock` (a reader-writer lock: readers
  // never wait for readers) for the write itself, and take the mutex only to
  // note the update in memory; only a rotation takes `fileLock` alone. Plain
  // pthread locks, not Synchronization.Mutex: on Linux that one is a
  // priority-inheritance futex, whose contended path costs more again.
  private struct File {
    var number: Int
    var descriptor: Int32
  }

  private let store: Store
  private let fileLock: UnsafeMutablePointer<pthread_rwlock_t>
  private let lock = NSLock()
  private var file: File
  private var updates: [DeliveryUpdate] = []
  /// The lines of files whose fold failed, oldest first, for the next fold.
  private var carried = Rotation(numbers: [], updates: [])

  /// The files a fold applies and their lines, in the order they were appended.
  struct Rotation {
    var numbers: [Int]
    var updates: [DeliveryUpdate]
  }

  /// Opens a new journal file for a run. Call after ``Store/recoverInterrupted(bootID:now:)``.
  public init(store: Store) throws(StoreError) {
    self.store = store
    let applied = try store.read { db in try Self.appliedNumber(db) }
    let highest = Self.files(of: store.path).map(\.number).max() ?? 0
    let number = max(applied, highest) + 1
    file = File(number: number, descriptor: try Self.open(store.path, number))
    fileLock = .allocate(capacity: 1)
    var attributes = pthread_rwlockattr_t()
    pthread_rwlockattr_init(&attributes)
    #if canImport(Glibc)
      // A rotation waits for the appends in progress, not for every append to come.
      pthread_rwlockattr_setkind_np(&attributes, Int32(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP))
    #endif
    pthread_rwlock_init(fileLock, &attributes)
    pthread_rwlockattr_destroy(&attributes)
  }

  deinit {
    if file.descriptor >= 0 { close(file.descriptor) }
    pthread_rwlock_destroy(fileLock)
    fileLock.deallocate()
  }

  /// Appends `update`; when this returns, a killed process cannot lose it.
  ///
  /// The file is opened `O_APPEND`, so each line lands whole at the end
  /// whatever the other sessions write at the same moment; the lines of one
  /// message come from one session, in order.
  public func append(_ update: DeliveryUpdate) throws(StoreError) {
    if case .bodyStarted = update {
      try store.injectFault(at: .journalBodyStarted)
    } else {
      try store.injectFault(at: .journalOutcome)
    }
    let line = Self.encode(update)
    pthread_rwlock_rdlock(fileLock)
    defer { pthread_rwlock_unlock(fileLock) }
    try line.withUnsafeBufferPointer { (bytes: UnsafeBufferPointer<UInt8>) throws(StoreError) in
      var offset = 0
      while offset < bytes.count {
        let written = write(file.descriptor, bytes.baseAddress! + offset, bytes.count - offset)
        if written < 0 {
          if errno == EINTR { continue }
          let full = errno == ENOSPC || errno == EDQUOT
          throw StoreError(
            full ? .diskFull : .database,
            "cannot write the delivery journal \(Self.path(store.path, file.number)): "
              + "\(String(cString: strerror(errno)))"
              + (full ? "; free some space, then run the command again (nothing is sent twice)" : ""))
        }
        offset += written
      }
    }
    lock.lock()
    updates.append(update)
    lock.unlock()
  }

  /// Starts a new file and hands over the lines of the old one (after those
  /// of any fold that failed), to apply.
  func rotate() throws(StoreError) -> Rotation {
    try withFileAlone { (file: inout File) throws(StoreError) in
      let next = try Self.open(store.path, file.number + 1)
      close(file.descriptor)
      let number = file.number
      file = File(number: number + 1, descriptor: next)
      lock.lock()
      defer {
        updates = []
        carried = Rotation(numbers: [], updates: [])
        lock.unlock()
      }
      return Rotation(numbers: carried.numbers + [number], updates: carried.updates + updates)
    }
  }

  /// A fold of `rotation` did not commit: its lines go first in the next one.
  func requeue(_ rotation: Rotation) {
    lock.lock()
    defer { lock.unlock() }
    carried = Rotation(
      numbers: rotation.numbers + carried.numbers, updates: rotation.updates + carried.updates)
  }

  /// Runs `body` with no append in progress.
  private func withFileAlone<T, E: Error>(_ body: (inout File) throws(E) -> T) throws(E) -> T {
    pthread_rwlock_wrlock(fileLock)
    defer { pthread_rwlock_unlock(fileLock) }
    return try body(&file)
  }

  /// Folds everything appended so far into the store, flushed, and removes the file.
  public func checkpoint() throws(StoreError) {
    _ = try store.claim([], bootID: "", journal: self)
  }

  /// Ends the run's journal: a last checkpoint, and its empty file removed.
  public func finish() throws(StoreError) {
    try checkpoint()
    let number = withFileAlone { file in
      close(file.descriptor)
      file.descriptor = -1
      return file.number
    }
    unlink(Self.path(store.path, number))
  }

  // MARK: Files

  static func path(_ storePath: String, _ number: Int) -> String { "\(storePath).journal-\(number)" }

  private static func open(_ storePath: String, _ number: Int) throws(StoreError) -> Int32 {
    let fd = Foundation.open(path(storePath, number), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
    guard fd >= 0 else {
      throw StoreError(
        .permissions,
        "cannot create the delivery journal \(path(storePath, number)): \(String(cString: strerror(errno)))")
    }
    return fd
  }

  /// The journal files next to the store, oldest first.
  static func files(of storePath: String) -> [(number: Int, path: String)] {
    let folder = (storePath as NSString).deletingLastPathComponent
    let prefix = (storePath as NSString).lastPathComponent + ".journal-"
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.isEmpty ? "." : folder)) ?? []
    return names.compactMap { name -> (Int, String)? in
      guard name.hasPrefix(prefix), let number = Int(name.dropFirst(prefix.count)) else { return nil }
      return (number, folder.isEmpty ? name : folder + "/" + name)
    }.sorted { $0.0 < $1.0 }
  }

  static func appliedNumber(_ db: Database) throws -> Int {
    try String.fetchOne(db, sql: "SELECT value FROM store_settings WHERE name = 'journal_applied'")
      .flatMap { Int($0) } ?? 0
  }

  static func setApplied(_ number: Int, _ db: Database) throws {
    try db.execute(
      sql: "INSERT OR REPLACE INTO store_settings (name, value) VALUES ('journal_applied', ?)",
      arguments: [String(number)])
  }

  /// Replays the journal files the store has not applied, in the caller's transaction.
  /// - Returns: the files, to delete once the transaction has committed.
  static func replay(_ storePath: String, _ db: Database) throws -> [String] {
    let files = files(of: storePath)
    guard !files.isEmpty else { return [] }
    let applied = try appliedNumber(db)
    for file in files where file.number > applied {
      guard let data = FileManager.default.contents(atPath: file.path) else { continue }
      for line in data.split(separator: 0x0A) {
        // A torn last line (the machine stopped mid-write) says nothing reliable.
        if let update = decode(Array(line)) { try Store.apply(update, db) }
      }
    }
    try setApplied(max(applied, files.last?.number ?? 0), db)
    return files.map(\.path)
  }

  /// `updates` without the `in_data` marks that a later outcome of the same
  /// message supersedes: the store only needs the last state, and every attempt.
  static func coalesced(_ updates: [DeliveryUpdate]) -> [DeliveryUpdate] {
    var finished = Set<Int64>()
    for update in updates {
      if case .finished(let id, _, _, _, _, _) = update { finished.insert(id) }
    }
    return updates.filter { update in
      if case .bodyStarted(let id) = update { return !finished.contains(id) }
      return true
    }
  }

  // MARK: Lines

  /// One line, tab-separated: `B id`, `R id state`, `S id`, `W id note`, or `F id state charged started
  /// finished outcome stage code next boot text detail note`; text fields escape
  /// `\`, tab, CR and LF, and an absent value is empty while a present one starts with `=`.
  static func encode(_ update: DeliveryUpdate) -> [UInt8] {
    var line: [UInt8] = []
    line.reserveCapacity(160)
    func field(_ text: String) {
      if !line.isEmpty { line.append(0x09) }
      line.append(contentsOf: text.utf8)
    }
    func optional(_ text: String?) {
      line.append(0x09)
      guard let text else { return }
      line.append(UInt8(ascii: "="))
      for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "\\"): line.append(contentsOf: [0x5C, 0x5C])
        case 0x09: line.append(contentsOf: [0x5C, UInt8(ascii: "t")])
        case 0x0A: line.append(contentsOf: [0x5C, UInt8(ascii: "n")])
        case 0x0D: line.append(contentsOf: [0x5C, UInt8(ascii: "r")])
        default: line.append(byte)
        }
      }
    }
    switch update {
    case .bodyStarted(let id):
      field("B")
      field(String(id))
    case .released(let id, let state):
      field("R")
      field(String(id))
      field(state.rawValue)
    case .suppressed(let id):
      field("S")
      field(String(id))
    case .withheld(let id, let note):
      field("W")
      field(String(id))
      optional(note)
    case .finished(let id, let state, let attempt, let next, let note, let charged):
      field("F")
      field(String(id))
      field(state.rawValue)
      field(charged ? "1" : "0")
      field(String(attempt.startedAt.timeIntervalSince1970))
      optional(attempt.finishedAt.map { String($0.timeIntervalSince1970) })
      field(attempt.outcome)
      optional(attempt.stage)
      optional(attempt.smtpCode.map(String.init))
      optional(next.map { String($0.timeIntervalSince1970) })
      optional(attempt.bootID)
      optional(attempt.smtpText)
      optional(attempt.detail)
      optional(note)
    }
    line.append(0x0A)
    return line
  }

  static func decode(_ line: [UInt8]) -> DeliveryUpdate? {
    let fields = String(decoding: line, as: UTF8.self).split(
      separator: "\t", omittingEmptySubsequences: false
    )
    .map(String.init)
    guard let kind = fields.first, fields.count >= 2, let id = Int64(fields[1]) else { return nil }
    switch (kind, fields.count) {
    case ("B", 2):
      return .bodyStarted(id: id)
    case ("S", 2):
      return .suppressed(id: id)
    case ("W", 3):
      return .withheld(id: id, note: value(fields[2]) ?? "")
    case ("R", 3):
      return MessageState(rawValue: fields[2]).map { .released(id: id, state: $0) }
    case ("F", 14):
      guard let state = MessageState(rawValue: fields[2]), let started = Double(fields[4]) else { return nil }
      let attempt = AttemptRecord(
        startedAt: Date(timeIntervalSince1970: started),
        finishedAt: value(fields[5]).flatMap(Double.init).map(Date.init(timeIntervalSince1970:)),
        outcome: fields[6], stage: value(fields[7]), smtpCode: value(fields[8]).flatMap { Int($0) },
        smtpText: value(fields[11]), detail: value(fields[12]), bootID: value(fields[10]))
      return .finished(
        id: id, state: state, attempt: attempt,
        nextAttemptAt: value(fields[9]).flatMap(Double.init).map(Date.init(timeIntervalSince1970:)),
        note: value(fields[13]), charged: fields[3] == "1")
    default:
      return nil
    }
  }

  private static func value(_ field: String) -> String? {
    guard field.hasPrefix("=") else { return nil }
    var text = ""
    var escaping = false
    for character in field.unicodeScalars.dropFirst() {
      if escaping {
        switch character {
        case "t": text += "\t"
        case "n": text += "\n"
        case "r": text += "\r"
        default: text.unicodeScalars.append(character)
        }
        escaping = false
      } else if character == "\\" {
        escaping = true
      } else {
        text.unicodeScalars.append(character)
      }
    }
    return text
  }
}

extension Store {
  /// Folds in what interrupted runs left in their delivery journals, and
  /// deletes the files; the messages' states stay as the journal says (no
  /// recovery: that is the next send's). Call with the run lock held.
  func foldJournal() throws(StoreError) {
    guard !DeliveryJournal.files(of: path).isEmpty else { return }
    let replayed = try write(durable: true) { db in try DeliveryJournal.replay(path, db) }
    for file in replayed { unlink(file) }
  }
}

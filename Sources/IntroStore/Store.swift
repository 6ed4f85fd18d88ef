import Foundation
internal import GRDB
import Synchronization

/// The rep's memory: one SQLite file (WAL, foreign keys on, every write
/// transaction `BEGIN IMMEDIATE` with a busy timeout so two processes wait
/// for each other instead of failing with "database is locked").
///
/// The file, its `-wal` and `-shm`, and its folder are private (0600/0700)
/// whatever the umask; a store that others can read is refused.
public final class Store: Sendable {
  /// The database file.
  public let path: String
  let database: DatabaseQueue
  /// The connection's `synchronous` setting, so it is changed only when it must be.
  private let flushesCommits = Mutex<Bool?>(nil)

  /// How long a command waits by default for another process that is writing
  /// to the store: long enough for a million-row `contact import`.
  public static let defaultBusyTimeout: TimeInterval = 300

  /// How long this store waits for another process's write before giving up.
  public let busyTimeout: TimeInterval
  /// Test hook: makes chosen steps fail (see ``StoreFaultInjector``).
  let faults: (any StoreFaultInjector)?
  /// Raised after every suppression, so a running send notices it at once.
  public let optOuts: OptOutSignal

  /// Opens (creating if needed) the store at `path` and brings its schema up to date.
  ///
  /// - Parameters:
  ///   - busyTimeout: how long to wait for another process's write (an import,
  ///     another send's claim) before failing with ``StoreError/Kind/busy``.
  ///   - faults: for tests only: steps to fail on purpose.
  ///   - waiting: told once per wait, after a second, who holds the store, so
  ///     a command can say why it is not moving.
  public init(
    path: String, busyTimeout: TimeInterval = Store.defaultBusyTimeout,
    faults: (any StoreFaultInjector)? = nil, waiting: (@Sendable (String) -> Void)? = nil
  ) throws(StoreError) {
    self.path = path
    self.busyTimeout = busyTimeout
    self.faults = faults
    try Self.preparePrivateFile(path)
    optOuts = OptOutSignal(storePath: path)
    var configuration = Configuration()
    configuration.foreignKeysEnabled = true
    configuration.journalMode = .wal
    configuration.busyMode = .callback(
      Self.busyHandler(timeout: busyTimeout, paths: Self.lockedFiles(path), waiting: waiting))
    configuration.label = "intro store"
    configuration.prepareDatabase { db in
      // Deleted rows are overwritten, so a forgotten person's data does not linger in free pages.
      try db.execute(sql: "PRAGMA secure_delete = ON")
      try db.execute(sql: "PRAGMA temp_store = MEMORY")
    }
    // Opening and setting up happen under the store's setup lock, so two
    // processes opening a new store at once never both run a migration. The
    // open too: it switches a new file to WAL, which fails at once with "busy"
    // (no busy handler is asked) while another process reads the file still
    // in rollback mode (seen with 24 processes opening one new store at once).
    let setup = try RunLock(storePath: path, wait: busyTimeout, purpose: .setup)
    do {
      database = try DatabaseQueue(path: path, configuration: configuration)
    } catch {
      throw Self.storeError(
        error, path: path, busyTimeout: busyTimeout, doing: "cannot open the store \(path)")
    }
    try migrate()
    withExtendedLifetime(setup) {}
    // SQLite creates -wal and -shm with the file's own permissions; check them anyway.
    for suffix in ["-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
      try Self.refuseShared(path + suffix, fix: "chmod 600 \(path)\(suffix)")
    }
  }

  /// Brings the schema up to date; called with the setup lock held. The
  /// check is under the lock too: read while another process is creating the
  /// schema, it can fail ("no such table: grdb_migrations").
  private func migrate() throws(StoreError) {
    let current = try read { db in try Schema.migrator.hasCompletedMigrations(db) }
    guard !current else { return }
    do {
      try Schema.migrator.migrate(database)
    } catch {
      throw Self.storeError(
        error, path: path, busyTimeout: busyTimeout, doing: "cannot set up the store \(path)")
    }
  }

  /// Makes a store file as the first released version left it, for migration tests.
  static func createAtFirstVersion(path: String) throws {
    try createAt(migration: "v1-contacts-referrals-messages", path: path)
  }

  /// The names of the migrations applied, oldest first.
  public func appliedMigrations() throws(StoreError) -> [String] {
    try read { db in try Schema.migrator.appliedMigrations(db) }
  }

  /// `PRAGMA integrity_check`: `["ok"]` for a healthy file.
  public func integrityCheck() throws(StoreError) -> [String] {
    try read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
  }

  // MARK: Access

  func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
    do {
      return try database.read(body)
    } catch let error as StoreError {
      throw error
    } catch {
      throw storeError(error, doing: "reading \(path)")
    }
  }

  /// Runs `body` in an IMMEDIATE transaction, flushed to disk on commit.
  func write<T>(_ step: StoreStep = .write, _ body: (Database) throws -> T) throws(StoreError) -> T {
    try write(durable: true, step, body)
  }

  /// Runs `body` in an IMMEDIATE transaction whose commit is flushed to disk
  /// (`durable`, `synchronous = FULL`) or only written to the write-ahead log
  /// (`synchronous = NORMAL`): such a commit survives the process being killed,
  /// because the log is in the kernel's page cache, but not a power loss.
  /// The delivery journal decides per commit which one it needs.
  func write<T>(durable: Bool, _ step: StoreStep = .write, _ body: (Database) throws -> T) throws(StoreError)
    -> T
  {
    do {
      return try database.writeWithoutTransaction { db in
        try setDurable(durable, db)
        var result: T?
        try db.inTransaction(.immediate) {
          result = try body(db)
          try injectFault(at: step)
          return .commit
        }
        guard let result else { throw StoreError(.database, "a transaction returned nothing") }
        return result
      }
    } catch let error as StoreError {
      throw error
    } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
      throw StoreError(
        .invalidInput, "the store refused the change: \(error.message ?? "a constraint failed")")
    } catch {
      throw storeError(error, doing: "writing \(path)")
    }
  }

  /// Throws the fault a test planned for `step`, if any.
  func injectFault(at step: StoreStep) throws(StoreError) {
    if let faults, let error = faults.fault(at: step) { throw error }
  }

  /// Sets `synchronous` for the next commits; called on the database's queue.
  func setDurable(_ durable: Bool, _ db: Database) throws {
    if flushesCommits.withLock({ $0 }) == durable { return }
    try db.execute(sql: durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL")
    flushesCommits.withLock { $0 = durable }
  }

  /// GRDB's description without the statement's arguments (they hold personal data).
  static func describe(_ error: any Error) -> String {
    if let error = error as? DatabaseError {
      return "\(error.resultCode): \(error.message ?? "")"
    }
    return "\(error)"
  }

  /// `error` as a ``StoreError`` whose kind says what to do: wait (busy), free
  /// space (disk full), or look at the store (anything else).
  func storeError(_ error: any Error, doing what: String) -> StoreError {
    Self.storeError(error, path: path, busyTimeout: busyTimeout, doing: what)
  }

  static func storeError(_ error: any Error, path: String, busyTimeout: TimeInterval, doing what: String)
    -> StoreError
  {
    if let error = error as? StoreError { return error }
    guard let error = error as? DatabaseError else { return StoreError(.database, "\(what): \(error)") }
    switch error.resultCode {
    case .SQLITE_BUSY, .SQLITE_LOCKED:
      let holders = LockHolders.describe(lockedFiles(path))
      let who = holders.isEmpty ? "another process" : holders.joined(separator: ", ")
      return StoreError(
        .busy,
        "\(what): the store is busy: \(who) kept it locked for more than \(Int(busyTimeout)) s. "
          + "Nothing was lost; run the command again when it is done, or raise [store] busy_timeout")
    case .SQLITE_FULL:
      return StoreError(
        .diskFull,
        "\(what): the disk is full. Nothing was lost; free some space on "
          + "\((path as NSString).deletingLastPathComponent), then run the command again")
    default:
      return StoreError(.database, "\(what): \(describe(error))")
    }
  }

  /// The files whose locks say who holds the store: SQLite's write lock is on `-shm` in WAL mode.
  static func lockedFiles(_ path: String) -> [String] { [path + "-shm", path, path + ".lock"] }

  /// Waits for another process's lock with growing naps (1 ms up to 100 ms),
  /// tells `waiting` once after a second who holds it, and gives up after `timeout`.
  static func busyHandler(timeout: TimeInterval, paths: [String], waiting: (@Sendable (String) -> Void)?)
    -> Database.BusyCallback
  {
    let since = Mutex<(start: ContinuousClock.Instant, told: Bool)>((.now, false))
    return { tries in
      let now = ContinuousClock.now
      let (waited, tell) = since.withLock { state -> (Duration, Bool) in
        if tries == 0 { state = (now, false) }
        let waited = now - state.start
        let tell = !state.told && waited >= .seconds(1)
        if tell { state.told = true }
        return (waited, tell)
      }
      if waited >= .milliseconds(Int64(timeout * 1000)) { return false }
      if tell, let waiting {
        let holders = LockHolders.describe(paths)
        waiting(
          "waiting for the store: \(holders.isEmpty ? "another process" : holders.joined(separator: ", ")) "
            + "is writing to it (up to \(Int(timeout)) s, [store] busy_timeout)")
      }
      usleep(UInt32(min(100_000, 1_000 << min(tries, 7))))
      return true
    }
  }

  // MARK: Permissions

  /// Creates the folder (0700) and the file (0600) if missing; refuses the file when others can read it.
  static func preparePrivateFile(_ path: String) throws(StoreError) {
    let folder = (path as NSString).deletingLastPathComponent
    if !folder.isEmpty && !FileManager.default.fileExists(atPath: folder) {
      do {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
      } catch {
        throw StoreError(
          .permissions, "cannot create the store folder \(folder): \(error.localizedDescription)")
      }
      // chmod after creating: mkdir's mode is filtered by the umask.
      chmod(folder, 0o700)
    }
    if !FileManager.default.fileExists(atPath: path) {
      let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
      if fd >= 0 {
        fchmod(fd, 0o600)
        close(fd)
      } else if errno != EEXIST {
        // EEXIST: another process made it since the check, which is fine (seen
        // with 24 processes opening one new store); its mode is checked below.
        throw StoreError(.permissions, "cannot create the store \(path): \(String(cString: strerror(errno)))")
      }
    }
    // A folder the user chose may be shared (it shows file names only); the file may not.
    try refuseShared(path, fix: "chmod 600 \(path)")
  }

  private static func refuseShared(_ path: String, fix: String) throws(StoreError) {
    var info = stat()
    guard stat(path, &info) == 0 else { return }
    if info.st_mode & 0o077 != 0 {
      throw StoreError(
        .permissions,
        "\(path) can be read by other users (mode \(String(info.st_mode & 0o777, radix: 8))); "
          + "it holds your clients' details. Fix it with: \(fix)")
    }
  }
}

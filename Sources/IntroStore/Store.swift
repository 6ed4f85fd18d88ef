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

  /// Opens (creating if needed) the store at `path` and brings its schema up to date.
  public init(path: String, busyTimeout: TimeInterval = 10) throws(StoreError) {
    self.path = path
    try Self.preparePrivateFile(path)
    var configuration = Configuration()
    configuration.foreignKeysEnabled = true
    configuration.journalMode = .wal
    configuration.busyMode = .timeout(busyTimeout)
    configuration.label = "intro store"
    configuration.prepareDatabase { db in
      // Deleted rows are overwritten, so a forgotten person's data does not linger in free pages.
      try db.execute(sql: "PRAGMA secure_delete = ON")
      try db.execute(sql: "PRAGMA temp_store = MEMORY")
    }
    do {
      database = try DatabaseQueue(path: path, configuration: configuration)
      try Schema.migrator.migrate(database)
    } catch {
      throw StoreError(.database, "cannot open the store \(path): \(Self.describe(error))")
    }
    // SQLite creates -wal and -shm with the file's own permissions; check them anyway.
    for suffix in ["-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
      try Self.refuseShared(path + suffix, fix: "chmod 600 \(path)\(suffix)")
    }
  }

  /// Makes a store file as the first released version left it, for migration tests.
  static func createAtFirstVersion(path: String) throws {
    try preparePrivateFile(path)
    let queue = try DatabaseQueue(path: path)
    try Schema.migrator.migrate(queue, upTo: "v1-contacts-referrals-messages")
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
      throw StoreError(.database, "reading \(path): \(Self.describe(error))")
    }
  }

  /// Runs `body` in an IMMEDIATE transaction, flushed to disk on commit.
  func write<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
    try write(durable: true, body)
  }

  /// Runs `body` in an IMMEDIATE transaction whose commit is flushed to disk
  /// (`durable`, `synchronous = FULL`) or only written to the write-ahead log
  /// (`synchronous = NORMAL`): such a commit survives the process being killed,
  /// because the log is in the kernel's page cache, but not a power loss.
  /// The delivery journal decides per commit which one it needs.
  func write<T>(durable: Bool, _ body: (Database) throws -> T) throws(StoreError) -> T {
    do {
      return try database.writeWithoutTransaction { db in
        try setDurable(durable, db)
        var result: T?
        try db.inTransaction(.immediate) {
          result = try body(db)
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
      throw StoreError(.database, "writing \(path): \(Self.describe(error))")
    }
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
      guard fd >= 0 else {
        throw StoreError(.permissions, "cannot create the store \(path): \(String(cString: strerror(errno)))")
      }
      fchmod(fd, 0o600)
      close(fd)
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

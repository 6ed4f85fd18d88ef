import Foundation

/// The team's store on a PostgreSQL server: one client list and suppression
/// list shared by every rep, each rep's own rows marked with the rep.
///
/// Opening it connects (libpq: `$PGPASSWORD`, `~/.pgpass`, TLS as the URL's
/// `sslmode` says) and brings the schema up to date: named migrations, each
/// applied once, in one transaction holding a transaction-scoped advisory lock
/// (`pg_advisory_xact_lock`), so many reps' first runs at once set it up once,
/// and a transaction-pooling proxy (PgBouncer) in between is no problem.
public final class PostgresStore: @unchecked Sendable {
  // @unchecked: `connection` is only used with `lock` held.
  /// The URL without any password, for messages.
  public let location: String
  /// The rep this process writes as (`[sender]`'s address), stored on the rows a rep owns.
  public let rep: String?
  private let connection: PostgresConnection
  private let lock = NSLock()

  /// Connects to `url` and brings the schema up to date.
  /// - Parameters:
  ///   - password: from `[store] password_command`; otherwise libpq finds it.
  ///   - rep: who this process writes as.
  ///   - lockTimeout: how long a statement waits for rows another session
  ///     holds before it fails as busy (`[store] busy_timeout`); nil waits on.
  public init(url: String, password: String? = nil, rep: String? = nil, lockTimeout: TimeInterval? = nil)
    throws(StoreError)
  {
    if PostgresConnection.hasPassword(url) {
      throw StoreError(
        .permissions,
        "[store] url holds a password; remove it and put it in $PGPASSWORD, ~/.pgpass or "
          + "[store] password_command (a URL ends up in shell history and process lists)")
    }
    let connection = try PostgresConnection(url: url, password: password)
    connection.lockTimeout = lockTimeout
    location = connection.location
    self.rep = rep
    try Self.migrate(connection)
    self.connection = connection
  }

  /// Whether `url` carries a password, which a store URL must never do.
  public static func hasPassword(_ url: String) -> Bool { PostgresConnection.hasPassword(url) }

  /// Whether `location` names a PostgreSQL store rather than a SQLite file.
  public static func isURL(_ location: String) -> Bool {
    location.hasPrefix("postgresql://") || location.hasPrefix("postgres://")
  }

  /// Runs `body` on the connection, one caller at a time.
  func withConnection<T, Failure: Error>(_ body: (PostgresConnection) throws(Failure) -> T) throws(Failure)
    -> T
  {
    lock.lock()
    defer { lock.unlock() }
    return try body(connection)
  }

  // MARK: Schema

  /// The names of the migrations applied, oldest first.
  public func appliedMigrations() throws(StoreError) -> [String] {
    try withConnection { connection throws(StoreError) in try Self.applied(connection) }
  }

  private static func applied(_ connection: PostgresConnection) throws(StoreError) -> [String] {
    let exists = try connection.execute("SELECT to_regclass('intro_migrations') IS NOT NULL").scalar
    guard exists == .integer(1) else { return [] }
    return try connection.execute("SELECT name FROM intro_migrations ORDER BY applied_order").rows
      .compactMap { $0.first?.text }
  }

  private static func migrate(_ connection: PostgresConnection) throws(StoreError) {
    let known = PostgresSchema.migrations.map(\.name)
    // Reading is safe without the lock (MVCC); most runs stop here.
    if try applied(connection) == known { return }
    try connection.transaction { () throws(StoreError) in
      try connection.execute("SELECT pg_advisory_xact_lock($1)", [PostgresSchema.migrationLock])
      try connection.execute(
        """
        CREATE TABLE IF NOT EXISTS intro_migrations (
          name TEXT PRIMARY KEY,
          applied_order INTEGER NOT NULL UNIQUE,
          applied_at TEXT NOT NULL
        )
        """)
      let done = try applied(connection)
      if let unknown = done.first(where: { !known.contains($0) }) {
        throw StoreError(
          .database,
          "the PostgreSQL store \(connection.location) was set up by a newer intro (migration "
            + "\(unknown)); upgrade intro on this machine")
      }
      for (order, migration) in PostgresSchema.migrations.enumerated() where !done.contains(migration.name) {
        try connection.executeScript(migration.sql)
        try connection.execute(
          "INSERT INTO intro_migrations (name, applied_order, applied_at) VALUES ($1, $2, $3)",
          [migration.name, order + 1, Timestamp.format(Date())])
      }
    }
  }

  // MARK: Health

  /// What `intro doctor` reports about the connection.
  public struct Health: Sendable {
    public var server: String
    public var host: String
    public var port: String
    public var database: String
    public var user: String
    /// The TLS protocol and cipher, or nil on a connection without TLS.
    public var tls: String?
    public var usedPassword: Bool
    public var migrations: [String]
    public var latestMigration: String
    public var rowCounts: [(table: String, rows: Int)]
  }

  public func health() throws(StoreError) -> Health {
    try withConnection { connection throws(StoreError) in
      let tls =
        connection.usesTLS
        ? [connection.tlsAttribute("protocol"), connection.tlsAttribute("cipher")].compactMap { $0 }
          .joined(separator: " ") : nil
      let version =
        try connection.execute("SHOW server_version").scalar?.text ?? "\(connection.serverVersion)"
      var counts: [(String, Int)] = []
      for table in PostgresSchema.copiedTables {
        let rows = try connection.execute("SELECT count(*) FROM \(table)").scalar?.integer ?? 0
        counts.append((table, Int(rows)))
      }
      return Health(
        server: "PostgreSQL \(version)", host: connection.host, port: connection.port,
        database: connection.database, user: connection.user, tls: tls, usedPassword: connection.usedPassword,
        migrations: try Self.applied(connection), latestMigration: PostgresSchema.migrations.last!.name,
        rowCounts: counts)
    }
  }
}

import Foundation
internal import GRDB

/// `intro store copy`: every row of one store into a new, empty one on the
/// same or the other backend, table by table, parents first, ids kept.
///
/// The source is read in one snapshot and the destination written in one
/// transaction, so a copy that fails (a lost connection, a refused row) leaves
/// the destination as empty as it was. Each table's rows are counted on both
/// sides after the copy, inside that transaction; a difference rolls it back.
public enum StoreCopy {
  /// One table's rows in the source and, after the copy, in the destination.
  public struct TableCount: Sendable, Equatable {
    public var table: String
    public var source: Int
    public var destination: Int
  }

  /// Rows moved per statement.
  static let chunk = 500

  /// Copies `source` into `destination`, which must hold no rows.
  /// - Parameters:
  ///   - lockWait: how long to wait for a send or remind running on a SQLite side.
  ///   - owner: the rep the rows a rep owns (referrals, their changes, touches,
  ///     batches, messages, firings) belong to when they name none: a rep moving
  ///     their own file into a team store. Nil copies every value as it is.
  ///   - progress: told after each table.
  public static func copy(
    from source: StoreBackend, to destination: StoreBackend, lockWait: TimeInterval = 10,
    owner: String? = nil,
    progress: (TableCount) -> Void = { _ in }
  ) throws(StoreError) -> [TableCount] {
    // No send or remind may run on a SQLite side meanwhile; what an
    // interrupted run left in its delivery journal is folded in first, so the
    // copy holds every state change that run made.
    var locks: [RunLock] = []
    for side in [source, destination] {
      guard case .sqlite(let store) = side else { continue }
      locks.append(try RunLock(storePath: store.path, wait: lockWait))
      try store.foldJournal()
    }
    defer { withExtendedLifetime(locks) {} }
    return try source.readSnapshot { (from) throws(StoreError) in
      try destination.writeTransaction { (to) throws(StoreError) in
        try copyTables(
          from, to, source: source.location, destination: destination.location, owner: owner, progress)
      }
    }
  }

  private static func copyTables(
    _ from: any TableSession, _ to: any TableSession, source: String, destination: String, owner: String?,
    _ progress: (TableCount) -> Void
  ) throws(StoreError) -> [TableCount] {
    for table in PostgresSchema.copiedTables {
      let rows = try to.count(table)
      if rows > 0 {
        throw StoreError(
          .invalidInput,
          "\(destination) already holds \(rows) row(s) in \(table); copy only into a new, empty store")
      }
    }
    var counts: [TableCount] = []
    for table in PostgresSchema.copiedTables {
      let columns = try to.columns(table)
      let sourceColumns = try from.columns(table)
      guard Set(columns) == Set(sourceColumns) else {
        let missing = Set(columns).symmetricDifference(sourceColumns).sorted().joined(separator: ", ")
        throw StoreError(
          .database,
          "the two stores' \(table) tables differ (\(missing)); run the same intro version on both, then copy"
        )
      }
      let key = table == "store_settings" ? "name" : "id"
      let ownerColumn = owner == nil ? nil : columns.firstIndex(of: "rep")
      var after: SQLValue = .null
      var copied = 0
      while true {
        var rows = try from.rows(table, columns: columns, key: key, after: after, limit: chunk)
        if table == "store_settings" {
          rows.removeAll { PostgresSchema.localSettings.contains($0[0].text ?? "") }
        }
        if let ownerColumn, let owner {
          for index in rows.indices where rows[index][ownerColumn] == .null {
            rows[index][ownerColumn] = .text(owner)
          }
        }
        let last = try from.lastKey(table, key: key, after: after, limit: chunk)
        if !rows.isEmpty {
          do {
            try to.insert(table, columns: columns, rows: rows)
          } catch {
            throw StoreError(
              error.kind, "copying \(table) into \(destination): \(error.message); nothing was kept")
          }
        }
        copied += rows.count
        guard let last else { break }
        after = last
      }
      try to.finish(table)
      let sourceCount = try from.count(table, excludingLocalSettings: true)
      let count = TableCount(table: table, source: sourceCount, destination: try to.count(table))
      guard count.source == count.destination, count.destination == copied else {
        throw StoreError(
          .database,
          "\(table): \(count.source) row(s) in \(source) but \(count.destination) in \(destination) "
            + "after the copy; nothing was kept")
      }
      progress(count)
      counts.append(count)
    }
    return counts
  }
}

/// What the copy needs of one side: column names, row counts, rows in key
/// order, and inserts — on one snapshot or one transaction.
protocol TableSession {
  func columns(_ table: String) throws(StoreError) -> [String]
  func count(_ table: String, excludingLocalSettings: Bool) throws(StoreError) -> Int
  func rows(_ table: String, columns: [String], key: String, after: SQLValue, limit: Int) throws(StoreError)
    -> [[SQLValue]]
  func insert(_ table: String, columns: [String], rows: [[SQLValue]]) throws(StoreError)
  /// After a table's rows: PostgreSQL moves the table's id sequence past the copied ids.
  func finish(_ table: String) throws(StoreError)
}

extension TableSession {
  func count(_ table: String) throws(StoreError) -> Int { try count(table, excludingLocalSettings: false) }

  /// The key of the last row of the chunk after `after`, nil when that chunk was the last one.
  func lastKey(_ table: String, key: String, after: SQLValue, limit: Int) throws(StoreError) -> SQLValue? {
    let keys = try rows(table, columns: [key], key: key, after: after, limit: limit)
    return keys.count < limit ? nil : keys.last?.first
  }

  static func localSettingsFilter(_ table: String, _ excluding: Bool) -> String {
    guard excluding, table == "store_settings" else { return "" }
    return " WHERE name NOT IN ("
      + PostgresSchema.localSettings.sorted().map { "'\($0)'" }.joined(separator: ", ")
      + ")"
  }
}

extension StoreBackend {
  func readSnapshot<T>(_ body: (any TableSession) throws(StoreError) -> T) throws(StoreError) -> T {
    switch self {
    case .sqlite(let store):
      return try store.readSession { session throws(StoreError) in try body(session) }
    case .postgres(let store):
      return try store.withConnection { connection throws(StoreError) in
        try connection.transaction(readOnly: true) { () throws(StoreError) in
          try body(PostgresTableSession(connection: connection))
        }
      }
    }
  }

  func writeTransaction<T>(_ body: (any TableSession) throws(StoreError) -> T) throws(StoreError) -> T {
    switch self {
    case .sqlite(let store):
      return try store.writeSession { session throws(StoreError) in try body(session) }
    case .postgres(let store):
      return try store.withConnection { connection throws(StoreError) in
        try connection.transaction { () throws(StoreError) in
          // Two copies into one database at once: the second waits, then finds rows and stops.
          try connection.execute("SELECT pg_advisory_xact_lock($1)", [PostgresSchema.copyLock])
          return try body(PostgresTableSession(connection: connection))
        }
      }
    }
  }
}

/// The PostgreSQL side: multi-row INSERTs with every value bound.
struct PostgresTableSession: TableSession {
  let connection: PostgresConnection

  func columns(_ table: String) throws(StoreError) -> [String] {
    try connection.execute(
      "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        + "AND table_name = $1 ORDER BY ordinal_position", [table]
    ).rows.compactMap { $0.first?.text }
  }

  func count(_ table: String, excludingLocalSettings: Bool) throws(StoreError) -> Int {
    let filter = Self.localSettingsFilter(table, excludingLocalSettings)
    return Int(try connection.execute("SELECT count(*) FROM \(table)\(filter)").scalar?.integer ?? 0)
  }

  func rows(_ table: String, columns: [String], key: String, after: SQLValue, limit: Int) throws(StoreError)
    -> [[SQLValue]]
  {
    let list = columns.map { "\"\($0)\"" }.joined(separator: ", ")
    let condition = after == .null ? "" : " WHERE \(key) > $1"
    return try connection.execute(
      "SELECT \(list) FROM \(table)\(condition) ORDER BY \(key) LIMIT \(limit)", after == .null ? [] : [after]
    ).rows
  }

  func insert(_ table: String, columns: [String], rows: [[SQLValue]]) throws(StoreError) {
    let bytea = try Set(
      connection.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
          + "AND table_name = $1 AND data_type = 'bytea'", [table]
      ).rows.compactMap { $0.first?.text })
    let list = columns.map { "\"\($0)\"" }.joined(separator: ", ")
    var parameters: [any SQLBindable] = []
    var tuples: [String] = []
    for row in rows {
      var places: [String] = []
      for (column, value) in zip(columns, row) {
        parameters.append(
          bytea.contains(column) && value.text != nil ? .blob(Array(value.text!.utf8)) : value)
        places.append("$\(parameters.count)")
      }
      tuples.append("(" + places.joined(separator: ", ") + ")")
    }
    try connection.execute(
      "INSERT INTO \(table) (\(list)) OVERRIDING SYSTEM VALUE VALUES " + tuples.joined(separator: ", "),
      parameters)
  }

  func finish(_ table: String) throws(StoreError) {
    guard table != "store_settings" else { return }
    try connection.execute(
      "SELECT setval(pg_get_serial_sequence('\(table)', 'id'), coalesce(max(id), 0) + 1, false) FROM \(table)"
    )
  }
}

/// The SQLite side, on GRDB's connection inside one read or write transaction.
struct SQLiteTableSession: TableSession {
  let db: Database
  let store: Store

  private func run<T>(_ body: () throws -> T) throws(StoreError) -> T {
    do {
      return try body()
    } catch {
      throw store.storeError(error, doing: "copying \(store.path)")
    }
  }

  func columns(_ table: String) throws(StoreError) -> [String] {
    try run {
      try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info(?) ORDER BY cid", arguments: [table])
    }
  }

  func count(_ table: String, excludingLocalSettings: Bool) throws(StoreError) -> Int {
    let filter = Self.localSettingsFilter(table, excludingLocalSettings)
    return try run { try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)\(filter)") ?? 0 }
  }

  func rows(_ table: String, columns: [String], key: String, after: SQLValue, limit: Int) throws(StoreError)
    -> [[SQLValue]]
  {
    let list = columns.map { "\"\($0)\"" }.joined(separator: ", ")
    let condition = after == .null ? "" : " WHERE \(key) > ?"
    return try run {
      try Row.fetchAll(
        db, sql: "SELECT \(list) FROM \(table)\(condition) ORDER BY \(key) LIMIT \(limit)",
        arguments: after == .null ? [] : [after.databaseValue]
      ).map { row in row.databaseValues.map(SQLValue.init) }
    }
  }

  func insert(_ table: String, columns: [String], rows: [[SQLValue]]) throws(StoreError) {
    let list = columns.map { "\"\($0)\"" }.joined(separator: ", ")
    let places = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
    try run {
      let statement = try db.cachedStatement(sql: "INSERT INTO \(table) (\(list)) VALUES \(places)")
      for row in rows {
        try statement.execute(arguments: StatementArguments(row.map(\.databaseValue)))
      }
    }
  }

  func finish(_ table: String) throws(StoreError) {}
}

extension SQLValue {
  init(_ value: DatabaseValue) {
    switch value.storage {
    case .null: self = .null
    case .int64(let number): self = .integer(number)
    case .double(let number): self = .real(number)
    case .string(let text): self = .text(text)
    case .blob(let data): self = .blob(Array(data))
    }
  }

  var databaseValue: DatabaseValue {
    switch self {
    case .null: .null
    case .integer(let number): number.databaseValue
    case .real(let number): number.databaseValue
    case .text(let text): text.databaseValue
    case .blob(let bytes): Data(bytes).databaseValue
    }
  }
}

extension Store {
  func readSession<T>(_ body: (SQLiteTableSession) throws(StoreError) -> T) throws(StoreError) -> T {
    try read { db in
      do {
        return try body(SQLiteTableSession(db: db, store: self))
      } catch { throw error }
    }
  }

  func writeSession<T>(_ body: (SQLiteTableSession) throws(StoreError) -> T) throws(StoreError) -> T {
    try write { db in
      do {
        return try body(SQLiteTableSession(db: db, store: self))
      } catch { throw error }
    }
  }
}

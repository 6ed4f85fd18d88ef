internal import GRDB

/// What the migration tests need to see a store file as SQLite holds it:
/// internal, for `@testable import IntroStore` only.
extension Store {
  /// Makes a store file as an older version left it, with `sql` run on it
  /// (rows that version wrote), and returns every table's rows.
  @discardableResult
  static func createAt(migration: String, path: String, sql: String = "") throws -> [String: [String]] {
    try preparePrivateFile(path)
    let queue = try DatabaseQueue(path: path)
    try Schema.migrator.migrate(queue, upTo: migration)
    return try queue.write { db in
      if !sql.isEmpty { try db.execute(sql: sql) }
      return try rows(db)
    }
  }

  /// Every table's rows, each as GRDB prints a row, in rowid order.
  func tableRows() throws(StoreError) -> [String: [String]] {
    try read { db in try Self.rows(db) }
  }

  /// The `CREATE` statement of every table and index.
  func schemaStatements() throws(StoreError) -> [String: String] {
    try read { db in
      try Dictionary(
        uniqueKeysWithValues: Row.fetchAll(
          db, sql: "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'grdb%'"
        ).map { ($0["name"] as String, $0["sql"] as String) })
    }
  }

  /// Runs `sql` in a write transaction; the store's own errors on refusal.
  func execute(_ sql: String) throws(StoreError) {
    try write { db in try db.execute(sql: sql) }
  }

  private static func rows(_ db: Database) throws -> [String: [String]] {
    let tables = try String.fetchAll(
      db,
      sql:
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'grdb%' AND name NOT LIKE 'sqlite%'"
    )
    var result: [String: [String]] = [:]
    for table in tables {
      result[table] = try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY rowid").map(\.description)
    }
    return result
  }
}

import Foundation
internal import GRDB

/// The statements of one transaction, on either backend. A domain operation
/// that reads and writes the same way on both (a referral added, a stage
/// moved, a message resolved) is written once against a session; where the
/// dialects differ the session says which one it speaks.
///
/// SQL is written with `?` placeholders; a PostgreSQL session numbers them
/// (`$1`, `$2`, …). Every value is bound, never spliced into the text.
protocol SQLSession {
  var dialect: SQLDialect { get }
  /// The rows `sql` returns, their columns by position.
  func rows(_ sql: String, _ arguments: [any SQLBindable]) throws -> [[SQLValue]]
  /// Runs `sql`; returns how many rows it changed.
  @discardableResult
  func execute(_ sql: String, _ arguments: [any SQLBindable]) throws -> Int
  /// Runs an INSERT into a table with an `id` column; returns the new row's id.
  func insert(_ sql: String, _ arguments: [any SQLBindable]) throws -> Int64
}

extension SQLSession {
  /// The first row, if any.
  func row(_ sql: String, _ arguments: [any SQLBindable] = []) throws -> [SQLValue]? {
    try rows(sql, arguments).first
  }
}

/// Where the two backends' SQL differs.
enum SQLDialect: Sendable {
  case sqlite, postgres

  /// The larger of two values (`max(a, b)` in SQLite is a scalar function; PostgreSQL has `GREATEST`).
  var greatest: String { self == .sqlite ? "max" : "GREATEST" }
}

/// A session on a GRDB database connection inside a transaction.
struct SQLiteSession: SQLSession {
  let db: Database
  var dialect: SQLDialect { .sqlite }

  func rows(_ sql: String, _ arguments: [any SQLBindable]) throws -> [[SQLValue]] {
    try Row.fetchAll(db.cachedStatement(sql: sql), arguments: Self.arguments(arguments)).map { row in
      row.databaseValues.map(SQLValue.init)
    }
  }

  func execute(_ sql: String, _ arguments: [any SQLBindable]) throws -> Int {
    try db.cachedStatement(sql: sql).execute(arguments: Self.arguments(arguments))
    return db.changesCount
  }

  func insert(_ sql: String, _ arguments: [any SQLBindable]) throws -> Int64 {
    try db.cachedStatement(sql: sql).execute(arguments: Self.arguments(arguments))
    return db.lastInsertedRowID
  }

  private static func arguments(_ values: [any SQLBindable]) -> StatementArguments {
    StatementArguments(values.map(\.sqlValue.databaseValue))
  }
}

/// A session on a PostgreSQL connection inside a transaction.
struct PostgresSession: SQLSession {
  let connection: PostgresConnection
  var dialect: SQLDialect { .postgres }

  func rows(_ sql: String, _ arguments: [any SQLBindable]) throws -> [[SQLValue]] {
    try connection.execute(Self.numbered(sql), arguments).rows
  }

  func execute(_ sql: String, _ arguments: [any SQLBindable]) throws -> Int {
    try connection.execute(Self.numbered(sql), arguments).changed
  }

  func insert(_ sql: String, _ arguments: [any SQLBindable]) throws -> Int64 {
    guard let id = try connection.execute(Self.numbered(sql) + " RETURNING id", arguments).scalar?.integer
    else {
      throw StoreError(.database, "the server returned no id for a new row")
    }
    return id
  }

  /// `sql` with its `?` placeholders numbered `$1`, `$2`, …; a `?` inside a
  /// quoted literal or identifier is left alone.
  static func numbered(_ sql: String) -> String {
    var result = ""
    result.reserveCapacity(sql.utf8.count + 8)
    var number = 0
    var quote: Character?
    for character in sql {
      if let open = quote {
        if character == open { quote = nil }
        result.append(character)
      } else if character == "'" || character == "\"" {
        quote = character
        result.append(character)
      } else if character == "?" {
        number += 1
        result += "$\(number)"
      } else {
        result.append(character)
      }
    }
    return result
  }
}

extension Store {
  /// Runs `body` with a session in a write transaction (durable), or in a read.
  func session<T>(writing: Bool = true, _ body: (any SQLSession) throws -> T) throws(StoreError) -> T {
    writing
      ? try write { db in try body(SQLiteSession(db: db)) }
      : try read { db in try body(SQLiteSession(db: db)) }
  }
}

extension PostgresStore {
  /// Runs `body` with a session in one transaction; a read is one read-only snapshot.
  func session<T>(writing: Bool = true, _ body: (any SQLSession) throws -> T) throws(StoreError) -> T {
    try transaction(writing: writing) { connection in try body(PostgresSession(connection: connection)) }
  }

  /// Runs `body` on the connection in one transaction (a read-only snapshot
  /// unless `writing`); its own errors come out as ``StoreError``s.
  func transaction<T>(writing: Bool = true, _ body: (PostgresConnection) throws -> T) throws(StoreError) -> T
  {
    do {
      return try withConnection { connection in
        try connection.transactionOrRollBack(readOnly: !writing) { () throws -> T? in try body(connection) }!
      }
    } catch let error as StoreError {
      throw error
    } catch {
      throw StoreError(.database, "\(location): \(error)")
    }
  }
}

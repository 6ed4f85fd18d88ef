import CPostgres
import Foundation

/// One connection to a PostgreSQL server through the system libpq.
///
/// Every statement is sent with `PQexecParams`: values travel apart from the
/// SQL text, so nothing a rep typed can become SQL. Results come back as
/// text and are decoded by the column's type (integers, floating point,
/// BYTEA, text). A connection is used by one thread at a time.
final class PostgresConnection {
  private let connection: OpaquePointer
  /// The URL with any password removed, for messages.
  let location: String

  /// Connects to `url` (`postgresql://user@host:port/db?sslmode=verify-full`).
  ///
  /// libpq takes the password from `$PGPASSWORD` or `~/.pgpass` (or `password`,
  /// which the caller fills from `password_command`); it is never part of a message.
  init(url: String, password: String? = nil) throws(StoreError) {
    location = Self.redacted(url)
    if let failure = cpq_load() {
      throw StoreError(
        .permissions,
        "cannot use the PostgreSQL store \(location): \(String(cString: failure)). "
          + "Install the PostgreSQL client library (Debian: apt-get install libpq5)")
    }
    guard let connection = cpq_connectdb(url.isEmpty ? "postgresql://" : url, password) else {
      throw StoreError(.database, "cannot connect to \(location): libpq is out of memory")
    }
    guard cpq_status(connection) == Int32(CPQ_CONNECTION_OK) else {
      let reason = Self.trimmed(String(cString: cpq_error_message(connection)))
      cpq_finish(connection)
      throw Self.connectError(reason, location: location)
    }
    self.connection = connection
    cpq_quiet_notices(connection)
  }

  deinit { cpq_finish(connection) }

  // MARK: What the server and libpq say

  var serverVersion: Int { Int(cpq_server_version(connection)) }
  var usesTLS: Bool { cpq_ssl_in_use(connection) != 0 }
  func tlsAttribute(_ name: String) -> String? {
    cpq_ssl_attribute(connection, name).map { String(cString: $0) }
  }
  var host: String { cpq_host(connection).map { String(cString: $0) } ?? "" }
  var port: String { cpq_port(connection).map { String(cString: $0) } ?? "" }
  var database: String { cpq_db(connection).map { String(cString: $0) } ?? "" }
  var user: String { cpq_user(connection).map { String(cString: $0) } ?? "" }
  var usedPassword: Bool { cpq_connection_used_password(connection) != 0 }
  var isBroken: Bool { cpq_status(connection) != Int32(CPQ_CONNECTION_OK) }
  var inTransaction: Bool {
    let status = cpq_transaction_status(connection)
    return status == Int32(CPQ_TRANS_INTRANS) || status == Int32(CPQ_TRANS_INERROR)
  }

  // MARK: Statements

  /// Runs `sql` with `$1`, `$2`, … bound to `parameters`; returns its rows.
  @discardableResult
  func execute(_ sql: String, _ parameters: [any SQLBindable] = []) throws(StoreError) -> PostgresRows {
    let values = parameters.map(\.sqlValue)
    for value in values {
      if case .text(let text) = value, text.utf8.contains(0) {
        throw StoreError(
          .invalidInput, "a value holds a NUL character, which a PostgreSQL store cannot keep; remove it")
      }
    }
    let result = Self.withParameters(values) { pointers, lengths, binary in
      cpq_exec_params(connection, sql, Int32(values.count), pointers, lengths, binary)
    }
    return try rows(of: result, doing: sql)
  }

  /// Runs several statements with no parameters (a migration).
  func executeScript(_ sql: String) throws(StoreError) {
    _ = try rows(of: cpq_exec(connection, sql), doing: sql)
  }

  /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
  /// With `readOnly`, one read-only snapshot (REPEATABLE READ) for every statement of the body.
  func transaction<T>(readOnly: Bool = false, _ body: () throws(StoreError) -> T) throws(StoreError) -> T {
    do {
      // Only the body's and the server's StoreErrors can come out.
      return try transactionOrRollBack(readOnly: readOnly, { () throws(StoreError) -> T? in try body() })!
    } catch {
      throw error as! StoreError
    }
  }

  /// How long a statement waits for a row or table another session holds
  /// before it fails as busy (`[store] busy_timeout`); nil waits as long as it takes.
  var lockTimeout: TimeInterval?

  /// Runs `body` in a transaction: committed when it returns a value, rolled
  /// back when it returns nil or throws; the body's own errors are rethrown as they are.
  func transactionOrRollBack<T>(readOnly: Bool = false, _ body: () throws -> T?) throws -> T? {
    try execute(readOnly ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN")
    do {
      // Per transaction (SET LOCAL), so it holds behind a transaction-pooling proxy too.
      if let lockTimeout {
        try execute("SET LOCAL lock_timeout = \(max(1, Int((lockTimeout * 1000).rounded())))")
      }
      guard let result = try body() else {
        try execute("ROLLBACK")
        return nil
      }
      try execute("COMMIT")
      return result
    } catch {
      if !isBroken { _ = try? execute("ROLLBACK") }
      throw error
    }
  }

  private func rows(of result: OpaquePointer?, doing sql: String) throws(StoreError) -> PostgresRows {
    guard let result else {
      throw connectionLost(reason: Self.trimmed(String(cString: cpq_error_message(connection))))
    }
    defer { cpq_clear(result) }
    let status = cpq_result_status(result)
    switch status {
    case Int32(CPQ_COMMAND_OK), Int32(CPQ_EMPTY_QUERY):
      let changed = Int(String(cString: cpq_cmd_tuples(result))) ?? 0
      return PostgresRows(columns: [], rows: [], changed: changed)
    case Int32(CPQ_TUPLES_OK):
      return PostgresRows(decoding: result)
    default:
      if isBroken {
        throw connectionLost(reason: Self.trimmed(String(cString: cpq_result_error_message(result))))
      }
      let state = cpq_result_error_field(result, Int32(CPQ_DIAG_SQLSTATE)).map { String(cString: $0) } ?? ""
      let message =
        cpq_result_error_field(result, Int32(CPQ_DIAG_MESSAGE_PRIMARY)).map { String(cString: $0) }
        ?? Self.trimmed(String(cString: cpq_result_error_message(result)))
      throw Self.statementError(state: state, message: message, location: location)
    }
  }

  private func connectionLost(reason: String) -> StoreError {
    StoreError(
      .connectionLost,
      "lost the connection to the PostgreSQL store \(location): \(reason). Nothing that was not "
        + "committed counts; run the command again when the server is back")
  }

  /// Calls `body` with C arrays of the values as libpq wants them: text for
  /// every value but BYTEA, which goes as raw bytes.
  private static func withParameters<R>(
    _ values: [SQLValue],
    _ body: (UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?) -> R
  ) -> R {
    if values.isEmpty { return body(nil, nil, nil) }
    var storage: [UnsafeMutablePointer<CChar>?] = []
    var lengths: [Int32] = []
    var binary: [Int32] = []
    storage.reserveCapacity(values.count)
    defer { for pointer in storage { free(pointer) } }
    for value in values {
      switch value {
      case .null:
        storage.append(nil)
        lengths.append(0)
        binary.append(0)
      case .integer(let number):
        storage.append(strdup(String(number)))
        lengths.append(0)
        binary.append(0)
      case .real(let number):
        storage.append(strdup("\(number)"))
        lengths.append(0)
        binary.append(0)
      case .text(let text):
        storage.append(strdup(text))
        lengths.append(0)
        binary.append(0)
      case .blob(let bytes):
        let pointer = malloc(max(bytes.count, 1))!.assumingMemoryBound(to: CChar.self)
        bytes.withUnsafeBytes { raw in
          if let base = raw.baseAddress { memcpy(pointer, base, bytes.count) }
        }
        storage.append(pointer)
        lengths.append(Int32(bytes.count))
        binary.append(1)
      }
    }
    return storage.withUnsafeBufferPointer { pointers in
      pointers.withMemoryRebound(to: UnsafePointer<CChar>?.self) { constPointers in
        body(constPointers.baseAddress, lengths, binary)
      }
    }
  }

  // MARK: Errors

  static func statementError(state: String, message: String, location: String) -> StoreError {
    switch state {
    case "22P02", "22021", "22003", "22007", "22008":
      // Bad input, bad encoding, out of range, bad date: the server's message
      // quotes the value, which is data; the error line names the type only.
      let kind =
        message.split(separator: ":", maxSplits: 1).first.map(String.init) ?? "a value it cannot keep"
      return StoreError(.invalidInput, "the store refused the change: \(kind) (the value is not shown)")
    case "23505", "23503", "23514", "23502", "22001":
      // unique, foreign key, check, not null, too long: the messages name constraints, not values
      return StoreError(.invalidInput, "the store refused the change: \(message)")
    case "40001", "40P01", "55P03", "57014":
      // serialization failure, deadlock, lock not available, statement timeout
      return StoreError(
        .busy,
        "the PostgreSQL store \(location) is busy (\(message)). Nothing was lost; run the command again, "
          + "or raise [store] busy_timeout to wait longer")
    case "53100":
      return StoreError(
        .diskFull, "the PostgreSQL server's disk is full (\(location)). Nothing was lost; free space there")
    case "57P01", "57P02", "57P03", "08000", "08003", "08006":
      return StoreError(
        .connectionLost,
        "lost the connection to the PostgreSQL store \(location): \(message). Nothing that was not "
          + "committed counts; run the command again when the server is back")
    case _ where state.hasPrefix("28"), "42501":
      return StoreError(.permissions, "the PostgreSQL store \(location) refused access: \(message)")
    default:
      return StoreError(.database, "the PostgreSQL store \(location) failed (SQLSTATE \(state)): \(message)")
    }
  }

  static func connectError(_ reason: String, location: String) -> StoreError {
    let lowered = reason.lowercased()
    if lowered.contains("password authentication failed") || lowered.contains("no password supplied")
      || lowered.contains("authentication failed")
      || lowered.contains("role")
        && lowered.contains("does not exist")
      || lowered.contains("pg_hba.conf")
    {
      return StoreError(
        .permissions,
        "the PostgreSQL server refused \(location): \(reason). Set the password in $PGPASSWORD, "
          + "~/.pgpass or [store] password_command, never in the URL")
    }
    if lowered.contains("certificate") || lowered.contains("ssl") {
      return StoreError(.permissions, "cannot connect to \(location) over TLS: \(reason)")
    }
    if lowered.contains("database") && lowered.contains("does not exist") {
      return StoreError(
        .notFound, "\(reason) on \(location): create it first (createdb), then run intro init")
    }
    return StoreError(
      .connectionLost,
      "cannot connect to the PostgreSQL store \(location): \(reason). Nothing was changed; "
        + "run the command again when the server is reachable")
  }

  /// The URL without a password (`postgresql://rep:secret@host` → `postgresql://rep@host`).
  static func redacted(_ url: String) -> String {
    guard let scheme = url.range(of: "://") else { return url }
    let rest = url[scheme.upperBound...]
    let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
    let authority = rest[..<authorityEnd]
    guard let at = authority.lastIndex(of: "@") else { return url }
    let userInfo = authority[..<at]
    guard let colon = userInfo.firstIndex(of: ":") else { return url }
    return String(url[..<scheme.upperBound]) + userInfo[..<colon] + String(rest[at...])
  }

  /// Whether `url` carries a password, which the configuration refuses.
  static func hasPassword(_ url: String) -> Bool { redacted(url) != url }

  private static func trimmed(_ text: String) -> String {
    text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
  }
}

/// What a statement returned: column names, rows of values, and for an
/// INSERT, UPDATE or DELETE without RETURNING the number of rows it changed.
struct PostgresRows {
  var columns: [String]
  var rows: [[SQLValue]]
  var changed: Int

  init(columns: [String], rows: [[SQLValue]], changed: Int) {
    self.columns = columns
    self.rows = rows
    self.changed = changed
  }

  init(decoding result: OpaquePointer) {
    let columnCount = Int(cpq_nfields(result))
    let rowCount = Int(cpq_ntuples(result))
    columns = (0..<columnCount).map { String(cString: cpq_fname(result, Int32($0))!) }
    let kinds = (0..<columnCount).map { PostgresType(oid: cpq_ftype(result, Int32($0))) }
    var rows: [[SQLValue]] = []
    rows.reserveCapacity(rowCount)
    for row in 0..<rowCount {
      var values: [SQLValue] = []
      values.reserveCapacity(columnCount)
      for column in 0..<columnCount {
        let r = Int32(row)
        let c = Int32(column)
        if cpq_getisnull(result, r, c) != 0 {
          values.append(.null)
          continue
        }
        let text = cpq_getvalue(result, r, c)
        values.append(kinds[column].decode(text, length: Int(cpq_getlength(result, r, c))))
      }
      rows.append(values)
    }
    self.rows = rows
    changed = Int(String(cString: cpq_cmd_tuples(result))) ?? rowCount
  }

  /// The first column of the first row.
  var scalar: SQLValue? { rows.first?.first }
}

/// How a result column's text is turned into a value.
enum PostgresType {
  case integer, real, boolean, bytes, text

  init(oid: Oid) {
    switch oid {
    case 20, 21, 23, 26: self = .integer  // int8, int2, int4, oid
    case 700, 701, 1700: self = .real  // float4, float8, numeric
    case 16: self = .boolean
    case 17: self = .bytes
    default: self = .text
    }
  }

  func decode(_ text: UnsafePointer<CChar>, length: Int) -> SQLValue {
    switch self {
    case .integer:
      return .integer(strtoll(text, nil, 10))
    case .real:
      return .real(strtod(text, nil))
    case .boolean:
      return .integer(text.pointee == 0x74 ? 1 : 0)  // "t"
    case .bytes:
      var count = 0
      guard
        let bytes = text.withMemoryRebound(
          to: UInt8.self, capacity: length + 1, { cpq_unescape_bytea($0, &count) })
      else { return .blob([]) }
      defer { cpq_freemem(bytes) }
      return .blob(Array(UnsafeBufferPointer(start: bytes, count: count)))
    case .text:
      return .text(
        String(decoding: UnsafeRawBufferPointer(start: text, count: length), as: UTF8.self))
    }
  }
}

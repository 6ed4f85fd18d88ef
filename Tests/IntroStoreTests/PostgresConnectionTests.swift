import Foundation
import TestSupport
import Testing

@testable import IntroStore

/// The PostgreSQL connection and schema, against a real server (a throwaway cluster on 127.0.0.1).
@Suite("The PostgreSQL store: connection, values, migrations, TLS")
struct PostgresConnectionTests {
  let server: PostgresServer

  init() throws {
    server = try PostgresServer.shared.get()
  }

  @Test func aValueIsBoundAndComesBackAsItWasNeverAsSQL() throws {
    let url = try server.newDatabase()
    let connection = try PostgresConnection(url: url, password: PostgresServer.password)
    try connection.execute("CREATE TABLE t (id BIGINT, words TEXT, bytes BYTEA, amount DOUBLE PRECISION)")
    let tricky = [
      "Robert'); DROP TABLE t; --", "O'Brien, \"Bob\"", "Zoë Müller-Łukasiewicz 日本", "$1 \\ ; %s", "",
    ]
    let bytes: [UInt8] = [0, 1, 0x5C, 0x27, 0xFF, 0x0D, 0x0A]
    for (index, text) in tricky.enumerated() {
      try connection.execute(
        "INSERT INTO t VALUES ($1, $2, $3, $4)", [index, text, SQLValue.blob(bytes), 1.5 + Double(index)])
    }
    let rows = try connection.execute("SELECT id, words, bytes, amount FROM t ORDER BY id").rows
    #expect(rows.map { $0[1] } == tricky.map { SQLValue.text($0) })
    #expect(rows.allSatisfy { $0[2] == .blob(bytes) })
    #expect(rows.map { $0[3] } == [.real(1.5), .real(2.5), .real(3.5), .real(4.5), .real(5.5)])
    #expect(try connection.execute("SELECT count(*) FROM t").scalar == .integer(5))
    // A NUL cannot be kept by PostgreSQL text: refused whole, never cut short.
    #expect(throws: StoreError.self) {
      try connection.execute("INSERT INTO t (words) VALUES ($1)", ["before\u{0}after"])
    }
    #expect(try connection.execute("SELECT count(*) FROM t").scalar == .integer(5))
  }

  @Test func placeholdersAreNumberedOutsideQuotesOnlyAndValuesStayValues() throws {
    #expect(
      PostgresSession.numbered(#"SELECT '?', "a?b", 'it''s ?' FROM t WHERE x = ? AND y LIKE ? ESCAPE '\'"#)
        == #"SELECT '?', "a?b", 'it''s ?' FROM t WHERE x = $1 AND y LIKE $2 ESCAPE '\'"#)
    let connection = try PostgresConnection(url: try server.newDatabase(), password: PostgresServer.password)
    let session = PostgresSession(connection: connection)
    let row = try session.row("SELECT ?::text, '?' || ?::text", ["$1 ? '; --", "x?"])
    #expect(row == [.text("$1 ? '; --"), .text("?x?")])
  }

  @Test func aRefusedChangeSaysWhichRuleAndKeepsNothing() throws {
    let url = try server.newDatabase()
    let store = try PostgresStore(url: url, password: PostgresServer.password)
    let error = try #require(throws: StoreError.self) {
      try store.withConnection { connection throws(StoreError) in
        try connection.transaction { () throws(StoreError) in
          try connection.execute(
            "INSERT INTO contacts (email, email_normalized, created_at, updated_at) VALUES ('a@x.com', 'a@x.com', 'n', 'n')"
          )
          try connection.execute(
            "INSERT INTO contacts (email, email_normalized, created_at, updated_at) VALUES ('A@x.com', 'a@x.com', 'n', 'n')"
          )
        }
      }
    }
    #expect(error.kind == .invalidInput)
    #expect(error.message.contains("contacts_email_normalized_key"))
    #expect(try store.health().rowCounts.first { $0.table == "contacts" }?.rows == 0)
  }

  @Test func aPasswordIsNeverTakenFromTheURLAndAWrongOneSaysWhereToPutIt() throws {
    let url = try server.newDatabase()
    let withPassword = url.replacingOccurrences(of: "intro@", with: "intro:hunter2@")
    let refused = try #require(throws: StoreError.self) { try PostgresStore(url: withPassword) }
    #expect(refused.kind == .permissions)
    #expect(!refused.message.contains("hunter2"))
    #expect(refused.message.contains("PGPASSWORD"))

    let wrong = try #require(throws: StoreError.self) { try PostgresStore(url: url, password: "not-it") }
    #expect(wrong.kind == .permissions)
    #expect(wrong.message.contains("password_command"))
  }

  @Test func manyFirstRunsAtOnceSetTheSchemaUpOnce() async throws {
    let url = try server.newDatabase()
    let errors = try await withThrowingTaskGroup(of: String?.self) { group in
      for _ in 0..<8 {
        group.addTask {
          do {
            _ = try PostgresStore(url: url, password: PostgresServer.password)
            return nil
          } catch { return "\(error)" }
        }
      }
      var errors: [String] = []
      for try await error in group { if let error { errors.append(error) } }
      return errors
    }
    #expect(errors.isEmpty)
    let store = try PostgresStore(url: url, password: PostgresServer.password)
    #expect(try store.appliedMigrations() == PostgresSchema.migrations.map(\.name))
    let database = String(url.split(separator: "/").last!.split(separator: "?").first!)
    #expect(
      try server.sql("SELECT count(*) FROM intro_migrations", database: database)
        == "\(PostgresSchema.migrations.count)")
  }

  @Test func aStoreSetUpByTheFirstVersionIsUpgradedWhenOpenedWithItsRowsKept() throws {
    let url = try server.newDatabase()
    let database = String(url.split(separator: "/").last!.split(separator: "?").first!)
    _ = try PostgresStore(url: url, password: PostgresServer.password)
    // As the first version left it: pg1 only.
    try server.sql(
      """
      DROP INDEX messages_state_created_id;
      CREATE INDEX messages_state_created ON messages(state, created_at);
      DELETE FROM intro_migrations WHERE name <> 'pg1-team-store';
      INSERT INTO contacts (email, email_normalized, created_at, updated_at) VALUES ('a@x.org', 'a@x.org', 'n', 'n');
      """, database: database)

    let store = try PostgresStore(url: url, password: PostgresServer.password)

    #expect(try store.appliedMigrations() == ["pg1-team-store", "pg2-report-covering-index"])
    #expect(
      try server.sql(
        "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE indexname LIKE 'messages_state%'",
        database: database)
        == "messages_state_created_id")
    #expect(try store.contact(normalizedEmail: "a@x.org") != nil)
  }

  @Test func verifyFullChecksTheServerCertificateAndDoctorSeesTLS() throws {
    let url = try server.newDatabase()
    let certificates = try TestCertificates.directory.get()
    let base = url.replacingOccurrences(of: "?sslmode=disable", with: "")
    let verified = try PostgresStore(
      url: base + "?sslmode=verify-full&sslrootcert=\(certificates)/ca.pem", password: PostgresServer.password
    )
    let health = try verified.health()
    #expect(health.tls?.hasPrefix("TLSv1.3") == true)
    #expect(health.usedPassword)
    #expect(health.latestMigration == health.migrations.last)

    let wrongCA = try #require(throws: StoreError.self) {
      try PostgresStore(
        url: base + "?sslmode=verify-full&sslrootcert=\(certificates)/other-ca.pem",
        password: PostgresServer.password)
    }
    #expect(wrongCA.kind == .permissions)
    #expect(wrongCA.message.contains("certificate"))
    #expect(try PostgresStore(url: url, password: PostgresServer.password).health().tls == nil)
  }

  @Test func aServerThatIsNotThereIsATemporaryFailure() throws {
    let error = try #require(throws: StoreError.self) {
      try PostgresStore(url: "postgresql://intro@127.0.0.1:1/none?connect_timeout=2", password: "x")
    }
    #expect(error.kind == .connectionLost)
    #expect(error.message.contains("127.0.0.1"))
  }
}

import Foundation
import TestSupport
import Testing

@testable import IntroStore

/// `intro store copy` between a SQLite file and a real PostgreSQL server (a throwaway cluster on 127.0.0.1).
@Suite("Store copy: SQLite to PostgreSQL and back, every row as it was")
struct StoreCopyTests {
  let server: PostgresServer

  init() throws {
    server = try PostgresServer.shared.get()
  }

  /// Rows in every table, with values that are easy to garble: accents, commas,
  /// quotes, a backslash, line breaks, `$1`, a body of raw bytes with a NUL,
  /// JSON with non-ASCII text, NULLs, and rows owned by two reps.
  static let everyTable = """
    INSERT INTO contacts (id, email, email_normalized, name, first_name, last_name, company, notes, custom_fields,
        is_client, client_since, satisfaction, time_zone, created_at, updated_at)
      VALUES (1, 'Ana@Example.org', 'ana@example.org', 'Lefèvre, Marie-Anne "AL"', 'Marie-Anne', 'Lefèvre',
              'Smith & Sons, Ltd.', 'line one
    line two	tab \\ backslash $1 ; DROP TABLE contacts; --', '{"industry": "logística", "seats": 40}',
              1, '2024-03-01', 9, 'Europe/Paris', '2026-01-02T03:04:05Z', '2026-01-02T03:04:05Z'),
             (2, 'pat@example.org', 'pat@example.org', 'Pat', NULL, NULL, NULL, NULL, '{}', 0, NULL, NULL, NULL,
              '2026-01-02T03:04:05Z', '2026-01-02T03:04:05Z'),
             (5, 'seán@example.ie', 'seán@example.ie', 'Seán Ó Briain 🍀', 'Seán', 'Ó Briain', NULL, '', '{}', 1,
              NULL, 7, NULL, '2026-01-03T00:00:00Z', '2026-01-03T00:00:00Z');
    INSERT INTO referrals (id, introducer_id, prospect_id, why_now, problems, stage, created_at, updated_at, rep)
      VALUES (1, 1, 2, 'they are hiring, fast', '["churn", "late invoices", "naïve \\"quotes\\""]', 'meeting',
              '2026-02-01T00:00:00Z', '2026-02-03T00:00:00Z', 'ana@team.example'),
             (4, 5, 2, NULL, '[]', 'asked', '2026-02-04T00:00:00Z', '2026-02-04T00:00:00Z', 'bo@team.example');
    INSERT INTO referral_stage_changes (referral_id, from_stage, to_stage, note, changed_at, rep)
      VALUES (1, NULL, 'asked', NULL, '2026-02-01T00:00:00Z', 'ana@team.example'),
             (1, 'asked', 'meeting', 'coffee, Tuesday', '2026-02-03T00:00:00Z', 'ana@team.example');
    INSERT INTO touches (contact_id, kind, note, happened_at) VALUES (1, 'call', 'lunch', '2026-02-02T12:00:00Z');
    INSERT INTO batches (id, template, command, created_at, audience)
      VALUES (7, 'ask', 'send ask --clients', '2026-02-01T00:00:00Z', 'clients');
    INSERT INTO messages (id, batch_id, contact_id, referral_id, recipient, message_id, template, subject, body,
        state, created_at, updated_at, envelope_sender, recipient_key, attempt_count, sent_at, purpose, boot_id)
      VALUES (10, 7, 1, 1, 'Ana@Example.org', '<a@example.com>', 'ask', 'Hi Marie-Anne, a question', x'0d0a00ff',
              'sent', '2026-02-01T00:00:00Z', '2026-02-01T00:00:01Z', 'rep@example.com', 'ana@example.org', 1,
              '2026-02-01T00:00:01Z', 'ask', 'b00t'),
             (11, 7, 2, NULL, 'pat@example.org', '<b@example.com>', 'ask', 'Hi', x'', 'uncertain',
              '2026-02-01T00:00:00Z', '2026-02-01T00:00:01Z', 'rep@example.com', 'pat@example.org', 1, NULL, NULL,
              NULL),
             (12, NULL, 5, NULL, 'seán@example.ie', '<c@example.com>', NULL, NULL, NULL, 'pending',
              '2026-02-01T00:00:00Z', '2026-02-01T00:00:00Z', NULL, NULL, 0, NULL, NULL, NULL);
    INSERT INTO delivery_attempts (message_id, started_at, finished_at, outcome, stage, smtp_code, smtp_text)
      VALUES (10, '2026-02-01T00:00:00Z', '2026-02-01T00:00:01Z', 'delivered', 'data', 250, '2.0.0 Ok: queued'),
             (11, '2026-02-01T00:00:00Z', NULL, NULL, NULL, NULL, NULL);
    INSERT INTO reminder_firings (rule, subject_key, occurrence, fired_at, message_id, due_at, late)
      VALUES ('nudge', 'referral:1', '2026-02-05', '2026-02-05T09:00:00Z', 10, '2026-02-05T09:00:00Z', 1);
    INSERT INTO suppressions (address_hash, reason, created_at) VALUES ('abc', 'opt-out', '2026-02-06T00:00:00Z');
    INSERT INTO store_settings (name, value) VALUES ('paused_until', '2026-03-01'), ('journal_applied', '3');
    """

  /// A SQLite store at the current schema holding ``everyTable``.
  static func filledStore(_ dir: TemporaryDirectory, name: String = "source.sqlite") throws -> Store {
    let store = try Store(path: dir.file(name))
    try store.execute(everyTable)
    return store
  }

  @Test func aStoreCopiedToPostgreSQLAndBackIsTheSameRowForRow() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let source = try Self.filledStore(dir)
    let team = try PostgresStore(url: try server.newDatabase(), password: PostgresServer.password)

    let there = try StoreCopy.copy(from: .sqlite(source), to: .postgres(team))
    let back = try Store(path: dir.file("back.sqlite"))
    let home = try StoreCopy.copy(from: .postgres(team), to: .sqlite(back))

    #expect(there.map(\.table) == PostgresSchema.copiedTables)
    #expect(there == home)
    #expect(there.first { $0.table == "messages" }?.destination == 3)
    #expect(
      there.first { $0.table == "store_settings" }?.destination == 1, "the journal position stays local")
    var before = try source.tableRows()
    var after = try back.tableRows()
    #expect(before["store_settings"]?.count == 2)
    before["store_settings"]?.removeAll { $0.contains("journal_applied") }
    after["store_settings"]?.removeAll { $0.contains("journal_applied") }
    #expect(after == before)
    #expect(try back.integrityCheck() == ["ok"])

    // PostgreSQL hands out the next ids after the copied ones.
    let next = try team.withConnection { connection throws(StoreError) in
      try connection.execute(
        "INSERT INTO contacts (email, email_normalized, created_at, updated_at) "
          + "VALUES ('new@example.org', 'new@example.org', 'now', 'now') RETURNING id"
      ).scalar
    }
    #expect(next == .integer(6))
  }

  @Test func aCopyIntoAStoreThatHoldsRowsIsRefusedAndChangesNothing() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let source = try Self.filledStore(dir)
    let team = try PostgresStore(url: try server.newDatabase(), password: PostgresServer.password)
    _ = try StoreCopy.copy(from: .sqlite(source), to: .postgres(team))

    let again = try #require(throws: StoreError.self) {
      try StoreCopy.copy(from: .sqlite(source), to: .postgres(team))
    }
    #expect(again.kind == .invalidInput)
    #expect(again.message.contains("already holds 3 row(s) in contacts"))
    let other = try Store(path: dir.file("other.sqlite"))
    try other.execute(
      "INSERT INTO contacts (email, email_normalized, created_at, updated_at) VALUES ('x@y.org', 'x@y.org', 'n', 'n')"
    )
    #expect(throws: StoreError.self) { try StoreCopy.copy(from: .postgres(team), to: .sqlite(other)) }
    #expect(try other.tableRows()["contacts"]?.count == 1)
    #expect(try team.health().rowCounts.first { $0.table == "contacts" }?.rows == 3)
  }

  @Test func aValuePostgreSQLCannotKeepStopsTheCopyAndLeavesItEmpty() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let source = try Self.filledStore(dir)
    // A hand edit with the sqlite3 shell: SQLite keeps text in a number column; PostgreSQL refuses it.
    try source.execute("UPDATE messages SET attempt_count = 'many' WHERE id = 12")
    let team = try PostgresStore(url: try server.newDatabase(), password: PostgresServer.password)

    let error = try #require(throws: StoreError.self) {
      try StoreCopy.copy(from: .sqlite(source), to: .postgres(team))
    }
    #expect(error.kind == .invalidInput)
    #expect(error.message.contains("copying messages"))
    #expect(error.message.contains("invalid input syntax for type bigint"), "\(error.message)")
    #expect(!error.message.contains("many"), "a stored value never reaches an error line")
    #expect(try team.health().rowCounts.allSatisfy { $0.rows == 0 })
  }

  @Test func aConnectionLostMidCopyLeavesTheDestinationEmptyAndTheCopyCanBeRunAgain() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let source = try Self.filledStore(dir)
    let url = try server.newDatabase()
    let database = String(url.split(separator: "/").last!.split(separator: "?").first!)
    let team = try PostgresStore(url: url, password: PostgresServer.password)

    var told: [String] = []
    let error = try #require(throws: StoreError.self) {
      try StoreCopy.copy(from: .sqlite(source), to: .postgres(team)) { count in
        told.append(count.table)
        // The server drops the copy's connection after the first table.
        if told.count == 1 {
          _ = try? server.sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(database)'")
        }
      }
    }
    #expect(error.kind == .connectionLost)
    #expect(told == ["contacts"])
    let fresh = try PostgresStore(url: url, password: PostgresServer.password)
    #expect(try fresh.health().rowCounts.allSatisfy { $0.rows == 0 })
    let counts = try StoreCopy.copy(from: .sqlite(source), to: .postgres(fresh))
    #expect(counts.allSatisfy { $0.source == $0.destination })
  }

  @Test func anInterruptedSendsJournalIsFoldedInBeforeTheCopy() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let source = try Self.filledStore(dir)
    try source.execute("DELETE FROM store_settings WHERE name = 'journal_applied'")
    // What a killed run left: message 12 was sent, and the store had not heard yet.
    let attempt = AttemptRecord(
      startedAt: Date(timeIntervalSince1970: 1_770_000_000),
      finishedAt: Date(timeIntervalSince1970: 1_770_000_001),
      outcome: "delivered", stage: "data", smtpCode: 250, smtpText: "ok", bootID: "b00t")
    let journal = DeliveryJournal.encode(
      .finished(id: 12, state: .sent, attempt: attempt, nextAttemptAt: nil, note: nil))
    try Data(journal + [0x0A]).write(to: URL(fileURLWithPath: source.path + ".journal-1"))
    let team = try PostgresStore(url: try server.newDatabase(), password: PostgresServer.password)

    _ = try StoreCopy.copy(from: .sqlite(source), to: .postgres(team))

    let state = try team.withConnection { connection throws(StoreError) in
      try connection.execute("SELECT state FROM messages WHERE id = 12").scalar
    }
    #expect(state == .text("sent"))
    #expect(DeliveryJournal.files(of: source.path).isEmpty)
  }
}

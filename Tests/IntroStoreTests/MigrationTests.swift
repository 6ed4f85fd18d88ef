import Foundation
import TestSupport
import Testing

@testable import IntroStore

@Suite("Migrations: a store made by an older version opens with every row and rule intact")
struct MigrationTests {
  /// Rows an intro of the v4 schema wrote, in every table v5 rebuilds and in
  /// the tables that point at them.
  static let v4Rows = """
    INSERT INTO contacts (id, email, email_normalized, name, is_client, created_at, updated_at)
      VALUES (1, 'Ana@Example.org', 'ana@example.org', 'Ana Lefèvre, "AL"', 1, '2026-01-02T03:04:05Z', '2026-01-02T03:04:05Z'),
             (2, 'pat@example.org', 'pat@example.org', 'Pat', 0, '2026-01-02T03:04:05Z', '2026-01-02T03:04:05Z');
    INSERT INTO referrals (id, introducer_id, prospect_id, why_now, problems, stage, created_at, updated_at)
      VALUES (1, 1, 2, 'they are hiring', '["churn", "late invoices"]', 'meeting', '2026-02-01T00:00:00Z', '2026-02-03T00:00:00Z');
    INSERT INTO referral_stage_changes (referral_id, from_stage, to_stage, changed_at)
      VALUES (1, NULL, 'asked', '2026-02-01T00:00:00Z'), (1, 'asked', 'meeting', '2026-02-03T00:00:00Z');
    INSERT INTO touches (contact_id, kind, note, happened_at) VALUES (1, 'call', 'lunch', '2026-02-02T12:00:00Z');
    INSERT INTO batches (id, template, command, created_at, audience) VALUES (7, 'ask', 'send ask', '2026-02-01T00:00:00Z', 'clients');
    INSERT INTO messages (id, batch_id, contact_id, referral_id, recipient, message_id, template, subject, body, state,
        created_at, updated_at, envelope_sender, recipient_key, attempt_count, sent_at, purpose)
      VALUES (10, 7, 1, 1, 'Ana@Example.org', '<a@example.com>', 'ask', 'Hi', x'0d0a00ff', 'sent',
        '2026-02-01T00:00:00Z', '2026-02-01T00:00:01Z', 'rep@example.com', 'ana@example.org', 1, '2026-02-01T00:00:01Z', 'ask'),
             (11, 7, 2, NULL, 'pat@example.org', '<b@example.com>', 'ask', 'Hi', x'41', 'in_data',
        '2026-02-01T00:00:00Z', '2026-02-01T00:00:01Z', 'rep@example.com', 'pat@example.org', 1, NULL, NULL);
    INSERT INTO delivery_attempts (message_id, started_at, finished_at, outcome, stage, smtp_code, smtp_text)
      VALUES (10, '2026-02-01T00:00:00Z', '2026-02-01T00:00:01Z', 'delivered', 'data', 250, '2.0.0 Ok'),
             (11, '2026-02-01T00:00:00Z', NULL, NULL, NULL, NULL, NULL);
    INSERT INTO reminder_firings (rule, subject_key, occurrence, fired_at, message_id, due_at, late)
      VALUES ('nudge', 'referral:1', '1', '2026-02-05T00:00:00Z', 10, '2026-02-05T00:00:00Z', 0);
    INSERT INTO suppressions (address_hash, reason, created_at) VALUES ('abc', 'opt-out', '2026-02-06T00:00:00Z');
    """

  @Test func rebuildingTheCheckedTablesKeepsEveryRowIndexAndReference() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.file("intro.sqlite")
    let before = try Store.createAt(migration: "v4-reminders", path: path, sql: Self.v4Rows)
    let indexesBefore = try Store(path: dir.file("fresh.sqlite")).schemaStatements().keys.filter {
      $0.contains("_")
    }

    let store = try Store(path: path)
    #expect(try store.appliedMigrations().last == "v8-rep")
    // Every row as it was; v8 adds the owning rep, empty in a rep's own file.
    let after = try store.tableRows()
    #expect(after["messages"]?.allSatisfy { $0.hasSuffix(" rep:NULL]") } == true)
    #expect(after.mapValues { $0.map { $0.replacingOccurrences(of: " rep:NULL]", with: "]") } } == before)
    #expect(try store.integrityCheck() == ["ok"])
    let schema = try store.schemaStatements()
    #expect(Set(schema.keys) == Set(try Store(path: dir.file("fresh.sqlite")).schemaStatements().keys))
    #expect(indexesBefore.allSatisfy { schema[$0] != nil })
    #expect(
      schema.values.allSatisfy { !$0.contains("_rebuilt") }, "a reference still names the rebuilt table")
    #expect(schema.values.allSatisfy { !$0.contains(" IN ('") }, "a CHECK still lists values with IN")
    // Cascades still follow the rebuilt tables: deleting the message deletes its attempts.
    try store.execute("DELETE FROM messages WHERE id = 11")
    #expect(try store.tableRows()["delivery_attempts"]?.count == 1)
  }

  @Test func theRebuiltTablesStillRefuseImpossibleValues() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.file("intro.sqlite")
    try Store.createAt(migration: "v4-reminders", path: path, sql: Self.v4Rows)
    let store = try Store(path: path)
    let refused = [
      "UPDATE messages SET state = 'gone' WHERE id = 10",
      "UPDATE messages SET state = NULL WHERE id = 10",
      "UPDATE referrals SET stage = 'Won' WHERE id = 1",
      "INSERT INTO touches (contact_id, kind, note, happened_at) VALUES (1, 'fax', 'x', 'now')",
      "UPDATE delivery_attempts SET outcome = 'ok'",
      "INSERT INTO suppressions (address_hash, reason, created_at) VALUES ('d', 'whim', 'now')",
      "INSERT INTO delivery_attempts (message_id, started_at) VALUES (999, 'now')",
    ]
    for sql in refused {
      #expect(throws: StoreError.self, "\(sql)") { try store.execute(sql) }
    }
    for value in RebuiltTableValues.states {
      try store.execute("UPDATE messages SET state = '\(value)' WHERE id = 11")
    }
    try store.execute("UPDATE delivery_attempts SET outcome = NULL")
  }
}

private enum RebuiltTableValues {
  static let states = Schema.RebuiltTable.messageStates
}

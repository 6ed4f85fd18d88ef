internal import GRDB

/// The store's tables, one named migration at a time. Plain table and column
/// names, constraints in the schema, so an analyst can query the file with
/// `sqlite3` and the database itself refuses impossible rows.
enum Schema {
  /// Every migration, oldest first. A migration, once released, never changes.
  static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator()
    migrator.registerMigration("v1-contacts-referrals-messages") { db in
      try db.execute(
        sql: """
          CREATE TABLE contacts (
            id INTEGER PRIMARY KEY,
            email TEXT NOT NULL,
            email_normalized TEXT NOT NULL UNIQUE,
            name TEXT,
            first_name TEXT,
            last_name TEXT,
            company TEXT,
            title TEXT,
            phone TEXT,
            time_zone TEXT,
            notes TEXT,
            custom_fields TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(custom_fields)),
            is_client INTEGER NOT NULL DEFAULT 0 CHECK (is_client IN (0, 1)),
            client_since TEXT,
            last_contact_at TEXT,
            satisfaction INTEGER CHECK (satisfaction BETWEEN 1 AND 10),
            sale_closed_on TEXT,
            is_prospect INTEGER NOT NULL DEFAULT 0 CHECK (is_prospect IN (0, 1)),
            do_not_contact INTEGER NOT NULL DEFAULT 0 CHECK (do_not_contact IN (0, 1)),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
          );
          CREATE TABLE referrals (
            id INTEGER PRIMARY KEY,
            introducer_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
            prospect_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
            about_prospect TEXT,
            why_me TEXT,
            why_now TEXT,
            how_to_introduce TEXT,
            promised_by TEXT,
            problems TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(problems) AND json_type(problems) = 'array'),
            stage TEXT NOT NULL DEFAULT 'asked'
              CHECK (stage IN ('asked', 'promised', 'introduced', 'meeting', 'won', 'lost', 'stalled')),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            CHECK (introducer_id <> prospect_id)
          );
          CREATE INDEX referrals_introducer ON referrals(introducer_id);
          CREATE INDEX referrals_prospect ON referrals(prospect_id);
          CREATE TABLE referral_stage_changes (
            id INTEGER PRIMARY KEY,
            referral_id INTEGER NOT NULL REFERENCES referrals(id) ON DELETE CASCADE,
            from_stage TEXT,
            to_stage TEXT NOT NULL,
            note TEXT,
            changed_at TEXT NOT NULL
          );
          CREATE INDEX referral_stage_changes_referral ON referral_stage_changes(referral_id);
          CREATE TABLE touches (
            id INTEGER PRIMARY KEY,
            contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
            kind TEXT NOT NULL CHECK (kind IN ('call', 'meeting', 'note', 'email')),
            note TEXT NOT NULL,
            happened_at TEXT NOT NULL
          );
          CREATE TABLE batches (
            id INTEGER PRIMARY KEY,
            template TEXT NOT NULL,
            command TEXT NOT NULL,
            created_at TEXT NOT NULL
          );
          CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            batch_id INTEGER REFERENCES batches(id) ON DELETE CASCADE,
            contact_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
            referral_id INTEGER REFERENCES referrals(id) ON DELETE SET NULL,
            recipient TEXT NOT NULL,
            message_id TEXT NOT NULL UNIQUE,
            idempotency_key TEXT UNIQUE,
            template TEXT,
            subject TEXT,
            body BLOB,
            state TEXT NOT NULL DEFAULT 'pending'
              CHECK (state IN ('pending', 'sending', 'in_data', 'sent', 'failed', 'deferred', 'uncertain', 'suppressed')),
            next_attempt_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (batch_id, recipient)
          );
          CREATE INDEX messages_state ON messages(state);
          CREATE TABLE delivery_attempts (
            id INTEGER PRIMARY KEY,
            message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            outcome TEXT CHECK (outcome IN ('delivered', 'temporary', 'permanent', 'uncertain', 'configuration')),
            stage TEXT,
            smtp_code INTEGER,
            smtp_text TEXT,
            detail TEXT,
            boot_id TEXT
          );
          CREATE TABLE reminder_firings (
            id INTEGER PRIMARY KEY,
            rule TEXT NOT NULL,
            subject_key TEXT NOT NULL,
            occurrence TEXT NOT NULL,
            fired_at TEXT NOT NULL,
            message_id INTEGER REFERENCES messages(id) ON DELETE SET NULL,
            UNIQUE (rule, subject_key, occurrence)
          );
          CREATE TABLE suppressions (
            id INTEGER PRIMARY KEY,
            address_hash TEXT NOT NULL UNIQUE,
            reason TEXT NOT NULL CHECK (reason IN ('opt-out', 'hard-bounce', 'forgotten', 'do-not-contact')),
            created_at TEXT NOT NULL
          );
          """)
    }
    migrator.registerMigration("v2-store-settings") { db in
      try db.execute(
        sql: """
          CREATE TABLE store_settings (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL
          )
          """)
    }
    migrator.registerMigration("v3-delivery-journal") { db in
      // What the send pipeline needs to resume, retry and explain a message:
      // the envelope sender, the address key suppressions are checked against,
      // the kernel boot id of the run that claimed it (a process crash and a
      // power loss need different recoveries), and its attempt history.
      try db.execute(
        sql: """
          ALTER TABLE batches ADD COLUMN audience TEXT;
          ALTER TABLE messages ADD COLUMN envelope_sender TEXT;
          ALTER TABLE messages ADD COLUMN recipient_key TEXT;
          ALTER TABLE messages ADD COLUMN boot_id TEXT;
          ALTER TABLE messages ADD COLUMN attempt_count INTEGER NOT NULL DEFAULT 0;
          ALTER TABLE messages ADD COLUMN first_attempt_at TEXT;
          ALTER TABLE messages ADD COLUMN sent_at TEXT;
          ALTER TABLE messages ADD COLUMN last_error TEXT;
          CREATE INDEX messages_recipient_key ON messages(recipient_key);
          CREATE INDEX delivery_attempts_message ON delivery_attempts(message_id);
          """)
    }
    migrator.registerMigration("v4-reminders") { db in
      // Reminders: when each firing was due and whether it went out late; a
      // message's purpose (an ask or a thank-you, which the fatigue guard
      // counts and which become touches when sent); and the indexes the
      // report's period filters need.
      try db.execute(
        sql: """
          ALTER TABLE reminder_firings ADD COLUMN due_at TEXT;
          ALTER TABLE reminder_firings ADD COLUMN late INTEGER NOT NULL DEFAULT 0;
          CREATE INDEX reminder_firings_message ON reminder_firings(message_id);
          ALTER TABLE messages ADD COLUMN purpose TEXT;
          CREATE INDEX messages_contact ON messages(contact_id);
          DROP INDEX messages_state;
          CREATE INDEX messages_state_created ON messages(state, created_at);
          CREATE INDEX messages_asks ON messages(contact_id, state, sent_at, updated_at) WHERE purpose = 'ask';
          CREATE INDEX referrals_created ON referrals(created_at);
          CREATE INDEX reminder_firings_fired ON reminder_firings(fired_at);
          """)
    }
    migrator.registerMigration("v5-checks-without-in-lists") { db in
      // SQLite 3.40 evaluates `CHECK (x IN ('a', 'b', 'c'))` by building a
      // throwaway b-tree of the list on every INSERT and UPDATE of the row
      // (a 200,000-row UPDATE of messages.state: 1.06 s with the list, 0.16 s
      // with the same rule spelled as equalities). The rules stay; each table
      // whose rule had three or more values is rebuilt with them written out.
      for table in RebuiltTable.all {
        try table.rebuild(db)
      }
    }
    migrator.registerMigration("v6-sent-by-contact") { db in
      // A client's last sent message, for the check-in reminders and
      // `intro suggest`: a seek instead of visiting every message of theirs
      // (0.52 s → 0.03 s for 10,000 clients over 1,000,000 messages).
      try db.execute(
        sql: "CREATE INDEX messages_sent_by_contact ON messages(contact_id, sent_at) WHERE state = 'sent'")
    }
    migrator.registerMigration("v7-stage-changes-covering") { db in
      // When each referral entered its stage, for every reminder run: the
      // stage changes of one referral and stage read from the index alone,
      // with no visit to the table. It replaces the index on referral_id,
      // which is its prefix.
      try db.execute(
        sql: """
          CREATE INDEX referral_stage_changes_entered
            ON referral_stage_changes(referral_id, to_stage, changed_at, from_stage);
          DROP INDEX referral_stage_changes_referral;
          """)
    }
    migrator.registerMigration("v8-rep") { db in
      // The rep who owns a row, as the team store on PostgreSQL keeps it, so
      // `intro store copy` moves a team's rows to a file and back unchanged.
      // Empty (NULL) in a rep's own file: every row there is theirs.
      for table in [
        "referrals", "referral_stage_changes", "touches", "batches", "messages", "reminder_firings",
      ] {
        try db.execute(sql: "ALTER TABLE \(table) ADD COLUMN rep TEXT")
      }
    }
    return migrator
  }

  /// `(column = 'a' OR column = 'b' …)`: the same rule as `column IN (…)`,
  /// NULL included, without the per-row b-tree.
  static func oneOf(_ column: String, _ values: [String]) -> String {
    "(" + values.map { "\(column) = '\($0)'" }.joined(separator: " OR ") + ")"
  }

  /// A table rebuilt with SQLite's documented procedure: a new table, every
  /// row copied, the old one dropped, the new one renamed, its indexes made
  /// again. GRDB runs migrations with foreign keys checked at the end.
  struct RebuiltTable {
    let name: String
    /// The column and constraint list, between the parentheses of CREATE TABLE.
    let definition: String

    func rebuild(_ db: Database) throws {
      let indexes = try String.fetchAll(
        db, sql: "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
        arguments: [name])
      let columns = try Row.fetchAll(
        db, sql: "SELECT name FROM pragma_table_info(?) ORDER BY cid", arguments: [name]
      )
      .map { "\"\($0["name"] as String)\"" }.joined(separator: ", ")
      try db.execute(sql: "CREATE TABLE \(name)_rebuilt (\(definition))")
      try db.execute(sql: "INSERT INTO \(name)_rebuilt (\(columns)) SELECT \(columns) FROM \(name)")
      try db.execute(sql: "DROP TABLE \(name)")
      try db.execute(sql: "ALTER TABLE \(name)_rebuilt RENAME TO \(name)")
      for index in indexes {
        try db.execute(sql: index)
      }
    }

    static let referralStages = ["asked", "promised", "introduced", "meeting", "won", "lost", "stalled"]
    static let messageStates = [
      "pending", "sending", "in_data", "sent", "failed", "deferred", "uncertain", "suppressed",
    ]
    static let outcomes = ["delivered", "temporary", "permanent", "uncertain", "configuration"]

    static let all: [RebuiltTable] = [
      RebuiltTable(
        name: "referrals",
        definition: """
          id INTEGER PRIMARY KEY,
          introducer_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
          prospect_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
          about_prospect TEXT,
          why_me TEXT,
          why_now TEXT,
          how_to_introduce TEXT,
          promised_by TEXT,
          problems TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(problems) AND json_type(problems) = 'array'),
          stage TEXT NOT NULL DEFAULT 'asked' CHECK \(oneOf("stage", referralStages)),
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL,
          CHECK (introducer_id <> prospect_id)
          """),
      RebuiltTable(
        name: "touches",
        definition: """
          id INTEGER PRIMARY KEY,
          contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
          kind TEXT NOT NULL CHECK \(oneOf("kind", ["call", "meeting", "note", "email"])),
          note TEXT NOT NULL,
          happened_at TEXT NOT NULL
          """),
      RebuiltTable(
        name: "messages",
        definition: """
          id INTEGER PRIMARY KEY,
          batch_id INTEGER REFERENCES batches(id) ON DELETE CASCADE,
          contact_id INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
          referral_id INTEGER REFERENCES referrals(id) ON DELETE SET NULL,
          recipient TEXT NOT NULL,
          message_id TEXT NOT NULL UNIQUE,
          idempotency_key TEXT UNIQUE,
          template TEXT,
          subject TEXT,
          body BLOB,
          state TEXT NOT NULL DEFAULT 'pending' CHECK \(oneOf("state", messageStates)),
          next_attempt_at TEXT,
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL,
          envelope_sender TEXT,
          recipient_key TEXT,
          boot_id TEXT,
          attempt_count INTEGER NOT NULL DEFAULT 0,
          first_attempt_at TEXT,
          sent_at TEXT,
          last_error TEXT,
          purpose TEXT,
          UNIQUE (batch_id, recipient)
          """),
      RebuiltTable(
        name: "delivery_attempts",
        definition: """
          id INTEGER PRIMARY KEY,
          message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
          started_at TEXT NOT NULL,
          finished_at TEXT,
          outcome TEXT CHECK \(oneOf("outcome", outcomes)),
          stage TEXT,
          smtp_code INTEGER,
          smtp_text TEXT,
          detail TEXT,
          boot_id TEXT
          """),
      RebuiltTable(
        name: "suppressions",
        definition: """
          id INTEGER PRIMARY KEY,
          address_hash TEXT NOT NULL UNIQUE,
          reason TEXT NOT NULL CHECK \(oneOf("reason", ["opt-out", "hard-bounce", "forgotten", "do-not-contact"])),
          created_at TEXT NOT NULL
          """),
    ]
  }
}

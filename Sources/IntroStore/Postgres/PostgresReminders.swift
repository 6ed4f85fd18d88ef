import Foundation

/// Reminders on a team's PostgreSQL store: this rep's referrals (and those
/// nobody owns), the team's clients, and firings as unique rows, so runs on
/// many hosts at once fire each reminder once.
extension PostgresStore: ReminderStore {
  public func reminderFacts() throws(StoreError) -> ReminderFacts {
    try withConnection { connection throws(StoreError) in
      // One snapshot for the three reads, as on SQLite.
      try connection.transaction(readOnly: true) { () throws(StoreError) in
        var facts = ReminderFacts()
        facts.referrals = try connection.execute(
          ReminderFacts.referralSQL + " WHERE r.rep IS NULL OR r.rep = $1", [rep]
        ).rows.map(ReminderFacts.ReferralFacts.init(row:))
        facts.clients = try connection.execute(ReminderFacts.clientSQL(greatest: "GREATEST")).rows
          .map(ReminderFacts.ClientFacts.init(row:))
        facts.fired = Set(try connection.execute(ReminderFacts.firingsSQL).rows.map { FiringKey(row: $0) })
        return facts
      }
    }
  }

  public func referralFacts(id: Int64) throws(StoreError) -> ReminderFacts.ReferralFacts? {
    try withConnection { connection throws(StoreError) in
      try connection.execute(ReminderFacts.referralSQL + " WHERE r.id = $1", [id]).rows.first
        .map(ReminderFacts.ReferralFacts.init(row:))
    }
  }

  public func firing(messageID id: Int64) throws(StoreError) -> FiringKey? {
    try withConnection { connection throws(StoreError) in
      try connection.execute(ReminderFacts.firingsSQL + " WHERE message_id = $1 LIMIT 1", [id]).rows.first
        .map { FiringKey(row: $0) }
    }
  }

  public func recordFirings(
    _ firings: [NewFiring], tasks: [NewFiring], digest: NewFiring?, command: String, now: Date
  ) throws(StoreError) -> (messageIDs: [Int64], fired: [FiringKey]) {
    let stamp = Timestamp.format(now)
    var recorded: (messageIDs: [Int64], fired: [FiringKey]) = ([], [])
    do {
      _ = try recordTeamBatch(template: "reminders", command: command, audience: "reminders due", now: now) {
        recorder in
        let connection = recorder.connection
        recorded = try ReminderFacts.record(
          firings, tasks: tasks, digest: digest, recorder: recorder,
          insert: { firing, messageID in
            // A run on another host inserting the same firing: this waits for
            // its commit, then does nothing; the reminder fires once.
            try connection.execute(
              """
              INSERT INTO reminder_firings (rule, subject_key, occurrence, fired_at, message_id, due_at, late, rep)
              VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (rule, subject_key, occurrence) DO NOTHING
              """,
              [
                firing.key.rule, firing.key.subject, firing.key.occurrence, stamp, messageID,
                Timestamp.format(firing.dueAt), firing.late, rep,
              ] as [any SQLBindable]
            ).changed == 1
          },
          link: { key, messageID in
            try connection.execute(
              "UPDATE reminder_firings SET message_id = $1 WHERE rule = $2 AND subject_key = $3 AND occurrence = $4",
              [messageID, key.rule, key.subject, key.occurrence])
          })
        return true
      }
    } catch let error as StoreError {
      throw error
    } catch {
      throw StoreError(.database, "recording reminders in \(location): \(error)")
    }
    return recorded
  }

  public func unsentReminders() throws(StoreError) -> [(messageID: Int64, key: FiringKey)] {
    try withConnection { connection throws(StoreError) in
      try connection.execute(
        """
        SELECT m.id, f.rule, f.subject_key, f.occurrence FROM messages m
        JOIN reminder_firings f ON f.message_id = m.id
        WHERE m.state IN ('pending', 'deferred')
        """
      ).rows.map { row in (row[0].integer ?? 0, FiringKey(row: row, from: 1)) }
    }
  }

  public func withhold(_ notes: [(messageID: Int64, note: String)], now: Date) throws(StoreError) {
    guard !notes.isEmpty else { return }
    let stamp = Timestamp.format(now)
    try withConnection { connection throws(StoreError) in
      try connection.transaction { () throws(StoreError) in
        for (id, note) in notes {
          try connection.execute(
            """
            UPDATE messages SET state = 'suppressed', last_error = $1, updated_at = $2
            WHERE id = $3 AND state IN ('pending', 'deferred')
            """, [note, stamp, id])
        }
      }
    }
  }

  public func unsentReminderMessages(now: Date) throws(StoreError) -> [Int64] {
    try withConnection { connection throws(StoreError) in
      try connection.execute(
        """
        SELECT DISTINCT m.id FROM messages m JOIN reminder_firings f ON f.message_id = m.id
        WHERE (m.state = 'pending' OR (m.state = 'deferred' AND coalesce(m.next_attempt_at, '') <= $1))
          AND (m.rep IS NULL OR m.rep = $2)
        ORDER BY m.id
        """, [Timestamp.format(now), rep]
      ).rows.compactMap { $0.first?.integer }
    }
  }

  public func asks(toContacts ids: Set<Int64>, since: Date) throws(StoreError) -> [Int64: [Date]] {
    guard !ids.isEmpty else { return [:] }
    return try withConnection { connection throws(StoreError) in
      var asks: [Int64: [Date]] = [:]
      for row in try connection.execute(
        """
        SELECT contact_id, coalesce(sent_at, updated_at) AS at FROM messages
        WHERE contact_id = ANY($1::bigint[]) AND \(Store.countedAsk) AND coalesce(sent_at, updated_at) >= $2
        ORDER BY contact_id, at
        """, [Self.idArray(ids.sorted()), Timestamp.format(since)]
      ).rows {
        guard let id = row[0].integer, let at = row[1].text.flatMap(Timestamp.parse) else { continue }
        asks[id, default: []].append(at)
      }
      return asks
    }
  }

  public func setting(_ name: String) throws(StoreError) -> String? {
    try withConnection { connection throws(StoreError) in
      try connection.execute("SELECT value FROM store_settings WHERE name = $1", [name]).scalar?.text
    }
  }

  public func setSetting(_ name: String, to value: String?) throws(StoreError) {
    try withConnection { connection throws(StoreError) -> Void in
      if let value {
        try connection.execute(
          "INSERT INTO store_settings (name, value) VALUES ($1, $2) "
            + "ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value", [name, value])
      } else {
        try connection.execute("DELETE FROM store_settings WHERE name = $1", [name])
      }
    }
  }
}

import Foundation

/// What a manager reads of a team's store: one funnel for every rep, and the
/// relationship facts `intro suggest` ranks clients by. The same assembly as
/// the SQLite file's (``ReportAssembly``), with PostgreSQL's date arithmetic.
extension PostgresStore: ReportSource {
  public func reportFacts(since: Date, until: Date, now: Date) throws(StoreError) -> ReportFacts {
    let from = Timestamp.format(since)
    let to = Timestamp.format(until)
    return try transaction(writing: false) { connection in
      let maxID = try connection.execute("SELECT coalesce(max(id), 0) FROM referrals").scalar?.integer ?? 0
      var assembly = ReportAssembly(since: since, until: until, maxReferralID: maxID)
      for row in try connection.execute(
        "SELECT id, introducer_id, stage, created_at, promised_by FROM referrals "
          + "WHERE created_at >= $1 AND created_at < $2 ORDER BY id", [from, to]
      ).rows {
        assembly.referral(
          id: row.integer(0) ?? 0, introducerID: row.integer(1) ?? 0, stage: row.text(2),
          createdAt: row.string(3), promisedBy: row.text(4))
      }
      // The moment as text, parsed here: the server's text-to-timestamptz
      // cast cost 0.5 s over 268,715 changes; Timestamp.parse a fraction of it.
      for row in try connection.execute(
        """
        SELECT referral_id, CASE to_stage \(ReportAssembly.stageNumbers) ELSE -1 END, changed_at
        FROM referral_stage_changes WHERE coalesce(from_stage, '') <> to_stage ORDER BY id
        """
      ).rows {
        guard let at = row.text(2).flatMap(Timestamp.parse) else { continue }
        assembly.change(
          referral: row.integer(0) ?? 0, stageNumber: Int(row.integer(1) ?? -1),
          seconds: at.timeIntervalSince1970)
      }
      assembly.finishStays(now: now)
      var facts = assembly.facts
      for row in try connection.execute(
        "SELECT state, count(*) FROM messages WHERE created_at >= $1 AND created_at < $2 GROUP BY state",
        [from, to]
      ).rows {
        facts.messageStates[row.string(0)] = Int(row.integer(1) ?? 0)
      }
      for row in try connection.execute(
        """
        SELECT a.smtp_code, count(*) FROM messages m
        LEFT JOIN delivery_attempts a ON a.id = (SELECT max(id) FROM delivery_attempts WHERE message_id = m.id)
        WHERE m.state = 'failed' AND m.created_at >= $1 AND m.created_at < $2 GROUP BY 1
        """, [from, to]
      ).rows {
        facts.failureCodes[row.integer(0).map(Int.init)] = Int(row.integer(1) ?? 0)
      }
      for row in try connection.execute(
        """
        SELECT contact_id, count(*) FROM messages
        WHERE purpose = 'ask' AND contact_id IS NOT NULL AND state IN ('sent', 'uncertain', 'in_data')
          AND coalesce(sent_at, updated_at) >= $1 AND coalesce(sent_at, updated_at) < $2
        GROUP BY contact_id
        """, [Timestamp.format(until.addingTimeInterval(-90 * 86_400)), to]
      ).rows {
        facts.asksByClient[row.integer(0) ?? 0] = Int(row.integer(1) ?? 0)
      }
      for row in try connection.execute(
        """
        SELECT f.rule, CASE WHEN f.subject_key LIKE 'referral:%' THEN EXISTS (
            SELECT 1 FROM referral_stage_changes c
            WHERE c.referral_id = substr(f.subject_key, 10)::bigint AND c.changed_at > f.fired_at
              AND c.changed_at::timestamptz - f.fired_at::timestamptz <= interval '7 days'
              AND coalesce(c.from_stage, '') <> c.to_stage)
          END
        FROM reminder_firings f WHERE f.fired_at >= $1 AND f.fired_at < $2 AND f.rule <> 'digest'
        ORDER BY f.id
        """, [from, to]
      ).rows {
        facts.firings.append((row.string(0), row.integer(1).map { $0 != 0 }))
      }
      for row in try connection.execute("SELECT id, name, email FROM contacts").rows {
        let id = row.integer(0) ?? 0
        facts.people[id] = ReportFacts.Person(id: id, name: row.text(1), email: row.string(2))
      }
      return facts
    }
  }

  public func relationshipFacts(recentSince: Date) throws(StoreError) -> [RelationshipFacts] {
    try session(writing: false) { try RelationshipRecords.facts(recentSince: recentSince, $0) }
  }
}

import Foundation

/// The team's client list on PostgreSQL: the same records as on a rep's file
/// (``ContactRecords``); touches carry the rep who made them.
extension PostgresStore: ContactStore {
  public func addContact(_ input: ContactInput, now: Date) throws(StoreError) -> Contact {
    try session { try ContactRecords.add(input, now: now, $0) }
  }

  public func addTouch(contactID: Int64, kind: Touch.Kind, note: String, at date: Date) throws(StoreError)
    -> Touch
  {
    try session {
      try ContactRecords.addTouch(contactID: contactID, kind: kind, note: note, at: date, rep: rep, $0)
    }
  }

  public func touches(contactID: Int64) throws(StoreError) -> [Touch] {
    try session(writing: false) { try ContactRecords.touches(contactID: contactID, $0) }
  }

  /// Suppressed for the whole team: every rep's next claim checks the server.
  public func suppress(normalizedEmail: String, reason: SuppressionReason, now: Date) throws(StoreError) {
    try session {
      try ContactRecords.suppress(normalizedEmail: normalizedEmail, reason: reason, now: now, $0)
    }
  }

  public func editContact(_ input: ContactInput, now: Date) throws(StoreError) -> ImportOutcome {
    try ContactImporter.edit(input) { body in try importContacts(now: now, body) }
  }

  public func importContacts(now: Date, _ body: (ContactImporter) throws -> Void) throws {
    let stamp = Timestamp.format(now)
    try withConnection { connection in
      _ = try connection.transactionOrRollBack { () throws -> Bool? in
        let suppressions = try PostgresSuppressions(connection)
        try body(
          ContactImporter(PostgresSession(connection: connection), stamp: stamp) { suppressions.contains($0) }
        )
        return true
      }
    }
  }

  /// On the server the rows are deleted in one transaction; PostgreSQL
  /// reclaims their space at its next VACUUM (autovacuum), not at once as a
  /// SQLite file's secure delete does.
  public func forget(normalizedEmail: String, now: Date) throws(StoreError) -> ForgetReport {
    try session { try ContactRecords.forget(normalizedEmail: normalizedEmail, now: now, $0) }
  }
}

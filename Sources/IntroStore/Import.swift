import Foundation
internal import GRDB

/// What importing one row did.
public enum ImportOutcome: Sendable {
  case added, updated, unchanged
}

/// Adds or updates contacts inside one import transaction.
public final class ContactImporter {
  private let db: Database
  private let stamp: String
  private let encoder = JSONEncoder()

  /// Read once per import.
  private let suppressions: SuppressionList

  init(db: Database, stamp: String) throws {
    self.db = db
    self.stamp = stamp
    suppressions = try SuppressionList(db)
  }

  private func isSuppressed(_ normalizedEmail: String) throws -> Bool {
    try suppressions.contains(normalizedEmail, db)
  }

  /// Adds the contact, or fills in and changes the fields `input` gives for the
  /// contact with the same normalised address. Fields `input` leaves nil are kept.
  public func upsert(_ input: ContactInput, customFields: [String: String] = [:]) throws -> ImportOutcome {
    let custom =
      customFields.isEmpty ? "{}" : String(decoding: try encoder.encode(customFields), as: UTF8.self)
    let existing = try db.cachedStatement(sql: "SELECT * FROM contacts WHERE email_normalized = ?")
    guard let row = try Row.fetchOne(existing, arguments: [input.normalizedEmail]) else {
      try Store.insertContact(
        db, input, customFields: custom, suppressed: try isSuppressed(input.normalizedEmail), stamp: stamp)
      return .added
    }
    let changes: [(String, (any DatabaseValueConvertible)?)] = [
      ("name", input.name), ("first_name", input.firstName), ("last_name", input.lastName),
      ("company", input.company), ("title", input.title), ("phone", input.phone), ("notes", input.notes),
      ("client_since", input.clientSince), ("satisfaction", input.satisfaction),
      ("sale_closed_on", input.saleClosedOn),
    ].filter { name, value in
      guard let value else { return false }
      return row[name] as DatabaseValue != value.databaseValue
    }
    let becomesClient = input.isClient && !(row["is_client"] as Bool)
    var customChanged = false
    if !customFields.isEmpty {
      var existing =
        (try? JSONDecoder().decode([String: String].self, from: Data((row["custom_fields"] as String).utf8)))
        ?? [:]
      let before = existing
      existing.merge(customFields) { _, new in new }
      customChanged = existing != before
      if customChanged {
        try db.execute(
          sql: "UPDATE contacts SET custom_fields = ? WHERE id = ?",
          arguments: [
            String(decoding: try JSONEncoder().encode(existing), as: UTF8.self), row["id"] as Int64,
          ])
      }
    }
    guard !changes.isEmpty || becomesClient || customChanged else { return .unchanged }
    for (name, value) in changes {
      try db.execute(
        sql: "UPDATE contacts SET \(name) = ? WHERE id = ?", arguments: [value, row["id"] as Int64])
    }
    if becomesClient {
      try db.execute(sql: "UPDATE contacts SET is_client = 1 WHERE id = ?", arguments: [row["id"] as Int64])
    }
    try db.execute(
      sql: "UPDATE contacts SET updated_at = ? WHERE id = ?", arguments: [stamp, row["id"] as Int64])
    return .updated
  }
}

extension Store {
  /// Changes the fields `input` sets on the contact with its normalised address.
  public func editContact(_ input: ContactInput, now: Date = Date()) throws(StoreError) -> ImportOutcome {
    guard try contact(normalizedEmail: input.normalizedEmail) != nil else {
      throw StoreError(.notFound, "no contact with this address; add it with 'intro contact add'")
    }
    if let satisfaction = input.satisfaction, !(1...10).contains(satisfaction) {
      throw StoreError(.invalidInput, "satisfaction must be 1 to 10")
    }
    var outcome = ImportOutcome.unchanged
    do {
      try importContacts(now: now) { importer in outcome = try importer.upsert(input) }
    } catch let error as StoreError {
      throw error
    } catch {
      throw StoreError(.database, "editing the contact: \(Self.describe(error))")
    }
    return outcome
  }

  /// Runs `body` in one write transaction: everything it does lands, or, if it
  /// throws, nothing does. `body`'s own error is rethrown unchanged.
  public func importContacts(now: Date = Date(), _ body: (ContactImporter) throws -> Void) throws {
    let stamp = Timestamp.format(now)
    try database.write { db in try body(try ContactImporter(db: db, stamp: stamp)) }
  }
}

import Foundation
internal import GRDB

/// What importing one row did.
public enum ImportOutcome: Sendable {
  case added, updated, unchanged
}

/// Adds or updates contacts inside one import transaction, on either backend.
public final class ContactImporter {
  private let sql: any SQLSession
  private let stamp: String
  private let encoder = JSONEncoder()
  /// Whether an address is suppressed, as the import's transaction sees it (read once per import).
  private let isSuppressed: (String) throws -> Bool

  init(_ sql: any SQLSession, stamp: String, isSuppressed: @escaping (String) throws -> Bool) {
    self.sql = sql
    self.stamp = stamp
    self.isSuppressed = isSuppressed
  }

  /// The fields an import may change, by column, in the order ``upsert(_:customFields:)`` reads them.
  private static let fields = [
    "name", "first_name", "last_name", "company", "title", "phone", "notes", "client_since", "satisfaction",
    "sale_closed_on",
  ]

  /// Adds the contact, or fills in and changes the fields `input` gives for the
  /// contact with the same normalised address. Fields `input` leaves nil are kept.
  public func upsert(_ input: ContactInput, customFields: [String: String] = [:]) throws -> ImportOutcome {
    let custom =
      customFields.isEmpty ? "{}" : String(decoding: try encoder.encode(customFields), as: UTF8.self)
    guard
      let row = try sql.row(
        "SELECT id, is_client, custom_fields, \(Self.fields.joined(separator: ", ")) FROM contacts "
          + "WHERE email_normalized = ?", [input.normalizedEmail])
    else {
      _ = try ContactRecords.insert(
        input, customFields: custom, suppressed: try isSuppressed(input.normalizedEmail), stamp: stamp, sql)
      return .added
    }
    let id = row.integer(0) ?? 0
    let values: [SQLValue?] = [
      input.name?.sqlValue, input.firstName?.sqlValue, input.lastName?.sqlValue, input.company?.sqlValue,
      input.title?.sqlValue, input.phone?.sqlValue, input.notes?.sqlValue, input.clientSince?.sqlValue,
      input.satisfaction?.sqlValue, input.saleClosedOn?.sqlValue,
    ]
    let changes = zip(Self.fields, values.enumerated()).compactMap { name, entry -> (String, SQLValue)? in
      guard let value = entry.element, row[3 + entry.offset] != value else { return nil }
      return (name, value)
    }
    let becomesClient = input.isClient && !row.flag(1)
    var customChanged = false
    if !customFields.isEmpty {
      var existing =
        (try? JSONDecoder().decode([String: String].self, from: Data(row.string(2).utf8))) ?? [:]
      let before = existing
      existing.merge(customFields) { _, new in new }
      customChanged = existing != before
      if customChanged {
        try sql.execute(
          "UPDATE contacts SET custom_fields = ? WHERE id = ?",
          [String(decoding: try JSONEncoder().encode(existing), as: UTF8.self), id])
      }
    }
    guard !changes.isEmpty || becomesClient || customChanged else { return .unchanged }
    for (name, value) in changes {
      try sql.execute("UPDATE contacts SET \(name) = ? WHERE id = ?", [value, id])
    }
    if becomesClient { try sql.execute("UPDATE contacts SET is_client = 1 WHERE id = ?", [id]) }
    try sql.execute("UPDATE contacts SET updated_at = ? WHERE id = ?", [stamp, id])
    return .updated
  }

  /// Changes the fields `input` sets on an existing contact (``ContactStore/editContact(_:now:)``).
  public func edit(_ input: ContactInput) throws -> ImportOutcome {
    guard try sql.row("SELECT 1 FROM contacts WHERE email_normalized = ?", [input.normalizedEmail]) != nil
    else {
      throw StoreError(.notFound, "no contact with this address; add it with 'intro contact add'")
    }
    if let satisfaction = input.satisfaction, !(1...10).contains(satisfaction) {
      throw StoreError(.invalidInput, "satisfaction must be 1 to 10")
    }
    return try upsert(input)
  }

  /// ``ContactStore/editContact(_:now:)`` through a backend's `importContacts`.
  static func edit(_ input: ContactInput, importing: ((ContactImporter) throws -> Void) throws -> Void)
    throws(StoreError) -> ImportOutcome
  {
    var outcome = ImportOutcome.unchanged
    do {
      try importing { importer in outcome = try importer.edit(input) }
    } catch let error as StoreError {
      throw error
    } catch {
      throw StoreError(.database, "editing the contact: \(error)")
    }
    return outcome
  }
}

extension Store {
  /// Changes the fields `input` sets on the contact with its normalised address.
  public func editContact(_ input: ContactInput, now: Date = Date()) throws(StoreError) -> ImportOutcome {
    try ContactImporter.edit(input) { body in try importContacts(now: now, body) }
  }

  /// Runs `body` in one write transaction: everything it does lands, or, if it
  /// throws, nothing does. `body`'s own error is rethrown unchanged.
  public func importContacts(now: Date = Date(), _ body: (ContactImporter) throws -> Void) throws {
    let stamp = Timestamp.format(now)
    try database.write { db in
      let suppressions = try SuppressionList(db)
      try body(ContactImporter(SQLiteSession(db: db), stamp: stamp) { try suppressions.contains($0, db) })
    }
  }
}

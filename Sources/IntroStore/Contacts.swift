import Foundation
internal import GRDB

/// A person: a client who may introduce, a prospect who may be introduced, or both.
public struct Contact: Sendable, Equatable, Codable {
  public var id: Int64
  public var email: String
  public var name: String?
  public var firstName: String?
  public var lastName: String?
  public var company: String?
  public var title: String?
  public var phone: String?
  public var timeZone: String?
  public var notes: String?
  public var isClient: Bool
  /// `YYYY-MM-DD`.
  public var clientSince: String?
  /// 1 (unhappy) to 10 (delighted).
  public var satisfaction: Int?
  /// `YYYY-MM-DD`.
  public var saleClosedOn: String?
  public var isProspect: Bool
  public var doNotContact: Bool
  /// Columns of an import that are not contact fields (`industry`, `region`), by header name.
  public var customFields: [String: String] = [:]
}

/// What a rep types or imports about a person.
public struct ContactInput: Sendable, Equatable {
  public var email: String
  /// The address in the form used to find duplicates (lower-cased domain); the caller normalises it.
  public var normalizedEmail: String
  public var name: String?
  public var firstName: String?
  public var lastName: String?
  public var company: String?
  public var title: String?
  public var phone: String?
  public var notes: String?
  public var isClient = false
  public var clientSince: String?
  public var satisfaction: Int?
  public var saleClosedOn: String?
  public var isProspect = false

  public init(email: String, normalizedEmail: String) {
    self.email = email
    self.normalizedEmail = normalizedEmail
  }
}

/// What a rep records about people, on either backend (the client list is
/// the team's on a shared store).
public protocol ContactStore: ClientDirectory {
  /// Adds a contact; an address already in the store is an error that says so.
  /// A forgotten or suppressed address comes back do-not-contact.
  func addContact(_ input: ContactInput, now: Date) throws(StoreError) -> Contact
  /// Records a touch and moves the contact's last contact time.
  func addTouch(contactID: Int64, kind: Touch.Kind, note: String, at date: Date) throws(StoreError) -> Touch
  /// A contact's touches, oldest first.
  func touches(contactID: Int64) throws(StoreError) -> [Touch]
  /// Marks `normalizedEmail` do-not-contact (the contact too, if there is one).
  func suppress(normalizedEmail: String, reason: SuppressionReason, now: Date) throws(StoreError)
  /// Whether `normalizedEmail` must never be emailed.
  func isSuppressed(normalizedEmail: String) throws(StoreError) -> Bool
  /// Erases a person everywhere (contact, referrals, touches, messages and
  /// their bodies, their address in batches); only a keyed hash stays, so
  /// they stay suppressed.
  func forget(normalizedEmail: String, now: Date) throws(StoreError) -> ForgetReport
  /// Changes the fields `input` sets on the contact with its normalised address.
  func editContact(_ input: ContactInput, now: Date) throws(StoreError) -> ImportOutcome
  /// Runs `body` in one write transaction: everything it does lands, or, if it
  /// throws, nothing does. `body`'s own error is rethrown unchanged.
  func importContacts(now: Date, _ body: (ContactImporter) throws -> Void) throws
}

extension Store: ContactStore {
  public func addContact(_ input: ContactInput, now: Date = Date()) throws(StoreError) -> Contact {
    try session { try ContactRecords.add(input, now: now, $0) }
  }

  /// The contact with this normalised address, if any.
  public func contact(normalizedEmail: String) throws(StoreError) -> Contact? {
    try read { db in
      try Row.fetchOne(
        db, sql: "SELECT \(Contact.columns) FROM contacts WHERE email_normalized = ?",
        arguments: [normalizedEmail]
      )
      .map(Contact.init(row:))
    }
  }

  /// The contact with this id, if any.
  public func contact(id: Int64) throws(StoreError) -> Contact? {
    try read { db in
      try Row.fetchOne(db, sql: "SELECT \(Contact.columns) FROM contacts WHERE id = ?", arguments: [id])
        .map(Contact.init(row:))
    }
  }

  /// The contacts with these ids that exist, by id: one read for a whole
  /// listing (`intro due` names every reminder's contact).
  public func contacts(ids: Set<Int64>) throws(StoreError) -> [Int64: Contact] {
    try read { db in
      var found: [Int64: Contact] = [:]
      let statement = try db.cachedStatement(sql: "SELECT \(Contact.columns) FROM contacts WHERE id = ?")
      for id in ids {
        if let row = try Row.fetchOne(statement, arguments: [id]) { found[id] = Contact(row: row) }
      }
      return found
    }
  }

  /// Contacts sorted by name then address; `clientsOnly` keeps clients, `search`
  /// matches name, email or company (case-insensitive).
  public func contacts(clientsOnly: Bool = false, search: String? = nil) throws(StoreError) -> [Contact] {
    try read { db in
      var sql = "SELECT \(Contact.columns) FROM contacts WHERE 1"
      var arguments: StatementArguments = []
      if clientsOnly { sql += " AND is_client = 1" }
      if let search {
        // The text is a value, never a pattern: % and _ in it match themselves.
        sql += " AND (name LIKE ?1 ESCAPE '\\' OR email LIKE ?1 ESCAPE '\\' OR company LIKE ?1 ESCAPE '\\')"
        arguments += [ContactRecords.likePattern(containing: search)]
      }
      sql += " ORDER BY coalesce(name, email) COLLATE NOCASE, email"
      return try Row.fetchAll(db, sql: sql, arguments: arguments).map(Contact.init(row:))
    }
  }

  /// The one INSERT for contacts, used by `addContact` and by imports.
  static func insertContact(
    _ db: Database, _ input: ContactInput, customFields: String, suppressed: Bool, stamp: String
  ) throws {
    _ = try ContactRecords.insert(
      input, customFields: customFields, suppressed: suppressed, stamp: stamp, SQLiteSession(db: db))
  }

  static func fetchContact(_ db: Database, id: Int64) throws -> Contact {
    guard
      let row = try Row.fetchOne(
        db, sql: "SELECT \(Contact.columns) FROM contacts WHERE id = ?", arguments: [id])
    else {
      throw StoreError(.notFound, "no contact with id \(id)")
    }
    return Contact(row: row)
  }
}

/// Contacts, touches and suppressions written the same way on both backends.
enum ContactRecords {
  static func add(_ input: ContactInput, now: Date, _ sql: any SQLSession) throws -> Contact {
    if let satisfaction = input.satisfaction, !(1...10).contains(satisfaction) {
      throw StoreError(.invalidInput, "satisfaction must be 1 to 10")
    }
    let stamp = Timestamp.format(now)
    if try sql.row("SELECT 1 FROM contacts WHERE email_normalized = ?", [input.normalizedEmail]) != nil {
      throw StoreError(
        .invalidInput, "a contact with this email address is already in the store; see 'intro contact show'")
    }
    let id = try insert(
      input, customFields: "{}", suppressed: try isSuppressed(input.normalizedEmail, sql), stamp: stamp, sql)
    guard let row = try sql.row("SELECT \(Contact.columns) FROM contacts WHERE id = ?", [id]) else {
      throw StoreError(.notFound, "no contact with id \(id)")
    }
    return Contact(row: row)
  }

  static func insert(
    _ input: ContactInput, customFields: String, suppressed: Bool, stamp: String, _ sql: any SQLSession
  ) throws -> Int64 {
    try sql.insert(
      """
      INSERT INTO contacts (email, email_normalized, name, first_name, last_name, company, title, phone, notes,
        custom_fields, is_client, client_since, satisfaction, sale_closed_on, is_prospect, do_not_contact,
        created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      """,
      [
        input.email, input.normalizedEmail, input.name, input.firstName, input.lastName, input.company,
        input.title, input.phone, input.notes, customFields, input.isClient, input.clientSince,
        input.satisfaction, input.saleClosedOn, input.isProspect, suppressed, stamp, stamp,
      ] as [any SQLBindable])
  }

  static func addTouch(
    contactID: Int64, kind: Touch.Kind, note: String, at date: Date, rep: String?, _ sql: any SQLSession
  ) throws -> Touch {
    guard !note.allSatisfy(\.isWhitespace) else { throw StoreError(.invalidInput, "the note is empty") }
    let stamp = Timestamp.format(date)
    guard try sql.row("SELECT 1 FROM contacts WHERE id = ?", [contactID]) != nil else {
      throw StoreError(.notFound, "no contact with id \(contactID)")
    }
    let id = try sql.insert(
      "INSERT INTO touches (contact_id, kind, note, happened_at, rep) VALUES (?, ?, ?, ?, ?)",
      [contactID, kind.rawValue, note, stamp, rep] as [any SQLBindable])
    try sql.execute(
      "UPDATE contacts SET last_contact_at = \(sql.dialect.greatest)(coalesce(last_contact_at, ''), ?), "
        + "updated_at = ? WHERE id = ?", [stamp, stamp, contactID])
    return Touch(id: id, contactID: contactID, kind: kind, note: note, happenedAt: stamp)
  }

  static func touches(contactID: Int64, _ sql: any SQLSession) throws -> [Touch] {
    try sql.rows(
      "SELECT id, contact_id, kind, note, happened_at FROM touches WHERE contact_id = ? ORDER BY happened_at, id",
      [contactID]
    ).map { row in
      Touch(
        id: row.integer(0) ?? 0, contactID: row.integer(1) ?? 0,
        kind: row.text(2).flatMap(Touch.Kind.init(rawValue:)) ?? .note, note: row.string(3),
        happenedAt: row.string(4))
    }
  }

  static func suppress(normalizedEmail: String, reason: SuppressionReason, now: Date, _ sql: any SQLSession)
    throws
  {
    let stamp = Timestamp.format(now)
    let hash = try addressHash(normalizedEmail, sql)
    try sql.execute(
      "INSERT INTO suppressions (address_hash, reason, created_at) VALUES (?, ?, ?) "
        + "ON CONFLICT (address_hash) DO NOTHING", [hash, reason.rawValue, stamp])
    try sql.execute(
      "UPDATE contacts SET do_not_contact = 1, updated_at = ? WHERE email_normalized = ?",
      [stamp, normalizedEmail])
  }

  /// Erases a person's rows everywhere and keeps only the keyed hash of their
  /// address in `suppressions`, so a later import of it is still suppressed.
  static func forget(normalizedEmail: String, now: Date, _ sql: any SQLSession) throws -> ForgetReport {
    var report = ForgetReport()
    let ids = try sql.rows("SELECT id FROM contacts WHERE email_normalized = ?", [normalizedEmail])
      .compactMap { $0.integer(0) }
    func count(_ query: String, _ arguments: [any SQLBindable]) throws -> Int {
      Int(try sql.row(query, arguments)?.integer(0) ?? 0)
    }
    for id in ids {
      report.referrals += try count(
        "SELECT count(*) FROM referrals WHERE introducer_id = ? OR prospect_id = ?", [id, id])
      report.messages += try count("SELECT count(*) FROM messages WHERE contact_id = ?", [id])
      try sql.execute("DELETE FROM messages WHERE contact_id = ?", [id])
      try sql.execute("DELETE FROM contacts WHERE id = ?", [id])
    }
    report.contacts = ids.count
    report.messages += try count(
      "SELECT count(*) FROM messages WHERE lower(recipient) = ? OR recipient_key = ?",
      [normalizedEmail, normalizedEmail])
    try sql.execute(
      "DELETE FROM messages WHERE lower(recipient) = ? OR recipient_key = ?",
      [normalizedEmail, normalizedEmail])
    try eraseFromBatches(normalizedEmail, sql)
    let hash = try addressHash(normalizedEmail, sql)
    try sql.execute(
      "INSERT INTO suppressions (address_hash, reason, created_at) VALUES (?, 'forgotten', ?) "
        + "ON CONFLICT (address_hash) DO UPDATE SET reason = 'forgotten', created_at = excluded.created_at",
      [hash, Timestamp.format(now)])
    return report
  }

  /// A LIKE pattern (with `ESCAPE '\\'`) that matches text containing `text`
  /// as it is: its %, _ and backslashes match themselves.
  static func likePattern(containing text: String) -> String {
    "%"
      + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
      .replacingOccurrences(of: "_", with: "\\_") + "%"
  }

  /// Replaces `normalizedEmail`, in any case, in batches' command lines and audiences.
  private static func eraseFromBatches(_ normalizedEmail: String, _ sql: any SQLSession) throws {
    let pattern = likePattern(containing: normalizedEmail)
    let rows = try sql.rows(
      """
      SELECT id, command, audience FROM batches
      WHERE lower(command) LIKE ? ESCAPE '\\' OR lower(audience) LIKE ? ESCAPE '\\'
      """, [pattern, pattern])
    for row in rows {
      let erase = { (text: String?) in
        text?.replacingOccurrences(of: normalizedEmail, with: Store.erasedAddress, options: .caseInsensitive)
      }
      try sql.execute(
        "UPDATE batches SET command = ?, audience = ? WHERE id = ?",
        [erase(row.text(1)) ?? "", erase(row.text(2)), row.integer(0) ?? 0] as [any SQLBindable])
    }
  }

  static func isSuppressed(_ normalizedEmail: String, _ sql: any SQLSession) throws -> Bool {
    guard let key = try sql.row("SELECT value FROM store_settings WHERE name = 'suppression_key'")?.text(0)
    else {
      return false
    }
    let hash = SHA256.hex(SHA256.hmac(key: Array(key.utf8), message: Array(normalizedEmail.utf8)))
    return try sql.row("SELECT 1 FROM suppressions WHERE address_hash = ?", [hash]) != nil
  }

  /// HMAC-SHA-256 of the address with this store's own random key, made on
  /// first use (once, however many reps suppress someone at the same moment).
  static func addressHash(_ normalizedEmail: String, _ sql: any SQLSession) throws -> String {
    var generator = SystemRandomNumberGenerator()
    let fresh = SHA256.hex((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
    try sql.execute(
      "INSERT INTO store_settings (name, value) VALUES ('suppression_key', ?) ON CONFLICT (name) DO NOTHING",
      [fresh])
    let key = try sql.row("SELECT value FROM store_settings WHERE name = 'suppression_key'")?.text(0) ?? fresh
    return SHA256.hex(SHA256.hmac(key: Array(key.utf8), message: Array(normalizedEmail.utf8)))
  }
}

extension Contact {
  /// The columns a `Contact` is read from, in the order `init(row:)` reads
  /// them: by position, since looking a column up by name compares strings
  /// (65% of `contact list` on 10,000 contacts).
  private enum Column: Int, CaseIterable {
    case id, email, name, firstName, lastName, company, title, phone, timeZone, notes, isClient, clientSince
    case satisfaction, saleClosedOn, isProspect, doNotContact, customFields

    var name: String {
      switch self {
      case .firstName: "first_name"
      case .lastName: "last_name"
      case .timeZone: "time_zone"
      case .isClient: "is_client"
      case .clientSince: "client_since"
      case .saleClosedOn: "sale_closed_on"
      case .isProspect: "is_prospect"
      case .doNotContact: "do_not_contact"
      case .customFields: "custom_fields"
      default: "\(self)"
      }
    }
  }

  /// The SELECT list for `init(row:)`.
  static let columns = Column.allCases.map(\.name).joined(separator: ", ")

  /// A contact from a row selected with ``columns``.
  init(row: some ColumnReader) {
    func text(_ column: Column) -> String? { row.text(column.rawValue) }
    id = row.integer(Column.id.rawValue) ?? 0
    email = row.string(Column.email.rawValue)
    name = text(.name)
    firstName = text(.firstName)
    lastName = text(.lastName)
    company = text(.company)
    title = text(.title)
    phone = text(.phone)
    timeZone = text(.timeZone)
    notes = text(.notes)
    isClient = row.flag(Column.isClient.rawValue)
    clientSince = text(.clientSince)
    satisfaction = row.integer(Column.satisfaction.rawValue).map(Int.init)
    saleClosedOn = text(.saleClosedOn)
    isProspect = row.flag(Column.isProspect.rawValue)
    doNotContact = row.flag(Column.doNotContact.rawValue)
    // Most contacts have none: "{}" costs no decoding.
    if let custom = text(.customFields), custom.utf8.count > 2,
      let decoded = try? JSONDecoder().decode([String: String].self, from: Data(custom.utf8))
    {
      customFields = decoded
    }
  }
}

/// Times in the store: UTC, ISO 8601, to the second (`2026-11-23T09:30:00Z`),
/// so they sort as text. Formatted by hand: the delivery journal writes a few
/// per message, and a Foundation formatter costs more than the SQL.
public enum Timestamp {
  /// `2026-11-23T09:30:00Z`: UTC, to the second (RFC 3339).
  public static func format(_ date: Date) -> String {
    var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
    var parts = tm()
    gmtime_r(&seconds, &parts)
    func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
    return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
      + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
  }

  /// Reads what ``format(_:)`` wrote; other ISO 8601 forms (an offset instead
  /// of Z) go through Foundation. `intro log` reads several per message.
  public static func parse(_ text: String) -> Date? {
    var text = text
    // The bytes where they lie: no array per call (a report parses hundreds of thousands).
    let fast = text.withUTF8 { digits -> Date?? in
      func number(_ start: Int, _ count: Int) -> Int? {
        var value = 0
        for byte in digits[start..<start + count] {
          guard byte >= 0x30, byte <= 0x39 else { return nil }
          value = value * 10 + Int(byte - 0x30)
        }
        return value
      }
      guard digits.count == 20, digits[4] == 0x2D, digits[7] == 0x2D, digits[10] == 0x54, digits[13] == 0x3A,
        digits[16] == 0x3A, digits[19] == 0x5A, let year = number(0, 4), let month = number(5, 2),
        let day = number(8, 2), let hour = number(11, 2), let minute = number(14, 2),
        let second = number(17, 2)
      else { return .none }
      guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else {
        return .some(nil)
      }
      let seconds = daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
      return .some(Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
    if let fast { return fast }
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.date(from: text)
  }

  /// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
  /// algorithm): arithmetic only, a fraction of what `timegm` costs, which
  /// mattered with 300,000 stage changes in a report.
  public static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yearOfEra = y - era * 400
    let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    return era * 146_097 + dayOfEra - 719_468
  }
}

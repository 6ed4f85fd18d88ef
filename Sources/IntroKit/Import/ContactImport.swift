import Foundation
import IntroMail
public import IntroStore

/// `intro contact import`: a CRM export into the store, in one transaction.
public enum ContactImport {
  /// What an import did.
  public struct Report: Sendable {
    public var added = 0
    public var updated = 0
    public var unchanged = 0
    /// Rows left out, with their line and why.
    public var rejected: [(line: Int, reason: String)] = []
  }

  /// The store field each header name means, after lower-casing and removing spaces, `_` and `-`.
  static let aliases: [String: [String]] = [
    "email": ["email", "emailaddress", "workemail", "mail"],
    "name": ["name", "fullname", "contactname"],
    "first_name": ["firstname", "givenname"],
    "last_name": ["lastname", "surname", "familyname"],
    "company": ["company", "companyname", "account", "accountname", "organization", "organisation"],
    "title": ["title", "jobtitle"],
    "phone": ["phone", "phonenumber", "mobile", "telephone"],
    "notes": ["notes", "note", "description"],
    "client": ["client", "isclient", "customer"],
    "client_since": ["clientsince", "customersince"],
    "satisfaction": ["satisfaction"],
    "sale_closed_on": ["saleclosedon", "closedate", "closedon"],
  ]

  /// Imports `path`. Structural problems (duplicate header, unterminated quote,
  /// ragged row, wrong encoding) throw ``CSVError`` and nothing is written; rows
  /// with a bad address or value are rejected and reported, the rest land.
  /// - Parameter mapping: field → header name, overriding the built-in aliases.
  public static func run(
    path: String, into store: any ContactStore, encoding: CSVEncoding = .utf8, delimiter: UInt8? = nil,
    mapping: [String: String] = [:]
  ) throws -> Report {
    var reader = try CSVReader(path: path, encoding: encoding, delimiter: delimiter)
    guard let (_, header) = try reader.next() else { throw CSVError(line: 1, message: "the file is empty") }
    let columns = try columnMap(header, mapping: mapping)
    var report = Report()
    try store.importContacts(now: Date()) { importer in
      while let (line, fields) = try reader.next() {
        if fields == [""] { continue }
        guard fields.count == header.count else {
          throw CSVError(
            line: line, message: "this row has \(fields.count) fields; the header has \(header.count)")
        }
        do {
          let (input, custom) = try contact(from: fields, header: header, columns: columns)
          switch try importer.upsert(input, customFields: custom) {
          case .added: report.added += 1
          case .updated: report.updated += 1
          case .unchanged: report.unchanged += 1
          }
        } catch let rejection as Rejection {
          report.rejected.append((line, rejection.reason))
        }
      }
    }
    return report
  }

  private struct Rejection: Error {
    let reason: String
  }

  /// Field name → column index; unknown headers become custom fields.
  static func columnMap(_ header: [String], mapping: [String: String]) throws(CSVError) -> [String: Int] {
    var seen: [String: Int] = [:]
    for (index, name) in header.enumerated() {
      let key = normalized(name)
      if let first = seen[key] {
        throw CSVError(
          line: 1, message: "the header has '\(header[first])' and '\(name)', which name the same column")
      }
      seen[key] = index
    }
    var columns: [String: Int] = [:]
    for (field, names) in aliases {
      if let wanted = mapping[field] {
        guard let index = seen[normalized(wanted)] else {
          throw CSVError(
            line: 1,
            message: "no column '\(wanted)' for \(field); the header has: \(header.joined(separator: ", "))")
        }
        columns[field] = index
      } else if let index = names.lazy.compactMap({ seen[$0] }).first {
        columns[field] = index
      }
    }
    guard columns["email"] != nil else {
      throw CSVError(line: 1, message: "no email column; name it with --map email=\"Your Header\"")
    }
    return columns
  }

  private static func contact(from fields: [String], header: [String], columns: [String: Int]) throws
    -> (ContactInput, [String: String])
  {
    func value(_ field: String) -> String? {
      guard let index = columns[field] else { return nil }
      let text = fields[index].trimmingCharacters(in: .whitespaces)
      return text.isEmpty ? nil : text
    }
    guard let email = value("email") else { throw Rejection(reason: "no email address") }
    var input: ContactInput
    do {
      input = try StoreAccess.contactInput(email: email)
    } catch {
      throw Rejection(reason: error.description)
    }
    for (field, text) in [("name", value("name")), ("company", value("company"))] {
      if let text, text.unicodeScalars.contains(where: \.isForbiddenInHeaderOrEnvelope) {
        throw Rejection(reason: "\(field) contains a line break or control character")
      }
    }
    input.name = value("name")
    // "Doe, Jane" in a CRM's name column: the greeting says "Jane".
    let parsed = input.name.map(PersonName.init)
    input.firstName = value("first_name") ?? parsed?.first
    input.lastName = value("last_name") ?? (value("first_name") == nil ? parsed?.last : nil)
    input.company = value("company")
    input.title = value("title")
    input.phone = value("phone")
    input.notes = value("notes")
    if let satisfaction = value("satisfaction") {
      guard let number = Int(satisfaction), (1...10).contains(number) else {
        throw Rejection(reason: "satisfaction '\(satisfaction)' is not a whole number from 1 to 10")
      }
      input.satisfaction = number
    }
    for field in ["client_since", "sale_closed_on"] {
      guard let date = value(field) else { continue }
      guard isDay(date) else { throw Rejection(reason: "\(field) '\(date)' is not a date like 2026-11-23") }
      if field == "client_since" { input.clientSince = date } else { input.saleClosedOn = date }
    }
    let flag = value("client")?.lowercased()
    input.isClient = ["1", "yes", "y", "true", "x"].contains(flag ?? "") || input.clientSince != nil
    let used = Set(columns.values)
    var custom: [String: String] = [:]
    for (index, name) in header.enumerated() where !used.contains(index) && !fields[index].isEmpty {
      custom[name] = fields[index]
    }
    return (input, custom)
  }

  static func normalized(_ header: String) -> String {
    String(header.lowercased().filter { !$0.isWhitespace && $0 != "_" && $0 != "-" })
  }

  /// True for `YYYY-MM-DD` with a real month and day.
  public static func isDay(_ text: String) -> Bool { CivilDay.parse(text) != nil }
}

import Foundation
public import IntroStore

/// Everything the store holds about contacts, for `intro contact export`.
public enum ContactExport {
  /// One contact with what is attached to them.
  public struct Record: Sendable, Encodable {
    public let contact: Contact
    public let referralsMade: [Referral]
    public let referralsReceived: [Referral]
    public let touches: [Touch]
  }

  /// The records for `contacts`.
  public static func records(_ contacts: [Contact], in store: any StoreContract) throws(StoreError)
    -> [Record]
  {
    var records: [Record] = []
    let allReferrals = try store.referrals(stage: nil, introducerID: nil)
    for contact in contacts {
      records.append(
        Record(
          contact: contact, referralsMade: allReferrals.filter { $0.introducerID == contact.id },
          referralsReceived: allReferrals.filter { $0.prospectID == contact.id },
          touches: try store.touches(contactID: contact.id)))
    }
    return records
  }

  static let csvColumns = [
    "email", "name", "first_name", "last_name", "company", "title", "phone", "notes", "is_client",
    "client_since",
    "satisfaction", "sale_closed_on", "is_prospect", "do_not_contact",
  ]

  /// RFC 4180 CSV of the contacts (CRLF rows), custom fields as the last
  /// columns (sorted by name), so `contact import` reads the file back. A cell
  /// that a spreadsheet would run as a formula (starting with `=`, `+`, `-` or
  /// `@`) gets a leading `'`.
  public static func csv(_ contacts: [Contact]) -> String {
    let custom = Set(contacts.flatMap(\.customFields.keys)).subtracting(csvColumns).sorted()
    var rows = [(csvColumns + custom).map(cell).joined(separator: ",")]
    for c in contacts {
      let cells: [String?] =
        [
          c.email, c.name, c.firstName, c.lastName, c.company, c.title, c.phone, c.notes,
          c.isClient ? "1" : "0",
          c.clientSince, c.satisfaction.map(String.init), c.saleClosedOn, c.isProspect ? "1" : "0",
          c.doNotContact ? "1" : "0",
        ] + custom.map { c.customFields[$0] }
      rows.append(cells.map { cell($0 ?? "") }.joined(separator: ","))
    }
    return rows.joined(separator: "\r\n") + "\r\n"
  }

  static func cell(_ value: String) -> String {
    var text = value
    if let first = text.first, "=+-@".contains(first) { text = "'" + text }
    guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else {
      return text
    }
    return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }
}

extension Contact {
  /// The name to show a rep: "Marie-Anne Lefèvre" for a CRM's "Lefèvre, Marie-Anne",
  /// the name as typed otherwise, else the address.
  public var displayName: String {
    PersonName.display(name: name, email: email)
  }
}

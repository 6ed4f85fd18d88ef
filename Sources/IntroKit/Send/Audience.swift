import Foundation
import IntroMail
public import IntroStore

/// Who a batch goes to.
public enum Audience: Sendable {
  /// One contact, by address or id.
  case contact(String)
  /// The introducer of one referral (the template gets `client`, `prospect`, `referral`).
  case referral(Int64)
  /// Each row of a CSV file is a recipient; its columns are the context.
  case csv(path: String, encoding: CSVEncoding, delimiter: UInt8?)
  /// Every client in the store that matches all the filters; do-not-contact clients are left out.
  case clients([ContactFilter])

  /// How `intro log` and the batch record describe it.
  public var description: String {
    switch self {
    case .contact(let who): "--to \(who)"
    case .referral(let id): "--referral \(id)"
    case .csv(let path, _, _): "--csv \(path)"
    case .clients(let filters):
      (["--clients"] + filters.map { "--where '\($0.text)'" }).joined(separator: " ")
    }
  }
}

/// `--where FIELD OP VALUE` on clients: `satisfaction>=8`, `company=Acme`,
/// `title~director` (contains, any case), `client_since<2025-01-01`.
public struct ContactFilter: Sendable {
  /// The fields a filter may name; any other name is a custom field (an import's extra column).
  public static let fields = [
    "email", "name", "first_name", "last_name", "company", "title", "phone", "notes", "satisfaction",
    "client_since", "sale_closed_on", "time_zone", "prospect",
  ]
  static let numberFields: Set<String> = ["satisfaction"]
  static let dateFields: Set<String> = ["client_since", "sale_closed_on"]
  public let text: String
  let field: String
  let operation: String
  let value: String
  /// Not a contact field: a custom field of that name.
  var isCustom: Bool { !Self.fields.contains(field) }
  private var isOrdering: Bool { [">=", "<=", ">", "<"].contains(operation) }

  /// Parses `expression`; the error says what is wrong and what is allowed.
  /// Comparing a number field with a non-number (`satisfaction>=high`), a date
  /// field with a non-date, or a text field with `<`/`>` and a number is an
  /// error here, not a filter that matches nobody.
  public init(_ expression: String) throws(AudienceError) {
    text = expression
    let operators = ["!=", ">=", "<=", "=", ">", "<", "~"]
    guard
      let (range, firstOperator) = operators.lazy.compactMap({ op in
        expression.range(of: op).map { ($0, op) }
      }).min(by: { $0.0.lowerBound < $1.0.lowerBound })
    else {
      throw AudienceError(
        "--where '\(expression)' has no comparison; write FIELD=VALUE, FIELD>=N, FIELD~TEXT (contains)",
        isUsage: true)
    }
    // "a>=b": the earliest match may be ">" inside ">="; prefer the two-character operator there.
    var op = firstOperator
    var opRange = range
    if let longer = operators.first(where: { $0.count == 2 && expression[range.lowerBound...].hasPrefix($0) })
    {
      op = longer
      opRange = range.lowerBound..<expression.index(range.lowerBound, offsetBy: 2)
    }
    field = expression[..<opRange.lowerBound].trimmingCharacters(in: .whitespaces).lowercased()
    value = expression[opRange.upperBound...].trimmingCharacters(in: .whitespaces)
    operation = op
    guard !field.isEmpty,
      field.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == " " })
    else {
      throw AudienceError(
        "--where '\(expression)': '\(field)' is not a field name; use one of \(Self.fields.joined(separator: ", ")) "
          + "or a custom field", isUsage: true)
    }
    guard isOrdering else { return }
    let isNumber = Double(value) != nil
    if Self.numberFields.contains(field), !isNumber {
      throw AudienceError(
        "--where '\(expression)': \(field) is a number, and '\(value)' is not; write e.g. \(field)\(op)8",
        isUsage: true)
    }
    if Self.dateFields.contains(field), !ContactImport.isDay(value) {
      throw AudienceError(
        "--where '\(expression)': \(field) is a date, and '\(value)' is not; write e.g. \(field)\(op)2025-01-01",
        isUsage: true)
    }
    if !isCustom, !Self.numberFields.contains(field), !Self.dateFields.contains(field), isNumber {
      throw AudienceError(
        "--where '\(expression)': \(field) is text, so \(op) cannot compare it with the number \(value); "
          + "use = or ~ (contains)", isUsage: true)
    }
  }

  /// Whether `contact` passes. A custom field compared with `<`/`>` and a
  /// number must hold a number; a contact whose value does not is an error
  /// naming them, not a silent miss.
  public func matches(_ contact: Contact) throws(AudienceError) -> Bool {
    let actual: String? =
      switch field {
      case "email": contact.email
      case "name": contact.name
      case "first_name": contact.firstName
      case "last_name": contact.lastName
      case "company": contact.company
      case "title": contact.title
      case "phone": contact.phone
      case "notes": contact.notes
      case "satisfaction": contact.satisfaction.map(String.init)
      case "client_since": contact.clientSince
      case "sale_closed_on": contact.saleClosedOn
      case "time_zone": contact.timeZone
      case "prospect": contact.isProspect ? "yes" : "no"
      default: Self.custom(field, of: contact)
      }
    guard let actual else { return operation == "!=" }
    if operation == "~" { return actual.localizedCaseInsensitiveContains(value) }
    let order: ComparisonResult
    if let left = Double(actual), let right = Double(value) {
      order = left < right ? .orderedAscending : left > right ? .orderedDescending : .orderedSame
    } else {
      if isOrdering, Double(value) != nil {
        throw AudienceError(
          "--where '\(text)' compares a number, but \(contact.email) has \(field) '\(actual)'; "
            + "fix the value (intro contact import) or compare with = or ~", isUsage: true)
      }
      order = actual.caseInsensitiveCompare(value)
    }
    switch operation {
    case "=": return order == .orderedSame
    case "!=": return order != .orderedSame
    case ">=": return order != .orderedAscending
    case "<=": return order != .orderedDescending
    case ">": return order == .orderedDescending
    default: return order == .orderedAscending
    }
  }

  /// A custom field by name, ignoring case, spaces, `_` and `-` ("Industry", "deal size" = `deal_size`).
  static func custom(_ field: String, of contact: Contact) -> String? {
    let wanted = canonical(field)
    return contact.customFields.first { canonical($0.key) == wanted }?.value
  }

  static func canonical(_ name: String) -> String {
    String(name.lowercased().filter { $0 != " " && $0 != "_" && $0 != "-" })
  }

  /// Fails when a custom field of `filters` is held by none of `contacts`: a typo, not an empty audience.
  static func checkCustomFields(_ filters: [ContactFilter], in contacts: [Contact]) throws(AudienceError) {
    let known = Set(contacts.flatMap { $0.customFields.keys.map(canonical) })
    for filter in filters where filter.isCustom && !known.contains(canonical(filter.field)) {
      let names = Set(contacts.flatMap(\.customFields.keys)).sorted()
      throw AudienceError(
        "--where '\(filter.text)': '\(filter.field)' is neither a contact field (\(fields.joined(separator: ", "))) "
          + "nor a custom field of any client"
          + (names.isEmpty ? "" : " (custom fields: \(names.joined(separator: ", ")))"), isUsage: true)
    }
  }
}

/// An audience that cannot be built: a contact or referral that is not there, a bad filter.
public struct AudienceError: Error, Sendable, CustomStringConvertible {
  public let description: String
  /// The command line is wrong (a bad `--where`): exit 64, not 65.
  public let isUsage: Bool
  public init(_ description: String, isUsage: Bool = false) {
    self.description = description
    self.isUsage = isUsage
  }
}

/// An audience ready to walk: the store's people read into memory, or a CSV file to stream.
struct ResolvedAudience {
  fileprivate enum Source {
    case members([AudienceMember])
    case csv(path: String, encoding: CSVEncoding, delimiter: UInt8?)
  }
  fileprivate let source: Source
  fileprivate let context: SendContext

  /// The members read from the store; nil for a CSV file, which streams.
  var storeMembers: [AudienceMember]? {
    if case .members(let members) = source { return members }
    return nil
  }

  /// Calls `body` with each member in order; touches the store no more, so
  /// `body` may run inside a store transaction.
  /// - Returns: problems with rows that have no member (a ragged CSV row, an unreadable file).
  func walk(_ body: (AudienceMember) throws(StoreError) -> Void) throws(SendError) -> [PreflightIssue] {
    switch source {
    case .members(let members):
      for member in members { try storeStep { () throws(StoreError) in try body(member) } }
      return []
    case .csv(let path, let encoding, let delimiter):
      return try Audience.forEachRow(
        path: path, encoding: encoding, delimiter: delimiter, context: context, body)
    }
  }
}

extension Audience {
  /// Reads the members that live in the store (a contact, a referral, the
  /// clients); a CSV audience is only named, and streams later.
  func resolve(store: any ClientDirectory, context: SendContext) throws(SendError) -> ResolvedAudience {
    switch self {
    case .contact(let who):
      let contact = try Self.findContact(who, in: store)
      return ResolvedAudience(
        source: .members([
          AudienceMember(
            source: "contact \(contact.email)", context: context.forContact(contact), contactID: contact.id,
            doNotContact: contact.doNotContact)
        ]), context: context)
    case .referral(let id):
      let (referral, introducer, prospect) = try storeStep { () throws(StoreError) in
        guard let referral = try store.referral(id: id) else {
          throw StoreError(.notFound, "there is no referral \(id); see 'intro referral list'")
        }
        guard let introducer = try store.contact(id: referral.introducerID),
          let prospect = try store.contact(id: referral.prospectID)
        else { throw StoreError(.notFound, "referral \(id) names a contact that is no longer in the store") }
        return (referral, introducer, prospect)
      }
      return ResolvedAudience(
        source: .members([
          AudienceMember(
            source: "referral \(id)",
            context: context.forReferral(referral, introducer: introducer, prospect: prospect),
            contactID: introducer.id, referralID: id, doNotContact: introducer.doNotContact)
        ]), context: context)
    case .clients(let filters):
      let all = try storeStep { () throws(StoreError) in try store.contacts(clientsOnly: true, search: nil) }
      let clients: [Contact]
      do throws(AudienceError) {
        try ContactFilter.checkCustomFields(filters, in: all)
        var kept: [Contact] = []
        contacts: for contact in all where !contact.doNotContact {
          for filter in filters where !(try filter.matches(contact)) { continue contacts }
          kept.append(contact)
        }
        clients = kept
      } catch {
        throw .audience(error)
      }
      return ResolvedAudience(
        source: .members(
          clients.map { contact in
            AudienceMember(
              source: "contact \(contact.email)", context: context.forContact(contact), contactID: contact.id)
          }), context: context)
    case .csv(let path, let encoding, let delimiter):
      return ResolvedAudience(
        source: .csv(path: path, encoding: encoding, delimiter: delimiter), context: context)
    }
  }

  fileprivate static func forEachRow(
    path: String, encoding: CSVEncoding, delimiter: UInt8?, context: SendContext,
    _ body: (AudienceMember) throws(StoreError) -> Void
  ) throws(SendError) -> [PreflightIssue] {
    var issues: [PreflightIssue] = []
    do {
      var reader = try CSVReader(path: path, encoding: encoding, delimiter: delimiter)
      guard let (_, header) = try reader.next() else {
        throw CSVError(line: 1, message: "the file is empty; the first row must name the columns")
      }
      let shape = context.shape(header: header)
      while let (line, fields) = try reader.next() {
        if fields == [""] { continue }
        guard fields.count == header.count else {
          issues.append(
            PreflightIssue(
              source: "line \(line)", field: "row",
              reason: "\(fields.count) fields; the header has \(header.count)"))
          continue
        }
        try storeStep { () throws(StoreError) in
          try body(AudienceMember(source: "line \(line)", row: fields, shape: shape))
        }
      }
    } catch let error as CSVError {
      issues.append(PreflightIssue(source: "line \(error.line)", field: "file", reason: error.message))
    } catch let error as SendError {
      throw error
    } catch {
      throw .audience(AudienceError("\(path): \(error)"))
    }
    return issues
  }

  /// A contact by id or address.
  static func findContact(_ who: String, in store: any ClientDirectory) throws(SendError) -> Contact {
    let found = try storeStep { () throws(StoreError) -> Contact? in
      if let id = Int64(who) { return try store.contact(id: id) }
      let key: String
      do throws(AddressError) {
        key = try StoreAccess.key(for: who)
      } catch {
        throw StoreError(.invalidInput, "--to \(who): \(error)")
      }
      return try store.contact(normalizedEmail: key)
    }
    guard let found else {
      throw .audience(AudienceError("no contact \(who) in the store; add one with 'intro contact add'"))
    }
    return found
  }
}

/// Why `intro send` stopped before sending anything.
public enum SendError: Error, Sendable, CustomStringConvertible {
  case audience(AudienceError)
  case store(StoreError)
  /// The transport could not be made (SMTP settings, a password command).
  case configuration(ConfigError)

  public var description: String {
    switch self {
    case .audience(let error): error.description
    case .store(let error): error.description
    case .configuration(let error): error.description
    }
  }

  /// What the error means for the process: 65 for bad data, 75 when waiting
  /// helps (a busy store, a full disk), 78 for what a person must fix.
  public var exitStatus: ExitStatus {
    switch self {
    case .audience(let error): error.isUsage ? .usage : .dataError
    case .store(let error): ExitStatus(error)
    case .configuration: .configuration
    }
  }
}

func storeStep<T>(_ body: () throws(StoreError) -> T) throws(SendError) -> T {
  do { return try body() } catch { throw .store(error) }
}

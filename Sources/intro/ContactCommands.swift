import ArgumentParser
import Foundation
import IntroKit
import IntroMail
import IntroSMTP
import IntroStore

/// The fields of a contact a rep can type, shared by `contact add` and `contact edit`.
struct ContactFields: ParsableArguments {
  @Option(help: "Full name.") var name: String?
  @Option(help: "First name (used in greetings; default: from the name, \"Doe, Jane\" gives Jane).")
  var firstName: String?
  @Option(help: "Last name.") var lastName: String?
  @Option(help: "Company.") var company: String?
  @Option(help: "Job title.") var title: String?
  @Option(help: "Phone number.") var phone: String?
  @Option(help: "Free notes.") var notes: String?
  @Flag(help: "This contact is a client (who may introduce you).") var client = false
  @Option(help: ArgumentHelp("Client since, YYYY-MM-DD.", valueName: "date")) var clientSince: String?
  @Option(help: ArgumentHelp("How happy the client is, 1 to 10.", valueName: "1-10")) var satisfaction: Int?
  @Option(help: ArgumentHelp("When the sale closed, YYYY-MM-DD.", valueName: "date")) var saleClosedOn:
    String?

  func validate() throws {
    for (name, value) in [("--client-since", clientSince), ("--sale-closed-on", saleClosedOn)] {
      if let value, !ContactImport.isDay(value) {
        throw ValidationError("\(name) must be a date like 2026-11-23")
      }
    }
    if let satisfaction, !(1...10).contains(satisfaction) {
      throw ValidationError("--satisfaction is 1 to 10")
    }
  }

  /// Sets every field given on the command line; the rest stay nil (kept on edit).
  func apply(to input: inout ContactInput) {
    input.name = name
    let parsed = name.map(PersonName.init)
    input.firstName = firstName ?? parsed?.first
    input.lastName = lastName ?? (firstName == nil ? parsed?.last : nil)
    input.company = company
    input.title = title
    input.phone = phone
    input.notes = notes
    input.isClient = client || clientSince != nil || satisfaction != nil || saleClosedOn != nil
    input.clientSince = clientSince
    input.satisfaction = satisfaction
    input.saleClosedOn = saleClosedOn
  }
}

struct ContactCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "contact",
    abstract: "The people you work with, clients and prospects: add, edit, list, import, export, forget.",
    subcommands: [
      Add.self, Edit.self, List.self, Show.self, Import.self, Export.self, Suppress.self, Forget.self,
    ])

  struct Add: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "add",
      abstract: "Add a contact.",
      discussion: """
        Examples:
          intro contact add chris@example.com --name "Chris Client" --company "Smith & Sons" --client --satisfaction 9
          intro contact add pat@northwind.example --name "Pat Prospect"
        """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: ArgumentHelp("The email address.", valueName: "email")) var email: String
    @OptionGroup var fields: ContactFields

    func run() throws {
      try reporting { () throws(CommandFailure) -> ExitStatus in
        let config = try global.loadConfig()
        var input: ContactInput
        do throws(AddressError) {
          input = try StoreAccess.contactInput(email: email)
        } catch {
          throw CommandFailure(.dataError, error.description)
        }
        fields.apply(to: &input)
        let store = try global.openAnyStore(config).contract
        let contact = try storeCall { () throws(StoreError) in try store.addContact(input, now: Date()) }
        print("added contact \(contact.id): \(contact.name ?? contact.email) <\(contact.email)>")
        return .ok
      }
    }
  }

  struct Edit: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "edit",
      abstract: "Change a contact's details; fields you do not give are kept.",
      discussion:
        "Example: intro contact edit chris@example.com --satisfaction 10 --sale-closed-on 2026-11-20")

    @OptionGroup var global: GlobalOptions
    @Argument(help: ArgumentHelp("The contact's email address.", valueName: "email")) var email: String
    @OptionGroup var fields: ContactFields

    func run() throws {
      try reporting { () throws(CommandFailure) -> ExitStatus in
        let config = try global.loadConfig()
        let store = try global.openAnyStore(config).contract
        let contact = try findContact(email, in: store)
        var input = ContactInput(email: contact.email, normalizedEmail: try addressKey(email))
        // A new --name sets the first and last names too, unless they are given.
        fields.apply(to: &input)
        let outcome = try storeCall { () throws(StoreError) in try store.editContact(input, now: Date()) }
        print(outcome == .unchanged ? "\(contact.email): nothing changed" : "\(contact.email): updated")
        return .ok
      }
    }
  }

  struct List: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List contacts.")

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Only clients.") var clients = false
    @Option(help: "Only contacts whose name, email or company contains this text.") var search: String?
    @Flag(help: "JSON for scripts.") var json = false

    func run() throws {
      try reporting { () throws(CommandFailure) -> ExitStatus in
        let config = try global.loadConfig()
        let store = try global.openAnyStore(config).contract
        let contacts = try storeCall { () throws(StoreError) in
          try store.contacts(clientsOnly: clients, search: search)
        }
        if json {
          printJSON(contacts)
        } else {
          for contact in contacts {
            let role = [
              contact.isClient ? "client" : nil, contact.isProspect ? "prospect" : nil,
              contact.doNotContact ? "do-not-contact" : nil,
            ].compactMap { $0 }
            let custom = contact.customFields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            print(
              "\(contact.id)\t\(contact.displayName)\t\(contact.email)\t\(contact.company ?? "-")\t"
                + (role.isEmpty ? "-" : role.joined(separator: ","))
                + (custom.isEmpty ? "" : "\t" + custom.joined(separator: " ")))
          }
        }
        return .ok
      }
    }
  }

  struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "show", abstract: "Show one contact and their referrals.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: ArgumentHelp("The contact's email address.", valueName: "email")) var email: String
    @Flag(help: "JSON for scripts.") var json = false

    func run() throws {
      try reporting { () throws(CommandFailure) -> ExitStatus in
        let config = try global.loadConfig()
        let store = try global.openAnyStore(config).contract
        let contact = try findContact(email, in: store)
        let referrals = try storeCall { () throws(StoreError) in
          try store.referrals(stage: nil, introducerID: contact.id)
        }
        let key = try addressKey(contact.email)
        let suppressed = try storeCall { () throws(StoreError) in try store.isSuppressed(normalizedEmail: key)
        }
        if json {
          printJSON(
            ContactShowJSON(contact: contact, displayName: contact.displayName, suppressed: suppressed))
          return .ok
        }
        print("\(contact.displayName) <\(contact.email)>")
        if contact.doNotContact || suppressed {
          print(
            "  DO NOT CONTACT: intro will not email this address"
              + (suppressed ? " (on the suppression list: opted out, bounced or marked)" : ""))
        }
        for (label, value) in [
          ("name as stored", contact.name == contact.displayName ? nil : contact.name),
          ("first name", contact.firstName), ("last name", contact.lastName),
          ("company", contact.company), ("title", contact.title), ("phone", contact.phone),
          ("client since", contact.clientSince), ("satisfaction", contact.satisfaction.map(String.init)),
          ("sale closed", contact.saleClosedOn), ("notes", contact.notes),
        ] {
          if let value { print("  \(label): \(value)") }
        }
        for (key, value) in contact.customFields.sorted(by: { $0.key < $1.key }) {
          print("  \(key): \(value)")
        }
        let role = [contact.isClient ? "client" : nil, contact.isProspect ? "prospect" : nil].compactMap {
          $0
        }
        if !role.isEmpty { print("  \(role.joined(separator: " and "))") }
        for referral in referrals.reversed() {
          let prospect = try storeCall { () throws(StoreError) in try store.contact(id: referral.prospectID) }
          print(
            "  introduction \(referral.id): to \(prospect?.displayName ?? "?") (\(referral.stage.rawValue))")
        }
        return .ok
      }
    }
  }
}

extension ContactCommand {
  struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "export",
      abstract: "Export everything held about one contact, or all, as JSON or CSV.",
      discussion: """
        JSON holds each contact with the referrals they made and received and their touches. \
        CSV holds the contact fields; cells a spreadsheet would run as formulas (=, +, -, @) \
        start with an apostrophe.
        """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: ArgumentHelp("One contact's email; default: everyone.", valueName: "email")) var email:
      String?
    @Option(help: "json or csv.") var format: String = "json"

    func validate() throws {
      if format != "json" && format != "csv" { throw ValidationError("--format is json or csv") }
    }

    func run() throws {
      try reporting { () throws(CommandFailure) -> ExitStatus in
        let config = try global.loadConfig()
        let store = try global.openAnyStore(config).contract
        let contacts: [Contact] =
          if let email { [try findContact(email, in: store)] } else {
            try storeCall { () throws(StoreError) in try store.contacts(clientsOnly: false, search: nil) }
          }
        if format == "csv" {
          FileHandle.standardOutput.write(Data(ContactExport.csv(contacts).utf8))
        } else {
          printJSON(try storeCall { () throws(StoreError) in try ContactExport.records(contacts, in: store) })
        }
        return .ok
      }
    }
  }

  struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "import",
      abstract: "Import contacts from a CRM or spreadsheet export (CSV).",
      discussion: """
        RFC 4180 CSV: quoted fields may hold commas, quotes ("") and line breaks; CRLF or LF; \
        UTF-8 with or without a byte order mark, or --encoding windows-1252 / latin1 for Excel \
        exports. The delimiter (, or ;) is detected from the header unless given. Headers are \
        matched ignoring case and spaces (Email, E-mail Address, First Name, Company, Client, \
        Satisfaction, …); --map field=Header names others. Other columns are kept as custom fields.

        The import is one transaction: a broken file (duplicate header, unterminated quote, \
        a row with the wrong number of fields, wrong encoding) writes nothing and names the \
        line. Rows are matched on the normalised email: new ones are added, known ones updated; \
        rows with a bad address or value are rejected and listed.

        Example: intro contact import export.csv --encoding windows-1252 --map email="Work E-mail"
        """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: ArgumentHelp("The CSV file.", valueName: "file")) var file: String
    @Option(help: "utf-8 (default), windows-1252 or latin1.") var encoding: String = "utf-8"
    @Option(help: ArgumentHelp("',' or ';'; default: detected.", valueName: "char")) var delimiter: String?
    @Option(help: ArgumentHelp("field=Header; repeat for more.", valueName: "field=header")) var map:
      [String] = []

    func validate() throws {
      if CSVEncoding(rawValue: encoding) == nil {
        throw ValidationError("--encoding is utf-8, windows-1252 or latin1")
      }
      if let delimiter, delimiter != "," && delimiter != ";" {
        throw ValidationError("--delimiter is , or ;")
      }
      for entry in map where !entry.contains("=") {
        throw ValidationError("--map takes field=Header, e.g. email=\"E-mail\"")
      }
    }

    func run() throws {
      try reporting { () throws(CommandFailure) -> ExitStatus in
        let config = try global.loadConfig()
        let store = try global.openAnyStore(config).contract
        var mapping = config.importMap
        for entry in map {
          let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
          mapping[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        let report: ContactImport.Report
        do {
          report = try ContactImport.run(
            path: file, into: store, encoding: CSVEncoding(rawValue: encoding) ?? .utf8,
            delimiter: delimiter?.utf8.first, mapping: mapping)
        } catch let error as CSVError {
          throw CommandFailure(.dataError, "\(file): \(error); nothing was imported")
        } catch let error as StoreError {
          throw CommandFailure(.configuration, error.description)
        } catch {
          throw CommandFailure(.dataError, "\(file): \(error); nothing was imported")
        }
        print(
          "added \(report.added), updated \(report.updated), unchanged \(report.unchanged), rejected \(report.rejected.count)"
        )
        for (line, reason) in report.rejected.prefix(50) { print("  line \(line): \(reason)") }
        if report.rejected.count > 50 { print("  … and \(report.rejected.count - 50) more") }
        return .ok
      }
    }
  }

  struct Suppress: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "suppress",
      abstract: "Mark an address do-not-contact: intro will never email it.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: ArgumentHelp("The address.", valueName: "email")) var email: String

    func run() throws {
      try reporting { () throws(CommandFailure) -> ExitStatus in
        let config = try global.loadConfig()
        let store = try global.openAnyStore(config).contract
        let key = try addressKey(email)
        try storeCall { () throws(StoreError) in
          try store.suppress(normalizedEmail: key, reason: .doNotContact, now: Date())
        }
        print("\(email) is do-not-contact")
        return .ok
      }
    }
  }

  struct Forget: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "forget",
      abstract:
        "Erase a person everywhere (contact, intel, referrals, messages); keep only a keyed hash so they stay suppressed.",
      discussion:
        "Deleted data is overwritten in the file and the write-ahead log is cleared. This cannot be undone.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: ArgumentHelp("The address.", valueName: "email")) var email: String

    func run() throws {
      try reporting { () throws(CommandFailure) -> ExitStatus in
        let config = try global.loadConfig()
        let store = try global.openAnyStore(config).contract
        let key = try addressKey(email)
        let report = try storeCall { () throws(StoreError) in
          try store.forget(normalizedEmail: key, now: Date())
        }
        let outbox = URL(fileURLWithPath: Paths.outbox(config, global.environment))
        let files = OutboxTransport(directory: outbox).removeMessages(about: key)
        print(
          "forgot \(email): \(report.contacts) contact, \(report.referrals) referrals, \(report.messages) messages"
            + " and \(files.removed.count) outbox files erased; the address stays suppressed")
        guard files.unreadable.isEmpty else {
          throw CommandFailure(
            .configuration,
            "could not check or remove \(files.unreadable.count) outbox file(s): "
              + files.unreadable.joined(separator: ", ") + "; delete them by hand")
        }
        return .ok
      }
    }
  }
}

struct Touch: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "touch",
    abstract: "Record a call, meeting, email or note with a contact.",
    discussion:
      "Example: intro touch chris@example.com --kind call --note \"Happy with onboarding; asked about Pat\"")

  @OptionGroup var global: GlobalOptions
  @Argument(help: ArgumentHelp("The contact's email.", valueName: "email")) var email: String
  @Option(help: "What happened.") var note: String
  @Option(help: "call, meeting, email or note.") var kind: String = "note"

  func validate() throws {
    if IntroStore.Touch.Kind(rawValue: kind) == nil {
      throw ValidationError("--kind is call, meeting, email or note")
    }
  }

  func run() throws {
    try reporting { () throws(CommandFailure) -> ExitStatus in
      let config = try global.loadConfig()
      let store = try global.openAnyStore(config).contract
      let contact = try findContact(email, in: store)
      let touch = try storeCall { () throws(StoreError) in
        try store.addTouch(
          contactID: contact.id, kind: IntroStore.Touch.Kind(rawValue: kind) ?? .note, note: note, at: Date())
      }
      print("recorded \(touch.kind.rawValue) with \(contact.name ?? contact.email)")
      return .ok
    }
  }
}

/// The normalised form of an address typed on the command line, or exit 65.
func addressKey(_ email: String) throws(CommandFailure) -> String {
  do throws(AddressError) {
    return try StoreAccess.key(for: email)
  } catch {
    throw CommandFailure(.dataError, error.description)
  }
}

/// The contact with `email`, or exit 65 saying it is not in the store.
func findContact(_ email: String, in store: any ClientDirectory) throws(CommandFailure) -> Contact {
  let key = try addressKey(email)
  guard let contact = try storeCall({ () throws(StoreError) in try store.contact(normalizedEmail: key) })
  else {
    throw CommandFailure(
      .dataError, "no contact \(email) in the store; add one with 'intro contact add \(email)'")
  }
  return contact
}

/// `contact show --json`: the contact, the name shown, and whether the address is suppressed.
private struct ContactShowJSON: Encodable {
  var contact: Contact
  var displayName: String
  var suppressed: Bool

  func encode(to encoder: any Encoder) throws {
    try contact.encode(to: encoder)
    var container = encoder.container(keyedBy: Key.self)
    try container.encode(displayName, forKey: .displayName)
    try container.encode(suppressed, forKey: .suppressed)
  }

  private enum Key: String, CodingKey { case displayName, suppressed }
}

/// Pretty, stable JSON on stdout.
func printJSON(_ value: some Encodable) {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
  if let data = try? encoder.encode(value) {
    FileHandle.standardOutput.write(data + Data("\n".utf8))
  }
}

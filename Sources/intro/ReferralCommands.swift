import ArgumentParser
import Foundation
import IntroKit
import IntroStore

extension ReferralStage: ExpressibleByArgument {}

struct ReferralCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "referral",
    abstract:
      "Record introductions a client offers, with the five answers, and move them through their stages.",
    subcommands: [Add.self, List.self, Show.self, Set.self, Note.self])

  struct Add: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "add",
      abstract: "Record an introduction a client offered.",
      discussion: """
        After a client names someone, ask the five questions and record the answers: what \
        they can tell you about the prospect, why you and why now, the best way to introduce, \
        and by when. Both people must be contacts already. Run in a terminal without some of \
        the answers and intro asks for each one (press Enter to skip).

        Example:
          intro referral add --client chris@example.com --prospect pat@northwind.example \\
            --about "Runs sales ops at Northwind" --why-me "Quotes take a week" \\
            --why-now "Opening a second office" --how "Email, both of us on it" \\
            --promised-by 2026-12-01 --problem "slow quotes" --problem "manual reports"
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("The client making the introduction.", valueName: "email")) var client: String
    @Option(help: ArgumentHelp("The person to be introduced.", valueName: "email")) var prospect: String
    @Option(help: "What can you tell me about them, how do you know each other?") var about: String?
    @Option(help: "Why might they want to talk to me?") var whyMe: String?
    @Option(help: "Why now?") var whyNow: String?
    @Option(help: "What is the best way to introduce us?") var how: String?
    @Option(help: ArgumentHelp("When will the introduction happen, YYYY-MM-DD.", valueName: "date"))
    var promisedBy: String?
    @Option(help: "A problem you can solve for the prospect; repeat for more.") var problem: [String] = []
    @Option(help: "The starting stage (default: promised with --promised-by, else asked).")
    var stage: ReferralStage?

    func validate() throws {
      if let promisedBy, !ContactImport.isDay(promisedBy) {
        throw ValidationError("--promised-by must be a date like 2026-12-01")
      }
    }

    func run() throws {
      try reporting { () throws(CommandFailure) -> ExitStatus in
        let config = try global.loadConfig()
        let store = try global.openAnyStore(config).contract
        let introducer = try findContact(client, in: store)
        let person = try findContact(prospect, in: store)
        var input = ReferralInput(introducerID: introducer.id, prospectID: person.id)
        let asking = isatty(0) == 1
        let them = person.firstName ?? person.name ?? person.email
        input.aboutProspect =
          about ?? (asking ? ask("What can you tell me about \(them), and how do you know each other?") : nil)
        input.whyMe = whyMe ?? (asking ? ask("Why might \(them) want to talk to me?") : nil)
        input.whyNow = whyNow ?? (asking ? ask("Why now?") : nil)
        input.howToIntroduce = how ?? (asking ? ask("What is the best way to introduce us?") : nil)
        var promised = promisedBy
        while promised == nil && asking, let answer = ask("When will the introduction happen? (YYYY-MM-DD)") {
          if ContactImport.isDay(answer) {
            promised = answer
          } else {
            print("  a date like 2026-12-01, please")
          }
        }
        input.promisedBy = promised
        input.problems = problem
        input.stage = stage ?? ReferralStage.initial(promisedBy: promised)
        let earlier = try storeCall { () throws(StoreError) in
          try store.referral(introducerID: introducer.id, prospectID: person.id)
        }
        let referral = try storeCall { () throws(StoreError) in
          try store.addReferral(input, note: nil, now: Date())
        }
        print(
          "added referral \(referral.id): \(introducer.displayName) → \(person.displayName) (\(referral.stage.rawValue))"
        )
        if let earlier {
          writeError(
            "intro: warning: \(introducer.displayName) → \(person.displayName) is also referral \(earlier.id) "
              + "(\(earlier.stage.rawValue)); if this one is a mistake, keep one and move the other to lost")
        }
        return .ok
      }
    }
  }

  struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "list", abstract: "List referrals, newest first.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "Only referrals in this stage.") var stage: ReferralStage?
    @Flag(help: "JSON for scripts.") var json = false

    func run() throws {
      try reporting { () throws(CommandFailure) -> ExitStatus in
        let config = try global.loadConfig()
        let store = try global.openAnyStore(config).contract
        let referrals = try storeCall { () throws(StoreError) in
          try store.referrals(stage: stage, introducerID: nil)
        }
        if json {
          printJSON(referrals)
          return .ok
        }
        let today = localDay(Date())
        for referral in referrals {
          let introducer = try storeCall { () throws(StoreError) in
            try store.contact(id: referral.introducerID)
          }
          let prospect = try storeCall { () throws(StoreError) in try store.contact(id: referral.prospectID) }
          print(
            "\(referral.id)\t\(referral.stage.rawValue)\t\(introducer?.displayName ?? "?") → \(prospect?.displayName ?? "?")\t"
              + "promised by \(referral.promisedBy ?? "-")"
              + (overdue(referral, today: today).map { "\t\($0)" } ?? ""))
        }
        return .ok
      }
    }
  }

  struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "show",
      abstract: "Show a referral's intel and every stage change.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The referral's id.") var id: Int64
    @Flag(help: "JSON for scripts.") var json = false

    func run() throws {
      try reporting { () throws(CommandFailure) -> ExitStatus in
        let config = try global.loadConfig()
        let store = try global.openAnyStore(config).contract
        guard let referral = try storeCall({ () throws(StoreError) in try store.referral(id: id) }) else {
          throw CommandFailure(.dataError, "no referral \(id); see 'intro referral list'")
        }
        let history = try storeCall { () throws(StoreError) in try store.stageHistory(referralID: id) }
        if json {
          printJSON(referral)
          return .ok
        }
        let introducer = try storeCall { () throws(StoreError) in try store.contact(id: referral.introducerID)
        }
        let prospect = try storeCall { () throws(StoreError) in try store.contact(id: referral.prospectID) }
        print("referral \(referral.id): \(referral.stage.rawValue)")
        print("  from: \(introducer.map { "\($0.displayName) <\($0.email)>" } ?? "?")")
        print("  to: \(prospect.map { "\($0.displayName) <\($0.email)>" } ?? "?")")
        if let late = overdue(referral, today: localDay(Date())) { print("  \(late)") }
        for (label, value) in [
          ("about the prospect", referral.aboutProspect), ("why me", referral.whyMe),
          ("why now", referral.whyNow),
          ("how to introduce", referral.howToIntroduce), ("promised by", referral.promisedBy),
        ] {
          print("  \(label): \(value ?? "-")")
        }
        print("  problems: \(referral.problems.isEmpty ? "-" : referral.problems.joined(separator: "; "))")
        for change in history {
          let move =
            change.from == change.to ? "note" : "\(change.from?.rawValue ?? "new") → \(change.to.rawValue)"
          print("  \(change.changedAt)  \(move)\(change.note.map { "  (\($0))" } ?? "")")
        }
        return .ok
      }
    }
  }

  struct Note: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "note", abstract: "Add a note to a referral's history.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The referral's id.") var id: Int64
    @Argument(help: "The note.") var text: String

    func run() throws {
      try reporting { () throws(CommandFailure) -> ExitStatus in
        let config = try global.loadConfig()
        let store = try global.openAnyStore(config).contract
        try storeCall { () throws(StoreError) in try store.addNote(referralID: id, note: text, now: Date()) }
        print("noted on referral \(id)")
        return .ok
      }
    }
  }

  struct Set: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "set",
      abstract: "Move a referral to another stage: asked, promised, introduced, meeting, won, lost, stalled.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The referral's id.") var id: Int64
    @Option(help: "The new stage.") var stage: ReferralStage
    @Option(help: "What happened.") var note: String?

    func run() throws {
      try reporting { () throws(CommandFailure) -> ExitStatus in
        let config = try global.loadConfig()
        let store = try global.openAnyStore(config).contract
        let referral = try storeCall { () throws(StoreError) in
          try store.setStage(referralID: id, to: stage, note: note, now: Date())
        }
        print("referral \(referral.id) is now \(referral.stage.rawValue)")
        return .ok
      }
    }
  }
}

/// "OVERDUE 3 days" for an introduction promised by a day before `today` that has not happened.
func overdue(_ referral: Referral, today: String) -> String? {
  guard referral.stage == .asked || referral.stage == .promised, let promised = referral.promisedBy,
    promised < today
  else { return nil }
  let days = daysBetween(promised, today)
  return "OVERDUE \(days) day\(days == 1 ? "" : "s") (promised by \(promised))"
}

/// `YYYY-MM-DD` in this machine's time zone.
func localDay(_ date: Date) -> String { LocalTime.date(date) }

/// Whole days from one `YYYY-MM-DD` to a later one.
private func daysBetween(_ start: String, _ end: String) -> Int { LocalTime.days(from: start, to: end) ?? 0 }

/// Asks a question on the terminal; nil when the answer is empty or input ends.
func ask(_ question: String) -> String? {
  print(question, terminator: " ")
  guard let line = readLine(), !line.allSatisfy(\.isWhitespace) else { return nil }
  return line.trimmingCharacters(in: .whitespaces)
}

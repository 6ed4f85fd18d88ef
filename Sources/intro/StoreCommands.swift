import ArgumentParser
import Foundation
import IntroKit
import IntroStore

struct StoreCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "store",
    abstract: "Move the store between your SQLite file and a team's PostgreSQL database.",
    subcommands: [Copy.self])

  struct Copy: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "copy",
      abstract: "Copy every row of the store into a new, empty store (SQLite or PostgreSQL).",
      discussion: """
        Copies contacts, referrals and their stages, touches, batches, messages with \
        their delivery attempts, reminder firings, suppressions and settings, ids \
        kept, into a store that holds no rows yet, then counts each table's rows on \
        both sides. The source is read as one snapshot and the destination written \
        in one transaction: a copy that fails (a lost connection, a refused row, \
        counts that differ) leaves the destination empty. The source is never changed, \
        except that what an interrupted send left in its journal is folded in first; \
        no send or remind may run on a SQLite side meanwhile.

        Copying your file into a team store makes what you did yours there: referrals, \
        their history, touches, batches, messages and reminder firings that name no rep \
        get your [rep] email, so each rep's reminders stay with their own referrals. \
        Contacts and suppressions are the team's.

        TARGET and --from are a postgresql:// URL or a SQLite file path; --from \
        defaults to the configured store ([store] url or path). A PostgreSQL password \
        comes from $PGPASSWORD, ~/.pgpass or [store] password_command, never from the URL.

        Examples:
          intro store copy --to "postgresql://ana@db.example.com/intro?sslmode=verify-full"
          intro store copy --to ~/intro-backup.sqlite
        """)

    @OptionGroup var global: GlobalOptions

    @Option(
      help: ArgumentHelp("The store to fill: a postgresql:// URL or a new SQLite file.", valueName: "target"))
    var to: String

    @Option(
      help: ArgumentHelp(
        "The store to read (default: the configured one).", valueName: "source"))
    var from: String?

    @Option(
      help: ArgumentHelp(
        "Seconds to wait for a send or remind running on a SQLite side.", valueName: "seconds"))
    var wait: Double = 10

    func validate() throws {
      for location in [to] + (from.map { [$0] } ?? []) where PostgresStore.hasPassword(location) {
        throw ValidationError(
          "a store URL must not hold a password (it ends up in shell history and process lists); "
            + "use $PGPASSWORD, ~/.pgpass or [store] password_command")
      }
    }

    func run() throws {
      try reporting { () throws(CommandFailure) -> ExitStatus in
        let config = try global.loadConfig()
        let environment = global.environment
        let source = try storeCall { () throws(StoreError) in
          if let from { return try StoreAccess.openBackend(location: from, config, environment) }
          return try StoreAccess.openBackend(config, environment)
        }
        let destination = try storeCall { () throws(StoreError) in
          try StoreAccess.openBackend(location: to, config, environment)
        }
        guard source.location != destination.location else {
          throw CommandFailure(
            .usage, "--to names the store being copied (\(source.location)); name another one")
        }
        print("copying \(source.location) -> \(destination.location)")
        // Into a team store, the rep's own rows become theirs ([rep] email).
        var owner: String?
        if case .postgres = destination, case .sqlite = source { owner = config.rep.email }
        if let owner { print("  rows without a rep are marked as \(owner)'s") }
        let counts = try storeCall { () throws(StoreError) in
          try StoreCopy.copy(from: source, to: destination, lockWait: wait, owner: owner) { count in
            print(
              "  \(count.table.padding(toLength: 24, withPad: " ", startingAt: 0)) \(count.source) -> \(count.destination)"
            )
          }
        }
        let rows = counts.reduce(0) { $0 + $1.destination }
        print("copied \(rows) row\(rows == 1 ? "" : "s") in \(counts.count) tables; every count matches")
        return .ok
      }
    }
  }
}

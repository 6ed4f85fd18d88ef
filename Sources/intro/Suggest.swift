import ArgumentParser
import Foundation
import IntroKit
import IntroStore

struct Suggest: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "suggest",
    abstract: "Whom to ask for an introduction next: your clients, strongest relationship first.",
    discussion: """
      Ask when the relationship is strong. Each client gets a score from 0 to 100: \
      satisfaction (up to 40), how long they have been a client (up to 20 at two years), how \
      often you were in touch in the last 90 days (touches and messages, up to 20) and how \
      lately (up to 20). Clients it is better to wait with come last, with the reason: asked \
      within the [fatigue] period, an introduction they offered still pending, thanked in the \
      last two weeks, or satisfaction under 7. Do-not-contact clients are left out.

      Record calls and meetings with 'intro touch' so the score knows about them.

      Examples:
        intro suggest
        intro suggest --limit 3
        intro suggest --json
      """)

  @OptionGroup var global: GlobalOptions
  @OptionGroup var clock: ClockOptions

  @Option(help: ArgumentHelp("Show this many clients (default 10).", valueName: "n"))
  var limit = 10

  @Flag(help: "Print the list as JSON.")
  var json = false

  func validate() throws {
    if limit < 1 { throw ValidationError("--limit must be 1 or more") }
  }

  func run() throws {
    try reporting { () throws(CommandFailure) -> ExitStatus in
      let config = try global.loadConfig()
      let store = try global.openAnyStore(config).contract
      let ranking = ClientRanking(fatigue: config.fatigue, now: try clock.moment())
      let list = Array(try storeCall { () throws(StoreError) in try ranking.rank(store) }.prefix(limit))
      if json {
        printJSON(list)
        return .ok
      }
      guard !list.isEmpty else {
        print("no clients to suggest: mark clients with 'intro contact add EMAIL --client' or import them")
        return .ok
      }
      let nameWidth = min(28, list.map { $0.name.count }.max() ?? 4)
      print("  #  SCORE  " + pad("CLIENT", nameWidth) + "  WHY")
      for (index, item) in list.enumerated() {
        let rank = String(index + 1)
        let score = String(item.score)
        print(
          String(repeating: " ", count: max(0, 3 - rank.count)) + rank + "  "
            + String(repeating: " ", count: max(0, 5 - score.count)) + score + "  "
            + pad(String(item.name.prefix(nameWidth)), nameWidth) + "  " + item.reason)
      }
      if let first = list.first, first.ready {
        print("\nnext: intro send intro-request --to \(first.email)")
      }
      return .ok
    }
  }
}

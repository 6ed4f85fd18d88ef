import Foundation

extension FunnelReport {
  /// Aligned tables for a terminal.
  public var text: String {
    var out: [String] = []
    let period = "\(self.period.since ?? "the start") to \(self.period.until ?? "now")"
    out.append("Introductions asked for from \(period)")
    out.append("")
    out += Self.table(
      ["STAGE", "COUNT", "STEP", "CUMULATIVE"],
      funnel.map {
        [$0.stage, String($0.count), Self.percent($0.stepRate), Self.percent($0.cumulativeRate)]
      },
      right: [1, 2, 3])
    out.append("lost \(lost), stalled \(stalled); open \(open), closed \(closed)")
    out.append(
      "ask to introduction: median \(Self.days(askToIntroduction.medianDays)), 90th percentile "
        + "\(Self.days(askToIntroduction.p90Days)) (\(askToIntroduction.count) introductions)")
    out.append(
      "promised introductions made on time: \(onTime.onTime) of \(onTime.promised) (\(Self.percent(onTime.rate)))"
    )
    for (title, section) in sections(for: .text) where section.name != "funnel" {
      out.append("")
      out.append(title)
      if section.rows.isEmpty {
        out.append("  none")
      } else {
        out += Self.table(section.header, section.rows, right: section.numeric)
      }
    }
    return out.joined(separator: "\n") + "\n"
  }

  /// One section as RFC 4180 CSV, for `--csv --section NAME`.
  public func csv(section name: String) -> String? {
    guard let section = sections(for: .csv).first(where: { $0.1.name == name })?.1 else { return nil }
    return ([section.header] + section.rows).map { row in row.map(ContactExport.cell).joined(separator: ",") }
      .joined(separator: "\r\n") + "\r\n"
  }

  enum Flavour { case text, csv }

  struct Section {
    var name: String
    var header: [String]
    var rows: [[String]]
    var numeric: Set<Int>
  }

  /// Every section, titled: the tables of the text, the CSV and the HTML alike.
  func sections(for flavour: Flavour) -> [(String, Section)] {
    let csv = flavour == .csv
    func rate(_ value: Double) -> String { csv ? String(value) : Self.percent(value) }
    func day(_ value: Double) -> String { csv ? String(value) : Self.days(value) }
    return [
      (
        "Funnel",
        Section(
          name: "funnel", header: ["stage", "count", "step_rate", "cumulative_rate"],
          rows: funnel.map { [$0.stage, String($0.count), rate($0.stepRate), rate($0.cumulativeRate)] },
          numeric: [1, 2, 3])
      ),
      (
        "Cohorts by month of the ask",
        Section(
          name: "cohorts", header: ["month", "asked", "won", "rate"],
          rows: cohorts.map { [$0.month, String($0.asked), String($0.won), rate($0.rate)] },
          numeric: [1, 2, 3])
      ),
      (
        "Days in each stage",
        Section(
          name: "stage-days", header: ["stage", "status", "count", "median", "p90"],
          rows: stageDays.map {
            [$0.stage, $0.status, String($0.count), day($0.medianDays), day($0.p90Days)]
          },
          numeric: [2, 3, 4])
      ),
      (
        "Top introducers",
        Section(
          name: "introducers", header: ["name", "email", "introductions", "won"],
          rows: topIntroducers.map { [$0.name, $0.email, String($0.introductions), String($0.won)] },
          numeric: [2, 3])
      ),
      (
        "Clients asked most in the last 90 days",
        Section(
          name: "most-asked", header: ["name", "email", "asks"],
          rows: mostAsked.map { [$0.name, $0.email, String($0.asks)] }, numeric: [2])
      ),
      (
        "Mail",
        Section(
          name: "mail", header: ["sent", "deferred", "failed", "uncertain", "suppressed", "waiting"],
          rows: [
            [mail.sent, mail.deferred, mail.failed, mail.uncertain, mail.suppressed, mail.waiting].map(
              String.init)
          ], numeric: [0, 1, 2, 3, 4, 5])
      ),
      (
        "Failures by SMTP code",
        Section(
          name: "failures", header: ["code", "count"],
          rows: mail.failuresByCode.map { [$0.code.map(String.init) ?? "none", String($0.count)] },
          numeric: [1])
      ),
      (
        "Reminders and what followed",
        Section(
          name: "reminders", header: ["rule", "fired", "moved_on_within_7_days"],
          rows: reminders.map { [$0.rule, String($0.fired), String($0.followedWithin7Days)] },
          numeric: [1, 2])
      ),
      (
        "Asks and wins per week",
        Section(
          name: "weeks", header: ["week", "asks", "wins"],
          rows: weeks.map { [$0.week, String($0.asks), String($0.wins)] }, numeric: [1, 2])
      ),
    ]
  }

  static func percent(_ rate: Double) -> String { String(format: "%.1f%%", rate * 100) }

  static func days(_ days: Double) -> String { String(format: "%.1f d", days) }

  /// Columns padded to their widest cell, numbers on the right.
  static func table(_ header: [String], _ rows: [[String]], right: Set<Int>) -> [String] {
    let all = [header.map { $0.uppercased().replacingOccurrences(of: "_", with: " ") }] + rows
    let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
    return all.map { row in
      "  "
        + row.indices.map { column in
          let cell = row[column]
          let padding = String(repeating: " ", count: max(0, widths[column] - cell.count))
          return right.contains(column) ? padding + cell : cell + padding
        }.joined(separator: "  ").trimmingTrailingSpaces
    }
  }
}

extension String {
  fileprivate var trimmingTrailingSpaces: String {
    var text = self
    while text.hasSuffix(" ") { text.removeLast() }
    return text
  }
}

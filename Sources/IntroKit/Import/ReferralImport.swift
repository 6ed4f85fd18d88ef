import Foundation
public import IntroStore

/// Referrals from a CSV file: one row per introduction a client offered.
///
/// Columns (any order, header names as in `config/sample/referrals.csv`):
/// `client` and `prospect` (addresses of contacts already in the store),
/// `stage`, `problems` (separated by `;`), `about_prospect`, `why_me`,
/// `why_now`, `how_to_introduce`, `promised_by` (`YYYY-MM-DD`). A row whose
/// client→prospect pair is already in the store is left out and reported, so
/// importing the same file twice adds nothing.
public enum ReferralImport {
  /// What an import did.
  public struct Report: Sendable {
    public var added: [Referral] = []
    /// Rows left out, with their line and why.
    public var skipped: [(line: Int, reason: String)] = []
  }

  static let fields = [
    "client", "prospect", "stage", "problems", "about_prospect", "why_me", "why_now", "how_to_introduce",
    "promised_by",
  ]

  /// Imports `path` into `store`. A structural problem (an unknown or
  /// missing column, a ragged row) throws ``CSVError`` before anything is added.
  public static func run(path: String, into store: any ReferralStore, now: Date = Date()) throws -> Report {
    var reader = try CSVReader(path: path)
    guard let (_, header) = try reader.next() else { throw CSVError(line: 1, message: "the file is empty") }
    let names = header.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
    for name in names where !fields.contains(name) {
      throw CSVError(
        line: 1, message: "unknown column '\(name)'; the columns are \(fields.joined(separator: ", "))")
    }
    for required in ["client", "prospect"] where !names.contains(required) {
      throw CSVError(line: 1, message: "no \(required) column (the contact's email address)")
    }
    var rows: [(line: Int, values: [String: String])] = []
    while let (line, row) = try reader.next() {
      if row == [""] { continue }
      guard row.count == names.count else {
        throw CSVError(line: line, message: "this row has \(row.count) fields; the header has \(names.count)")
      }
      var values: [String: String] = [:]
      for (name, value) in zip(names, row) {
        let text = value.trimmingCharacters(in: .whitespaces)
        if !text.isEmpty { values[name] = text }
      }
      rows.append((line, values))
    }
    var report = Report()
    for (line, values) in rows {
      do {
        report.added.append(try add(values, store: store, now: now))
      } catch let skip as Skip {
        report.skipped.append((line, skip.reason))
      }
    }
    return report
  }

  private struct Skip: Error {
    let reason: String
  }

  private static func add(_ values: [String: String], store: any ReferralStore, now: Date) throws -> Referral
  {
    func contact(_ column: String) throws -> Contact {
      guard let email = values[column] else { throw Skip(reason: "no \(column) address") }
      let key: String
      do { key = try StoreAccess.key(for: email) } catch {
        throw Skip(reason: "\(column): \(error.description)")
      }
      guard let found = try store.contact(normalizedEmail: key) else {
        throw Skip(reason: "\(column) \(email) is not a contact; import the contacts first")
      }
      return found
    }
    let client = try contact("client")
    let prospect = try contact("prospect")
    if let earlier = try store.referral(introducerID: client.id, prospectID: prospect.id) {
      throw Skip(reason: "\(client.email) → \(prospect.email) is already referral \(earlier.id)")
    }
    var input = ReferralInput(introducerID: client.id, prospectID: prospect.id)
    input.aboutProspect = values["about_prospect"]
    input.whyMe = values["why_me"]
    input.whyNow = values["why_now"]
    input.howToIntroduce = values["how_to_introduce"]
    if let date = values["promised_by"] {
      guard ContactImport.isDay(date) else {
        throw Skip(reason: "promised_by '\(date)' is not a date like 2026-12-01")
      }
      input.promisedBy = date
    }
    input.problems = (values["problems"] ?? "").split(separator: ";").map {
      $0.trimmingCharacters(in: .whitespaces)
    }.filter { !$0.isEmpty }
    if let stage = values["stage"] {
      guard let known = ReferralStage(rawValue: stage.lowercased()) else {
        let stages = ReferralStage.allCases.map(\.rawValue).joined(separator: ", ")
        throw Skip(reason: "stage '\(stage)' is not one of \(stages)")
      }
      input.stage = known
    } else {
      input.stage = ReferralStage.initial(promisedBy: input.promisedBy)
    }
    return try store.addReferral(input, note: nil, now: now)
  }
}

extension ReferralStage {
  /// Where a new referral starts: `promised` when the client named a date, else `asked`.
  public static func initial(promisedBy: String?) -> ReferralStage {
    promisedBy == nil ? .asked : .promised
  }
}

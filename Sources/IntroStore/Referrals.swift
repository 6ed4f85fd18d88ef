import Foundation
internal import GRDB

/// Where an introduction stands.
public enum ReferralStage: String, Sendable, CaseIterable, Codable {
  case asked, promised, introduced, meeting, won, lost, stalled
}

/// One introduction from a client (the introducer) to a prospect, with the five answers.
public struct Referral: Sendable, Equatable, Codable {
  public var id: Int64
  public var introducerID: Int64
  public var prospectID: Int64
  /// What the client said about the prospect.
  public var aboutProspect: String?
  /// Why the prospect would want to talk to the rep.
  public var whyMe: String?
  /// Why now.
  public var whyNow: String?
  /// The best way to make the introduction.
  public var howToIntroduce: String?
  /// When the client promised to make it, `YYYY-MM-DD`.
  public var promisedBy: String?
  /// Problems the rep can solve for the prospect.
  public var problems: [String]
  public var stage: ReferralStage
  public var createdAt: String
  public var updatedAt: String
}

/// A stage change, kept for every move.
public struct StageChange: Sendable, Equatable, Codable {
  public var from: ReferralStage?
  public var to: ReferralStage
  public var note: String?
  public var changedAt: String
}

/// The intel a rep records when a client names someone.
public struct ReferralInput: Sendable, Equatable {
  public var introducerID: Int64
  public var prospectID: Int64
  public var aboutProspect: String?
  public var whyMe: String?
  public var whyNow: String?
  public var howToIntroduce: String?
  public var promisedBy: String?
  public var problems: [String] = []
  public var stage: ReferralStage = .asked

  public init(introducerID: Int64, prospectID: Int64) {
    self.introducerID = introducerID
    self.prospectID = prospectID
  }
}

extension Store {
  /// Records a referral and its first stage.
  public func addReferral(_ input: ReferralInput, note: String? = nil, now: Date = Date()) throws(StoreError)
    -> Referral
  {
    guard input.introducerID != input.prospectID else {
      throw StoreError(
        .invalidInput, "a client cannot introduce themselves; the prospect must be someone else")
    }
    let stamp = Timestamp.format(now)
    let problems = try Self.json(input.problems)
    return try write { db in
      for id in [input.introducerID, input.prospectID]
      where try Int.fetchOne(db, sql: "SELECT 1 FROM contacts WHERE id = ?", arguments: [id]) == nil {
        throw StoreError(.notFound, "no contact with id \(id)")
      }
      try db.execute(
        sql: """
          INSERT INTO referrals (introducer_id, prospect_id, about_prospect, why_me, why_now, how_to_introduce,
            promised_by, problems, stage, created_at, updated_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
          """,
        arguments: [
          input.introducerID, input.prospectID, input.aboutProspect, input.whyMe, input.whyNow,
          input.howToIntroduce,
          input.promisedBy, problems, input.stage.rawValue, stamp, stamp,
        ])
      let id = db.lastInsertedRowID
      try db.execute(
        sql:
          "INSERT INTO referral_stage_changes (referral_id, from_stage, to_stage, note, changed_at) VALUES (?, NULL, ?, ?, ?)",
        arguments: [id, input.stage.rawValue, note, stamp])
      try db.execute(
        sql: "UPDATE contacts SET is_prospect = 1, updated_at = ? WHERE id = ?",
        arguments: [stamp, input.prospectID])
      return try Self.fetchReferral(db, id: id)
    }
  }

  /// Moves a referral to `stage`, recording the change and its note.
  public func setStage(referralID: Int64, to stage: ReferralStage, note: String? = nil, now: Date = Date())
    throws(StoreError) -> Referral
  {
    let stamp = Timestamp.format(now)
    return try write { db in
      let current = try Self.fetchReferral(db, id: referralID)
      try db.execute(
        sql: "UPDATE referrals SET stage = ?, updated_at = ? WHERE id = ?",
        arguments: [stage.rawValue, stamp, referralID])
      try db.execute(
        sql:
          "INSERT INTO referral_stage_changes (referral_id, from_stage, to_stage, note, changed_at) VALUES (?, ?, ?, ?, ?)",
        arguments: [referralID, current.stage.rawValue, stage.rawValue, note, stamp])
      return try Self.fetchReferral(db, id: referralID)
    }
  }

  /// Adds a note to a referral's history without changing its stage.
  public func addNote(referralID: Int64, note: String, now: Date = Date()) throws(StoreError) {
    guard !note.allSatisfy(\.isWhitespace) else { throw StoreError(.invalidInput, "the note is empty") }
    let stamp = Timestamp.format(now)
    try write { db in
      let current = try Self.fetchReferral(db, id: referralID)
      try db.execute(
        sql:
          "INSERT INTO referral_stage_changes (referral_id, from_stage, to_stage, note, changed_at) VALUES (?, ?, ?, ?, ?)",
        arguments: [referralID, current.stage.rawValue, current.stage.rawValue, note, stamp])
      try db.execute(sql: "UPDATE referrals SET updated_at = ? WHERE id = ?", arguments: [stamp, referralID])
    }
  }

  /// One referral.
  public func referral(id: Int64) throws(StoreError) -> Referral? {
    try read { db in
      try Row.fetchOne(db, sql: "SELECT \(Referral.columns) FROM referrals WHERE id = ?", arguments: [id])
        .map(
          Referral.init(row:))
    }
  }

  /// Referrals, newest first, optionally of one stage or one introducer.
  public func referrals(stage: ReferralStage? = nil, introducerID: Int64? = nil) throws(StoreError)
    -> [Referral]
  {
    try read { db in
      var sql = "SELECT \(Referral.columns) FROM referrals WHERE 1"
      var arguments: StatementArguments = []
      if let stage {
        sql += " AND stage = ?"
        arguments += [stage.rawValue]
      }
      if let introducerID {
        sql += " AND introducer_id = ?"
        arguments += [introducerID]
      }
      return try Row.fetchAll(db, sql: sql + " ORDER BY id DESC", arguments: arguments).map(
        Referral.init(row:))
    }
  }

  /// The earliest referral from `introducerID` to `prospectID`, if there is one.
  public func referral(introducerID: Int64, prospectID: Int64) throws(StoreError) -> Referral? {
    try read { db in
      try Row.fetchOne(
        db,
        sql:
          "SELECT \(Referral.columns) FROM referrals WHERE introducer_id = ? AND prospect_id = ? ORDER BY id LIMIT 1",
        arguments: [introducerID, prospectID]
      ).map(Referral.init(row:))
    }
  }

  /// Every stage change of a referral, oldest first.
  public func stageHistory(referralID: Int64) throws(StoreError) -> [StageChange] {
    try read { db in
      try Row.fetchAll(
        db, sql: "SELECT * FROM referral_stage_changes WHERE referral_id = ? ORDER BY id",
        arguments: [referralID]
      ).map { row in
        StageChange(
          from: (row["from_stage"] as String?).flatMap(ReferralStage.init(rawValue:)),
          to: ReferralStage(rawValue: row["to_stage"]) ?? .asked, note: row["note"],
          changedAt: row["changed_at"])
      }
    }
  }

  static func fetchReferral(_ db: Database, id: Int64) throws -> Referral {
    guard
      let row = try Row.fetchOne(
        db, sql: "SELECT \(Referral.columns) FROM referrals WHERE id = ?", arguments: [id])
    else {
      throw StoreError(.notFound, "no referral with id \(id); see 'intro referral list'")
    }
    return Referral(row: row)
  }

  static func json(_ list: [String]) throws(StoreError) -> String {
    do {
      return String(decoding: try JSONEncoder().encode(list), as: UTF8.self)
    } catch {
      throw StoreError(.invalidInput, "cannot encode the problems list")
    }
  }
}

extension Referral {
  /// The SELECT list for `init(row:)`, in the order it reads the columns.
  static let columns = """
    id, introducer_id, prospect_id, about_prospect, why_me, why_now, how_to_introduce, promised_by, \
    problems, stage, created_at, updated_at
    """

  /// A referral from a row selected with ``columns``.
  init(row: some ColumnReader) {
    id = row.integer(0) ?? 0
    introducerID = row.integer(1) ?? 0
    prospectID = row.integer(2) ?? 0
    aboutProspect = row.text(3)
    whyMe = row.text(4)
    whyNow = row.text(5)
    howToIntroduce = row.text(6)
    promisedBy = row.text(7)
    problems = (try? JSONDecoder().decode([String].self, from: Data(row.string(8).utf8))) ?? []
    stage = row.text(9).flatMap(ReferralStage.init(rawValue:)) ?? .asked
    createdAt = row.string(10)
    updatedAt = row.string(11)
  }
}

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

/// What a rep does with referrals, on either backend.
public protocol ReferralStore: ClientDirectory {
  /// Records a referral and its first stage.
  func addReferral(_ input: ReferralInput, note: String?, now: Date) throws(StoreError) -> Referral
  /// Moves a referral to `stage`, recording the change and its note.
  func setStage(referralID: Int64, to stage: ReferralStage, note: String?, now: Date) throws(StoreError)
    -> Referral
  /// Adds a note to a referral's history without changing its stage.
  func addNote(referralID: Int64, note: String, now: Date) throws(StoreError)
  /// Referrals, newest first, optionally of one stage or one introducer.
  func referrals(stage: ReferralStage?, introducerID: Int64?) throws(StoreError) -> [Referral]
  /// The earliest referral from `introducerID` to `prospectID`, if there is one.
  func referral(introducerID: Int64, prospectID: Int64) throws(StoreError) -> Referral?
  /// Every stage change of a referral, oldest first.
  func stageHistory(referralID: Int64) throws(StoreError) -> [StageChange]
}

extension Store: ReferralStore {
  public func addReferral(_ input: ReferralInput, note: String? = nil, now: Date = Date()) throws(StoreError)
    -> Referral
  {
    try session { try ReferralRecords.add(input, note: note, now: now, rep: nil, $0) }
  }

  public func setStage(referralID: Int64, to stage: ReferralStage, note: String? = nil, now: Date = Date())
    throws(StoreError) -> Referral
  {
    try session { try ReferralRecords.setStage(referralID, to: stage, note: note, now: now, rep: nil, $0) }
  }

  public func addNote(referralID: Int64, note: String, now: Date = Date()) throws(StoreError) {
    try session { try ReferralRecords.addNote(referralID, note: note, now: now, rep: nil, $0) }
  }

  public func referral(id: Int64) throws(StoreError) -> Referral? {
    try session(writing: false) { try ReferralRecords.referral(id: id, $0) }
  }

  public func referrals(stage: ReferralStage? = nil, introducerID: Int64? = nil) throws(StoreError)
    -> [Referral]
  {
    try session(writing: false) {
      try ReferralRecords.referrals(stage: stage, introducerID: introducerID, $0)
    }
  }

  public func referral(introducerID: Int64, prospectID: Int64) throws(StoreError) -> Referral? {
    try session(writing: false) {
      try ReferralRecords.referral(introducerID: introducerID, prospectID: prospectID, $0)
    }
  }

  public func stageHistory(referralID: Int64) throws(StoreError) -> [StageChange] {
    try session(writing: false) { try ReferralRecords.stageHistory(referralID: referralID, $0) }
  }

  static func fetchReferral(_ db: Database, id: Int64) throws -> Referral {
    try ReferralRecords.fetch(id, SQLiteSession(db: db))
  }
}

/// Referrals read and written the same way on both backends; `rep` is
/// stored on what a rep does (nil on a rep's own file).
enum ReferralRecords {
  static func add(_ input: ReferralInput, note: String?, now: Date, rep: String?, _ sql: any SQLSession)
    throws
    -> Referral
  {
    guard input.introducerID != input.prospectID else {
      throw StoreError(
        .invalidInput, "a client cannot introduce themselves; the prospect must be someone else")
    }
    let stamp = Timestamp.format(now)
    let problems = try Store.json(input.problems)
    for id in [input.introducerID, input.prospectID]
    where try sql.row("SELECT 1 FROM contacts WHERE id = ?", [id]) == nil {
      throw StoreError(.notFound, "no contact with id \(id)")
    }
    let id = try sql.insert(
      """
      INSERT INTO referrals (introducer_id, prospect_id, about_prospect, why_me, why_now, how_to_introduce,
        promised_by, problems, stage, created_at, updated_at, rep)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      """,
      [
        input.introducerID, input.prospectID, input.aboutProspect, input.whyMe, input.whyNow,
        input.howToIntroduce, input.promisedBy, problems, input.stage.rawValue, stamp, stamp, rep,
      ] as [any SQLBindable])
    try change(id, from: nil, to: input.stage, note: note, stamp: stamp, rep: rep, sql)
    try sql.execute(
      "UPDATE contacts SET is_prospect = 1, updated_at = ? WHERE id = ?", [stamp, input.prospectID])
    return try fetch(id, sql)
  }

  static func setStage(
    _ id: Int64, to stage: ReferralStage, note: String?, now: Date, rep: String?, _ sql: any SQLSession
  ) throws -> Referral {
    let stamp = Timestamp.format(now)
    let current = try fetch(id, sql)
    try sql.execute(
      "UPDATE referrals SET stage = ?, updated_at = ? WHERE id = ?", [stage.rawValue, stamp, id])
    try change(id, from: current.stage, to: stage, note: note, stamp: stamp, rep: rep, sql)
    return try fetch(id, sql)
  }

  static func addNote(_ id: Int64, note: String, now: Date, rep: String?, _ sql: any SQLSession) throws {
    guard !note.allSatisfy(\.isWhitespace) else { throw StoreError(.invalidInput, "the note is empty") }
    let stamp = Timestamp.format(now)
    let current = try fetch(id, sql)
    try change(id, from: current.stage, to: current.stage, note: note, stamp: stamp, rep: rep, sql)
    try sql.execute("UPDATE referrals SET updated_at = ? WHERE id = ?", [stamp, id])
  }

  /// One row of a referral's history: a move, or a note (from and to the same stage).
  private static func change(
    _ id: Int64, from: ReferralStage?, to: ReferralStage, note: String?, stamp: String, rep: String?,
    _ sql: any SQLSession
  ) throws {
    try sql.execute(
      "INSERT INTO referral_stage_changes (referral_id, from_stage, to_stage, note, changed_at, rep) "
        + "VALUES (?, ?, ?, ?, ?, ?)",
      [id, from?.rawValue, to.rawValue, note, stamp, rep] as [any SQLBindable])
  }

  static func referral(id: Int64, _ sql: any SQLSession) throws -> Referral? {
    try sql.row("SELECT \(Referral.columns) FROM referrals WHERE id = ?", [id]).map(Referral.init(row:))
  }

  static func fetch(_ id: Int64, _ sql: any SQLSession) throws -> Referral {
    guard let referral = try referral(id: id, sql) else {
      throw StoreError(.notFound, "no referral with id \(id); see 'intro referral list'")
    }
    return referral
  }

  static func referrals(stage: ReferralStage?, introducerID: Int64?, _ sql: any SQLSession) throws
    -> [Referral]
  {
    var query = "SELECT \(Referral.columns) FROM referrals WHERE 1 = 1"
    var arguments: [any SQLBindable] = []
    if let stage {
      query += " AND stage = ?"
      arguments.append(stage.rawValue)
    }
    if let introducerID {
      query += " AND introducer_id = ?"
      arguments.append(introducerID)
    }
    return try sql.rows(query + " ORDER BY id DESC", arguments).map(Referral.init(row:))
  }

  static func referral(introducerID: Int64, prospectID: Int64, _ sql: any SQLSession) throws -> Referral? {
    try sql.row(
      "SELECT \(Referral.columns) FROM referrals WHERE introducer_id = ? AND prospect_id = ? ORDER BY id LIMIT 1",
      [introducerID, prospectID]
    ).map(Referral.init(row:))
  }

  static func stageHistory(referralID: Int64, _ sql: any SQLSession) throws -> [StageChange] {
    try sql.rows(
      "SELECT from_stage, to_stage, note, changed_at FROM referral_stage_changes WHERE referral_id = ? ORDER BY id",
      [referralID]
    ).map { row in
      StageChange(
        from: row.text(0).flatMap(ReferralStage.init(rawValue:)),
        to: row.text(1).flatMap(ReferralStage.init(rawValue:)) ?? .asked, note: row.text(2),
        changedAt: row.string(3))
    }
  }
}

extension Store {
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

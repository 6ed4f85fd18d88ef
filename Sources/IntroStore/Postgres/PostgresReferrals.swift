import Foundation

/// Referrals on a team's PostgreSQL store: the same records as on a rep's
/// file (``ReferralRecords``), each new referral and move stamped with the rep.
extension PostgresStore: ReferralStore {
  public func addReferral(_ input: ReferralInput, note: String?, now: Date) throws(StoreError) -> Referral {
    try session { try ReferralRecords.add(input, note: note, now: now, rep: rep, $0) }
  }

  public func setStage(referralID: Int64, to stage: ReferralStage, note: String?, now: Date)
    throws(StoreError)
    -> Referral
  {
    try session { try ReferralRecords.setStage(referralID, to: stage, note: note, now: now, rep: rep, $0) }
  }

  public func addNote(referralID: Int64, note: String, now: Date) throws(StoreError) {
    try session { try ReferralRecords.addNote(referralID, note: note, now: now, rep: rep, $0) }
  }

  public func referral(id: Int64) throws(StoreError) -> Referral? {
    try session(writing: false) { try ReferralRecords.referral(id: id, $0) }
  }

  public func referrals(stage: ReferralStage?, introducerID: Int64?) throws(StoreError) -> [Referral] {
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
}

import Foundation

/// `intro log` and `intro resolve` on a team's PostgreSQL store.
extension PostgresStore: MessageLog {
  public func messages(_ filter: MessageFilter) throws(StoreError) -> [LoggedMessage] {
    try session(writing: false) { try MessageRecords.messages(filter, $0) }
  }

  public func message(reference: String) throws(StoreError) -> LoggedMessage? {
    try session(writing: false) { try MessageRecords.message(reference: reference, $0) }
  }

  public func resolve(messageID id: Int64, sent: Bool, now: Date) throws(StoreError) -> MessageState {
    try settling { sql, apply in try MessageRecords.resolve(id, sent: sent, now: now, sql, apply: apply) }
  }

  public func resolveUncertain(batchID: Int64, sent: Bool, now: Date) throws(StoreError) -> [Int64] {
    try settling { sql, apply in
      try MessageRecords.resolveUncertain(batchID: batchID, sent: sent, now: now, sql, apply: apply)
    }
  }

  /// Runs `body` in one transaction with the step recorder of a run on this store.
  private func settling<T>(
    _ body: (any SQLSession, (DeliveryUpdate) throws -> Void) throws -> T
  ) throws(StoreError) -> T {
    try transaction { connection in
      try body(PostgresSession(connection: connection)) { update in try Self.apply(update, connection) }
    }
  }
}

import Foundation

/// The team's client list and new batches on PostgreSQL: the same reads and
/// the same one-transaction batch as the SQLite store, with the rep on every
/// batch and message a rep makes.
extension PostgresStore: ClientDirectory {
  public func contact(id: Int64) throws(StoreError) -> Contact? {
    try contacts(where: "id = $1", [id]).first
  }

  public func contact(normalizedEmail: String) throws(StoreError) -> Contact? {
    try contacts(where: "email_normalized = $1", [normalizedEmail]).first
  }

  public func contacts(ids: Set<Int64>) throws(StoreError) -> [Int64: Contact] {
    guard !ids.isEmpty else { return [:] }
    let found = try contacts(where: "id = ANY($1::bigint[])", [Self.idArray(ids.sorted())])
    return Dictionary(found.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
  }

  public func contacts(clientsOnly: Bool, search: String?) throws(StoreError) -> [Contact] {
    var conditions = ["TRUE"]
    var parameters: [any SQLBindable] = []
    if clientsOnly { conditions.append("is_client = 1") }
    if let search {
      // The text is a value, never a pattern: % and _ in it match themselves.
      parameters.append(search)
      conditions.append(
        "(strpos(lower(name), lower($1)) > 0 OR strpos(lower(email), lower($1)) > 0 "
          + "OR strpos(lower(company), lower($1)) > 0)")
    }
    return try contacts(
      where: conditions.joined(separator: " AND ") + " ORDER BY lower(coalesce(name, email)), email",
      parameters)
  }

  private func contacts(where condition: String, _ parameters: [any SQLBindable]) throws(StoreError)
    -> [Contact]
  {
    try withConnection { connection throws(StoreError) in
      try connection.execute("SELECT \(Contact.columns) FROM contacts WHERE \(condition)", parameters).rows
        .map(Contact.init(row:))
    }
  }
}

extension PostgresStore: BatchStore {
  public func recordBatch(
    template: String, command: String, audience: String, now: Date,
    _ body: (any BatchRecording) throws -> Bool
  ) throws -> (any BatchRecording)? {
    try recordTeamBatch(template: template, command: command, audience: audience, now: now, body)
  }

  /// ``recordBatch(template:command:audience:now:_:)`` with the recorder's
  /// connection for what else goes in the same transaction (firings).
  func recordTeamBatch(
    template: String, command: String, audience: String, now: Date,
    _ body: (PostgresBatchRecorder) throws -> Bool
  ) throws -> PostgresBatchRecorder? {
    let stamp = Timestamp.format(now)
    return try withConnection { connection in
      try connection.transactionOrRollBack { () throws -> PostgresBatchRecorder? in
        let batchID = try connection.execute(
          "INSERT INTO batches (template, command, audience, created_at, rep) VALUES ($1, $2, $3, $4, $5) "
            + "RETURNING id", [template, command, audience, stamp, rep]
        ).scalar?.integer
        guard let batchID else { throw StoreError(.database, "the server stored no batch") }
        let recorder = PostgresBatchRecorder(
          connection: connection, batchID: batchID, stamp: stamp, rep: rep,
          suppressions: try PostgresSuppressions(connection))
        guard try body(recorder) else { return nil }
        if recorder.added == 0 { try connection.execute("DELETE FROM batches WHERE id = $1", [batchID]) }
        return recorder
      }
    }
  }

  public func inspect<T>(_ body: (any BatchInspecting) throws -> T) throws -> T {
    try withConnection { connection in
      // One snapshot for the whole dry run, as on SQLite.
      try connection.transactionOrRollBack(readOnly: true) { () throws -> T? in
        try body(
          PostgresBatchInspector(connection: connection, suppressions: try PostgresSuppressions(connection)))
      }!
    }
  }
}

/// The suppression list as a batch's transaction sees it: the store's key and
/// every address hash, read once (a team's list is thousands of rows, a batch
/// may be 100,000 messages).
struct PostgresSuppressions {
  private let key: [UInt8]?
  private let hashes: Set<String>

  init(_ connection: PostgresConnection) throws(StoreError) {
    key = try connection.execute("SELECT value FROM store_settings WHERE name = 'suppression_key'").scalar?
      .text.map { Array($0.utf8) }
    hashes =
      key == nil
      ? []
      : Set(
        try connection.execute("SELECT address_hash FROM suppressions").rows.compactMap { $0.first?.text })
  }

  func contains(_ normalizedEmail: String) -> Bool {
    guard let key, !hashes.isEmpty else { return false }
    return hashes.contains(SHA256.hex(SHA256.hmac(key: key, message: Array(normalizedEmail.utf8))))
  }
}

/// Adds a batch's messages on the connection that holds the batch's transaction.
final class PostgresBatchRecorder: BatchRecording {
  let connection: PostgresConnection
  let batchID: Int64
  private(set) var messageIDs: [Int64] = []
  private(set) var added = 0
  private let stamp: String
  private let rep: String?
  private let suppressions: PostgresSuppressions

  init(
    connection: PostgresConnection, batchID: Int64, stamp: String, rep: String?,
    suppressions: PostgresSuppressions
  ) {
    self.connection = connection
    self.batchID = batchID
    self.stamp = stamp
    self.rep = rep
    self.suppressions = suppressions
  }

  func isSuppressed(_ normalizedEmail: String) throws(StoreError) -> Bool {
    suppressions.contains(normalizedEmail)
  }

  @discardableResult
  func add(_ message: NewMessage) throws(StoreError) -> ExistingMessage? {
    // Another rep's run storing the same message waits here for that run's
    // commit, then finds its row: one message, whoever stored it first.
    let inserted = try connection.execute(
      """
      INSERT INTO messages (batch_id, contact_id, referral_id, recipient, recipient_key, envelope_sender,
        message_id, idempotency_key, template, subject, body, purpose, state, created_at, updated_at, rep)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'pending', $13, $13, $14)
      ON CONFLICT (idempotency_key) DO NOTHING RETURNING id
      """,
      [
        batchID, message.contactID, message.referralID, message.recipient, message.recipientKey,
        message.sender,
        message.messageID, message.idempotencyKey, message.template, message.subject,
        SQLValue.blob(message.body),
        message.purpose?.rawValue, stamp, rep,
      ] as [any SQLBindable]
    ).scalar?.integer
    if let inserted {
      messageIDs.append(inserted)
      added += 1
      return nil
    }
    guard let existing = try PostgresStore.existingMessage(connection, idempotencyKey: message.idempotencyKey)
    else {
      throw StoreError(.database, "a message vanished while its batch was stored")
    }
    messageIDs.append(existing.id)
    return existing
  }
}

/// A dry run's answers inside one read-only snapshot.
final class PostgresBatchInspector: BatchInspecting {
  private let connection: PostgresConnection
  private let suppressions: PostgresSuppressions

  init(connection: PostgresConnection, suppressions: PostgresSuppressions) {
    self.connection = connection
    self.suppressions = suppressions
  }

  func isSuppressed(_ normalizedEmail: String) throws(StoreError) -> Bool {
    suppressions.contains(normalizedEmail)
  }

  func existing(idempotencyKey: String) throws(StoreError) -> ExistingMessage? {
    try PostgresStore.existingMessage(connection, idempotencyKey: idempotencyKey)
  }
}

extension PostgresStore {
  static func existingMessage(_ connection: PostgresConnection, idempotencyKey: String) throws(StoreError)
    -> ExistingMessage?
  {
    try connection.execute(
      "SELECT id, batch_id, state FROM messages WHERE idempotency_key = $1", [idempotencyKey]
    )
    .rows.first.map { row in
      ExistingMessage(
        id: row[0].integer ?? 0, batchID: row[1].integer,
        state: row[2].text.flatMap(MessageState.init(rawValue:)) ?? .pending)
    }
  }
}

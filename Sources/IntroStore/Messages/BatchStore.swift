import Foundation

/// Adds a batch's messages inside the batch's one transaction.
public protocol BatchRecording: AnyObject {
  /// The new batch.
  var batchID: Int64 { get }
  /// Messages added to this batch, and messages found in earlier ones, in order.
  var messageIDs: [Int64] { get }
  /// How many were new.
  var added: Int { get }
  /// Whether `normalizedEmail` is suppressed, as the batch's transaction sees it.
  func isSuppressed(_ normalizedEmail: String) throws(StoreError) -> Bool
  /// Stores `message` in this batch; a message with the same idempotency key
  /// is not stored again, and the one already there (from any rep) is returned.
  @discardableResult
  func add(_ message: NewMessage) throws(StoreError) -> ExistingMessage?
}

/// A dry run's questions, answered in one read transaction.
public protocol BatchInspecting: AnyObject {
  /// Whether `normalizedEmail` is suppressed.
  func isSuppressed(_ normalizedEmail: String) throws(StoreError) -> Bool
  /// The message already stored with this idempotency key, if any.
  func existing(idempotencyKey: String) throws(StoreError) -> ExistingMessage?
}

/// What `intro send TEMPLATE` needs of a store, on either backend: the people
/// to address, a new batch stored whole before anything is sent, and the
/// send pipeline (``DeliveryStore``) that delivers it.
public protocol BatchStore: DeliveryStore, ClientDirectory {
  /// Stores a batch and its messages in one transaction.
  ///
  /// `body` adds the messages through the recorder; when it returns false (the
  /// preflight found errors) nothing is kept, not even the batch. A batch that
  /// added no message of its own (every one already stored today) is not kept
  /// either; its `messageIDs` still list the earlier messages to resume.
  /// Errors thrown by `body` are rethrown as they are; the store's own are ``StoreError``.
  func recordBatch(
    template: String, command: String, audience: String, now: Date,
    _ body: (any BatchRecording) throws -> Bool
  ) throws -> (any BatchRecording)?

  /// Runs `body` with an inspector in one read transaction (a dry run).
  /// Errors thrown by `body` are rethrown as they are.
  func inspect<T>(_ body: (any BatchInspecting) throws -> T) throws -> T
}

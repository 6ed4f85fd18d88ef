/// What went wrong with the store, and what to do about it.
///
/// Messages never print stored values (names, addresses): they name the file,
/// the rule and the fix.
public struct StoreError: Error, Sendable, CustomStringConvertible {
  /// The kind of failure, for exit codes: configuration problems are the user's
  /// to fix; data problems are about the input.
  public enum Kind: Sendable {
    case permissions
    case notFound
    case invalidInput
    case database
    /// Another process holds the store (its send lock, or a long write) past
    /// the wait: try again later.
    case busy
    /// The disk is full: free some space, then run the command again.
    case diskFull
    /// The connection to a PostgreSQL store failed or was lost: what was not
    /// committed did not happen; run the command again when the server is back.
    case connectionLost
  }

  public let kind: Kind
  public let message: String

  public init(_ kind: Kind, _ message: String) {
    self.kind = kind
    self.message = message
  }

  public var description: String { message }
}

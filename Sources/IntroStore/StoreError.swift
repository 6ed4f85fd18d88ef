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
    /// Another run holds the store's send lock.
    case busy
  }

  public let kind: Kind
  public let message: String

  public init(_ kind: Kind, _ message: String) {
    self.kind = kind
    self.message = message
  }

  public var description: String { message }
}

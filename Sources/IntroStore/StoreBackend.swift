import Foundation

/// A store on either backend, as a command opened it: the rep's own SQLite
/// file, or a team's PostgreSQL database.
public enum StoreBackend: Sendable {
  case sqlite(Store)
  case postgres(PostgresStore)

  /// The file, or the URL without its password.
  public var location: String {
    switch self {
    case .sqlite(let store): store.path
    case .postgres(let store): store.location
    }
  }

  /// The names of the migrations applied, oldest first.
  public func appliedMigrations() throws(StoreError) -> [String] {
    switch self {
    case .sqlite(let store): try store.appliedMigrations()
    case .postgres(let store): try store.appliedMigrations()
    }
  }

  /// The store, for every command that works on both backends.
  public var contract: any StoreContract {
    switch self {
    case .sqlite(let store): store
    case .postgres(let store): store
    }
  }
}

/// The one store contract: what the commands of a rep's day need of a store,
/// met by the rep's SQLite file (``Store``) and by a team's PostgreSQL
/// database (``PostgresStore``) alike.
public protocol StoreContract: ReminderStore, ReferralStore, ContactStore, MessageLog, ReportSource {}

extension Store: StoreContract {}
extension PostgresStore: StoreContract {}

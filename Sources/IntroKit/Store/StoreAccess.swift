import Foundation
public import IntroMail
public import IntroStore

/// Opens the store the configuration names and turns what a rep types into store input.
public enum StoreAccess {
  /// `[store] path`, else `$XDG_DATA_HOME/intro/intro.sqlite`.
  public static func path(_ config: IntroConfig, _ environment: [String: String]) -> String {
    config.store.path.map { Paths.expand($0, environment) } ?? Paths.dataDirectory(environment)
      + "/intro.sqlite"
  }

  /// Opens (creating if needed) the rep's SQLite store for `config`.
  ///
  /// For what needs a file (`intro init --sample`): a configuration that
  /// names a team's PostgreSQL store (`[store] url`) is refused, rather than
  /// quietly using a file.
  /// - Parameters:
  ///   - command: what the caller is, for that refusal (`intro send`).
  ///   - waiting: told, once per wait of more than a second, who holds the store.
  public static func open(
    _ config: IntroConfig, _ environment: [String: String], command: String = "this command",
    waiting: (@Sendable (String) -> Void)? = nil
  ) throws(StoreError) -> Store {
    if let url = config.store.url {
      throw StoreError(
        .permissions,
        "\(command) works on a SQLite file only, and [store] url names a PostgreSQL store (\(url)); "
          + "remove url from [store] to use it")
    }
    return try Store(path: path(config, environment), busyTimeout: config.store.busyTimeout, waiting: waiting)
  }

  /// Opens the store `config` names on either backend: the PostgreSQL store of
  /// `[store] url` (connecting, with the password from `password_command` or
  /// libpq's `$PGPASSWORD` / `~/.pgpass`, and bringing its schema up to date),
  /// else the SQLite file.
  public static func openBackend(
    _ config: IntroConfig, _ environment: [String: String], waiting: (@Sendable (String) -> Void)? = nil
  ) throws(StoreError) -> StoreBackend {
    guard let url = config.store.url else { return .sqlite(try open(config, environment, waiting: waiting)) }
    return try openBackend(location: url, config, environment, waiting: waiting)
  }

  /// Opens the store at `location`: a `postgresql://` URL or a SQLite file path.
  public static func openBackend(
    location: String, _ config: IntroConfig, _ environment: [String: String],
    waiting: (@Sendable (String) -> Void)? = nil
  ) throws(StoreError) -> StoreBackend {
    guard PostgresStore.isURL(location) else {
      return .sqlite(
        try Store(
          path: Paths.expand(location, environment), busyTimeout: config.store.busyTimeout, waiting: waiting))
    }
    let password: String?
    do throws(ConfigError) {
      password = try Secrets(environment: environment, file: config.file).password(config.store)
    } catch {
      throw StoreError(.permissions, error.description)
    }
    return .postgres(
      try PostgresStore(
        url: location, password: password, rep: config.rep.email, lockTimeout: config.store.busyTimeout))
  }

  /// Contact input for `email`, checked against the address policy and normalised for de-duplication.
  public static func contactInput(email: String) throws(AddressError) -> ContactInput {
    let mailbox = try Mailbox(parsing: email)
    return ContactInput(email: mailbox.address.rawValue, normalizedEmail: mailbox.normalized.lowercased())
  }

  /// The key a contact is found by: the normalised address.
  public static func key(for email: String) throws(AddressError) -> String {
    try contactInput(email: email).normalizedEmail
  }
}

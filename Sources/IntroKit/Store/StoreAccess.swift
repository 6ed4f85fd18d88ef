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

  /// Opens (creating if needed) the store for `config`.
  /// - Parameter waiting: told, once per wait of more than a second, who holds the store.
  public static func open(
    _ config: IntroConfig, _ environment: [String: String], waiting: (@Sendable (String) -> Void)? = nil
  ) throws(StoreError) -> Store {
    try Store(path: path(config, environment), busyTimeout: config.store.busyTimeout, waiting: waiting)
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

import Foundation

/// Where `intro` keeps its files, following the XDG base directory rules.
public enum Paths {
  /// `$XDG_CONFIG_HOME/intro`, or `~/.config/intro`.
  public static func configDirectory(_ environment: [String: String]) -> String {
    base("XDG_CONFIG_HOME", fallback: ".config", environment) + "/intro"
  }

  /// `$XDG_DATA_HOME/intro`, or `~/.local/share/intro`.
  public static func dataDirectory(_ environment: [String: String]) -> String {
    base("XDG_DATA_HOME", fallback: ".local/share", environment) + "/intro"
  }

  /// The outbox folder for `config`: `[store] outbox`, else `outbox/` beside the store.
  public static func outbox(_ config: IntroConfig, _ environment: [String: String]) -> String {
    if let outbox = config.store.outbox { return expand(outbox, environment) }
    if let store = config.store.path {
      return (expand(store, environment) as NSString).deletingLastPathComponent + "/outbox"
    }
    return dataDirectory(environment) + "/outbox"
  }

  /// Expands a leading `~/` to the home directory.
  public static func expand(_ path: String, _ environment: [String: String]) -> String {
    guard path == "~" || path.hasPrefix("~/") else { return path }
    return home(environment) + path.dropFirst()
  }

  static func home(_ environment: [String: String]) -> String {
    environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
  }

  private static func base(_ variable: String, fallback: String, _ environment: [String: String]) -> String {
    // The XDG rules ignore relative paths.
    if let value = environment[variable], value.hasPrefix("/") { return value }
    return home(environment) + "/" + fallback
  }
}

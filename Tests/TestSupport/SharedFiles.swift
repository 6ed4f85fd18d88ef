import Foundation

/// `../shared/`, beside the repository: the product design, the Mustache spec, the benchmarks.
public enum SharedFiles {
  /// `../shared` next to the repository.
  public static var directory: URL {
    TestFiles.repository.deletingLastPathComponent().appendingPathComponent("shared")
  }

  /// The path of `relative` inside `../shared`, or an error saying it is missing.
  ///
  /// Tests that need `../shared` fail when it is missing (they never skip), so
  /// CI cannot pass without running them.
  public static func path(_ relative: String) throws -> String {
    let path = directory.appendingPathComponent(relative).path
    guard FileManager.default.fileExists(atPath: path) else {
      throw TestEnvironmentError(
        "\(path) is missing: these tests need ../shared beside the repository (CI=\(ProcessInfo.processInfo.environment["CI"] ?? "unset"))"
      )
    }
    return path
  }
}

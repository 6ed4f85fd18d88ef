import Foundation

/// Paths a test needs: the repository, its test servers, the built `intro`.
public enum TestFiles {
  /// The repository root.
  public static let repository: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  /// `Tests/servers`, where the Python test servers live.
  public static var servers: URL { repository.appendingPathComponent("Tests/servers") }

  /// The `intro` binary built next to the test bundle (`swift build` makes it).
  public static var introBinary: String {
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
      .appendingPathComponent("intro").path
    if FileManager.default.isExecutableFile(atPath: beside) { return beside }
    return repository.appendingPathComponent(".build/debug/intro").path
  }
}

/// A fresh folder under the system temporary folder, removed by ``remove()``.
public struct TemporaryDirectory: Sendable {
  public let url: URL
  public var path: String { url.path }

  public init() throws {
    url = FileManager.default.temporaryDirectory
      .appendingPathComponent("intro-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }

  /// A path inside the folder.
  public func file(_ name: String) -> String { url.appendingPathComponent(name).path }

  public func remove() { try? FileManager.default.removeItem(at: url) }
}

/// Test certificates (a CA, a server certificate for 127.0.0.1, one for the wrong
/// host, and an unrelated CA), made once per test run with openssl.
public enum TestCertificates {
  public static let directory: Result<String, any Error> = Result {
    let dir = FileManager.default.temporaryDirectory
      .appendingPathComponent("intro-test-certs-\(getpid())").path
    let result = try runCommand(
      "/bin/sh", [TestFiles.servers.appendingPathComponent("make_certs.sh").path, dir])
    guard result.status == 0 else {
      throw TestEnvironmentError(
        "make_certs.sh failed (is openssl installed? run make test): \(result.stderr)")
    }
    return dir
  }

  /// The path of `name` (`ca.pem`, `server.pem`, `server.key`, …).
  public static func path(_ name: String) throws -> String {
    try directory.get() + "/" + name
  }
}

/// Something the tests need is missing from the machine.
public struct TestEnvironmentError: Error, CustomStringConvertible {
  public let description: String
  public init(_ description: String) { self.description = description }
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
public func freePort() throws -> Int {
  let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
  guard fd >= 0 else { throw TestEnvironmentError("socket() failed") }
  defer { close(fd) }
  var address = sockaddr_in()
  address.sin_family = sa_family_t(AF_INET)
  address.sin_addr.s_addr = inet_addr("127.0.0.1")
  address.sin_port = 0
  var length = socklen_t(MemoryLayout<sockaddr_in>.size)
  let bound = withUnsafePointer(to: &address) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
  }
  guard bound == 0 else { throw TestEnvironmentError("bind() failed") }
  _ = withUnsafeMutablePointer(to: &address) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
  }
  return Int(UInt16(bigEndian: address.sin_port))
}

/// True once something accepts TCP connections on 127.0.0.1:`port`, within `timeout` seconds.
public func waitForListener(port: Int, timeout: Double = 10) -> Bool {
  let deadline = Date().addingTimeInterval(timeout)
  while Date() < deadline {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    close(fd)
    if connected == 0 { return true }
    usleep(20_000)
  }
  return false
}

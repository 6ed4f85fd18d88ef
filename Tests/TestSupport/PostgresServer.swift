import Foundation
import Synchronization

/// A throwaway PostgreSQL cluster on 127.0.0.1 for one test process: made with
/// `initdb` in a temporary folder, started with `pg_ctl` on a free port (TLS on,
/// with the test CA's certificate for 127.0.0.1; password login for the role
/// `intro`), and stopped when the process exits. Each test asks for a database
/// of its own with ``newDatabase()``.
///
/// Debian's `postgresql` package brings the server; `make test` installs it. When
/// running as root, the server runs as the `postgres` user, as `initdb` requires.
public final class PostgresServer: Sendable {
  /// The cluster every test of this process shares, started on first use.
  public static let shared: Result<PostgresServer, any Error> = Result { try PostgresServer() }

  /// The role's password, which tests pass through `$PGPASSWORD`, `.pgpass` or a command.
  public static let password = "intro-test-secret"

  public let folder: String
  public let port: Int
  /// Where the server's Unix socket is (local connections need no password).
  public var socketFolder: String { folder }
  private let binaries: String
  private let counter = Mutex(0)

  /// Makes and starts a new cluster.
  public init() throws {
    binaries = try Self.findBinaries()
    folder =
      FileManager.default.temporaryDirectory.appendingPathComponent("intro-test-pg-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    port = try freePort()
    let data = folder + "/data"
    try Self.password.write(toFile: folder + "/pw", atomically: true, encoding: .utf8)
    if getuid() == 0 { _ = try runCommand("/bin/chown", ["-R", "postgres:postgres", folder]) }
    try run(
      "initdb",
      [
        "-D", data, "-U", "intro", "--pwfile", folder + "/pw", "--auth-local=trust",
        "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync",
      ])
    let certificates = try TestCertificates.directory.get()
    for name in ["server.pem", "server.key"] {
      try? FileManager.default.removeItem(atPath: data + "/" + name)
      try FileManager.default.copyItem(atPath: certificates + "/" + name, toPath: data + "/" + name)
      chmod(data + "/" + name, 0o600)
    }
    if getuid() == 0 { _ = try runCommand("/bin/chown", ["-R", "postgres:postgres", folder]) }
    let settings = """

      listen_addresses = '127.0.0.1'
      port = \(port)
      unix_socket_directories = '\(folder)'
      ssl = on
      ssl_cert_file = 'server.pem'
      ssl_key_file = 'server.key'
      fsync = off
      synchronous_commit = off
      full_page_writes = off
      max_connections = 200
      """
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: data + "/postgresql.conf"))
    handle.seekToEndOfFile()
    handle.write(Data(settings.utf8))
    try handle.close()
    try start()
    PostgresServers.started(data)
  }

  /// A URL for the role `intro` on 127.0.0.1 (TCP, password login, TLS when the client asks).
  public func url(database: String, query: String = "sslmode=disable") -> String {
    "postgresql://intro@127.0.0.1:\(port)/\(database)" + (query.isEmpty ? "" : "?" + query)
  }

  /// Creates an empty database of its own for one test; returns its URL.
  public func newDatabase() throws -> String {
    let number = counter.withLock { value in
      value += 1
      return value
    }
    let name = "t\(getpid())_\(number)"
    try sql("CREATE DATABASE \(name)")
    return url(database: name)
  }

  /// Runs `statement` as the superuser over the Unix socket (no password), in database `postgres`.
  @discardableResult
  public func sql(_ statement: String, database: String = "postgres") throws -> String {
    try run(
      "psql",
      ["-X", "-q", "-At", "-h", folder, "-p", "\(port)", "-U", "intro", "-d", database, "-c", statement])
  }

  /// An interactive superuser session on `database` (psql reading its stdin):
  /// what is written to it runs at once, and a transaction it opens stays open
  /// until the session is stopped — another client holding rows.
  public func session(database: String) throws -> ChildProcess {
    var arguments = ["-X", "-q", "-h", folder, "-p", "\(port)", "-U", "intro", "-d", database]
    var executable = binaries + "/psql"
    if getuid() == 0 {
      arguments = ["-u", "postgres", "--", executable] + arguments
      executable = "/usr/sbin/runuser"
    }
    return try ChildProcess(
      executable, arguments, environment: ["PATH": "/usr/bin:/bin", "LC_ALL": "C"], stopsWhenStdinCloses: true
    )
  }

  /// Another client holding rows: a session that runs `BEGIN; statement;` on
  /// `database` and keeps the transaction open until it is stopped. Returns
  /// once the server shows it idle in its transaction (after at most 5 s).
  public func holding(_ statement: String, database: String) throws -> ChildProcess {
    let holder = try session(database: database)
    holder.write("BEGIN; \(statement);\n")
    var waited = 0
    while waited < 100,
      try sql(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = '\(database)' AND state = 'idle in transaction'"
      ) == "0"
    {
      usleep(50_000)
      waited += 1
    }
    return holder
  }

  /// Stops the server quickly (running statements are cancelled, connections closed) and starts it again.
  public func restart() throws {
    try run("pg_ctl", ["-D", folder + "/data", "-m", "fast", "-w", "stop"])
    try start()
  }

  /// Stops the server (fast shutdown); ``start()`` brings it back.
  public func stop() throws {
    try run("pg_ctl", ["-D", folder + "/data", "-m", "fast", "-w", "stop"])
  }

  public func start() throws {
    try run(
      "pg_ctl", ["-D", folder + "/data", "-l", folder + "/server.log", "-w", "-t", "30", "start"],
      closingOthers: true)
  }

  /// The environment a client needs to log in as `intro` with the password.
  public var clientEnvironment: [String: String] { ["PGPASSWORD": Self.password, "PGCONNECT_TIMEOUT": "10"] }

  @discardableResult
  private func run(_ tool: String, _ arguments: [String], closingOthers: Bool = false) throws -> String {
    var executable = binaries + "/" + tool
    var arguments = arguments
    if getuid() == 0 {
      arguments = ["-u", "postgres", "--", executable] + arguments
      executable = "/usr/sbin/runuser"
    }
    if closingOthers {
      // The server outlives the command: it must not inherit any descriptor
      // but 0-2, or a pipe of this (or another test's) command stays open and
      // its reader waits for the server to exit. Foundation's Process passes
      // its other descriptors on; Python's subprocess closes them.
      arguments =
        [
          "-c", "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:], close_fds=True))", executable,
        ] + arguments
      executable = "/usr/bin/env"
      arguments = ["python3"] + arguments
    }
    let result = try runCommand(
      executable, arguments, environment: ["PATH": "/usr/bin:/bin", "LC_ALL": "C"], timeout: 60)
    guard result.status == 0 else {
      throw TestEnvironmentError("\(tool) failed (\(result.status)): \(result.stderr)\(result.stdout)")
    }
    return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  private static func findBinaries() throws -> String {
    let root = "/usr/lib/postgresql"
    let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
    guard let newest = versions.compactMap(Int.init).max(),
      FileManager.default.isExecutableFile(atPath: "\(root)/\(newest)/bin/initdb")
    else {
      throw TestEnvironmentError(
        "no PostgreSQL server under \(root) (Debian: apt-get install postgresql; make test does)")
    }
    return "\(root)/\(newest)/bin"
  }
}

/// The clusters this process started, stopped at exit (SIGQUIT to the postmaster: an immediate shutdown).
enum PostgresServers {
  private static let folders = Mutex<[String]>([])
  private static let registered = Mutex(false)

  static func started(_ data: String) {
    folders.withLock { $0.append(data) }
    let first = registered.withLock { done in
      defer { done = true }
      return !done
    }
    if first { atexit { PostgresServers.stopAll() } }
  }

  static func stopAll() {
    for data in folders.withLock({ $0 }) {
      guard let text = try? String(contentsOfFile: data + "/postmaster.pid", encoding: .utf8),
        let line = text.split(separator: "\n").first, let pid = Int32(line)
      else { continue }
      kill(pid, SIGQUIT)
      for _ in 0..<100 where kill(pid, 0) == 0 { usleep(20_000) }
      try? FileManager.default.removeItem(atPath: (data as NSString).deletingLastPathComponent)
    }
  }
}

import Foundation

/// Who holds a lock on a file, from the kernel's `/proc/locks`, so that "the
/// store is busy" can say which process to wait for or stop.
enum LockHolders {
  /// The other processes holding a lock on any of `paths`, writers first, as
  /// `pid 4242 (intro contact import clients.csv)`; empty where the kernel does not say.
  static func describe(_ paths: [String]) -> [String] {
    var inodes: [(device: UInt64, inode: UInt64)] = []
    for path in paths {
      var info = stat()
      if stat(path, &info) == 0 { inodes.append((UInt64(info.st_dev), UInt64(info.st_ino))) }
    }
    guard !inodes.isEmpty, let table = try? String(contentsOfFile: "/proc/locks", encoding: .utf8) else {
      return []
    }
    let me = getpid()
    var writers: [Int32] = []
    var readers: [Int32] = []
    for line in table.split(separator: "\n") {
      // "1: POSIX  ADVISORY  WRITE 4242 fe:00:16220316 120 120" (a "->" marks a waiter).
      let fields = line.split(separator: " ")
      guard fields.count >= 6, !fields.contains("->"), let pid = Int32(fields[4]), pid > 0, pid != me
      else { continue }
      let id = fields[5].split(separator: ":")
      guard id.count == 3, let major = UInt64(id[0], radix: 16), let minor = UInt64(id[1], radix: 16),
        let inode = UInt64(id[2])
      else { continue }
      guard inodes.contains(where: { $0.inode == inode && Self.matches($0.device, major, minor) }) else {
        continue
      }
      if fields[3] == "WRITE" {
        if !writers.contains(pid) { writers.append(pid) }
      } else if !readers.contains(pid) {
        readers.append(pid)
      }
    }
    return (writers + readers.filter { !writers.contains($0) }).map { "pid \($0) (\(commandLine($0)))" }
  }

  /// glibc's `major`/`minor` split of a `dev_t`.
  private static func matches(_ device: UInt64, _ major: UInt64, _ minor: UInt64) -> Bool {
    let deviceMajor = ((device >> 8) & 0xfff) | ((device >> 32) & ~0xfff)
    let deviceMinor = (device & 0xff) | ((device >> 12) & ~0xff)
    return deviceMajor == major && deviceMinor == minor
  }

  /// The process's command line, at most 80 characters; "?" when it is gone.
  private static func commandLine(_ pid: Int32) -> String {
    guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty else {
      return "?"
    }
    let words = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    let text = ([(words.first.map { ($0 as NSString).lastPathComponent }) ?? "?"] + words.dropFirst())
      .joined(separator: " ")
    return text.count > 80 ? String(text.prefix(79)) + "…" : text
  }
}

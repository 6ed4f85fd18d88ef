import Foundation
public import IntroStore

/// `intro init --sample`: a working home to try `intro` on — a sample rep,
/// clients, prospects and referrals, from the files in `config/sample/`
/// (compiled in, see ``SampleFiles``).
public enum SampleHome {
  /// What the sample added.
  public struct Report: Sendable {
    /// The folder the sample files were written to.
    public var folder: String
    public var contacts = 0
    public var referrals = 0
    public var doNotContact = 0
  }

  /// `[rep]` of the sample configuration, in file order.
  public static var rep: [(key: String, value: String)] {
    guard let source = SampleFiles.sources["rep.toml"], let table = try? TOML.parse(source) else { return [] }
    return table.keys.compactMap { key in
      if case .string(let value) = table[key] { (key, value) } else { nil }
    }
  }

  /// The sample configuration: the commented one with `[rep]` filled in.
  public static var configText: String { ConfigTemplate.text(rep: rep) }

  /// Writes the sample files into `folder` (made 0700 if missing; files that
  /// exist are kept) and imports them into `store`. Safe to run again: contacts
  /// are updated in place and a referral already in the store is not added twice.
  public static func install(into folder: String, store: Store, now: Date = Date()) throws -> Report {
    try FileManager.default.createDirectory(
      atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    for (name, text) in SampleFiles.sources.sorted(by: { $0.key < $1.key }) {
      let path = (folder as NSString).appendingPathComponent(name)
      guard !FileManager.default.fileExists(atPath: path) else { continue }
      guard
        FileManager.default.createFile(
          atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
      else { throw CSVError(line: 0, message: "cannot write \(path)") }
    }
    var report = Report(folder: folder)
    let contacts = try ContactImport.run(
      path: (folder as NSString).appendingPathComponent("contacts.csv"), into: store)
    report.contacts = contacts.added + contacts.updated + contacts.unchanged
    let list =
      (try? String(
        contentsOfFile: (folder as NSString).appendingPathComponent("do-not-contact.txt"), encoding: .utf8))
      ?? ""
    for line in list.split(separator: "\n") where !line.hasPrefix("#") && !line.allSatisfy(\.isWhitespace) {
      try store.suppress(
        normalizedEmail: try StoreAccess.key(for: String(line)), reason: .doNotContact, now: now)
      report.doNotContact += 1
    }
    let referrals = try ReferralImport.run(
      path: (folder as NSString).appendingPathComponent("referrals.csv"), into: store, now: now)
    report.referrals = referrals.added.count
    return report
  }
}

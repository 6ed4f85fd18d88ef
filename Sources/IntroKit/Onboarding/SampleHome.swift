import Foundation
public import IntroStore
public import IntroTemplates

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

  /// The sample rep as `[rep]` reads it.
  public static var repConfig: IntroConfig.Rep {
    (try? ConfigLoader.decode(configText, file: "sample"))?.rep ?? IntroConfig.Rep()
  }

  /// A template context for each sample referral, as `intro send --referral`
  /// builds it, plus a one-item `items`/`due_count` for the daily digest: what
  /// `intro templates lint` renders templates with, and what the tests check
  /// every built-in template against. Built in a throwaway store.
  public static func contexts(today: Date = Date()) throws -> [TemplateValue] {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
      "intro-sample-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    ).path
    try FileManager.default.createDirectory(
      atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let store = try Store(path: (folder as NSString).appendingPathComponent("sample.sqlite"))
    _ = try install(into: (folder as NSString).appendingPathComponent("files"), store: store, now: today)
    let context = SendContext(rep: repConfig, today: today)
    let digest: [(String, TemplateValue)] = [
      ("due_count", .string("1")),
      (
        "items",
        .list([
          .object(
            TemplateObject([
              ("who", .string("Pieter van der Berg")),
              ("what", .string("follow up on the introduction to Jonas Ålund (late-introduction)")),
              ("when", .string("promised by November 25, 2026")),
              ("suggestion", .string("Any news on Jonas? I can send you a short note to forward.")),
              ("late", .bool(true)),
            ]))
        ])
      ),
    ]
    return try store.referrals().sorted { $0.id < $1.id }.compactMap { referral in
      guard let client = try store.contact(id: referral.introducerID),
        let prospect = try store.contact(id: referral.prospectID),
        case .object(let object) = context.forReferral(referral, introducer: client, prospect: prospect)
      else { return nil }
      return .object(TemplateObject(Array(zip(object.keys, object.values)) + digest))
    }
  }
}

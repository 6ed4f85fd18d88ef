import Foundation
public import IntroStore
public import IntroTemplates

/// What `intro due` and `intro remind` see at a moment.
public struct ReminderPlan: Sendable {
  /// Due now, each with its hold when it does not go now.
  public var due: [DueReminder]
  /// The moment it was worked out for.
  public var now: Date
  /// `now` is outside working time: nothing goes, and why.
  public var held: String?
}

/// What `intro remind --send` recorded before sending.
public struct ReminderFiring: Sendable {
  /// The messages to deliver: new firings', the digest, reminders an earlier
  /// run left, and every deferred message that is due.
  public var messageIDs: [Int64]
  /// Firings recorded by this run (client emails, rep tasks, the digest).
  public var fired: Int
  /// Reminders whose message could not be made (a missing value, a bad
  /// address): not fired, and why. They are tried again next run.
  public var problems: [PreflightIssue]
}

/// Turns the store's state into due reminders, records each firing with its
/// message in one transaction, and checks at send time that each still applies.
public struct ReminderEngine: Sendable {
  public let config: IntroConfig
  public let library: TemplateLibrary
  public let planner: ReminderPlanner
  /// The digest rule's name in the store's firings.
  public static let digestRule = "digest"

  public init(config: IntroConfig, library: TemplateLibrary, pausedUntil: String?) throws(ConfigError) {
    self.config = config
    self.library = library
    planner = ReminderPlanner(
      rules: config.reminders, calendar: try WorkCalendar(config.schedule, pausedUntil: pausedUntil),
      fatigue: config.fatigue, workingStart: config.schedule.workingHours.lowerBound)
    for rule in config.reminders {
      guard let name = rule.template else { continue }
      guard library.entry(named: name) != nil else {
        throw ConfigError(
          file: config.file, "reminder '\(rule.name)' names the template '\(name)', which does not exist",
          fix: "see 'intro templates list', or add \(name).mustache to your templates folder")
      }
    }
  }

  /// What is due at `now`, and what is held.
  public func plan(_ store: any ReminderStore, now: Date) throws(StoreError) -> ReminderPlan {
    let facts = try store.reminderFacts()
    var due = try planner.due(facts, now: now, store: store, isAsk: isAsk)
    let digestKey = FiringKey(
      rule: Self.digestRule, subject: store.digestSubject, occurrence: planner.calendar.localDate(now))
    if facts.fired.contains(digestKey) {
      for index in due.indices where due[index].rule.recipient == .rep && due[index].hold == nil {
        due[index].hold = .nextDigest
      }
    }
    return ReminderPlan(due: due, now: now, held: planner.calendar.whyNotWorking(now))
  }

  /// Records every due, unheld reminder with its message (one transaction),
  /// and lists every reminder message to deliver. Call with the run lock held.
  public func fire(_ store: any ReminderStore, now: Date, command: String) throws(StoreError)
    -> ReminderFiring
  {
    try cancelStale(store, now: now)
    let plan = try plan(store, now: now)
    var firings: [NewFiring] = []
    var tasks: [NewFiring] = []
    var taskItems: [TemplateValue] = []
    var problems: [PreflightIssue] = []
    let context = SendContext(rep: config.rep, today: now)
    var random = BufferedRandom()
    for item in plan.due where item.hold == nil {
      switch item.rule.recipient {
      case .client:
        switch try message(for: item, store: store, context: context, now: now, random: &random) {
        case .success(let record):
          firings.append(NewFiring(key: item.key, dueAt: item.dueAt, late: item.late, message: record))
        case .failure(let failure):
          problems += failure.issues
        }
      case .rep:
        tasks.append(NewFiring(key: item.key, dueAt: item.dueAt, late: item.late, message: nil))
        taskItems.append(try task(item, store: store))
      }
    }
    var digest: NewFiring?
    if !tasks.isEmpty {
      let key = FiringKey(
        rule: Self.digestRule, subject: store.digestSubject, occurrence: planner.calendar.localDate(now))
      switch digestMessage(taskItems, context: context, key: key, now: now, random: &random) {
      case .success(let record): digest = NewFiring(key: key, dueAt: now, late: false, message: record)
      case .failure(let failure): problems += failure.issues
      }
    }
    let recorded = try store.recordFirings(
      firings, tasks: digest == nil ? [] : tasks, digest: digest, command: command, now: now)
    // Reminders an earlier run left, and every deferred message that is due
    // (from 'intro send' batches too): one cron line keeps everything moving.
    let left = try store.unsentReminderMessages(now: now) + store.dueMessages(now: now)
    var ids = recorded.messageIDs
    var seen = Set(ids)
    for id in left where seen.insert(id).inserted { ids.append(id) }
    return ReminderFiring(messageIDs: ids, fired: recorded.fired.count, problems: problems)
  }

  /// Cancels the unsent reminder messages whose referral moved on since they
  /// fired (a deferred nudge for an introduction that has happened since).
  private func cancelStale(_ store: any ReminderStore, now: Date) throws(StoreError) {
    let rules = Dictionary(config.reminders.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    var notes: [(messageID: Int64, note: String)] = []
    for (id, key) in try store.unsentReminders() {
      guard let rule = rules[key.rule], rule.trigger.isAboutReferral,
        let referral = Int64(key.subject.dropFirst("referral:".count))
      else { continue }
      if let stale = ReminderPlanner.stale(rule, try store.referralFacts(id: referral)) {
        notes.append((id, stale))
      }
    }
    try store.withhold(notes, now: now)
  }

  /// The send-time check: a reminder whose referral moved on, or an ask the
  /// fatigue guard holds, does not go.
  public func veto(_ store: any ReminderStore, now: Date) -> SendVeto {
    let rules = Dictionary(config.reminders.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    let fatigue = planner.fatigue.veto(store, now: now)
    return SendVeto { message throws(StoreError) in
      if message.isReminder, let key = try store.firing(messageID: message.id), let rule = rules[key.rule],
        rule.trigger.isAboutReferral, let id = Int64(key.subject.dropFirst("referral:".count))
      {
        if let stale = ReminderPlanner.stale(rule, try store.referralFacts(id: id)) { return stale }
      }
      return try fatigue.reason(message)
    }
  }

  private func isAsk(_ rule: ReminderRule) -> Bool {
    rule.template.flatMap { library.entry(named: $0)?.template.purpose } == .ask
  }

  /// A client reminder's message, made as `intro send` makes one, keyed by its firing.
  private func message(
    for item: DueReminder, store: any ReminderStore, context: SendContext, now: Date,
    random: inout BufferedRandom
  ) throws(StoreError) -> Result<NewMessage, PreflightFailure> {
    let source = "reminder \(item.rule.name) for \(item.key.subject)"
    guard let name = item.rule.template, let entry = library.entry(named: name) else {
      return .failure(
        PreflightFailure([PreflightIssue(source: source, field: "template", reason: "no template")]))
    }
    let member: AudienceMember
    if let referralID = item.referralID {
      guard let referral = try store.referral(id: referralID),
        let introducer = try store.contact(id: referral.introducerID),
        let prospect = try store.contact(id: referral.prospectID)
      else { return .failure(PreflightFailure([])) }
      member = AudienceMember(
        source: source, context: context.forReferral(referral, introducer: introducer, prospect: prospect),
        contactID: introducer.id, referralID: referralID, doNotContact: introducer.doNotContact)
    } else {
      guard let contact = try store.contact(id: item.contactID) else { return .failure(PreflightFailure([])) }
      member = AudienceMember(
        source: source, context: context.forContact(contact), contactID: contact.id,
        doNotContact: contact.doNotContact)
    }
    if member.doNotContact { return .failure(PreflightFailure([])) }
    let maker = MessageMaker(
      template: entry.template, templateName: name, partials: library, rep: config.rep,
      configFile: config.file,
      date: now)
    return maker.make(member, random: &random).map { made in keyed(made.record, item.key) }
  }

  /// The rep's task as a digest line: who, what, when, and a line to use.
  private func task(_ item: DueReminder, store: any ReminderStore) throws(StoreError) -> TemplateValue {
    let who = try store.contact(id: item.contactID)
    let name = who?.displayName ?? "a contact"
    var prospect: String?
    if let id = item.referralID, let referral = try store.referral(id: id) {
      prospect = try store.contact(id: referral.prospectID).map(\.displayName)
    }
    let what =
      prospect.map { "follow up on the introduction to \($0) (\(item.rule.name))" }
      ?? "get back in touch (\(item.rule.name))"
    let suggestion =
      prospect.map { "Any news on \($0)? Happy to make it easy: I can send you a short note to forward." }
      ?? "It has been a while; how are things going on your side?"
    var fields: [(String, TemplateValue)] = [
      ("what", .string(what)), ("who", .string(name)), ("when", .string(item.reason)),
      ("suggestion", .string(suggestion)),
    ]
    if item.late { fields.append(("late", .bool(true))) }
    return .object(TemplateObject(fields))
  }

  private func digestMessage(
    _ items: [TemplateValue], context: SendContext, key: FiringKey, now: Date, random: inout BufferedRandom
  ) -> Result<NewMessage, PreflightFailure> {
    let source = "the daily digest"
    guard let entry = library.entry(named: "daily-digest") else {
      return .failure(
        PreflightFailure([PreflightIssue(source: source, field: "template", reason: "no daily-digest")]))
    }
    let value = TemplateValue.object(
      TemplateObject([
        ("rep", context.rep), ("items", .list(items)), ("due_count", .string(String(items.count))),
        ("today", .string(planner.calendar.localDate(now))),
      ]))
    let maker = MessageMaker(
      template: entry.template, templateName: "daily-digest", partials: library, rep: config.rep,
      configFile: config.file,
      date: now)
    return maker.make(AudienceMember(source: source, context: value), random: &random).map { made in
      keyed(made.record, key)
    }
  }

  /// One message per firing, whatever its content: the key is the firing's.
  private func keyed(_ record: NewMessage, _ key: FiringKey) -> NewMessage {
    var record = record
    record.idempotencyKey = SHA256.hex(
      SHA256.hash(Array("intro-reminder-v1\u{0}\(key.rule)\u{0}\(key.subject)\u{0}\(key.occurrence)".utf8)))
    return record
  }
}

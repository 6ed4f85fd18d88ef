import Dispatch
import Foundation
public import IntroStore
public import IntroTemplates

/// What the preflight of a batch found.
public struct BatchPlan: Sendable {
  /// Messages that passed: new ones, and ones already stored that may still go.
  public var ready = 0
  /// Messages the same template already sent (or left uncertain, failed,
  /// suppressed) to the same person with the same content today: not sent again.
  public var alreadyDone = 0
  /// Everything that stops the batch, in input order.
  public var issues: [PreflightIssue] = []
  /// The first message that passed, to show in full.
  public var first: PreparedMessage?
  /// A dry run's page of the messages that would go, in order (see ``SendPipeline/dryRun(_:store:page:)``).
  public var previews: [MessagePreview] = []
  /// The stored batch (`--send` only); nil when every message was already stored.
  public var batchID: Int64?
  /// The batches that earlier runs stored some of these messages in.
  public var earlierBatches: [Int64] = []
  /// The stored messages to send, in order (`--send` only).
  public var messageIDs: [Int64] = []
}

/// One line of a dry run's table: who gets what, as the reader sees it.
public struct MessagePreview: Sendable, Equatable, Encodable {
  /// 1 for the first message that would go.
  public var position: Int
  public var to: String
  public var subject: String
  public var greeting: String

  init(_ message: PreparedMessage, position: Int) {
    self.position = position
    to = message.rendered.header("To") ?? message.record.recipient
    subject = message.record.subject
    greeting = message.greeting
  }
}

/// Builds a batch: renders and composes every message, checks each, and
/// (when recording) stores the batch and its messages in one transaction,
/// or nothing at all when anything is wrong.
public struct SendPipeline: Sendable {
  public var template: EmailTemplate
  /// The name the store records (the library name, or the file).
  public var templateName: String
  public var library: TemplateLibrary
  public var config: IntroConfig
  public var date: Date

  public init(
    template: EmailTemplate, templateName: String, library: TemplateLibrary, config: IntroConfig,
    date: Date = Date()
  ) {
    self.template = template
    self.templateName = templateName
    self.library = library
    self.config = config
    self.date = date
  }

  /// Renders and checks every message of `audience`, storing nothing.
  /// - Parameter page: which of the messages that would go to keep in `previews`
  ///   (by position among them); the rest are only counted, so a dry run of
  ///   100,000 recipients holds one page, not the batch.
  public func dryRun(_ audience: Audience, store: any BatchStore, page: Range<Int> = 0..<50) throws(SendError)
    -> BatchPlan
  {
    var plan = BatchPlan()
    var earlier = Set<Int64>()
    let members = try audience.resolve(store: store, context: context)
    let tooSoon = try fatigueIssues(members, store: store)
    do {
      try store.inspect { inspector in
        plan.issues = try preflightAll(members, isSuppressed: inspector.isSuppressed) {
          message throws(StoreError) in
          let existing = try inspector.existing(idempotencyKey: message.record.idempotencyKey)
          if let existing, let batch = existing.batchID { earlier.insert(batch) }
          if let existing, existing.state.isSettled {
            plan.alreadyDone += 1
          } else {
            if page.contains(plan.ready) {
              plan.previews.append(MessagePreview(message, position: plan.ready + 1))
            }
            plan.ready += 1
            if plan.first == nil { plan.first = message }
          }
        }
      }
    } catch {
      throw Self.sendError(error)
    }
    plan.issues += tooSoon
    plan.earlierBatches = earlier.sorted()
    return plan
  }

  /// The members an ask may not go to yet (`[fatigue]`): a template with
  /// `Intro-Purpose: ask` to a client asked too recently.
  private func fatigueIssues(_ members: ResolvedAudience, store: any BatchStore) throws(SendError)
    -> [PreflightIssue]
  {
    guard template.purpose == .ask, let members = members.storeMembers else { return [] }
    let guardian: FatigueGuard
    do {
      guardian = try FatigueGuard(config)
    } catch {
      return [PreflightIssue(source: "configuration", field: "[schedule]", reason: error.description)]
    }
    var issues: [PreflightIssue] = []
    for member in members {
      guard let contact = member.contactID else { continue }
      let refusal = try storeStep { () throws(StoreError) in
        try guardian.refusal(contact, now: date, store: store)
      }
      if let refusal {
        issues.append(PreflightIssue(source: member.source, field: "[fatigue]", reason: refusal))
      }
    }
    return issues
  }

  /// Renders, checks and stores every message of `audience` as a new batch;
  /// when any message has an issue, nothing is stored and `issues` says why.
  /// Call with the store's run lock held.
  public func record(_ audience: Audience, store: any BatchStore, command: String) throws(SendError)
    -> BatchPlan
  {
    var plan = BatchPlan()
    var earlier = Set<Int64>()
    let members = try audience.resolve(store: store, context: context)
    let tooSoon = try fatigueIssues(members, store: store)
    let recorder: (any BatchRecording)?
    do {
      recorder = try store.recordBatch(
        template: templateName, command: command, audience: audience.description, now: date
      ) { recorder in
        plan.issues = try preflightAll(members, isSuppressed: recorder.isSuppressed) {
          message throws(StoreError) in
          if let existing = try recorder.add(message.record) {
            if let batch = existing.batchID { earlier.insert(batch) }
            if existing.state.isSettled {
              plan.alreadyDone += 1
              return
            }
          }
          plan.messageIDs.append(recorder.messageIDs[recorder.messageIDs.count - 1])
          plan.ready += 1
          if plan.first == nil { plan.first = message }
        }
        plan.issues += tooSoon
        return plan.issues.isEmpty
      }
    } catch {
      throw Self.sendError(error)
    }
    guard let recorder, plan.issues.isEmpty else {
      plan.ready = 0
      plan.alreadyDone = 0
      plan.first = nil
      plan.messageIDs = []
      return plan
    }
    plan.batchID = recorder.added > 0 ? recorder.batchID : nil
    plan.earlierBatches = earlier.sorted()
    return plan
  }

  /// The preflight of every member: messages are made a chunk at a time on
  /// every core, then admitted one by one in input order (suppressions,
  /// duplicates), and each admitted one is handed to `accept`. While one
  /// chunk is admitted and stored on this thread, the next is being made on
  /// the others, so the store's work hides behind the rendering.
  /// - Returns: every issue, in input order.
  private func preflightAll(
    _ members: ResolvedAudience, isSuppressed: (String) throws(StoreError) -> Bool,
    accept: (PreparedMessage) throws(StoreError) -> Void
  ) throws -> [PreflightIssue] {
    var preflight = makePreflight()
    let maker = preflight.maker
    var issues: [PreflightIssue] = []
    var pending: [AudienceMember] = []
    pending.reserveCapacity(Self.chunk)
    var making: ChunkInMaking?
    // A chunk still being made when an error leaves this function is waited
    // for, so no worker outlives the call.
    defer { _ = making?.results() }
    func admit(_ chunk: ChunkInMaking?) throws(StoreError) {
      guard let chunk else { return }
      for made in chunk.results() {
        switch try preflight.admit(made, isSuppressed: isSuppressed) {
        case .failure(let failure): issues += failure.issues
        case .success(let message): try accept(message)
        }
      }
    }
    func startPending() throws(StoreError) {
      let previous = making
      making = ChunkInMaking(pending, maker: maker)
      pending = []
      pending.reserveCapacity(Self.chunk)
      try admit(previous)
    }
    let rowIssues = try members.walk { member throws(StoreError) in
      pending.append(member)
      if pending.count == Self.chunk { try startPending() }
    }
    if !pending.isEmpty { try startPending() }
    let last = making
    making = nil
    try admit(last)
    guard !rowIssues.isEmpty else { return issues }
    // A row that could not be read comes before the rows after it.
    return (issues + rowIssues).enumerated().sorted { a, b in
      (Self.order(a.element.source), a.offset) < (Self.order(b.element.source), b.offset)
    }.map(\.element)
  }

  fileprivate static let chunk = 512

  /// Makes `members`' messages on up to every core, results in input order.
  fileprivate static func make(_ members: [AudienceMember], with maker: MessageMaker) -> [Result<
    MadeMessage, PreflightFailure
  >] {
    let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8, members.count / 64))
    return [Result<MadeMessage, PreflightFailure>](unsafeUninitializedCapacity: members.count) {
      buffer, initialized in
      // Each slot is written by exactly one worker.
      let slots = Slots(base: buffer.baseAddress)
      DispatchQueue.concurrentPerform(iterations: workers) { worker in
        var random = BufferedRandom()
        for index in stride(from: worker, to: members.count, by: workers) {
          slots.write(maker.make(members[index], random: &random), at: index)
        }
      }
      initialized = members.count
    }
  }

  /// Sorts `line N` sources by N; others keep their place.
  private static func order(_ source: String) -> Int {
    source.hasPrefix("line ") ? Int(source.dropFirst(5)) ?? 0 : 0
  }

  private static func sendError(_ error: any Error) -> SendError {
    switch error {
    case let error as SendError: error
    case let error as StoreError: .store(error)
    default: .store(StoreError(.database, "\(error)"))
    }
  }

  private var context: SendContext { SendContext(rep: config.rep, today: date) }

  private func makePreflight() -> Preflight {
    Preflight(
      template: template, templateName: templateName, partials: library, rep: config.rep,
      configFile: config.file, date: date)
  }
}

/// Where parallel workers put their results: each writes only its own slots.
private struct Slots: @unchecked Sendable {
  let base: UnsafeMutablePointer<Result<MadeMessage, PreflightFailure>>?

  func write(_ value: Result<MadeMessage, PreflightFailure>, at index: Int) {
    base.map { ($0 + index).initialize(to: value) }
  }
}

/// One chunk of a batch being made on other threads while this one admits the last.
private final class ChunkInMaking: @unchecked Sendable {
  // Written once by the worker inside `done`, read only after waiting for it.
  private var made: [Result<MadeMessage, PreflightFailure>] = []
  private let done = DispatchGroup()

  init(_ members: [AudienceMember], maker: MessageMaker) {
    DispatchQueue.global(qos: .userInitiated).async(group: done) { [self] in
      made = SendPipeline.make(members, with: maker)
    }
  }

  /// The chunk's messages in input order, once they are all made.
  func results() -> [Result<MadeMessage, PreflightFailure>] {
    done.wait()
    return made
  }
}

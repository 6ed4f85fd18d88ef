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
  /// The stored batch (`--send` only); nil when every message was already stored.
  public var batchID: Int64?
  /// The batches that earlier runs stored some of these messages in.
  public var earlierBatches: [Int64] = []
  /// The stored messages to send, in order (`--send` only).
  public var messageIDs: [Int64] = []
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
  public func dryRun(_ audience: Audience, store: Store) throws(SendError) -> BatchPlan {
    var plan = BatchPlan()
    var preflight = makePreflight()
    var earlier = Set<Int64>()
    let members = try audience.resolve(store: store, context: context)
    do {
      try store.inspect { inspector in
        plan.issues += try members.walk { member throws(StoreError) in
          switch try preflight.prepare(member, isSuppressed: inspector.isSuppressed) {
          case .failure(let failure):
            plan.issues += failure.issues
          case .success(let message):
            let existing = try inspector.existing(idempotencyKey: message.record.idempotencyKey)
            if let existing, let batch = existing.batchID { earlier.insert(batch) }
            if let existing, existing.state.isSettled {
              plan.alreadyDone += 1
            } else {
              plan.ready += 1
              if plan.first == nil { plan.first = message }
            }
          }
        }
      }
    } catch {
      throw Self.sendError(error)
    }
    plan.earlierBatches = earlier.sorted()
    return plan
  }

  /// Renders, checks and stores every message of `audience` as a new batch;
  /// when any message has an issue, nothing is stored and `issues` says why.
  /// Call with the store's run lock held.
  public func record(_ audience: Audience, store: Store, command: String) throws(SendError) -> BatchPlan {
    var plan = BatchPlan()
    var preflight = makePreflight()
    var earlier = Set<Int64>()
    let members = try audience.resolve(store: store, context: context)
    let recorder: BatchRecorder?
    do {
      recorder = try store.recordBatch(
        template: templateName, command: command, audience: audience.description, now: date
      ) { recorder in
        plan.issues += try members.walk {
          member throws(StoreError) in
          switch try preflight.prepare(member, isSuppressed: recorder.isSuppressed) {
          case .failure(let failure):
            plan.issues += failure.issues
          case .success(let message):
            guard plan.issues.isEmpty else { return }
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
        }
        return plan.issues.isEmpty
      }
    } catch {
      throw Self.sendError(error)
    }
    guard let recorder, plan.issues.isEmpty else {
      plan.ready = 0
      plan.messageIDs = []
      return plan
    }
    plan.batchID = recorder.added > 0 ? recorder.batchID : nil
    plan.earlierBatches = earlier.sorted()
    return plan
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
    Preflight(template: template, templateName: templateName, partials: library, rep: config.rep, date: date)
  }
}

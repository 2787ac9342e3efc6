import Checkpoints
import Datasets
import Engine
import Foundation
import Lesion

/// What every experiment runs on: a loaded model, a data selection, its normalization, and where
/// progress goes.
///
/// Commands and `figures` build a `Study` and hand it to an experiment value (`BlockDeletion`,
/// `SingleDeletionSweep`, `RandomDeletion`, `Reordering`, `PathGradients`); the experiment returns
/// a typed result with one row schema (`ResultTable`). Nothing here reads the command line.
public struct Study {
  /// The model as loaded (network, metadata, file).
  public var model: LoadedModel
  /// How the user named the model (a bundled name or a path), for provenance.
  public var modelArgument: String
  /// The images and labels, already selected (offset, limit, per class).
  public var dataset: ImageDataset
  /// How the user named the data, for provenance.
  public var dataArgument: String
  /// Per-channel mean and standard deviation applied to pixels/255.
  public var mean: [Float]
  public var std: [Float]
  /// Images per evaluation batch.
  public var batchSize: Int
  /// Where progress is reported.
  public var progress: StudyProgress
  /// Lesion results already computed (a journal, merged parts), consulted and filled by
  /// `evaluate`; nil evaluates every plan.
  public var evaluations: EvaluationStore?
  /// The shard this process computes (experiments evaluate only the configurations it owns), or
  /// nil for the whole run.
  public var shard: ShardSpec?

  /// Creates a study with the model's own normalization.
  /// - Throws: `LesionError` when the data does not fit the network (image shape, labels).
  public init(
    model: LoadedModel, modelArgument: String, dataset: ImageDataset, dataArgument: String,
    batchSize: Int = 100, progress: StudyProgress = .silent
  ) throws {
    self.model = model
    self.modelArgument = modelArgument
    self.dataset = dataset
    self.dataArgument = dataArgument
    mean = model.metadata.normalizationMean
    std = model.metadata.normalizationStd
    self.batchSize = max(1, batchSize)
    self.progress = progress
    try LesionError.validate(network: model.network, dataset: dataset, mean: mean, std: std)
  }

  /// The network.
  public var network: Network { model.network }

  /// Evaluates the intact network and every plan on the study's images, with progress.
  ///
  /// With an `evaluations` store, only plans the store lacks are evaluated (in chunks of
  /// `chunkSize` when it journals, each chunk recorded as soon as it is done); in replay mode a
  /// missing plan throws `ShardingError.missingEvaluation`. A plan's result does not depend on
  /// which other plans share its pass, so stored and fresh results are interchangeable.
  /// - Returns: the intact result and one result per plan, each with per-image correctness and loss.
  /// - Throws: `EngineError` for a plan that cannot run.
  public func evaluate(_ plans: [LesionPlan], task: String) throws -> (intact: LesionResult, lesions: [LesionResult]) {
    guard let store = evaluations else { return try evaluateAll(plans, task: task) }
    var seen = Set<LesionPlan>()
    let missing = plans.filter { store.result(for: $0) == nil && seen.insert($0).inserted }
    if !missing.isEmpty || store.result(for: .intact) == nil {
      if store.mode == .replay { throw ShardingError.missingEvaluation(plan: (missing.first ?? .intact).description) }
      let step = store.journal == nil ? max(1, missing.count) : max(1, store.chunkSize)
      var start = 0
      repeat {
        let chunk = Array(missing[start..<min(missing.count, start + step)])
        let (intact, lesions) = try evaluateAll(chunk, task: missing.count > step ? "\(task), \(start + chunk.count) of \(missing.count)" : task)
        try store.record(intact)
        for lesion in lesions { try store.record(lesion) }
        start += step
      } while start < missing.count
    }
    guard let intact = store.result(for: .intact) else { throw ShardingError.missingEvaluation(plan: LesionPlan.intact.description) }
    return (intact, try plans.map { plan in
      guard let result = store.result(for: plan) else { throw ShardingError.missingEvaluation(plan: plan.description) }
      return result
    })
  }

  /// The configurations this process computes: all of them, or the shard's (positions p with
  /// p mod N = I in the unsharded enumeration).
  public func owned<Item>(_ items: [Item]) -> [Item] { shard?.owned(items) ?? items }

  /// Whether the configuration at `position` of the unsharded enumeration is this process's.
  public func owns(_ position: Int) -> Bool { shard?.owns(position) ?? true }

  private func evaluateAll(_ plans: [LesionPlan], task: String) throws -> (intact: LesionResult, lesions: [LesionResult]) {
    let evaluator = try LesionEvaluator(network: network, dataset: dataset, mean: mean, std: std, batchSize: batchSize)
    let handle = progress.begin(task, (plans.count + 1) * dataset.count, "image evaluations")
    defer { handle.finish() }
    return try evaluator.evaluate(plans) { handle.advance($0) }
  }

  /// Checks block numbers a user asked to delete: each within 1…blockCount and deletable.
  /// - Throws: `StudyError.blockOutOfRange`, `.duplicateBlock` or `.notDeletable`.
  public func checkDeletable(_ blocks: [Int], option: String) throws {
    var seen = Set<Int>()
    for number in blocks {
      guard (1...max(1, network.blockCount)).contains(number), network.blockCount > 0 else {
        throw StudyError.blockOutOfRange(option: option, block: number, blockCount: network.blockCount)
      }
      guard seen.insert(number).inserted else { throw StudyError.duplicateBlock(option: option, block: number) }
      let block = network.blocks[number - 1]
      guard block.isDeletable else {
        throw StudyError.notDeletable(
          option: option, block: number,
          reason: "block \(number) (\(block.name)) has no shortcut and maps \(block.inputShape) to \(block.outputShape)")
      }
    }
  }

  /// One line naming model and data, for table notes.
  public var description: String {
    "model \(model.file.lastPathComponent) (\(model.familyDescription)), data \(dataset.name) (\(dataset.count) images)"
  }
}

/// Where an experiment reports progress: `begin(task, total, unit)` returns a handle the
/// experiment advances by units done and finishes once.
public struct StudyProgress: Sendable {
  /// A running task's progress.
  public struct Handle {
    public var advance: (Int) -> Void
    public var finish: () -> Void
  }

  /// Starts a task of `total` units named `task`.
  public var begin: @Sendable (_ task: String, _ total: Int, _ unit: String) -> Handle

  /// Reports nothing.
  public static let silent = StudyProgress { _, _, _ in Handle(advance: { _ in }, finish: {}) }
}

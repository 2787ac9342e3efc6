import Basics
import Datasets
import Engine
import Foundation
import Lesion

/// Scores sets of deleted blocks on a calibration selection, reusing every activation two sets
/// share.
///
/// A network with the set S deleted runs block position p either intact or deleted (branch
/// replaced by zero, shortcut and post-addition activation kept; a deleted plain block passes
/// its input through). Two compiled sessions hold both variants of every block, so any set is
/// a per-block choice and no session is compiled per set. The stem output of every calibration
/// image is computed once. Three incremental schemes share prefixes:
/// - `extensions(of:by:)`: S, then S ∪ {c} for each candidate c, each starting from the stored
///   input of c's position in S's network (greedy pruning, pairs with the same first block);
/// - `chain(_:)`: S₀ = ∅ ⊂ S₁ ⊂ … deleting one block per step; step k recomputes only the blocks
///   after the newly deleted one (Shapley permutations, static pruning orders);
/// - `evaluate(_:)`: any sets, each from the stem (the oracle the incremental schemes are tested
///   against).
public final class DeletionScorer {
  /// The network, intact.
  public let network: Network
  /// Calibration images.
  public let count: Int
  /// Block numbers (1-based) that can be deleted, in forward order.
  public let deletable: [Int]
  let intact: InferenceSession
  let deleted: InferenceSession
  let isResidual: [Bool]
  /// Per batch: the normalized input and the stem output (N, H, W, C), and the labels.
  let batches: [(input: Tensor, stem: Tensor, labels: [Int])]

  /// Prepares the calibration batches.
  /// - Throws: `LesionError` when the data does not fit the network; `ImportanceError.reordered`
  ///   for a network whose blocks are not in their original order.
  public init(network: Network, dataset: ImageDataset, mean: [Float], std: [Float], batchSize: Int = 100) throws {
    try LesionError.validate(network: network, dataset: dataset, mean: mean, std: std)
    guard network.blocks.enumerated().allSatisfy({ $0.element.number == $0.offset + 1 }) else {
      throw ImportanceError.reordered
    }
    self.network = network
    count = dataset.count
    deletable = network.blocks.filter(\.isDeletable).map(\.number)
    isResidual = network.blocks.map(\.isResidual)
    var allDeleted = network
    for i in allDeleted.blocks.indices where allDeleted.blocks[i].isResidual { allDeleted.blocks[i].isBranchDeleted = true }
    intact = try InferenceSession(network)
    deleted = try InferenceSession(allDeleted)
    let size = max(1, batchSize)
    let imageSize = network.inputShape.count
    var buffer = [Float](repeating: 0, count: size * imageSize)
    var batches: [(input: Tensor, stem: Tensor, labels: [Int])] = []
    for start in stride(from: 0, to: dataset.count, by: size) {
      let end = min(dataset.count, start + size)
      let n = end - start
      buffer.withUnsafeMutableBufferPointer { dataset.writeBatch(indices: start..<end, mean: mean, std: std, into: $0) }
      let s = network.inputShape
      let input = Tensor(shape: [n, s.height, s.width, s.channels], scalars: Array(buffer[0..<(n * imageSize)]))
      batches.append((input, try intact.stemOutput(for: input), Array(dataset.labels[start..<end])))
    }
    self.batches = batches
  }

  /// Blocks in the network.
  public var blockCount: Int { network.blocks.count }

  /// The output of block `position` (0-based) run intact or deleted on its input.
  func step(_ position: Int, deleted isDeleted: Bool, _ input: Tensor) throws -> Tensor {
    if isDeleted && !isResidual[position] { return input }
    return try (isDeleted ? deleted : intact).features(afterBlocks: position..<(position + 1), from: input)
  }

  /// Logits from the last block's output.
  func head(_ features: Tensor) throws -> Tensor {
    try intact.logits(fromBlock: blockCount, features: features, batch: features.shape[0])
  }

  /// Block inputs of S's network: element p is the input of position p, element n the last output.
  func activations(_ stem: Tensor, deleting set: Set<Int>) throws -> [Tensor] {
    var features = [stem]
    features.reserveCapacity(blockCount + 1)
    for p in 0..<blockCount { features.append(try step(p, deleted: set.contains(p + 1), features[p])) }
    return features
  }

  /// Runs positions `from…` of S's network on `input`, then the head.
  func logits(from start: Int, _ input: Tensor, deleting set: Set<Int>) throws -> Tensor {
    var x = input
    for p in start..<blockCount { x = try step(p, deleted: set.contains(p + 1), x) }
    return try head(x)
  }

  func checkBlocks(_ numbers: some Sequence<Int>) throws {
    let allowed = Set(deletable)
    for n in numbers where !allowed.contains(n) {
      throw ImportanceError.notDeletable(block: n, blockCount: blockCount)
    }
  }

  static func emptyResult(_ set: Set<Int>) -> LesionResult {
    LesionResult(plan: LesionPlan(deleted: set))
  }

  /// Each set scored from the stem (no sharing): per-image losses and correctness.
  /// - Throws: `ImportanceError.notDeletable` for a block that cannot be deleted.
  public func evaluate(_ sets: [Set<Int>]) throws -> [LesionResult] {
    try checkBlocks(sets.flatMap { $0 })
    var results = sets.map(Self.emptyResult)
    for batch in batches {
      for (i, set) in sets.enumerated() {
        LesionEvaluator.accumulate(&results[i], logits: try logits(from: 0, batch.stem, deleting: set), labels: batch.labels, reference: nil)
      }
    }
    return results
  }

  /// S, and S ∪ {c} for each candidate c (per-image losses and correctness).
  ///
  /// - Complexity: per image, one forward of S's network plus, per candidate at position p, the
  ///   blocks after p.
  /// - Throws: `ImportanceError.notDeletable` for a block that cannot be deleted.
  public func extensions(of base: Set<Int>, by candidates: [Int], progress: ((Int) -> Void)? = nil) throws
    -> (base: LesionResult, extended: [LesionResult])
  {
    try checkBlocks(base.union(candidates))
    var baseResult = Self.emptyResult(base)
    var results = candidates.map { Self.emptyResult(base.union([$0])) }
    for batch in batches {
      let features = try activations(batch.stem, deleting: base)
      LesionEvaluator.accumulate(&baseResult, logits: try head(features[blockCount]), labels: batch.labels, reference: nil)
      for (i, c) in candidates.enumerated() {
        let set = base.union([c])
        let output = try step(c - 1, deleted: true, features[c - 1])
        LesionEvaluator.accumulate(&results[i], logits: try logits(from: c, output, deleting: set), labels: batch.labels, reference: nil)
      }
      progress?(batch.labels.count)
    }
    return (baseResult, results)
  }

  /// Deletes `order`'s blocks one at a time: results for ∅, {o₁}, {o₁, o₂}, …, all of `order`
  /// (`order.count + 1` results), computed in one incremental pass per batch.
  ///
  /// - Complexity: per image and step deleting position p, the blocks after p.
  /// - Throws: `ImportanceError.notDeletable` for a block that cannot be deleted,
  ///   `.repeatedBlock` for a block listed twice.
  public func chain(_ order: [Int]) throws -> [LesionResult] {
    try checkBlocks(order)
    var seen = Set<Int>()
    for b in order where !seen.insert(b).inserted { throw ImportanceError.repeatedBlock(block: b) }
    var sets: [Set<Int>] = [[]]
    for b in order { sets.append(sets[sets.count - 1].union([b])) }
    var results = sets.map(Self.emptyResult)
    for batch in batches {
      var features = try activations(batch.stem, deleting: [])
      LesionEvaluator.accumulate(&results[0], logits: try head(features[blockCount]), labels: batch.labels, reference: nil)
      for (k, b) in order.enumerated() {
        let set = sets[k + 1]
        for p in (b - 1)..<blockCount { features[p + 1] = try step(p, deleted: set.contains(p + 1), features[p]) }
        LesionEvaluator.accumulate(&results[k + 1], logits: try head(features[blockCount]), labels: batch.labels, reference: nil)
      }
    }
    return results
  }
}

/// Importance measures that cannot run on the given network or blocks.
public enum ImportanceError: UsageError, CustomStringConvertible, Equatable {
  /// The block cannot be deleted (a plain block that changes the feature-map shape, or no block).
  case notDeletable(block: Int, blockCount: Int)
  /// A block listed twice in a deletion order.
  case repeatedBlock(block: Int)
  /// The measures need the blocks in their original order.
  case reordered
  /// Too few deletable blocks for the measure.
  case tooFewBlocks(what: String, needed: Int, found: Int)
  /// Sampled Shapley values need at least two permutations for a standard error.
  case tooFewPermutations(found: Int)

  public var description: String {
    switch self {
    case .notDeletable(let block, let count):
      return "block \(block) cannot be deleted (valid: deletable blocks among 1–\(count))"
    case .repeatedBlock(let block): return "block \(block) is listed twice in a deletion order"
    case .reordered: return "importance measures need the network's blocks in their original order"
    case .tooFewBlocks(let what, let needed, let found):
      return "\(what) needs at least \(needed) deletable blocks, found \(found)"
    case .tooFewPermutations(let found):
      return "Shapley values need at least 2 permutations for a standard error (--permutations), found \(found)"
    }
  }
}

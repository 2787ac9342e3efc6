import Datasets
import Engine
import Foundation
import Statistics

/// The measured effect of one lesion on a labelled data set.
public struct LesionResult: Sendable {
  /// What was changed.
  public var plan: LesionPlan
  /// Images evaluated.
  public var count: Int
  /// Misclassified images.
  public var errors: Int
  /// Sum of the cross-entropy losses (natural log) over the images.
  public var lossSum: Double
  /// Images whose prediction equals the intact network's.
  public var agreements: Int
  /// Per image, in data-set order: whether the prediction equals the label. Paired statistics
  /// compare this with the intact network's on the same images.
  public var correct: [Bool] = []
  /// Per image, in data-set order: the cross-entropy loss (natural log).
  public var losses: [Double] = []
  /// Per image, in data-set order: the predicted class (the first largest logit).
  public var predictions: [Int] = []

  /// Test error, errors / count.
  public var error: Double { count > 0 ? Double(errors) / Double(count) : .nan }
  /// Mean cross-entropy loss.
  public var meanLoss: Double { count > 0 ? lossSum / Double(count) : .nan }
  /// Share of predictions equal to the intact network's.
  public var agreement: Double { count > 0 ? Double(agreements) / Double(count) : .nan }
  /// 95% Wilson interval of the error.
  public var errorInterval: WilsonInterval { WilsonInterval(successes: errors, trials: count) }
}

extension LesionResult {
  /// An empty result for `plan`, to be filled by `LesionEvaluator.accumulate`.
  public init(plan: LesionPlan) {
    self.init(plan: plan, count: 0, errors: 0, lossSum: 0, agreements: 0)
  }
}

/// Evaluates many lesions of one network on one data set, computing what lesions share only once.
///
/// For each batch the intact network runs once and keeps the input of every block; a lesion
/// whose first change is at block position p starts from that stored input, so the activations
/// before the first changed block are never recomputed (issue: "never recompute what a lesion
/// cannot change"). Batch norm is folded (`InferenceSession`) and kernels use every core.
/// Results do not depend on the thread count: every image's logits are computed the same way.
public final class LesionEvaluator {
  public let network: Network
  public let dataset: ImageDataset
  public let mean: [Float]
  public let std: [Float]
  public let batchSize: Int
  private let intactSession: InferenceSession

  /// - Throws: `LesionError` when the data's image shape, labels or the normalization do not fit
  ///   the network.
  public init(network: Network, dataset: ImageDataset, mean: [Float], std: [Float], batchSize: Int = 100) throws {
    try LesionError.validate(network: network, dataset: dataset, mean: mean, std: std)
    self.network = network
    self.dataset = dataset
    self.mean = mean
    self.std = std
    self.batchSize = max(1, batchSize)
    intactSession = try InferenceSession(network)
  }

  /// The position of the first block where `lesioned` differs from the intact network.
  static func firstChange(_ intact: Network, _ lesioned: Network) -> Int {
    let count = min(intact.blocks.count, lesioned.blocks.count)
    for i in 0..<count {
      let a = intact.blocks[i]
      let b = lesioned.blocks[i]
      if a.number != b.number || a.isBranchDeleted != b.isBranchDeleted { return i }
    }
    return count
  }

  /// Evaluates the intact network and every plan.
  ///
  /// - Parameter progress: called after each batch of each configuration with the number of
  ///   images just evaluated (the total is `(plans.count + 1) × dataset.count`).
  /// - Returns: the intact result and one result per plan, in order, each with per-image
  ///   correctness and loss (`correct`, `losses`: one entry per image, data-set order).
  /// - Throws: `EngineError` for a plan that cannot run (out-of-range block, broken shapes).
  public func evaluate(
    _ plans: [LesionPlan], progress: ((_ images: Int) -> Void)? = nil
  ) throws -> (intact: LesionResult, lesions: [LesionResult]) {
    let lesioned = try plans.map { try network.applying($0) }
    let starts = lesioned.map { Self.firstChange(network, $0) }
    // Unchanged blocks share the intact session's folded weights, and every session its buffers.
    let sessions = try lesioned.map { try InferenceSession($0, reusing: intactSession) }
    var intact = LesionResult(plan: .intact, count: 0, errors: 0, lossSum: 0, agreements: 0)
    var results = plans.map { LesionResult(plan: $0, count: 0, errors: 0, lossSum: 0, agreements: 0) }
    let imageSize = network.inputShape.count
    let batchCount = (dataset.count + batchSize - 1) / batchSize
    var batchBuffer = [Float](repeating: 0, count: batchSize * imageSize)
    for batchIndex in 0..<batchCount {
      let start = batchIndex * batchSize
      let end = min(dataset.count, start + batchSize)
      let n = end - start
      batchBuffer.withUnsafeMutableBufferPointer {
        dataset.writeBatch(indices: start..<end, mean: mean, std: std, into: $0)
      }
      let s = network.inputShape
      let input = Tensor(shape: [n, s.height, s.width, s.channels], scalars: Array(batchBuffer[0..<(n * imageSize)]))
      let labels = Array(dataset.labels[start..<end])
      // Intact pass, keeping the input of every block.
      var features = [try intactSession.stemOutput(for: input)]
      features.reserveCapacity(network.blocks.count + 1)
      let needed = starts.max() ?? 0
      for position in 0..<min(needed, network.blocks.count) {
        features.append(try intactSession.features(afterBlocks: position..<(position + 1), from: features[position]))
      }
      let intactLogits = try intactSession.logits(fromBlock: 0, features: features[0], batch: n)
      let intactPredictions = Self.accumulate(&intact, logits: intactLogits, labels: labels, reference: nil)
      progress?(n)
      for (index, session) in sessions.enumerated() {
        let logits = try session.logits(fromBlock: starts[index], features: features[starts[index]], batch: n)
        _ = Self.accumulate(&results[index], logits: logits, labels: labels, reference: intactPredictions)
        progress?(n)
      }
    }
    intact.agreements = intact.count
    return (intact, results)
  }

  /// Adds a batch's errors, losses and agreements (per image too); returns the batch's predictions.
  @discardableResult
  public static func accumulate(_ result: inout LesionResult, logits: Tensor, labels: [Int], reference: [Int]?) -> [Int] {
    let classes = logits.shape[1]
    var predictions: [Int] = []
    predictions.reserveCapacity(labels.count)
    for (i, label) in labels.enumerated() {
      let row = logits.scalars[(i * classes)..<((i + 1) * classes)]
      var best = row.startIndex
      var maximum = -Float.infinity
      for j in row.indices where row[j] > maximum {
        maximum = row[j]
        best = j
      }
      let prediction = best - row.startIndex
      predictions.append(prediction)
      var sum = 0.0
      for v in row { sum += exp(Double(v - maximum)) }
      let loss = Double(maximum) + log(sum) - Double(row[row.startIndex + label])
      result.lossSum += loss
      result.losses.append(loss)
      result.correct.append(prediction == label)
      result.predictions.append(prediction)
      if prediction != label { result.errors += 1 }
      if let reference, reference[i] == prediction { result.agreements += 1 }
      result.count += 1
    }
    return predictions
  }
}

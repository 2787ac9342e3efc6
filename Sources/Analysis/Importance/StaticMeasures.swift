import Engine
import Foundation
import Lesion
import Statistics

/// One block's static importance measures on the calibration selection.
public struct BlockImportance: Sendable {
  /// The block's 1-based number.
  public var block: Int
  /// The lesion's error and per-image paired comparison with the intact network (Newcombe
  /// interval, exact McNemar p).
  public var errorChange: PairedProportionComparison
  /// Mean per-image loss change (deleted − intact), nats, with its Student-t interval.
  public var lossChange: MeanInterval
  /// 1 − mean cosine similarity between the block's output with its branch deleted and its
  /// output, per image and spatial position (ShortGPT's Block Influence; for a block with an
  /// identity shortcut and no post-addition change the deleted output is the block's input).
  public var blockInfluence: Double
  /// First-order estimate of the lesion's loss change: ⟨∂L/∂y, y_deleted − y⟩ at the block's
  /// output y, mean over images, nats.
  public var firstOrderLossChange: Double
}

/// Block Influence, 1 − mean cosine similarity over positions, for channels-last maps.
///
/// a, b: (positions, channels) flattened. A position where both vectors are zero counts as
/// similarity 1; where exactly one is zero, as 0.
/// - Complexity: O(positions × channels).
public func blockInfluence(_ a: [Float], _ b: [Float], channels: Int) -> (sum: Double, positions: Int) {
  precondition(a.count == b.count && channels > 0 && a.count % channels == 0, "block influence of mismatched maps")
  let positions = a.count / channels
  var total = 0.0
  for p in 0..<positions {
    var dot = 0.0, na = 0.0, nb = 0.0
    for c in (p * channels)..<((p + 1) * channels) {
      let x = Double(a[c]), y = Double(b[c])
      dot += x * y
      na += x * x
      nb += y * y
    }
    let similarity: Double
    if na == 0 && nb == 0 {
      similarity = 1
    } else if na == 0 || nb == 0 {
      similarity = 0
    } else {
      similarity = dot / (na.squareRoot() * nb.squareRoot())
    }
    total += 1 - similarity
  }
  return (total, positions)
}

extension DeletionScorer {
  /// The intact network's results and every deletable block's static measures.
  ///
  /// - Parameter gradientChunk: images per recorded forward/backward pass (the recorded pass
  ///   keeps every layer's input, so memory grows with this).
  /// - Complexity: one sweep of single deletions (shared prefixes), one forward and one
  ///   backward pass.
  public func staticMeasures(gradientChunk: Int = 16, progress: ((Int) -> Void)? = nil) throws
    -> (intact: LesionResult, blocks: [BlockImportance])
  {
    let (intactResult, singles) = try extensions(of: [], by: deletable, progress: progress)
    let (influence, firstOrder) = try gradientMeasures(gradientChunk: gradientChunk)
    return (
      intactResult,
      Self.importances(
        blocks: deletable, intact: intactResult, singles: singles, blockInfluence: influence, firstOrder: firstOrder)
    )
  }

  /// Block Influence and the first-order loss-change estimate of every deletable block (one
  /// value per block of `deletable`, in order): the gradient pass of `staticMeasures`.
  ///
  /// - Parameter gradientChunk: images per recorded forward/backward pass.
  /// - Complexity: one forward and one backward pass, plus one block per deletable block.
  public func gradientMeasures(gradientChunk: Int = 16) throws -> (blockInfluence: [Double], firstOrder: [Double]) {
    var influence = [Double](repeating: 0, count: blockCount)
    var positions = [Int](repeating: 0, count: blockCount)
    var firstOrder = [Double](repeating: 0, count: blockCount)
    let chunk = max(1, gradientChunk)
    for batch in batches {
      let n = batch.labels.count
      let s = network.inputShape
      let imageSize = s.count
      for start in stride(from: 0, to: n, by: chunk) {
        let end = min(n, start + chunk)
        let m = end - start
        let input = Tensor(
          shape: [m, s.height, s.width, s.channels],
          scalars: Array(batch.input.scalars[(start * imageSize)..<(end * imageSize)]))
        let stemSize = batch.stem.count / n
        let stem = Tensor(
          shape: [m] + batch.stem.shape.dropFirst(),
          scalars: Array(batch.stem.scalars[(start * stemSize)..<(end * stemSize)]))
        let features = try activations(stem, deleting: [])
        let pass = try network.forward(input, mode: .inference)
        let labels = Array(batch.labels[start..<end])
        let (_, dLogits) = try softmaxCrossEntropy(logits: pass.logits, labels: labels)
        let gradients = network.backward(
          pass, logitsGradient: dLogits,
          options: BackwardOptions(parameterGradients: false, inputGradient: false, blockOutputGradients: true))
        for number in deletable {
          let p = number - 1
          let output = features[p + 1]
          let removed = try step(p, deleted: true, features[p])
          let (sum, positionCount) = blockInfluence(removed.scalars, output.scalars, channels: network.blocks[p].outputShape.channels)
          influence[p] += sum
          positions[p] += positionCount
          // dLogits is the gradient of the chunk's mean loss: the dot product estimates the
          // change of that mean; weight by the chunk's share of the images.
          var dot = 0.0
          let g = gradients.blockOutputs[p].scalars
          for i in g.indices { dot += Double(g[i]) * Double(removed.scalars[i] - output.scalars[i]) }
          firstOrder[p] += dot * Double(m) / Double(self.count)
        }
      }
    }
    return (
      deletable.map { positions[$0 - 1] > 0 ? influence[$0 - 1] / Double(positions[$0 - 1]) : .nan },
      deletable.map { firstOrder[$0 - 1] }
    )
  }

  /// The static measures of `blocks` from their single deletions (paired with `intact`, per
  /// image) and their gradient measures; every array has one element per block, in order.
  public static func importances(
    blocks: [Int], intact: LesionResult, singles: [LesionResult], blockInfluence: [Double], firstOrder: [Double]
  ) -> [BlockImportance] {
    blocks.indices.map { i in
      BlockImportance(
        block: blocks[i],
        errorChange: PairedProportionComparison(baselineCorrect: intact.correct, treatmentCorrect: singles[i].correct),
        lossChange: MeanInterval.pairedDifference(treatment: singles[i].losses, baseline: intact.losses),
        blockInfluence: blockInfluence[i], firstOrderLossChange: firstOrder[i])
    }
  }
}

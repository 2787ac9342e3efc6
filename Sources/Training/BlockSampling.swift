import Basics

/// Which residual blocks sit out a mini-batch: stochastic depth and active-block training.
///
/// Both draw from the run's `SplitMix64` once per mini-batch, before that batch's augmentation.
public enum BlockSampling {
  /// Stochastic depth's survival probabilities (Huang et al. 2016, linear decay rule):
  /// p_l = 1 − (l/L)(1 − P_L) for block l = 1…L, so block L survives with P_L.
  public static func survivalProbabilities(blockCount: Int, finalSurvival: Float) -> [Float] {
    guard blockCount > 0 else { return [] }
    return (1...blockCount).map { l in
      Float(1 - Double(l) / Double(blockCount) * (1 - Double(finalSurvival)))
    }
  }

  /// Blocks dropped for one mini-batch under stochastic depth: block l (1-based) is dropped when
  /// its uniform draw u_l ∈ [0, 1) is ≥ p_l. Draws one uniform per block, blocks in order 1…L.
  /// - Complexity: O(L).
  public static func droppedBlocks(survival: [Float], using generator: inout SplitMix64) -> [Int] {
    var dropped: [Int] = []
    for (index, p) in survival.enumerated() {
      let u = generator.nextUnitInterval()
      if u >= Double(p) { dropped.append(index + 1) }
    }
    return dropped
  }

  /// Blocks that sit out one mini-batch of active-block training (Veit et al. 2016, §5.2):
  /// `active` of `candidates` are chosen uniformly without replacement (a partial Fisher–Yates
  /// shuffle drawing `active` integers), the rest are returned in increasing order.
  /// - Complexity: O(candidates.count).
  public static func inactiveBlocks(candidates: [Int], active: Int, using generator: inout SplitMix64) -> [Int] {
    var pool = candidates
    let chosen = min(max(active, 0), pool.count)
    for i in 0..<chosen {
      let j = i + generator.nextInt(below: pool.count - i)
      pool.swapAt(i, j)
    }
    return pool[chosen...].sorted()
  }
}

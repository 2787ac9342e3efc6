import Basics
import Engine

/// Random lesions of Veit et al. 2016, Fig. 5.
public enum RandomLesions {
  /// Block numbers that can be deleted (every residual block; plain layers that keep their shape).
  public static func deletableBlocks(of network: Network) -> [Int] {
    network.blocks.filter(\.isDeletable).map(\.number)
  }

  /// `samples` random sets of `k` deleted blocks each (Fig. 5a), drawn from `generator`.
  /// - Throws: `LesionError.notEnoughBlocks` when k exceeds the deletable blocks.
  public static func deletionPlans(
    network: Network, k: Int, samples: Int, generator: inout SplitMix64
  ) throws -> [LesionPlan] {
    let pool = deletableBlocks(of: network)
    guard k <= pool.count else { throw LesionError.notEnoughBlocks(asked: k, available: pool.count, what: "delete") }
    return (0..<samples).map { _ in LesionPlan(deleted: Set(generator.sample(k, from: pool))) }
  }

  /// Groups of block numbers that may trade places: same input shape and same output shape, and
  /// each maps its shape to itself (so any permutation inside a group keeps the network runnable).
  public static func swappableGroups(of network: Network) -> [[Int]] {
    var groups: [FeatureShape: [Int]] = [:]
    var keys: [FeatureShape] = []
    for block in network.blocks where block.inputShape == block.outputShape {
      if groups[block.inputShape] == nil { keys.append(block.inputShape) }
      groups[block.inputShape, default: []].append(block.number)
    }
    return keys.compactMap { groups[$0]!.count > 1 ? groups[$0] : nil }
  }

  /// `samples` random orders, each made by `swaps` random swaps of two shape-compatible blocks
  /// applied to the original order (Fig. 5b).
  public static func reorderingPlans(
    network: Network, swaps: Int, samples: Int, generator: inout SplitMix64
  ) throws -> [LesionPlan] {
    let groups = swappableGroups(of: network)
    let pairs = groups.reduce(0) { $0 + $1.count * ($1.count - 1) / 2 }
    guard pairs > 0 || swaps == 0 else { throw LesionError.notEnoughBlocks(asked: 2, available: 0, what: "swap") }
    let weights = groups.map { $0.count * ($0.count - 1) / 2 }
    return (0..<samples).map { _ in
      var order = network.blocks.map(\.number)
      var position = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
      for _ in 0..<swaps {
        // Pick a group with probability proportional to its number of pairs, then a pair in it.
        var r = generator.nextInt(below: pairs)
        var g = 0
        while r >= weights[g] {
          r -= weights[g]
          g += 1
        }
        let pair = generator.sample(2, from: groups[g])
        let (i, j) = (position[pair[0]]!, position[pair[1]]!)
        order.swapAt(i, j)
        position[pair[0]] = j
        position[pair[1]] = i
      }
      return LesionPlan(order: order)
    }
  }
}

import Engine

/// A small seeded random generator (SplitMix64) whose stream is fixed by this file, so the same
/// seed gives the same lesions on every platform and Swift version.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
  public private(set) var state: UInt64

  public init(seed: UInt64) { state = seed }

  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// Uniform in 0..<bound by rejection (no modulo bias).
  public mutating func next(below bound: Int) -> Int {
    precondition(bound > 0)
    let b = UInt64(bound)
    let limit = UInt64.max - UInt64.max % b
    while true {
      let x = next()
      if x < limit { return Int(x % b) }
    }
  }

  /// k distinct elements of `pool`, in the order drawn (a partial Fisher–Yates shuffle).
  public mutating func sample(_ k: Int, from pool: [Int]) -> [Int] {
    var items = pool
    for i in 0..<min(k, items.count) {
      let j = i + next(below: items.count - i)
      items.swapAt(i, j)
    }
    return Array(items.prefix(k))
  }
}

/// Random lesions of Veit et al. 2016, Fig. 5.
public enum RandomLesions {
  /// Block numbers that can be deleted (every residual block; plain layers that keep their shape).
  public static func deletableBlocks(of network: Network) -> [Int] {
    network.blocks.filter(\.isDeletable).map(\.number)
  }

  /// `samples` random sets of `k` deleted blocks each (Fig. 5a), drawn from `generator`.
  /// - Throws: `LesionError.notEnoughBlocks` when k exceeds the deletable blocks.
  public static func deletionPlans(
    network: Network, k: Int, samples: Int, generator: inout SeededGenerator
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
    network: Network, swaps: Int, samples: Int, generator: inout SeededGenerator
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
        var r = generator.next(below: pairs)
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

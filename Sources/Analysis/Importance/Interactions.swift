import Engine
import Foundation
import Lesion
import Statistics

/// The interaction of deleting two blocks: how far the pair's damage departs from the sum of the
/// two single deletions.
public struct PairInteraction: Sendable {
  public var first: Int
  public var second: Int
  /// Mean loss and error with both deleted.
  public var pairLoss: Double
  public var pairError: Double
  /// Per image L(a,b) − L(a) − L(b) + L(∅), nats: mean with its Student-t interval (paired over
  /// the same images).
  public var lossInteraction: MeanInterval
  /// e(a,b) − e(a) − e(b) + e(∅), fraction of images (point value).
  public var errorInteraction: Double

  /// True when the 95% interval of the loss interaction contains zero.
  public var isIndistinguishableFromZero: Bool { lossInteraction.lower <= 0 && 0 <= lossInteraction.upper }
}

/// Every pair of deletable blocks, with the single deletions they are compared with.
/// Per-row control of `interactions` for sharded, resumable and merged runs: row r (every pair
/// whose first block is the r-th chosen block) is one configuration; row −1 is the intact network
/// and the single deletions, which every run needs.
public struct InteractionRowHooks {
  /// The results of exactly these plans, in order, when all are stored.
  public var known: (_ plans: [LesionPlan]) throws -> [LesionResult]?
  /// Whether to compute row r when it is not stored (a shard computes only its rows).
  public var computes: (_ row: Int) throws -> Bool
  /// Called with each computed row's results (base first).
  public var finished: (_ results: [LesionResult]) throws -> Void

  public init(
    known: @escaping ([LesionPlan]) throws -> [LesionResult]?, computes: @escaping (Int) throws -> Bool,
    finished: @escaping ([LesionResult]) throws -> Void
  ) {
    self.known = known
    self.computes = computes
    self.finished = finished
  }
}

public struct InteractionMatrix: Sendable {
  public var blocks: [Int]
  public var intact: LesionResult
  /// Per block in `blocks`: the single deletion (per-image vectors kept).
  public var singles: [LesionResult]
  /// Pairs (a < b) in order a, then b.
  public var pairs: [PairInteraction]
}

extension DeletionScorer {
  /// Loss and error with every pair of `blocks` deleted (default: every deletable block); pairs
  /// with the same first block share the activations up to their second block.
  ///
  /// - Complexity: about n³/6 block evaluations per image for n blocks.
  /// - Throws: `ImportanceError.tooFewBlocks` for fewer than two blocks, `.notDeletable`.
  public func interactions(
    blocks chosen: [Int]? = nil, rows hooks: InteractionRowHooks? = nil, progress: ((Int) -> Void)? = nil
  ) throws -> InteractionMatrix {
    let blocks = (chosen ?? deletable).sorted()
    guard blocks.count >= 2 else { throw ImportanceError.tooFewBlocks(what: "interactions", needed: 2, found: blocks.count) }
    /// The intact network and the lesions of `base` extended by each candidate: stored, or
    /// computed (and reported) when row `row` is this run's, else nil.
    func results(base: Set<Int>, candidates: [Int], row: Int) throws -> (base: LesionResult, extended: [LesionResult])? {
      guard let hooks else { return try extensions(of: base, by: candidates) }
      let plans = [LesionPlan(deleted: base)] + candidates.map { LesionPlan(deleted: base.union([$0])) }
      if let known = try hooks.known(plans) { return (known[0], Array(known.dropFirst())) }
      guard try hooks.computes(row) else { return nil }
      let computed = try extensions(of: base, by: candidates)
      try hooks.finished([computed.base] + computed.extended)
      return computed
    }
    guard let (intact, singles) = try results(base: [], candidates: blocks, row: -1) else {
      return InteractionMatrix(blocks: blocks, intact: Self.emptyResult([]), singles: [], pairs: [])
    }
    var pairs: [PairInteraction] = []
    for (i, a) in blocks.enumerated() where i + 1 < blocks.count {
      let seconds = Array(blocks[(i + 1)...])
      guard let (_, withPair) = try results(base: [a], candidates: seconds, row: i) else {
        progress?(seconds.count)
        continue
      }
      for (offset, b) in seconds.enumerated() {
        let j = i + 1 + offset
        let pair = withPair[offset]
        let perImage = (0..<intact.losses.count).map {
          pair.losses[$0] - singles[i].losses[$0] - singles[j].losses[$0] + intact.losses[$0]
        }
        pairs.append(
          PairInteraction(
            first: a, second: b, pairLoss: pair.meanLoss, pairError: pair.error, lossInteraction: MeanInterval(perImage),
            errorInteraction: pair.error - singles[i].error - singles[j].error + intact.error))
      }
      progress?(seconds.count)
    }
    return InteractionMatrix(blocks: blocks, intact: intact, singles: singles, pairs: pairs)
  }
}

extension InteractionMatrix {
  /// A group of pairs and the share whose loss interaction is indistinguishable from zero.
  public struct GroupSummary: Sendable {
    public var group: String
    public var pairs: Int
    public var indistinguishableFromZero: Int
    /// Mean |interaction| / mean |Δ(a) + Δ(b)| over the group's pairs (0 = perfectly additive).
    public var relativeInteraction: Double
    public var share: Double { pairs > 0 ? Double(indistinguishableFromZero) / Double(pairs) : .nan }
  }

  /// Shares by group: all pairs; both blocks in stage s; blocks in different stages; pairs with a
  /// downsampling block; pairs with a block next to (or at) a downsampling block.
  /// - Parameters: stage and downsampling flag of each block number.
  public func summary(stage: (Int) -> Int, isDownsampling: (Int) -> Bool) -> [GroupSummary] {
    let index = Dictionary(uniqueKeysWithValues: blocks.enumerated().map { ($1, $0) })
    func single(_ b: Int) -> Double { singles[index[b]!].meanLoss - intact.meanLoss }
    func group(_ name: String, _ include: (PairInteraction) -> Bool) -> GroupSummary {
      let chosen = pairs.filter(include)
      let interaction = chosen.reduce(0.0) { $0 + abs($1.lossInteraction.mean) }
      let additive = chosen.reduce(0.0) { $0 + abs(single($1.first) + single($1.second)) }
      return GroupSummary(
        group: name, pairs: chosen.count, indistinguishableFromZero: chosen.filter(\.isIndistinguishableFromZero).count,
        relativeInteraction: additive > 0 ? interaction / additive : .nan)
    }
    func nearDownsampling(_ b: Int) -> Bool { isDownsampling(b) || isDownsampling(b + 1) || (b > 1 && isDownsampling(b - 1)) }
    var groups = [group("all", { _ in true })]
    for s in Set(blocks.map(stage)).sorted() {
      groups.append(group("stage \(s)", { stage($0.first) == s && stage($0.second) == s }))
    }
    groups.append(group("different stages", { stage($0.first) != stage($0.second) }))
    groups.append(group("with a downsampling block", { isDownsampling($0.first) || isDownsampling($0.second) }))
    groups.append(group("within one block of downsampling", { nearDownsampling($0.first) || nearDownsampling($0.second) }))
    groups.append(group("away from downsampling", { !nearDownsampling($0.first) && !nearDownsampling($0.second) }))
    return groups
  }
}

import Foundation
import Lesion

/// Blocks removed one at a time, and the network's loss and error after each removal.
public struct PruningCurve: Sendable {
  /// How the order was chosen ("greedy", or the static measure's name).
  public var method: String
  /// The removal order (block numbers).
  public var order: [Int]
  /// Element k: the network with the first k blocks of `order` removed (k = 0 is intact):
  /// error and mean loss on the calibration selection.
  public var errors: [Double]
  public var meanLosses: [Double]
}

extension DeletionScorer {
  /// Greedy pruning (BlockPruner-style): each step removes the block whose removal gives the
  /// lowest mean loss given the blocks already removed, re-measured after every removal; ties go to
  /// the lower block number.
  ///
  /// - Parameter steps: removals to make (default: every deletable block).
  /// - Complexity: per step, one forward of the current network plus, per remaining candidate at
  ///   position p, the blocks after p.
  public func greedyPruning(steps: Int? = nil, progress: ((Int) -> Void)? = nil) throws -> PruningCurve {
    var removed: [Int] = []
    var remaining = deletable
    var errors: [Double] = []
    var losses: [Double] = []
    let total = min(steps ?? deletable.count, deletable.count)
    while removed.count < total {
      let (base, extended) = try extensions(of: Set(removed), by: remaining)
      if errors.isEmpty {
        errors.append(base.error)
        losses.append(base.meanLoss)
      }
      var best = 0
      for i in extended.indices where extended[i].meanLoss < extended[best].meanLoss { best = i }
      removed.append(remaining[best])
      errors.append(extended[best].error)
      losses.append(extended[best].meanLoss)
      remaining.remove(at: best)
      progress?(1)
    }
    if errors.isEmpty {
      let intact = try evaluate([[]])[0]
      errors = [intact.error]
      losses = [intact.meanLoss]
    }
    return PruningCurve(method: "greedy", order: removed, errors: errors, meanLosses: losses)
  }

  /// Pruning in a fixed order: the curve of removing `order`'s blocks cumulatively (one
  /// incremental pass, `chain(_:)`).
  public func pruning(order: [Int], method: String) throws -> PruningCurve {
    let results = try chain(order)
    return PruningCurve(method: method, order: order, errors: results.map(\.error), meanLosses: results.map(\.meanLoss))
  }

  /// The order that removes the blocks with the smallest `scores` first (ties: lower block
  /// number first); `scores[i]` belongs to `blocks[i]`.
  public static func ascendingOrder(blocks: [Int], scores: [Double]) -> [Int] {
    zip(blocks, scores).sorted { ($0.1, $0.0) < ($1.1, $1.0) }.map(\.0)
  }
}

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

  public init(method: String, order: [Int], errors: [Double], meanLosses: [Double]) {
    self.method = method
    self.order = order
    self.errors = errors
    self.meanLosses = meanLosses
  }
}

extension DeletionScorer {
  /// Greedy pruning (BlockPruner-style): each step removes the block whose removal gives the
  /// lowest mean loss given the blocks already removed, re-measured after every removal; ties go to
  /// the lower block number.
  ///
  /// Each step is sequential (it needs the previous step's choice), so the curve cannot be split;
  /// `memo` lets a caller resume it: it is called with a key (`greedy step t`, or `greedy intact`
  /// when no step is made), the number of values the computation returns, and the computation,
  /// and returns stored values or computes them.
  /// - Parameter steps: removals to make (default: every deletable block).
  /// - Complexity: per step, one forward of the current network plus, per remaining candidate at
  ///   position p, the blocks after p.
  public func greedyPruning(
    steps: Int? = nil, progress: ((Int) -> Void)? = nil,
    memo: (String, Int, () throws -> [Double]) throws -> [Double] = { try $2() }
  ) throws -> PruningCurve {
    var removed: [Int] = []
    var remaining = deletable
    var errors: [Double] = []
    var losses: [Double] = []
    let total = min(steps ?? deletable.count, deletable.count)
    while removed.count < total {
      // [removed block, its error, its mean loss, error and mean loss before the step]
      let step = try memo("greedy step \(removed.count)", 5) {
        let (base, extended) = try extensions(of: Set(removed), by: remaining)
        var best = 0
        for i in extended.indices where extended[i].meanLoss < extended[best].meanLoss { best = i }
        return [Double(remaining[best]), extended[best].error, extended[best].meanLoss, base.error, base.meanLoss]
      }
      guard step.count == 5, let best = remaining.firstIndex(where: { Double($0) == step[0] }) else {
        throw ImportanceError.notDeletable(block: Int(exactly: step.first ?? -1) ?? -1, blockCount: blockCount)
      }
      if errors.isEmpty {
        errors.append(step[3])
        losses.append(step[4])
      }
      removed.append(remaining[best])
      errors.append(step[1])
      losses.append(step[2])
      remaining.remove(at: best)
      progress?(1)
    }
    if errors.isEmpty {
      let intact = try memo("greedy intact", 2) {
        let intact = try evaluate([[]])[0]
        return [intact.error, intact.meanLoss]
      }
      errors = [intact[0]]
      losses = [intact[1]]
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

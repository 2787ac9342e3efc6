import Engine
import Lesion
import Report
import Statistics

/// Running blocks in another order (Veit et al. 2016, Fig. 5b): random swaps of shape-compatible
/// blocks, or one given order.
///
/// Draw j of s swaps starts from the original order and uses its own stream keyed by
/// (seed, reordering, s, j); see `DrawKey`.
public struct Reordering: Sendable {
  /// What to evaluate.
  public enum Orders: Sendable, Equatable {
    /// For each swap count, random orders made by that many swaps.
    case randomSwaps(counts: [Int], draws: DrawCount, seed: Int)
    /// One explicit permutation of every block.
    case given([Int])
  }

  public var orders: Orders
  /// The option the orders came from, for error messages.
  public var option: String

  public init(_ orders: Orders, option: String) {
    self.orders = orders
    self.option = option
  }

  /// Runs the experiment.
  /// - Throws: `StudyError.impossibleOrder` for an order that is not a permutation or breaks
  ///   shapes, `.nothingToSwap` when no two blocks share a shape.
  public func run(on study: Study) throws -> ReorderingResult {
    let network = study.network
    switch orders {
    case .given(let order):
      let plan = LesionPlan(order: order)
      do {
        _ = try network.applying(plan)
      } catch let error as EngineError {
        throw StudyError.impossibleOrder(option: option, reason: "\(error)")
      }
      let (intact, lesions) = try study.evaluate(study.owned([plan]), task: "reordering")
      let point = DrawPoint(point: -1, draws: lesions.map { LesionComparison($0, intact: intact) }, reachedPrecision: nil)
      return ReorderingResult(orders: orders, intact: LesionComparison(intact, intact), points: [point], blockCount: network.blockCount)
    case .randomSwaps(let counts, let draws, let seed):
      let positive = counts.filter { $0 > 0 }
      if !positive.isEmpty && RandomLesions.swappableGroups(of: network).isEmpty {
        throw StudyError.nothingToSwap(option: option)
      }
      let (intact, points) = try drawUntilPrecise(
        points: positive, count: draws, study: study, task: "reorderings"
      ) { swaps, draw in
        var generator = DrawKey.generator(seed: seed, experiment: DrawKey.reordering, point: swaps, draw: draw)
        return try RandomLesions.reorderingPlans(network: network, swaps: swaps, samples: 1, generator: &generator)[0]
      }
      return ReorderingResult(orders: orders, intact: intact, points: points, blockCount: network.blockCount)
    }
  }
}

/// Every order evaluated, grouped by swap count.
public struct ReorderingResult: Sendable {
  public var orders: Reordering.Orders
  public var intact: LesionComparison
  /// One point per swap count (`point` −1 for a given order).
  public var points: [DrawPoint]
  public var blockCount: Int

  /// Kendall τ of a lesion's order against the original order.
  public static func tau(_ comparison: LesionComparison, blockCount: Int) -> Double {
    kendallTau(comparison.result.plan.order ?? Array(1...max(1, blockCount)))
  }

  /// Mean Kendall τ of a point's orders.
  public func meanTau(_ point: DrawPoint) -> Double {
    Summary(point.draws.map { Self.tau($0, blockCount: blockCount) }).mean
  }

  /// Per swap count: mean Kendall τ and the mean error with its 95% interval over draws.
  public var table: ResultTable {
    var table = ResultTable(
      columns: [.init("swaps", .integer), .init("kendall_tau_mean", .fixed(4))] + DrawPoint.summaryColumns)
    table.addRow([.integer(0), .number(1), .integer(0), .number(intact.error)])
    for point in points {
      let tau = meanTau(point)
      table.addRow([.integer(point.point), .number(tau)] + point.summaryCells(intactError: intact.error))
    }
    if case .randomSwaps(_, let draws, let seed) = orders {
      table.notes = [
        "swaps = 0 is the intact order (error \(NumberFormat.fixed(intact.error, decimals: 4))); \(draws.description); seed \(seed), draws keyed by (seed, swaps, draw)",
        "mean: over draws, 95% Student-t interval; half_width: of that interval",
      ]
    }
    return table
  }

  /// Every order: swaps (−1 for a given order), draw, Kendall τ, the order, and paired statistics.
  public var ordersTable: ResultTable {
    var table = ResultTable(
      columns: [.init("swaps", .integer), .init("draw", .integer), .init("kendall_tau", .fixed(4)), .init("order", .text)]
        + LesionComparison.columns)
    table.addRow(
      [.integer(0), .integer(0), .number(1), .integers(Array(1...max(1, blockCount)))] + intact.cells)
    for point in points {
      for (index, draw) in point.draws.enumerated() {
        table.addRow(
          [.integer(point.point), .integer(index), .number(Self.tau(draw, blockCount: blockCount)),
           .integers(draw.result.plan.order ?? [])] + draw.cells)
      }
    }
    table.notes = [LesionComparison.methodNote]
    return table
  }
}

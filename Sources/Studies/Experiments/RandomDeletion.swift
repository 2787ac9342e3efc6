import Engine
import Lesion
import Report
import Statistics

/// k blocks chosen at random and deleted, for each k (Veit et al. 2016, Fig. 5a).
///
/// Draw j of k uses its own stream keyed by (seed, deletion, k, j); see `DrawKey`.
public struct RandomDeletion: Sendable {
  /// Numbers of deleted blocks (0 is the intact network and is not drawn).
  public var counts: [Int]
  public var draws: DrawCount
  public var seed: Int
  /// The option the counts came from, for error messages.
  public var option: String

  public init(counts: [Int], draws: DrawCount, seed: Int, option: String = "--deleted") {
    self.counts = counts
    self.draws = draws
    self.seed = seed
    self.option = option
  }

  /// The block set of draw `draw` at k on `network` (the same for every model whose deletable
  /// blocks are the same).
  public func blockSet(network: Network, k: Int, draw: Int) throws -> Set<Int> {
    var generator = DrawKey.generator(seed: seed, experiment: DrawKey.deletion, point: k, draw: draw)
    return try RandomLesions.deletionPlans(network: network, k: k, samples: 1, generator: &generator)[0].deleted
  }

  /// Checks every k against the network's deletable blocks.
  /// - Throws: `StudyError.tooManyDeletions`.
  public func check(_ network: Network) throws {
    let deletable = RandomLesions.deletableBlocks(of: network).count
    if let k = counts.first(where: { $0 > deletable || $0 < 0 }) {
      throw StudyError.tooManyDeletions(option: option, k: k, deletable: deletable)
    }
  }

  /// Runs the draws.
  /// - Throws: `StudyError.tooManyDeletions` for a k above the deletable blocks.
  public func run(on study: Study) throws -> RandomDeletionResult {
    try run(on: [study])[0]
  }

  /// Runs the same draws on every study (common random numbers): draw j at k deletes the same
  /// blocks in each network whose deletable blocks agree. With two studies the draw rule watches
  /// both models and their paired difference (see `drawUntilPrecise`).
  /// - Throws: `StudyError.tooManyDeletions` for a k above a network's deletable blocks.
  func run(on studies: [Study]) throws -> [RandomDeletionResult] {
    for study in studies { try check(study.network) }
    let ks = counts.filter { $0 > 0 }
    let results = try drawUntilPrecise(points: ks, count: draws, studies: studies, task: "random deletions") { index, k, draw in
      LesionPlan(deleted: try blockSet(network: studies[index].network, k: k, draw: draw))
    }
    return results.map { RandomDeletionResult(experiment: self, intact: $0.intact, points: $0.points) }
  }
}

/// Each k's draws with the mean error and its 95% interval over draws.
public struct RandomDeletionResult: Sendable {
  public var experiment: RandomDeletion
  public var intact: LesionComparison
  /// One point per k > 0, in the order asked.
  public var points: [DrawPoint]

  /// k = 0 (the intact network, not drawn) then one row per k: mean, interval, half-width reached.
  public var table: ResultTable {
    var table = ResultTable(columns: [.init("deleted_blocks_k", .integer)] + DrawPoint.summaryColumns)
    if !experiment.counts.isEmpty {
      table.addRow([.integer(0), .integer(0), .number(intact.error)])
    }
    for point in points { table.addRow([.integer(point.point)] + point.summaryCells(intactError: intact.error)) }
    table.notes = [
      "k = 0 is the intact network (error \(NumberFormat.fixed(intact.error, decimals: 4)), no draws); \(experiment.draws.description); seed \(experiment.seed), draws keyed by (seed, k, draw)",
      "mean: over draws, 95% Student-t interval; half_width: of that interval",
    ]
    return table
  }

  /// Every draw: its k, index and deleted blocks, with paired statistics against the intact network.
  public var drawsTable: ResultTable {
    var table = ResultTable(
      columns: [.init("deleted_blocks_k", .integer), .init("draw", .integer), .init("deleted_blocks", .text)]
        + LesionComparison.columns)
    for point in points {
      for (index, draw) in point.draws.enumerated() {
        table.addRow([.integer(point.point), .integer(index), .integers(draw.deletedBlocks)] + draw.cells)
      }
    }
    table.notes = [LesionComparison.methodNote]
    return table
  }
}

/// Two models under the same random deletions (common random numbers): per k, the mean of the
/// per-draw differences in error with its 95% t interval (Veit et al. 2016, Fig. 8).
public struct RandomDeletionComparison: Sendable {
  public var first: RandomDeletionResult
  public var second: RandomDeletionResult
  /// Column prefixes naming the two models (`standard`, `stochastic_depth`).
  public var labels: (first: String, second: String)

  /// Pairs two results of the same experiment, made together by `run`.
  public init(first: RandomDeletionResult, second: RandomDeletionResult, labels: (String, String)) {
    self.first = first
    self.second = second
    self.labels = labels
  }

  /// Runs `experiment` on both studies with the same block sets; with `--samples auto` a k gets
  /// more draws until both models' mean errors and their paired difference are precise enough.
  public static func run(_ experiment: RandomDeletion, first: Study, second: Study, labels: (String, String)) throws
    -> RandomDeletionComparison
  {
    let results = try experiment.run(on: [first, second])
    return RandomDeletionComparison(first: results[0], second: results[1], labels: labels)
  }

  /// Per k: whether the block sets were identical draw by draw, and the paired difference.
  public var table: ResultTable {
    var table = ResultTable(columns: [
      .init("deleted_blocks_k", .integer), .init("draws", .integer), .init("same_block_sets", .text),
      .init("\(labels.first)_error_mean_fraction", .fraction), .init("\(labels.second)_error_mean_fraction", .fraction),
      .init("difference_mean_fraction", .fraction), .init("difference_low95_fraction", .fraction),
      .init("difference_high95_fraction", .fraction),
    ])
    for (a, b) in zip(first.points, second.points) {
      let same = zip(a.draws, b.draws).allSatisfy { $0.deletedBlocks == $1.deletedBlocks }
      let difference = MeanInterval(zip(a.draws, b.draws).map { $1.error - $0.error })
      table.addRow([
        .integer(a.point), .integer(min(a.draws.count, b.draws.count)), .text(same ? "yes" : "no"),
        .number(a.errorMean.mean), .number(b.errorMean.mean), .number(difference.mean), .number(difference.lower),
        .number(difference.upper),
      ])
    }
    table.notes = [
      "difference: \(labels.second) − \(labels.first), mean over draws that delete the same blocks in both (common random numbers), 95% Student-t interval"
    ]
    return table
  }
}

import Basics
import Engine
import Foundation
import Importance
import Lesion
import Report
import Statistics

extension Study {
  /// The deletion scorer over the study's images.
  func deletionScorer() throws -> DeletionScorer {
    try DeletionScorer(network: network, dataset: dataset, mean: mean, std: std, batchSize: batchSize)
  }

  /// Checks a user's block list for the importance experiments (range, repeats, deletable).
  func checkImportanceBlocks(_ blocks: [Int]?, option: String) throws {
    if let blocks { try checkDeletable(blocks, option: option) }
  }

  /// The values of measure `key` (`count` numbers): from the evaluation store when it holds
  /// them, else computed and recorded (journaled); in a replay a missing measure is an error.
  /// - Throws: `ShardingError.missingEvaluation` when a replay lacks it or stored values have
  ///   another length; what `compute` throws.
  func memo(_ key: String, count: Int, _ compute: () throws -> [Double]) throws -> [Double] {
    guard let store = evaluations else { return try compute() }
    if let stored = store.measure(key) {
      guard stored.count == count else { throw ShardingError.missingEvaluation(plan: "measure '\(key)' with \(count) values") }
      return stored
    }
    if store.mode == .replay { throw ShardingError.missingEvaluation(plan: "measure '\(key)'") }
    let values = try compute()
    try store.recordMeasure(key, values: values)
    return values
  }

  /// The intact network and the single deletion of each block in `blocks`: stored results
  /// where the store holds them; of the rest, this process computes the blocks `owns(i)` says
  /// (i: index into `blocks`), in chunks that are journaled as they finish. Returns nil for the
  /// intact result or a block that is neither stored nor computed here.
  /// - Throws: `ShardingError.missingEvaluation` when a replay lacks a result.
  func singleDeletions(
    _ scorer: DeletionScorer, blocks: [Int], owns: (Int) -> Bool, progress: @escaping (Int) -> Void
  ) throws -> (intact: LesionResult?, singles: [LesionResult?]) {
    guard let store = evaluations else {
      let (intact, singles) = try scorer.extensions(of: [], by: blocks, progress: progress)
      return (intact, singles)
    }
    let plan = { (block: Int) in LesionPlan(deleted: [block]) }
    let missing = blocks.indices.filter { store.result(for: plan(blocks[$0])) == nil && owns($0) }.map { blocks[$0] }
    if store.mode == .replay {
      if let first = missing.first { throw ShardingError.missingEvaluation(plan: plan(first).description) }
      if store.result(for: .intact) == nil { throw ShardingError.missingEvaluation(plan: LesionPlan.intact.description) }
    }
    let step = store.journal == nil ? max(1, missing.count) : max(1, store.chunkSize)
    var start = 0
    while start < missing.count || (start == 0 && shard == nil && store.result(for: .intact) == nil) {
      let chunk = Array(missing[start..<min(missing.count, start + step)])
      let (intact, singles) = try scorer.extensions(of: [], by: chunk, progress: progress)
      try store.record(intact)
      for single in singles { try store.record(single) }
      start += step
    }
    return (store.result(for: .intact), blocks.map { store.result(for: plan($0)) })
  }
}

/// The configurations of `rank` and `prune` in their unsharded order (shard I of N computes
/// positions p with p mod N = I): `rank` has the gradient pass (Block Influence and first-order
/// estimates of every block), then one single deletion per deletable block, then one Shapley
/// permutation each; `prune` has the greedy curve (sequential: one configuration), then the
/// three static-order curves, then the random orders. A `prune` shard that owns a static-order
/// curve computes the static measures it is ordered by itself.
enum ImportanceConfigurations {
  static let gradientPass = "gradient measures"
  static func shapley(_ k: Int) -> String { "shapley permutation \(k)" }
  static func curve(_ method: String) -> String { "pruning curve \(method)" }
}

extension Study {
  /// Every deletable block's static measures, or nil when this process computes only some of
  /// their configurations (a shard). `position(i)` is the configuration position of block
  /// index i's single deletion; `gradientPosition` that of the gradient pass.
  func staticMeasures(
    _ scorer: DeletionScorer, gradientPosition: Int, position: (Int) -> Int, progress: @escaping (Int) -> Void
  ) throws -> (intact: LesionResult, measures: [BlockImportance])? {
    let blocks = scorer.deletable
    let (intact, singles) = try singleDeletions(scorer, blocks: blocks, owns: { owns(position($0)) }, progress: progress)
    var gradient: [Double]?
    if owns(gradientPosition) {
      gradient = try memo(ImportanceConfigurations.gradientPass, count: 2 * blocks.count) {
        let (influence, firstOrder) = try scorer.gradientMeasures()
        return influence + firstOrder
      }
    }
    guard let intact, let gradient else { return nil }
    let complete = singles.compactMap { $0 }
    guard complete.count == blocks.count else { return nil }
    return (
      intact,
      DeletionScorer.importances(
        blocks: blocks, intact: intact, singles: complete, blockInfluence: Array(gradient[0..<blocks.count]),
        firstOrder: Array(gradient[blocks.count...]))
    )
  }
}

/// An experiment made of configurations (`ImportanceConfigurations`) that the processes of a
/// sharded run measure apart: `compute` measures this process's share into the study's evaluation
/// store and assembles the result once every configuration is stored.
public protocol ConfigurationExperiment {
  associatedtype Result
  /// The command the experiment backs (`rank`), named when a configuration is missing.
  static var command: String { get }
  /// The result, or nil when some configuration is neither stored nor this process's.
  func compute(on study: Study) throws -> Result?
}

extension ConfigurationExperiment {
  /// Runs the experiment to its result.
  /// - Throws: `ShardingError.missingEvaluation` when a configuration is neither stored nor this
  ///   process's (a merge lacking a part).
  public func run(on study: Study) throws -> Result {
    guard let result = try compute(on: study) else {
      throw ShardingError.missingEvaluation(plan: "a \(Self.command) configuration")
    }
    return result
  }

  /// Computes this process's configurations into the study's evaluation store, without
  /// assembling the result (what a shard does).
  public func measure(on study: Study) throws { _ = try compute(on: study) }
}

/// Per block: lesion change in loss and error (paired), Block Influence, first-order estimate and
/// Shapley value, with the Spearman correlations between the measures (`resnet-lesion rank`).
public struct BlockRanking: ConfigurationExperiment, Sendable {
  /// Shapley permutations (0 skips the Shapley values).
  public var permutations: Int
  public var seed: UInt64

  public init(permutations: Int, seed: UInt64) {
    self.permutations = permutations
    self.seed = seed
  }

  public static let command = "rank"

  public func compute(on study: Study) throws -> BlockRankingResult? {
    let scorer = try study.deletionScorer()
    if permutations > 0 { try DeletionScorer.checkShapley(blocks: scorer.deletable, permutations: permutations) }
    let n = scorer.deletable.count
    let handle = study.progress.begin("single deletions and gradients", scorer.count, "images")
    let statics = try study.staticMeasures(scorer, gradientPosition: 0, position: { 1 + $0 }) { handle.advance($0) }
    handle.finish()
    var shapley: ShapleyValues?
    var complete = statics != nil
    if permutations > 0 {
      let h = study.progress.begin("Shapley permutations", permutations, "permutations")
      var losses: [[Double]] = []
      for k in 0..<permutations where study.owns(1 + n + k) {
        let order = DeletionScorer.shapleyOrder(blocks: scorer.deletable, seed: seed, permutation: k)
        losses.append(try study.memo(ImportanceConfigurations.shapley(k), count: n + 1) { try scorer.shapleyChainLosses(order) })
        h.advance(1)
      }
      h.finish()
      complete = complete && losses.count == permutations
      if complete { shapley = DeletionScorer.shapleyValues(blocks: scorer.deletable, seed: seed, chainLosses: losses) }
    }
    guard complete, let (intact, measures) = statics else { return nil }
    return BlockRankingResult(
      blocks: study.network.blocks.map(SingleDeletionResult.Block.init), intact: intact, measures: measures,
      shapley: shapley, seed: seed)
  }
}

/// The result of `BlockRanking`.
public struct BlockRankingResult: Sendable {
  public var blocks: [SingleDeletionResult.Block]
  public var intact: LesionResult
  public var measures: [BlockImportance]
  public var shapley: ShapleyValues?
  public var seed: UInt64

  /// Each measure by name, one value per measured block (same order as `measures`).
  public var measureColumns: [(name: String, values: [Double])] {
    var columns: [(String, [Double])] = [
      ("loss_change", measures.map(\.lossChange.mean)),
      ("error_change", measures.map(\.errorChange.errorChange)),
      ("block_influence", measures.map(\.blockInfluence)),
      ("first_order", measures.map(\.firstOrderLossChange)),
    ]
    if let shapley { columns.append(("shapley", shapley.values.map(\.mean))) }
    return columns
  }

  /// Spearman correlation of every pair of measures across blocks.
  public var correlations: [(a: String, b: String, rho: Double)] {
    let columns = measureColumns
    var result: [(String, String, Double)] = []
    for i in columns.indices {
      for j in columns.indices where j > i {
        result.append((columns[i].name, columns[j].name, spearmanCorrelation(columns[i].values, columns[j].values)))
      }
    }
    return result
  }

  public var table: ResultTable {
    var table = ResultTable(columns: [
      .init("block", .integer), .init("name", .text), .init("stage", .integer), .init("downsampling", .integer),
      .init("error_fraction", .fraction), .init("error_change_fraction", .fraction),
      .init("error_change_low95_fraction", .fraction), .init("error_change_high95_fraction", .fraction),
      .init("mcnemar_p", .significant(3)), .init("loss_change_nats", .fixed(4)),
      .init("loss_change_low95_nats", .fixed(4)), .init("loss_change_high95_nats", .fixed(4)),
      .init("block_influence", .fixed(4)), .init("first_order_loss_change_nats", .fixed(4)),
      .init("shapley_loss_nats", .fixed(4)), .init("shapley_se_nats", .fixed(4)),
    ])
    for (i, m) in measures.enumerated() {
      let b = blocks[m.block - 1]
      let s = shapley?.values[i]
      table.addRow([
        .integer(b.number), .text(b.name), .integer(b.stage), .integer(b.isDownsampling ? 1 : 0),
        .number(m.errorChange.treatmentError), .number(m.errorChange.errorChange), .number(m.errorChange.lower),
        .number(m.errorChange.upper), .number(m.errorChange.mcNemarExactP), .number(m.lossChange.mean),
        .number(m.lossChange.lower), .number(m.lossChange.upper), .number(m.blockInfluence),
        .number(m.firstOrderLossChange), s.map { .number($0.mean) } ?? .missing,
        s.map { .number($0.standardError) } ?? .missing,
      ])
    }
    table.notes = [
      "intact: error \(NumberFormat.fixed(intact.error, decimals: 4)), mean loss \(NumberFormat.fixed(intact.meanLoss, decimals: 4)) nats on \(intact.count) calibration images",
      "error change: deleted − intact on the same images, 95% Newcombe paired interval, exact McNemar p; loss change: mean per-image difference, 95% t interval",
      "block influence: 1 − mean cosine similarity of the block's output with and without its branch, per image and position (ShortGPT)",
      "first order: ⟨∂loss/∂output, output without branch − output⟩, mean over images",
    ]
    if let shapley {
      table.notes.append(
        "Shapley: mean marginal loss change over \(shapley.permutations) random deletion orders (seed \(seed)), standard error over orders; sum \(NumberFormat.fixed(shapley.values.reduce(0) { $0 + $1.mean }, decimals: 4)) = all deleted − intact \(NumberFormat.fixed(shapley.allDeletedLoss - shapley.intactLoss, decimals: 4))")
    }
    for (name, values) in measureColumns where Set(values).count > 1 {
      let top = DeletionScorer.ascendingOrder(blocks: measures.map(\.block), scores: values.map { -$0 }).prefix(3)
      table.notes.append("highest \(name): blocks \(top.map(String.init).joined(separator: ", "))")
    }
    table.notes.append(
      "Spearman correlations across blocks: "
        + correlations.map { "\($0.a)~\($0.b) \(NumberFormat.fixed($0.rho, decimals: 3))" }.joined(separator: "; "))
    return table
  }
}

/// Blocks removed one at a time: greedily (the least harmful removal, re-measured each step) and in
/// the order of each static measure, plus random orders (`resnet-lesion prune`).
public struct BlockPruning: ConfigurationExperiment, Sendable {
  /// Greedy steps (nil: all).
  public var steps: Int?
  /// Random orders averaged for the random curve.
  public var randomOrders: Int
  public var seed: UInt64

  public init(steps: Int?, randomOrders: Int, seed: UInt64) {
    self.steps = steps
    self.randomOrders = randomOrders
    self.seed = seed
  }

  public static let command = "prune"

  static let staticMethods = ["loss_change", "block_influence", "first_order"]

  public func compute(on study: Study) throws -> BlockPruningResult? {
    let scorer = try study.deletionScorer()
    let blocks = scorer.deletable
    let n = blocks.count
    // Positions: 0 greedy, 1–3 static orders, 4… random orders.
    var curves: [PruningCurve?] = []
    var statics: (intact: LesionResult, measures: [BlockImportance])?
    if Self.staticMethods.indices.contains(where: { study.owns(1 + $0) }) {
      // Every process that draws a static-order curve measures the blocks itself (all of them).
      let handle = study.progress.begin("static measures", scorer.count, "images")
      var whole = study
      whole.shard = nil
      statics = try whole.staticMeasures(scorer, gradientPosition: 0, position: { 1 + $0 }) { handle.advance($0) }
      handle.finish()
    }
    if study.owns(0) {
      let g = study.progress.begin("greedy pruning", steps ?? n, "removals")
      curves.append(try scorer.greedyPruning(steps: steps, progress: { g.advance($0) }, memo: study.memo))
      g.finish()
    } else {
      curves.append(nil)
    }
    func curve(_ position: Int, order: [Int], method: String) throws -> PruningCurve? {
      guard study.owns(position) else { return nil }
      let values = try study.memo(ImportanceConfigurations.curve(method), count: 2 * (order.count + 1)) {
        let curve = try scorer.pruning(order: order, method: method)
        return curve.errors + curve.meanLosses
      }
      return PruningCurve(
        method: method, order: order, errors: Array(values[0...order.count]), meanLosses: Array(values[(order.count + 1)...]))
    }
    if let measures = statics?.measures {
      for (i, scores) in [
        measures.map(\.lossChange.mean), measures.map(\.blockInfluence), measures.map(\.firstOrderLossChange),
      ].enumerated() {
        let method = Self.staticMethods[i]
        curves.append(try curve(1 + i, order: DeletionScorer.ascendingOrder(blocks: blocks, scores: scores), method: method))
      }
    } else {
      curves += [nil, nil, nil]
    }
    for r in 0..<randomOrders {
      var generator = SplitMix64(seed: seed, keys: [0x5052_554E_4500, UInt64(r)])  // "PRUNE"
      let order = generator.permutation(n).map { blocks[$0] }
      curves.append(try curve(4 + r, order: order, method: "random \(r + 1)"))
    }
    let complete = curves.compactMap { $0 }
    guard complete.count == curves.count else { return nil }
    return BlockPruningResult(curves: complete, randomOrders: randomOrders, seed: seed)
  }
}

/// The result of `BlockPruning`: one curve per method (long format: one row per removal).
public struct BlockPruningResult: Sendable {
  public var curves: [PruningCurve]
  public var randomOrders: Int
  public var seed: UInt64

  public var table: ResultTable {
    var table = ResultTable(columns: [
      .init("method", .text), .init("removed", .integer), .init("block_removed", .integer),
      .init("error_fraction", .fraction), .init("mean_loss_nats", .fixed(4)),
    ])
    for curve in curves {
      for k in curve.errors.indices {
        table.addRow([
          .text(curve.method), .integer(k), k > 0 ? .integer(curve.order[k - 1]) : .missing, .number(curve.errors[k]),
          .number(curve.meanLosses[k]),
        ])
      }
    }
    table.notes = [
      "greedy: each step removes the block whose removal gives the lowest mean loss on the calibration images; static orders remove the smallest measure first; random orders keyed by seed \(seed)"
    ]
    for curve in curves where !curve.method.hasPrefix("random") {
      if let first = curve.errors.firstIndex(where: { $0 > curve.errors[0] + 0.01 }) {
        table.notes.append("\(curve.method): \(first - 1) blocks removed before the error exceeds intact + 1 point")
      } else {
        table.notes.append("\(curve.method): error within intact + 1 point for all \(curve.errors.count - 1) removals")
      }
    }
    return table
  }
}

/// Loss and error with every pair of blocks deleted, and the interaction
/// Δ(a,b) − Δ(a) − Δ(b) with its paired interval (`resnet-lesion interactions`).
public struct BlockInteractions: Sendable {
  /// Blocks to pair (nil: every deletable block).
  public var blocks: [Int]?

  public init(blocks: [Int]?) { self.blocks = blocks }

  public func run(on study: Study) throws -> BlockInteractionsResult {
    let matrix = try measure(on: study)
    let network = study.network
    let summary = matrix.summary(
      stage: { network.blocks[$0 - 1].stage },
      isDownsampling: { $0 >= 1 && $0 <= network.blocks.count && network.blocks[$0 - 1].isDownsampling })
    return BlockInteractionsResult(
      blocks: network.blocks.map(SingleDeletionResult.Block.init), matrix: matrix, summary: summary)
  }

  /// The pair measurements alone (what a shard computes). With an evaluation store, stored rows
  /// are read instead of computed; row r (every pair whose first block is the r-th) is one
  /// configuration of a sharded run, and the single deletions are computed by every shard.
  /// - Throws: `StudyError`/`ImportanceError` for unusable blocks; `ShardingError.missingEvaluation`
  ///   when a merge lacks a row.
  public func measure(on study: Study) throws -> InteractionMatrix {
    try study.checkImportanceBlocks(blocks, option: "--blocks")
    let scorer = try study.deletionScorer()
    let n = blocks?.count ?? scorer.deletable.count
    let handle = study.progress.begin("block pairs", n * (n - 1) / 2, "pairs")
    defer { handle.finish() }
    let hooks = study.evaluations.map { store in
      InteractionRowHooks(
        known: { plans in
          let stored = plans.compactMap(store.result(for:))
          return stored.count == plans.count ? stored : nil
        },
        computes: { row in
          if store.mode == .replay { throw ShardingError.missingEvaluation(plan: "interaction row \(row)") }
          return row < 0 || study.owns(row)
        },
        finished: { results in for result in results { try store.record(result) } })
    }
    return try scorer.interactions(blocks: blocks, rows: hooks) { handle.advance($0) }
  }
}

/// The result of `BlockInteractions`.
public struct BlockInteractionsResult: Sendable {
  public var blocks: [SingleDeletionResult.Block]
  public var matrix: InteractionMatrix
  public var summary: [InteractionMatrix.GroupSummary]

  /// The loss interactions as a symmetric blocks × blocks heatmap (the diagonal empty), a dot
  /// on each pair whose 95% interval excludes zero; downsampling blocks are labelled `19↓`.
  public var heatmap: SVGHeatmap {
    let index = Dictionary(uniqueKeysWithValues: matrix.blocks.enumerated().map { ($1, $0) })
    let n = matrix.blocks.count
    var values = [[Double]](repeating: [Double](repeating: .nan, count: n), count: n)
    var marked = [[Bool]](repeating: [Bool](repeating: false, count: n), count: n)
    for p in matrix.pairs {
      guard let a = index[p.first], let b = index[p.second] else { continue }
      values[a][b] = p.lossInteraction.mean
      values[b][a] = p.lossInteraction.mean
      marked[a][b] = !p.isIndistinguishableFromZero
      marked[b][a] = marked[a][b]
    }
    let labels = matrix.blocks.map { block in
      block >= 1 && block <= blocks.count && blocks[block - 1].isDownsampling ? "\(block)↓" : "\(block)"
    }
    var map = SVGHeatmap(
      title: "Pairwise block interactions (\(matrix.intact.count) images)", rowLabels: labels,
      columnLabels: labels, values: values)
    map.marked = marked
    map.rowTitle = "block deleted"
    map.columnTitle = "block deleted with it"
    map.scaleLabel = "L(a,b) − L(a) − L(b) + L(intact) (nats)"
    map.markLabel = "95% interval excludes 0"
    return map
  }

  public var table: ResultTable {
    var table = ResultTable(columns: [
      .init("first", .integer), .init("second", .integer), .init("first_stage", .integer),
      .init("second_stage", .integer), .init("pair_error_fraction", .fraction), .init("pair_mean_loss_nats", .fixed(4)),
      .init("loss_interaction_nats", .fixed(4)), .init("loss_interaction_low95_nats", .fixed(4)),
      .init("loss_interaction_high95_nats", .fixed(4)), .init("error_interaction_fraction", .fraction),
      .init("interval_contains_zero", .integer),
    ])
    for p in matrix.pairs {
      table.addRow([
        .integer(p.first), .integer(p.second), .integer(blocks[p.first - 1].stage), .integer(blocks[p.second - 1].stage),
        .number(p.pairError), .number(p.pairLoss), .number(p.lossInteraction.mean), .number(p.lossInteraction.lower),
        .number(p.lossInteraction.upper), .number(p.errorInteraction), .integer(p.isIndistinguishableFromZero ? 1 : 0),
      ])
    }
    table.notes = [
      "interaction: per image L(a,b) − L(a) − L(b) + L(intact), mean with 95% t interval over the \(matrix.intact.count) calibration images; error interaction: the same with error rates",
      "relative interaction: mean |interaction| / mean |Δ(a) + Δ(b)|",
    ]
    for g in summary {
      table.notes.append(
        "\(g.group): \(g.indistinguishableFromZero) of \(g.pairs) pairs (\(NumberFormat.fixed(100 * g.share, decimals: 1))%) indistinguishable from zero, relative interaction \(NumberFormat.fixed(g.relativeInteraction, decimals: 3))")
    }
    return table
  }
}

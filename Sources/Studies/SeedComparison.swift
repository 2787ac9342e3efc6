import Basics
import Foundation
import Lesion
import Report
import Statistics

/// One trained model of a kind (e.g. the stochastic-depth ResNet-110 of training seed 2), as a
/// study on the images every model of a comparison sees.
public struct SeededStudy {
  /// The training seed (`train --seed`).
  public var seed: Int
  /// The model on the comparison's images.
  public var study: Study

  public init(seed: Int, study: Study) {
    self.seed = seed
    self.study = study
  }
}

/// The mean of per-seed values with its 95% Student-t interval over seeds; the bounds are
/// missing for a single seed (no interval from one value).
public struct SeedSummary: Sendable, Equatable {
  /// One value per seed, in seed order.
  public var values: [Double]

  public init(_ values: [Double]) { self.values = values }

  public var interval: MeanInterval { MeanInterval(values) }
  /// The three cells mean, low, high (low and high missing for fewer than two seeds).
  public var cells: [ResultTable.Value] {
    let m = interval
    guard values.count >= 2 else { return [values.isEmpty ? .missing : .number(m.mean), .missing, .missing] }
    return [.number(m.mean), .number(m.lower), .number(m.upper)]
  }
}

/// Fig. 8 over training seeds: for every seed with both kinds (e.g. standard and stochastic
/// depth), each model's single deletions and random deletions with the same block sets in both
/// (common random numbers), as changes in error against each model's own intact error.
///
/// The comparison is on changes rather than errors because the two kinds are not trained to the
/// same intact error (Veit et al. 2016 compare robustness, the drop from the intact network).
/// Within a seed: each lesion against its own intact network on the same images (Newcombe
/// interval, McNemar p, per-image loss t interval: `LesionComparison`), and per k the mean over
/// draws of the per-draw difference of changes (treatment − reference) with its t interval.
/// Across seeds: the mean of the per-seed differences with a Student-t interval over seeds (a
/// seed is one independent replicate of the whole training and lesion pipeline).
///
/// Random block sets: draw j at k of training seed s uses the stream keyed by
/// (`drawSeed(base:trainingSeed:)`, k, j), the same for both kinds of that seed and independent
/// across seeds.
public struct SeedPairedDeletion {
  /// Both kinds' results of one training seed.
  public struct SeedResult {
    public var seed: Int
    public var referenceSingle: SingleDeletionResult
    public var treatmentSingle: SingleDeletionResult
    public var random: RandomDeletionComparison
  }

  /// Column prefixes of the two kinds, e.g. ("standard", "stochastic_depth").
  public var labels: (reference: String, treatment: String)
  /// One result per seed present in both kinds, in increasing seed order.
  public var seeds: [SeedResult]

  /// The random-deletion seed of training seed `trainingSeed` under the figure seed `base`: a
  /// keyed SplitMix64 output, so seeds 1, 2, 3 draw unrelated block sets.
  public static func drawSeed(base: Int, trainingSeed: Int) -> Int {
    var generator = SplitMix64(
      seed: UInt64(truncatingIfNeeded: base), keys: [0x5345_4544, UInt64(truncatingIfNeeded: trainingSeed)])
    return Int(truncatingIfNeeded: generator.next() >> 1)
  }

  /// Runs both kinds for every seed both have; `counts` above a network's deletable blocks are
  /// left out.
  /// - Throws: `StudyError`/`EngineError` from the experiments.
  /// - Complexity: per seed, (deletable blocks + draws) evaluations of each model on the images.
  public static func run(
    reference: [SeededStudy], treatment: [SeededStudy], counts: [Int], draws: DrawCount, seed: Int,
    labels: (String, String)
  ) throws -> SeedPairedDeletion {
    var results: [SeedResult] = []
    let treatments = Dictionary(treatment.map { ($0.seed, $0) }, uniquingKeysWith: { a, _ in a })
    for first in reference.sorted(by: { $0.seed < $1.seed }) {
      guard let second = treatments[first.seed] else { continue }
      let deletable = min(
        RandomLesions.deletableBlocks(of: first.study.network).count,
        RandomLesions.deletableBlocks(of: second.study.network).count)
      let experiment = RandomDeletion(
        counts: counts.filter { $0 <= deletable }, draws: draws, seed: drawSeed(base: seed, trainingSeed: first.seed))
      results.append(
        SeedResult(
          seed: first.seed, referenceSingle: try SingleDeletionSweep().run(on: first.study),
          treatmentSingle: try SingleDeletionSweep().run(on: second.study),
          random: try RandomDeletionComparison.run(experiment, first: first.study, second: second.study, labels: labels)))
    }
    return SeedPairedDeletion(labels: labels, seeds: results)
  }

  public init(labels: (String, String), seeds: [SeedResult]) {
    self.labels = (labels.0, labels.1)
    self.seeds = seeds
  }

  /// Every single deletion of every model: `network`, `seed`, then `SingleDeletionResult.table`.
  public var singlesTable: ResultTable {
    var table = ResultTable(columns: [])
    for (index, result) in seeds.enumerated() {
      for (label, single) in [(labels.reference, result.referenceSingle), (labels.treatment, result.treatmentSingle)] {
        let rows = single.table.prefixed(.init("seed", .integer), value: .integer(result.seed))
          .prefixed(.init("network", .text), value: .text(label))
        if index == 0 && label == labels.reference { table = rows } else { table.append(rowsOf: rows) }
      }
    }
    table.notes = [LesionComparison.methodNote + "; error change against the same model's intact network"]
    return table
  }

  /// Every model's random-deletion summary per k: `network`, `seed`, then `RandomDeletionResult.table`.
  public var randomTable: ResultTable {
    var table = ResultTable(columns: [])
    for (index, result) in seeds.enumerated() {
      for (label, random) in [(labels.reference, result.random.first), (labels.treatment, result.random.second)] {
        let rows = random.table.prefixed(.init("seed", .integer), value: .integer(result.seed))
          .prefixed(.init("network", .text), value: .text(label))
        if index == 0 && label == labels.reference { table = rows } else { table.append(rowsOf: rows) }
      }
    }
    table.notes = seeds.first.map { $0.random.first.table.notes } ?? []
    return table
  }

  /// Per k: one row per seed (mean over draws of the per-draw difference of changes, t interval
  /// over draws) and one row `all` (mean of the per-seed differences, t interval over seeds).
  public var randomDifferenceTable: ResultTable {
    let (a, b) = labels
    var table = ResultTable(columns: [
      .init("seed", .text), .init("deleted_blocks_k", .integer), .init("draws", .integer), .init("same_block_sets", .text),
      .init("\(a)_intact_error_fraction", .fraction), .init("\(b)_intact_error_fraction", .fraction),
      .init("\(a)_error_change_mean_fraction", .fraction), .init("\(b)_error_change_mean_fraction", .fraction),
      .init("difference_mean_fraction", .fraction), .init("difference_low95_fraction", .fraction),
      .init("difference_high95_fraction", .fraction), .init("interval_over", .text),
    ])
    let ks = seeds.first?.random.first.points.map(\.point) ?? []
    for k in ks {
      var perSeed: [(intactA: Double, intactB: Double, changeA: Double, changeB: Double, difference: Double)] = []
      for result in seeds {
        let first = result.random.first
        let second = result.random.second
        guard let pa = first.points.first(where: { $0.point == k }), let pb = second.points.first(where: { $0.point == k })
        else { continue }
        let changesA = pa.draws.map { $0.error - first.intact.error }
        let changesB = pb.draws.map { $0.error - second.intact.error }
        let n = min(changesA.count, changesB.count)
        let difference = MeanInterval(zip(changesB.prefix(n), changesA.prefix(n)).map { $0 - $1 })
        let same = zip(pa.draws, pb.draws).allSatisfy { $0.deletedBlocks == $1.deletedBlocks }
        let row = (
          first.intact.error, second.intact.error, MeanInterval(Array(changesA.prefix(n))).mean,
          MeanInterval(Array(changesB.prefix(n))).mean, difference.mean
        )
        perSeed.append(row)
        let bounds: [ResultTable.Value] =
          n >= 2 ? [.number(difference.lower), .number(difference.upper)] : [.missing, .missing]
        table.addRow(
          [
            .text(String(result.seed)), .integer(k), .integer(n), .text(same ? "yes" : "no"), .number(row.0),
            .number(row.1), .number(row.2), .number(row.3), .number(difference.mean),
          ] + bounds + [.text("\(n) draws")])
      }
      guard !perSeed.isEmpty else { continue }
      let across = SeedSummary(perSeed.map(\.difference))
      table.addRow(
        [
          .text("all"), .integer(k), .missing, .missing, .number(MeanInterval(perSeed.map(\.intactA)).mean),
          .number(MeanInterval(perSeed.map(\.intactB)).mean), .number(MeanInterval(perSeed.map(\.changeA)).mean),
          .number(MeanInterval(perSeed.map(\.changeB)).mean),
        ] + across.cells + [.text(perSeed.count == 1 ? "1 seed" : "\(perSeed.count) seeds")])
    }
    table.notes = [
      "error change: lesioned − intact error of the same model (each kind against its own intact network); difference: \(b) − \(a) change, draw by draw on the same block sets (common random numbers)",
      "seed rows: mean over draws, 95% Student-t interval over draws; all: mean over training seeds of the per-seed differences, 95% Student-t interval over seeds (none for one seed)",
    ]
    return table
  }

  /// Per deletable block: each kind's change in error per seed and the difference, then a row
  /// `all` with the mean over seeds and its t interval; block `mean` averages the blocks both
  /// kinds can delete.
  public var singleDifferenceTable: ResultTable {
    let (a, b) = labels
    var table = ResultTable(columns: [
      .init("seed", .text), .init("block", .text), .init("\(a)_error_change_fraction", .fraction),
      .init("\(a)_error_change_low95_fraction", .fraction), .init("\(a)_error_change_high95_fraction", .fraction),
      .init("\(b)_error_change_fraction", .fraction), .init("\(b)_error_change_low95_fraction", .fraction),
      .init("\(b)_error_change_high95_fraction", .fraction), .init("difference_fraction", .fraction),
      .init("difference_low95_fraction", .fraction), .init("difference_high95_fraction", .fraction),
      .init("interval", .text),
    ])
    for (block, perSeed) in singleChanges {
      for (seed, ca, cb) in perSeed {
        table.addRow(
          [.text(String(seed)), .text(block)] + ca.cells + cb.cells
            + [.number(cb.change - ca.change), .missing, .missing, .text("each change: Newcombe, within seed")])
      }
      let changesA = SeedSummary(perSeed.map(\.1.change))
      let changesB = SeedSummary(perSeed.map(\.2.change))
      let difference = SeedSummary(perSeed.map { $0.2.change - $0.1.change })
      table.addRow(
        [.text("all"), .text(block)] + changesA.cells + changesB.cells + difference.cells
          + [.text(perSeed.count == 1 ? "1 seed, no interval" : "Student t over \(perSeed.count) seeds")])
    }
    table.notes = [
      "error change: error with the block deleted − the same model's intact error; difference: \(b) − \(a)",
      "seed rows: each change with its 95% Newcombe paired interval (block `mean`: the mean over blocks, no interval); all: mean over training seeds, 95% Student-t interval over seeds (none for one seed)",
    ]
    return table
  }

  /// One change with its within-seed interval (or none, for block means).
  public struct Change {
    public var change: Double
    public var lower: Double?
    public var upper: Double?
    var cells: [ResultTable.Value] {
      [.number(change), lower.map { .number($0) } ?? .missing, upper.map { .number($0) } ?? .missing]
    }
  }

  /// For every block both kinds of every seed can delete (as text) and `mean`: per seed the two changes.
  public var singleChanges: [(block: String, perSeed: [(Int, Change, Change)])] {
    guard let first = seeds.first else { return [] }
    var blocks = first.referenceSingle.blocks.map(\.number)
    blocks = blocks.filter { number in
      seeds.allSatisfy { $0.referenceSingle.byBlock[number] != nil && $0.treatmentSingle.byBlock[number] != nil }
    }
    var rows: [(String, [(Int, Change, Change)])] = []
    for number in blocks {
      rows.append(
        (
          String(number),
          seeds.map { result in
            let ca = result.referenceSingle.byBlock[number]!.errorChange
            let cb = result.treatmentSingle.byBlock[number]!.errorChange
            return (
              result.seed, Change(change: ca.errorChange, lower: ca.lower, upper: ca.upper),
              Change(change: cb.errorChange, lower: cb.lower, upper: cb.upper)
            )
          }
        ))
    }
    if !blocks.isEmpty {
      rows.append(
        (
          "mean",
          seeds.map { result in
            let ca = blocks.map { result.referenceSingle.byBlock[$0]!.errorChange.errorChange }
            let cb = blocks.map { result.treatmentSingle.byBlock[$0]!.errorChange.errorChange }
            return (
              result.seed, Change(change: ca.reduce(0, +) / Double(ca.count)),
              Change(change: cb.reduce(0, +) / Double(cb.count))
            )
          }
        ))
    }
    return rows
  }
}

/// The §5.2 table over training seeds: every kind's intact error per seed and across seeds, and
/// its paired difference to the matched baseline of the same seed on the same images.
///
/// Within a seed the difference is a paired comparison of two networks on the same images
/// (`LesionComparison`: Newcombe interval, McNemar p, per-image loss t interval). Across seeds:
/// the mean of per-seed intact errors and of per-seed differences, each with a Student-t interval
/// over seeds.
public struct SeedMatchedTable {
  /// One kind's models.
  public struct Kind {
    public var name: String
    /// Intact result (per-image vectors kept) by seed.
    public var intact: [Int: LesionResult]
    /// Model labels by seed (file names), for the rows.
    public var labels: [Int: String]
  }

  /// The matched baseline's name (the first kind).
  public var baseline: String
  /// Every kind, the baseline first.
  public var kinds: [Kind]

  /// Evaluates every model intact on its study's images (all studies must share the images).
  /// - Throws: `EngineError` from the evaluation.
  public static func run(kinds: [(name: String, models: [SeededStudy])]) throws -> SeedMatchedTable {
    var result: [Kind] = []
    for (name, models) in kinds {
      var intact: [Int: LesionResult] = [:]
      var labels: [Int: String] = [:]
      for model in models {
        intact[model.seed] = try model.study.evaluate([], task: "intact \(name), seed \(model.seed)").intact
        labels[model.seed] = model.study.model.file.lastPathComponent
      }
      result.append(Kind(name: name, intact: intact, labels: labels))
    }
    return SeedMatchedTable(baseline: kinds.first?.name ?? "", kinds: result)
  }

  /// The baseline kind's results.
  var baselineKind: Kind? { kinds.first { $0.name == baseline } }

  /// One row per kind and seed: the model against the baseline of the same seed (`LesionComparison`
  /// columns; the baseline's own rows compare it with itself). Seeds without a baseline model have
  /// the error columns only.
  public var seedTable: ResultTable {
    var table = ResultTable(
      columns: [.init("network", .text), .init("seed", .integer), .init("model", .text)] + LesionComparison.columns)
    for kind in kinds {
      for seed in kind.intact.keys.sorted() {
        let result = kind.intact[seed]!
        let head: [ResultTable.Value] = [.text(kind.name), .integer(seed), .text(kind.labels[seed] ?? "")]
        if let base = baselineKind?.intact[seed], base.correct.count == result.correct.count {
          table.addRow(head + LesionComparison(result, intact: base).cells)
        } else {
          let wilson = result.errorInterval
          table.addRow(head + [.integer(result.count), .number(result.error), .number(wilson.lower), .number(wilson.upper)])
        }
      }
    }
    table.notes = [
      LesionComparison.methodNote + " (here: the network − the \(baseline) network of the same training seed)"
    ]
    return table
  }

  /// One row per kind: seeds, intact error mean over seeds with its t interval, and the mean
  /// over paired seeds of the difference to the baseline with its t interval.
  public var summaryTable: ResultTable {
    var table = ResultTable(columns: [
      .init("network", .text), .init("seeds", .integer), .init("seed_list", .text),
      .init("error_mean_fraction", .fraction), .init("error_low95_fraction", .fraction),
      .init("error_high95_fraction", .fraction), .init("paired_seeds", .integer),
      .init("difference_mean_fraction", .fraction), .init("difference_low95_fraction", .fraction),
      .init("difference_high95_fraction", .fraction),
    ])
    for kind in kinds {
      let seeds = kind.intact.keys.sorted()
      let errors = SeedSummary(seeds.map { kind.intact[$0]!.error })
      let paired = seeds.filter { baselineKind?.intact[$0] != nil }
      let differences = SeedSummary(paired.map { kind.intact[$0]!.error - baselineKind!.intact[$0]!.error })
      table.addRow(
        [.text(kind.name), .integer(seeds.count), .text(seeds.map(String.init).joined(separator: " "))] + errors.cells
          + [.integer(paired.count)] + differences.cells)
    }
    table.notes = [
      "error: intact test error, mean over training seeds with a 95% Student-t interval over seeds (none for one seed); difference: the network − the \(baseline) network of the same seed, mean over seeds with both, 95% Student-t interval over those seeds"
    ]
    return table
  }
}

import Basics
import Foundation
import Report
import Statistics
import Studies

/// Fig. 8 and the §5.2 table: models of several kinds compared on the same images, over training
/// seeds from a manifest (`figures --seeds`), or one model per kind from the model options (the
/// one-seed case, `FigureWorkspace.adoptRoleModels`).
///
/// The experiments are `SeedPairedDeletion` and `SeedMatchedTable` from `Studies`; this adds the
/// plots, the sidecar and the one-line summaries.
enum SeedFigures {
  /// The manifest kinds Fig. 8 compares (reference, treatment).
  static let fig8Kinds = ("standard", "stochastic-depth")
  /// The manifest kinds of the §5.2 table, the matched baseline first.
  static let tableKinds = ["baseline15", "short-paths", "gradient-paths"]
  /// Without a manifest: each kind's model role. The §5.2 table then compares the `--model`
  /// network (kind `standard`) with `--short-paths`, which are not trained alike (see the models README).
  static let roleKinds: [(kind: String, role: ModelRole)] = [
    ("standard", .residual), ("stochastic-depth", .stochasticDepth), ("short-paths", .shortPaths),
  ]

  /// The kinds a figure compares, the reference first, with a manifest or from the roles.
  static func kinds(of figure: FigureID, manifest: Bool) -> [String] {
    switch figure {
    case .fig8: return [fig8Kinds.0, fig8Kinds.1]
    case .tableShortPaths: return manifest ? tableKinds : ["standard", "short-paths"]
    default: return []
    }
  }

  /// Why `figure` cannot be made from the found models, or nil when it can.
  static func missingReason(_ figure: FigureID, _ workspace: FigureWorkspace) -> String? {
    func seeds(_ kind: String) -> Set<Int> { Set((workspace.seedModels[kind] ?? []).map(\.seed)) }
    func missing(_ kind: String) -> String { (workspace.missingSeeds[kind] ?? []).joined(separator: ", ") }
    switch figure {
    case .fig8:
      let (a, b) = fig8Kinds
      if seeds(a).intersection(seeds(b)).isEmpty {
        return "\(figure.rawValue) skipped: no training seed with both a '\(a)' and a '\(b)' model (missing: \(missing(a)); \(missing(b)))"
      }
    case .tableShortPaths:
      if seeds(tableKinds[0]).isEmpty {
        return "\(figure.rawValue) skipped: no '\(tableKinds[0])' model (missing: \(missing(tableKinds[0])))"
      }
    default: break
    }
    return nil
  }

  /// "0.0123 (95% 0.0050 to 0.0196, 3 seeds)" or "0.0123 (1 seed, no interval)".
  static func describe(_ summary: SeedSummary) -> String {
    let m = summary.interval
    let value = LesionFigures.fraction(m.mean)
    guard summary.values.count >= 2 else { return "\(value) (1 seed, no interval)" }
    return "\(value) (95% \(LesionFigures.fraction(m.lower)) to \(LesionFigures.fraction(m.upper)), \(summary.values.count) seeds)"
  }

  /// Fig. 8 over seeds: changes in error against each model's own intact error, single and random
  /// deletions with common random block sets, per seed and across seeds.
  static func fig8(_ workspace: FigureWorkspace) throws -> (files: [String], summary: String) {
    let start = ProcessInfo.processInfo.systemUptime
    let (a, b) = fig8Kinds
    let settings = workspace.settings
    workspace.note("fig8 over seeds: \(a) \(workspace.seedModels[a]?.map(\.seed) ?? []), \(b) \(workspace.seedModels[b]?.map(\.seed) ?? [])")
    let result = try SeedPairedDeletion.run(
      reference: try workspace.seededStudies(a), treatment: try workspace.seededStudies(b),
      counts: settings.deletionCounts, draws: settings.draws, seed: settings.seed,
      labels: ("standard", "stochastic_depth"))
    let n = result.seeds.count
    let over = n >= 2 ? "95% interval over \(n) seeds" : "1 seed: 95% interval within the seed"

    var single = SVGPlot(
      title: "Stochastic depth: deleting one block, \(n) seed\(n == 1 ? "" : "s") (Fig. 8)",
      x: .init("deleted block, 1-based"), y: .init("test error change against the intact model (fraction)"))
    single.shadedRanges = LesionFigures.downsamplingStrips(
      result.seeds.first?.referenceSingle.blocks ?? [], label: "downsampling block")
    let rows = result.singleChanges.filter { $0.block != "mean" }
    let x = rows.map { Double($0.block) ?? .nan }
    for (index, (name, pick)) in [
      ("standard: mean change, \(over)", { (t: (Int, SeedPairedDeletion.Change, SeedPairedDeletion.Change)) in t.1 }),
      ("stochastic depth: mean change, \(over)", { (t: (Int, SeedPairedDeletion.Change, SeedPairedDeletion.Change)) in t.2 }),
    ].enumerated() {
      let changes = rows.map { $0.perSeed.map(pick) }
      let summaries = changes.map { SeedSummary($0.map(\.change)).interval }
      let lower = zip(changes, summaries).map { n >= 2 ? $1.lower : ($0.first?.lower ?? .nan) }
      let upper = zip(changes, summaries).map { n >= 2 ? $1.upper : ($0.first?.upper ?? .nan) }
      single.series.append(
        SVGPlot.Series(
          name, x: x, y: summaries.map(\.mean), color: SVGPlot.palette[index == 0 ? 0 : 2],
          marker: index == 0 ? .circle : .square, bandLower: lower, bandUpper: upper))
    }
    single.referenceLines = [.horizontal(at: 0, label: "intact", color: "#555555")]
    single.legend = .automatic

    var random = SVGPlot(
      title: "Stochastic depth: deleting k random blocks, \(n) seed\(n == 1 ? "" : "s") (Fig. 8)",
      x: .init("number of deleted blocks k", minimum: 0), y: .init("test error change against the intact model (fraction)"))
    let ks = result.seeds.first?.random.first.points.map(\.point) ?? []
    for second in [false, true] {
      var means: [Double] = [0]
      var halfWidths: [Double] = [.nan]
      for k in ks {
        let perSeed = result.seeds.compactMap { seed -> [Double]? in
          let r = second ? seed.random.second : seed.random.first
          return r.points.first { $0.point == k }.map { $0.draws.map { $0.error - r.intact.error } }
        }
        if n >= 2 {
          let m = SeedSummary(perSeed.map { MeanInterval($0).mean }).interval
          means.append(m.mean)
          halfWidths.append(m.halfWidth)
        } else {
          let m = MeanInterval(perSeed.first ?? [])
          means.append(m.mean)
          halfWidths.append(m.halfWidth)
        }
      }
      random.series.append(
        SVGPlot.Series(
          second ? "stochastic depth: mean change, \(over)" : "standard: mean change, \(over)",
          x: [0] + ks.map(Double.init), y: means, color: SVGPlot.palette[second ? 2 : 0],
          marker: second ? .square : .circle, errors: halfWidths))
    }
    random.legend = .automatic

    let kinds = [a, b]
    let files = try workspace.write(
      .fig8,
      tables: [
        ("", result.singlesTable), ("-random", result.randomTable), ("-difference", result.randomDifferenceTable),
        ("-single-difference", result.singleDifferenceTable),
      ],
      plots: [("", single), ("-random", random)], roles: [],
      commands: ((workspace.seedModels[a] ?? []) + (workspace.seedModels[b] ?? [])).map {
        "resnet-lesion sweep --model \"\($0.displayPath)\"\(workspace.dataArguments)"
      },
      details: workspace.seedRecords(kinds), seconds: ProcessInfo.processInfo.systemUptime - start)

    var parts: [String] = []
    if let mean = result.singleChanges.first(where: { $0.block == "mean" }) {
      parts.append(
        "mean single-deletion change standard \(describe(SeedSummary(mean.perSeed.map(\.1.change)))), stochastic depth \(describe(SeedSummary(mean.perSeed.map(\.2.change))))"
      )
    }
    if let k = ks.last {
      let differences = result.seeds.compactMap { seed -> Double? in
        guard let pa = seed.random.first.points.first(where: { $0.point == k }),
          let pb = seed.random.second.points.first(where: { $0.point == k })
        else { return nil }
        return MeanInterval(
          zip(pb.draws, pa.draws).map { ($0.error - seed.random.second.intact.error) - ($1.error - seed.random.first.intact.error) }
        ).mean
      }
      parts.append("k=\(k) change stochastic − standard \(describe(SeedSummary(differences)))")
    }
    return (files, "fig8 (\(n) seed\(n == 1 ? "" : "s")): " + parts.joined(separator: "; "))
  }

  /// The §5.2 table over seeds: intact errors and paired differences to the matched baseline.
  static func tableShortPaths(_ workspace: FigureWorkspace) throws -> (files: [String], summary: String) {
    let start = ProcessInfo.processInfo.systemUptime
    let tableKinds = kinds(of: .tableShortPaths, manifest: workspace.seedManifestFile != nil)
    var kinds: [(name: String, models: [SeededStudy])] = []
    for kind in tableKinds {
      let studies = try workspace.seededStudies(kind)
      if !studies.isEmpty || kind == tableKinds[0] { kinds.append((kind, studies)) }
    }
    let result = try SeedMatchedTable.run(kinds: kinds)
    var summaryTable = result.summaryTable
    summaryTable.notes.append(
      "paper: CIFAR-10 ResNet-110, 5.96% (23 of 54 blocks per mini-batch) vs 6.10% (standard), not significant")
    let files = try workspace.write(
      .tableShortPaths, tables: [("", result.seedTable), ("-seeds", summaryTable)], plots: [], roles: [],
      commands: [], details: workspace.seedRecords(tableKinds), seconds: ProcessInfo.processInfo.systemUptime - start)
    let text = result.kinds.map { kind -> String in
      let seeds = kind.intact.keys.sorted()
      var line = "\(kind.name) \(describe(SeedSummary(seeds.map { kind.intact[$0]!.error })))"
      if kind.name != result.baseline, let base = result.kinds.first {
        let paired = seeds.filter { base.intact[$0] != nil }
        line += ", − \(result.baseline) \(describe(SeedSummary(paired.map { kind.intact[$0]!.error - base.intact[$0]!.error })))"
      }
      return line
    }
    return (files, "table-short-paths (seeds): " + text.joined(separator: "; "))
  }
}

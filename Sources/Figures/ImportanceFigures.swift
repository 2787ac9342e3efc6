import Basics
import Foundation
import Report
import Statistics
import Studies

/// The block-importance figures: the importance measures side by side (`importance`), pruning
/// curves (`pruning`) and pairwise interactions (`interactions`), on the residual network and, when
/// there is one, the plain network.
///
/// Each figure is the `Studies` experiment of the matching command (`rank`, `prune`,
/// `interactions`) run on a calibration selection of the test images (the first
/// `calibrationPerClass` images of every class), plus a plot; the CSVs stack the two networks'
/// tables under a `network` column.
public enum ImportanceFigures {
  /// How much work the importance figures do.
  public struct Settings: Sendable {
    /// Test images per class in the calibration selection.
    public var calibrationPerClass: Int
    /// Random deletion orders for the Shapley values.
    public var permutations: Int
    /// Greedy removals (the static orders always remove every deletable block).
    public var greedySteps: Int

    /// 5 images per class, 10 Shapley orders and 20 greedy removals (as far as Fig. 5a deletes);
    /// 2 images per class, 2 orders and 5 removals with `--quick`.
    public static func defaults(quick: Bool) -> Settings {
      quick
        ? Settings(calibrationPerClass: 2, permutations: 2, greedySteps: 5)
        : Settings(calibrationPerClass: 5, permutations: 10, greedySteps: 20)
    }

    /// The sidecar record (beside the common `settings`).
    var json: JSONValue {
      .object([
        ("calibration_per_class", .integer(calibrationPerClass)), ("shapley_permutations", .integer(permutations)),
        ("greedy_steps", .integer(greedySteps)),
      ])
    }
  }

  /// The residual network and the plain one (when present), each with a study on the
  /// calibration selection, in that order.
  static func calibrationStudies(_ workspace: FigureWorkspace, _ settings: Settings) throws
    -> [(role: ModelRole, model: FigureWorkspace.Model, study: Study)]
  {
    try [ModelRole.residual, .plain].filter { workspace.models[$0] != nil }.map { role in
      var study = try workspace.study(role)
      study.dataset = try study.dataset.selecting(offset: 0, limit: nil, perClass: settings.calibrationPerClass)
      return (role, try workspace.model(role), study)
    }
  }

  /// Stacks `rows`, marked with `role` in the `network` column, under `stack` (the first sets it).
  static func stack(_ rows: ResultTable, role: ModelRole, onto stack: inout ResultTable?) {
    let marked = rows.prefixed(network, value: .text(role.rawValue))
    if stack == nil { stack = marked } else { stack?.append(rowsOf: marked) }
  }

  /// The data options of the single commands: the calibration selection.
  static func dataArguments(_ workspace: FigureWorkspace, _ settings: Settings) -> String {
    workspace.dataArguments(perClass: min(settings.calibrationPerClass, workspace.settings.perClass ?? Int.max))
  }

  static let network = ResultTable.Column("network", .text)

  /// The sidecar details every importance figure records.
  static func details(_ settings: Settings, _ studies: [(role: ModelRole, model: FigureWorkspace.Model, study: Study)])
    -> [(key: String, value: JSONValue)]
  {
    [("importance_settings", settings.json), ("calibration_images", .integer(studies.first?.study.dataset.count ?? 0))]
  }

  static func nats(_ value: Double) -> String { NumberFormat.fixed(value, decimals: 4) }

  /// Runs `measure` on each calibration study (the residual network, then the plain one), which
  /// returns that network's equivalent commands and summary, then `write` with every command,
  /// the sidecar details and the seconds taken; the figure's summary is `name: ` and the
  /// networks' summaries.
  static func eachNetwork(
    _ name: String, _ workspace: FigureWorkspace, _ settings: Settings,
    measure: (_ index: Int, _ role: ModelRole, _ model: FigureWorkspace.Model, _ study: Study) throws
      -> (commands: [String], summary: String),
    write: (_ commands: [String], _ details: [(key: String, value: JSONValue)], _ seconds: Double) throws -> [String]
  ) throws -> (files: [String], summary: String) {
    let start = ProcessInfo.processInfo.systemUptime
    var commands: [String] = []
    var summaries: [String] = []
    let studies = try calibrationStudies(workspace, settings)
    for (index, (role, model, study)) in studies.enumerated() {
      let measured = try measure(index, role, model, study)
      commands += measured.commands
      summaries.append(measured.summary)
    }
    let files = try write(commands, details(settings, studies), ProcessInfo.processInfo.systemUptime - start)
    return (files, "\(name): " + summaries.joined(separator: "; "))
  }

  // MARK: importance

  /// The measures side by side per block, for each network: a CSV (the `rank` table), a Spearman
  /// table, a plot of the loss-valued measures against block index (95% intervals where the
  /// measure has one) per network and one of Block Influence.
  static func importance(_ workspace: FigureWorkspace, _ settings: Settings) throws -> (files: [String], summary: String) {
    var table: ResultTable?
    var spearman = ResultTable(columns: [
      network, .init("measure_a", .text), .init("measure_b", .text), .init("spearman_rho", .fixed(4)), .init("blocks", .integer),
    ])
    var plots: [(suffix: String, plot: SVGPlot)] = []
    var influence = SVGPlot(
      title: "Block Influence per block (1 − cosine similarity of block output with and without its branch)",
      x: .init("block, 1-based"), y: .init("Block Influence", minimum: 0))
    return try eachNetwork("importance", workspace, settings) { index, role, model, study in
      workspace.note("importance: \(model.label), \(study.dataset.count) images, \(settings.permutations) Shapley orders")
      let result = try BlockRanking(permutations: settings.permutations, seed: UInt64(workspace.settings.seed)).run(on: study)
      stack(result.table, role: role, onto: &table)
      for c in result.correlations {
        spearman.addRow([.text(role.rawValue), .text(c.a), .text(c.b), .number(c.rho), .integer(result.measures.count)])
      }
      plots.append((index == 0 ? "" : "-\(role.rawValue)", measuresPlot(result, label: model.label)))
      influence.series.append(
        SVGPlot.Series(
          "\(role.rawValue): \(model.label)", x: result.measures.map { Double($0.block) },
          y: result.measures.map(\.blockInfluence), color: SVGPlot.palette[index], marker: index == 0 ? .circle : .square))
      return (
        [
          "resnet-lesion rank\(workspace.modelArgument(role)) --permutations \(settings.permutations) --seed \(workspace.settings.seed)\(dataArguments(workspace, settings))"
        ], "\(role.rawValue) \(topText(result))"
      )
    } write: { commands, details, seconds in
      guard let table else { throw FiguresError.nothingToDo(skipped: ["importance: no model"]) }
      influence.legend = .automatic
      plots.append(("-influence", influence))
      return try workspace.write(
        .importance, tables: [("", table), ("-spearman", spearman)], plots: plots, roles: [.residual, .plain],
        commands: commands, details: details, seconds: seconds)
    }
  }

  /// Loss change, first-order estimate and Shapley value (nats) against block index.
  static func measuresPlot(_ result: BlockRankingResult, label: String) -> SVGPlot {
    let x = result.measures.map { Double($0.block) }
    var plot = SVGPlot(
      title: "Block importance on \(result.intact.count) calibration images: \(label)", x: .init("block, 1-based"),
      y: .init("loss change when deleted (nats)"))
    plot.shadedRanges = LesionFigures.downsamplingStrips(result.blocks, label: "downsampling block")
    plot.series.append(
      SVGPlot.Series(
        "single-deletion loss change, 95% paired t interval", x: x, y: result.measures.map(\.lossChange.mean),
        color: SVGPlot.palette[0], marker: .circle, errors: result.measures.map(\.lossChange.halfWidth)))
    plot.series.append(
      SVGPlot.Series(
        "first-order estimate", x: x, y: result.measures.map(\.firstOrderLossChange), color: SVGPlot.palette[1],
        marker: .square, dashed: true))
    if let shapley = result.shapley {
      plot.series.append(
        SVGPlot.Series(
          "Shapley value, 95% interval over \(shapley.permutations) orders", x: x, y: shapley.values.map(\.mean),
          color: SVGPlot.palette[2], marker: .diamond, errors: shapley.values.map(\.halfWidth)))
    }
    plot.referenceLines = [.horizontal(at: 0, label: "", color: "#555555")]
    plot.legend = .outsideRight
    plot.width = 900
    return plot
  }

  /// "top by loss change 3, 1, 2; by Block Influence …".
  static func topText(_ result: BlockRankingResult) -> String {
    let blocks = result.measures.map(\.block)
    return result.measureColumns.map { name, values in
      let top = blocks.indices.sorted { values[$0] > values[$1] || (values[$0] == values[$1] && $0 < $1) }.prefix(3)
      return "\(name) \(top.map { String(blocks[$0]) }.joined(separator: ","))"
    }.joined(separator: ", ")
  }

  // MARK: pruning

  /// Error against the number of removed blocks: greedy and each static order, beside the
  /// random-deletion curve of Fig. 5a (the same experiment and settings, on the calibration images).
  static func pruning(_ workspace: FigureWorkspace, _ settings: Settings) throws -> (files: [String], summary: String) {
    var curves: ResultTable?
    var randoms: ResultTable?
    var plots: [(suffix: String, plot: SVGPlot)] = []
    return try eachNetwork("pruning", workspace, settings) { index, role, model, study in
      workspace.note("pruning: \(model.label), \(study.dataset.count) images")
      let result = try BlockPruning(steps: settings.greedySteps, randomOrders: 0, seed: UInt64(workspace.settings.seed)).run(on: study)
      let experiment = workspace.randomExperiment(for: study.network)
      workspace.note("random deletions (Fig. 5a experiment): \(model.label), \(workspace.settings.draws.description)")
      let random = try experiment.run(on: study)
      stack(result.table, role: role, onto: &curves)
      stack(random.table, role: role, onto: &randoms)
      plots.append((index == 0 ? "" : "-\(role.rawValue)", pruningPlot(result, random: random, label: model.label)))
      return (
        [
          "resnet-lesion prune\(workspace.modelArgument(role)) --steps \(settings.greedySteps) --random-orders 0 --seed \(workspace.settings.seed)\(dataArguments(workspace, settings))",
          "resnet-lesion sweep\(workspace.modelArgument(role)) --deleted \(experiment.counts.map(String.init).joined(separator: ",")) \(LesionFigures.drawArguments(workspace.settings))\(dataArguments(workspace, settings))",
        ], "\(role.rawValue) " + pruningText(result, random: random)
      )
    } write: { commands, details, seconds in
      guard let curves, let randoms else { throw FiguresError.nothingToDo(skipped: ["pruning: no model"]) }
      return try workspace.write(
        .pruning, tables: [("", curves), ("-random", randoms)], plots: plots, roles: [.residual, .plain], commands: commands,
        details: details, seconds: seconds)
    }
  }

  static func pruningPlot(_ result: BlockPruningResult, random: RandomDeletionResult, label: String) -> SVGPlot {
    var plot = SVGPlot(
      title: "Removing blocks one at a time: \(label)", x: .init("number of removed blocks", minimum: 0),
      y: .init("calibration error (fraction)", minimum: 0))
    let markers: [SVGPlot.Marker] = [.circle, .square, .triangle, .diamond]
    for (i, curve) in result.curves.enumerated() {
      let name = curve.method == "greedy" ? "greedy (least harmful removal, re-measured)" : "static order: \(curve.method)"
      plot.series.append(
        SVGPlot.Series(
          name, x: curve.errors.indices.map(Double.init), y: curve.errors, style: .line, color: SVGPlot.palette[i % SVGPlot.palette.count],
          marker: markers[i % markers.count], dashed: i > 0))
    }
    var randomSeries = LesionFigures.drawSeries(
      intact: random.intact.error, points: random.points, name: "random blocks (Fig. 5a): mean, 95% interval over draws",
      color: "#7f7f7f", marker: .circle)
    randomSeries.style = .lineAndMarkers
    plot.series.append(randomSeries)
    plot.legend = .outsideRight
    plot.width = 900
    return plot
  }

  /// Error after removing 10 blocks by each method, and the random mean at k = 10.
  static func pruningText(_ result: BlockPruningResult, random: RandomDeletionResult) -> String {
    let k = min(10, result.curves.first.map { $0.errors.count - 1 } ?? 0)
    var parts = result.curves.map { "\($0.method) \(LesionFigures.fraction($0.errors[k]))" }
    if let point = random.points.first(where: { $0.point == k }) {
      parts.append("random \(LesionFigures.fraction(point.errorMean.mean)) ± \(LesionFigures.fraction(point.errorMean.halfWidth))")
    }
    return "error after \(k) removals: " + parts.joined(separator: ", ")
  }

  // MARK: interactions

  /// Every pair of blocks deleted: the pairs' CSV, a heatmap per network and the share of pairs
  /// whose interaction interval contains zero, by stage and near downsampling blocks.
  static func interactions(_ workspace: FigureWorkspace, _ settings: Settings) throws -> (files: [String], summary: String) {
    var pairs: ResultTable?
    var summary = ResultTable(columns: [
      network, .init("group", .text), .init("pairs", .integer), .init("interval_contains_zero", .integer),
      .init("share_contains_zero_fraction", .fraction), .init("relative_interaction", .fixed(4)),
    ])
    var heatmaps: [(suffix: String, heatmap: SVGHeatmap)] = []
    return try eachNetwork("interactions", workspace, settings) { index, role, model, study in
      workspace.note("interactions: \(model.label), \(study.dataset.count) images")
      let result = try BlockInteractions(blocks: nil).run(on: study)
      stack(result.table, role: role, onto: &pairs)
      for g in result.summary {
        summary.addRow([
          .text(role.rawValue), .text(g.group), .integer(g.pairs), .integer(g.indistinguishableFromZero),
          g.pairs > 0 ? .number(g.share) : .missing, g.relativeInteraction.isFinite ? .number(g.relativeInteraction) : .missing,
        ])
      }
      var heatmap = result.heatmap
      heatmap.title = "Pairwise block interactions, \(model.label) (\(result.matrix.intact.count) images)"
      heatmaps.append((index == 0 ? "" : "-\(role.rawValue)", heatmap))
      let all = result.summary.first { $0.group == "all" }
      return (
        ["resnet-lesion interactions\(workspace.modelArgument(role))\(dataArguments(workspace, settings))"],
        "\(role.rawValue) \(all.map { "\($0.indistinguishableFromZero) of \($0.pairs) pairs" } ?? "no pairs") with an interval containing zero"
      )
    } write: { commands, details, seconds in
      guard let pairs else { throw FiguresError.nothingToDo(skipped: ["interactions: no model"]) }
      return try workspace.write(
        .interactions, tables: [("", pairs), ("-summary", summary)], plots: [], heatmaps: heatmaps, roles: [.residual, .plain],
        commands: commands, details: details, seconds: seconds)
    }
  }
}

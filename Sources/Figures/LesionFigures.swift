import Basics
import Engine
import Foundation
import Lesion
import Report
import Statistics
import Studies

/// The lesion figures of one model: single deletion (Fig. 3), random deletion (Fig. 5a) and
/// reordering (Fig. 5b). Fig. 8 and the §5.2 table compare models: `SeedFigures`.
///
/// Each is experiments from `Studies` plus a plot: the CSV is the experiment's own table (the same
/// columns `sweep`, `reorder` and `drop` print), stacked with a `network` column when a figure
/// shows two models.
enum LesionFigures {
  static func fraction(_ value: Double) -> String { NumberFormat.fixed(value, decimals: 4) }

  /// "0.0200 (95% 0.0130–0.0306)".
  static func describe(_ comparison: LesionComparison) -> String {
    let w = comparison.result.errorInterval
    return "\(fraction(comparison.error)) (95% \(fraction(w.lower))–\(fraction(w.upper)))"
  }

  /// "+0.0160 (95% 0.0085 to 0.0247, McNemar p 1.2e-05)".
  static func describeChange(_ comparison: LesionComparison) -> String {
    let c = comparison.errorChange
    let sign = c.errorChange >= 0 ? "+" : ""
    return "\(sign)\(fraction(c.errorChange)) (95% \(fraction(c.lower)) to \(fraction(c.upper)), McNemar p \(NumberFormat.significant(c.mcNemarExactP, digits: 2)))"
  }

  /// Shaded strips over the downsampling blocks (the first one labelled).
  static func downsamplingStrips(_ blocks: [SingleDeletionResult.Block], label: String) -> [SVGPlot.ShadedRange] {
    blocks.filter(\.isDownsampling).enumerated().map { index, block in
      SVGPlot.ShadedRange(
        x: (Double(block.number) - 0.5)...(Double(block.number) + 0.5), label: index == 0 ? label : "",
        color: "#d62728", opacity: 0.15)
    }
  }

  /// Error after deleting each block alone with its Wilson band (gaps where a block cannot be deleted).
  static func singleSeries(_ result: SingleDeletionResult, name: String, color: String, marker: SVGPlot.Marker)
    -> SVGPlot.Series
  {
    let values = result.blocks.map { result.byBlock[$0.number] }
    return SVGPlot.Series(
      name, x: result.blocks.map { Double($0.number) }, y: values.map { $0?.error ?? .nan }, color: color, marker: marker,
      bandLower: values.map { $0?.result.errorInterval.lower ?? .nan },
      bandUpper: values.map { $0?.result.errorInterval.upper ?? .nan })
  }

  /// Mean error per k with its 95% interval as error bars and band (k = 0 is the intact network).
  static func drawSeries(intact: Double, points: [DrawPoint], name: String, color: String, marker: SVGPlot.Marker)
    -> SVGPlot.Series
  {
    let means = points.map(\.errorMean)
    return SVGPlot.Series(
      name, x: [0] + points.map { Double($0.point) }, y: [intact] + means.map(\.mean), color: color, marker: marker,
      errors: [.nan] + means.map(\.halfWidth), bandLower: [intact] + means.map(\.lower),
      bandUpper: [intact] + means.map(\.upper))
  }

  /// The worst single deletion, as text.
  static func worstText(_ result: SingleDeletionResult) -> String {
    guard let worst = result.worst else { return "none (no deletable block)" }
    let kind = worst.block.isDownsampling ? ", downsampling" : ""
    return "block \(worst.block.number) (\(worst.block.name)\(kind)) \(describe(worst.comparison)), change \(describeChange(worst.comparison))"
  }

  /// Fig. 3: every block deleted alone, residual network beside the plain one (when there is one).
  static func fig3(_ workspace: FigureWorkspace) throws -> (files: [String], summary: String) {
    let start = ProcessInfo.processInfo.systemUptime
    let residual = try workspace.model(.residual)
    let residualResult = try workspace.singleDeletion(.residual)
    let plain = workspace.models[.plain]
    let plainResult = try plain.map { _ in try workspace.singleDeletion(.plain) }
    let network = ResultTable.Column("network", .text)
    var table = residualResult.table.prefixed(network, value: .text("residual"))
    if let plainResult { table.append(rowsOf: plainResult.table.prefixed(network, value: .text("plain"))) }
    var plot = SVGPlot(
      title: "Deleting one block at test time (Fig. 3)", x: .init("deleted block (residual) or layer (plain), 1-based"),
      y: .init("test error (fraction)", minimum: 0, maximum: 1))
    plot.shadedRanges = downsamplingStrips(residualResult.blocks, label: "residual: downsampling block")
    plot.series.append(
      singleSeries(residualResult, name: "residual: \(residual.label)", color: SVGPlot.palette[0], marker: .circle))
    plot.referenceLines = [.horizontal(at: residualResult.intact.error, label: "residual intact", color: SVGPlot.palette[0])]
    var commands = ["resnet-lesion sweep\(workspace.modelArgument(.residual))\(workspace.dataArguments)"]
    if let plain, let plainResult {
      plot.series.append(singleSeries(plainResult, name: "plain: \(plain.label)", color: SVGPlot.palette[1], marker: .square))
      plot.referenceLines.append(
        .horizontal(at: plainResult.intact.error, label: "plain intact", color: SVGPlot.palette[1], dashed: true))
      let undeletable = plainResult.blocks.filter { plainResult.byBlock[$0.number] == nil }
      plot.referenceLines += undeletable.enumerated().map { index, block in
        .vertical(at: Double(block.number), label: index == 0 ? "plain: layer changes shape, not deletable" : "", color: "#7f7f7f", dashed: true)
      }
      commands.append("resnet-lesion sweep\(workspace.modelArgument(.plain))\(workspace.dataArguments)")
    }
    plot.legend = .outsideRight
    plot.width = 820
    let files = try workspace.write(
      .fig3, tables: [("", table)], plots: [("", plot)], roles: [.residual, .plain], commands: commands,
      details: [], seconds: ProcessInfo.processInfo.systemUptime - start)
    var summary = "fig3: residual intact \(describe(residualResult.intact)), worst single deletion \(worstText(residualResult))"
    if let plainResult { summary += "; plain intact \(describe(plainResult.intact)), worst \(worstText(plainResult))" }
    return (files, summary)
  }

  /// Fig. 5a: k random blocks deleted; mean error per k with its 95% interval over draws.
  static func fig5a(_ workspace: FigureWorkspace) throws -> (files: [String], summary: String) {
    let start = ProcessInfo.processInfo.systemUptime
    let residual = try workspace.model(.residual)
    let result = try workspace.randomDeletion(.residual)
    var plot = SVGPlot(
      title: "Deleting k random blocks at test time (Fig. 5a)", x: .init("number of deleted blocks k", minimum: 0),
      y: .init("test error (fraction)", minimum: 0))
    plot.series.append(
      drawSeries(
        intact: result.intact.error, points: result.points, name: "\(residual.label): mean, 95% interval over draws",
        color: SVGPlot.palette[0], marker: .circle))
    plot.legend = .automatic
    let files = try workspace.write(
      .fig5a, tables: [("", result.table), ("-draws", result.drawsTable)], plots: [("", plot)], roles: [.residual],
      commands: [
        "resnet-lesion sweep\(workspace.modelArgument(.residual)) --deleted \(result.experiment.counts.map(String.init).joined(separator: ",")) \(drawArguments(workspace.settings))\(workspace.dataArguments)"
      ], details: [], seconds: ProcessInfo.processInfo.systemUptime - start)
    let points = result.points.filter { [1, 5, 10, 20].contains($0.point) }.map {
      "k=\($0.point) \(fraction($0.errorMean.mean)) ± \(fraction($0.errorMean.halfWidth)) (\($0.draws.count) draws)"
    }
    return (files, "fig5a: intact \(describe(result.intact)), mean error " + points.joined(separator: ", "))
  }

  /// The draw options of an equivalent command.
  static func drawArguments(_ settings: FigureSettings) -> String {
    switch settings.draws {
    case .fixed(let n): return "--samples \(n) --seed \(settings.seed)"
    case .auto(let precision, let minimum, let maximum):
      return "--samples auto --precision \(NumberFormat.shortest(precision)) --min-samples \(minimum) --max-samples \(maximum) --seed \(settings.seed)"
    }
  }

  /// Fig. 5b: random swaps of shape-compatible blocks, mean error against mean Kendall τ.
  static func fig5b(_ workspace: FigureWorkspace) throws -> (files: [String], summary: String) {
    let start = ProcessInfo.processInfo.systemUptime
    let residual = try workspace.model(.residual)
    let settings = workspace.settings
    let swappable = !RandomLesions.swappableGroups(of: residual.network).isEmpty
    if !swappable {
      workspace.note("fig5b: \(residual.label) has no two blocks of the same shape; the figure holds only the intact network")
    }
    let counts = swappable ? settings.swapCounts : []
    workspace.note("reorderings: \(residual.label), \(settings.draws.description)")
    let result = try Reordering(.randomSwaps(counts: counts, draws: settings.draws, seed: settings.seed), option: "--swaps")
      .run(on: try workspace.study(.residual))
    let summaryTable = result.table
    let orders = result.ordersTable
    let tauColumn = orders.index(of: "kendall_tau")!
    let errorColumn = orders.index(of: "error_fraction")!
    func number(_ value: ResultTable.Value) -> Double { if case .number(let x) = value { return x } else { return .nan } }
    var plot = SVGPlot(
      title: "Reordering blocks at test time (Fig. 5b)", x: .init("Kendall τ of the block order (1 = original)", maximum: 1),
      y: .init("test error (fraction)", minimum: 0))
    plot.series.append(
      SVGPlot.Series(
        "single orders", x: orders.rows.map { number($0[tauColumn]) }, y: orders.rows.map { number($0[errorColumn]) },
        style: .markers, color: SVGPlot.palette[0], marker: .circle))
    let taus = [1.0] + result.points.map(result.meanTau)
    let means = result.points.map(\.errorMean)
    plot.series.append(
      SVGPlot.Series(
        "mean per number of swaps, 95% interval over draws", x: taus, y: [result.intact.error] + means.map(\.mean),
        style: .lineAndMarkers, color: SVGPlot.palette[3], marker: .diamond, errors: [.nan] + means.map(\.halfWidth)))
    plot.referenceLines = [.horizontal(at: result.intact.error, label: "intact", color: "#555555")]
    plot.legend = .automatic
    let files = try workspace.write(
      .fig5b, tables: [("", summaryTable), ("-orders", orders)], plots: [("", plot)], roles: [.residual],
      commands: [
        "resnet-lesion reorder\(workspace.modelArgument(.residual)) --summary --swaps \(counts.map(String.init).joined(separator: ",")) \(drawArguments(settings))\(workspace.dataArguments)"
      ],
      details: [("swappable_groups", .array(RandomLesions.swappableGroups(of: residual.network).map { .integers($0) }))],
      seconds: ProcessInfo.processInfo.systemUptime - start)
    let text = result.points.filter { [1, 5, 10, 30].contains($0.point) }.map { point -> String in
      let mean = point.errorMean
      return "\(point.point) swaps (τ \(NumberFormat.fixed(result.meanTau(point), decimals: 3))) \(fraction(mean.mean)) ± \(fraction(mean.halfWidth))"
    }
    return (files, "fig5b: intact \(describe(result.intact)); " + text.joined(separator: ", "))
  }
}

import Basics
import Checkpoints
import Engine
import Foundation
import Lesion
import Report
import Statistics

/// The lesion figures: single deletion (Fig. 3), random deletion (Fig. 5a), reordering (Fig. 5b),
/// stochastic depth (Fig. 8) and the short-path training table (§5.2).
///
/// Each function computes (or takes from the workspace's cache) its results, writes the CSV, SVG
/// and sidecar, and returns the files written with a one-line summary for standard output.
enum LesionFigures {
  /// Fixed-point text of a fraction in CSVs (errors are counts over at most a few thousand images).
  static func fraction(_ value: Double) -> CSVValue { .number(value, .fixed(decimals: 6)) }

  /// "0.60% (95% 0.27–1.31)".
  static func describe(_ result: LesionResult) -> String {
    "\(LesionFormat.percent(result.error))% (95% \(LesionFormat.interval(result)))"
  }

  /// The Wilson interval columns of one result.
  static func errorCells(_ result: LesionResult) -> [CSVValue] {
    let w = result.errorInterval
    return [fraction(result.error), fraction(w.lower), fraction(w.upper)]
  }

  /// The sidecar record of an intact result.
  static func intactJSON(_ result: LesionResult) -> JSONValue {
    let w = result.errorInterval
    return .object([
      ("error_fraction", .number(result.error)), ("error_low95_fraction", .number(w.lower)),
      ("error_high95_fraction", .number(w.upper)), ("errors", .integer(result.errors)),
      ("images", .integer(result.count)),
    ])
  }

  /// Shaded strips over the downsampling blocks of `network` (the first one labelled).
  static func downsamplingStrips(_ network: Network, label: String) -> [SVGPlot.ShadedRange] {
    network.blocks.filter(\.isDownsampling).enumerated().map { index, block in
      SVGPlot.ShadedRange(
        x: (Double(block.number) - 0.5)...(Double(block.number) + 0.5), label: index == 0 ? label : "",
        color: "#d62728", opacity: 0.15)
    }
  }

  /// One series per model: error after deleting each block alone, with its Wilson band (gaps at
  /// blocks that cannot be deleted).
  static func singleDeletionSeries(
    _ network: Network, _ deletion: FigureWorkspace.SingleDeletion, name: String, color: String, marker: SVGPlot.Marker
  )
    -> SVGPlot.Series
  {
    let results = network.blocks.map { deletion.byBlock[$0.number] }
    return SVGPlot.Series(
      name, x: network.blocks.map { Double($0.number) }, y: results.map { $0?.error ?? .nan }, color: color,
      marker: marker,
      bandLower: results.map { $0?.errorInterval.lower ?? .nan },
      bandUpper: results.map { $0?.errorInterval.upper ?? .nan })
  }

  /// The single-deletion CSV header.
  static let singleHeader = [
    "network", "block", "name", "stage", "downsampling", "deletable", "error_fraction", "error_low95_fraction",
    "error_high95_fraction", "error_change_fraction", "mean_loss_nats", "images",
  ]

  /// Single-deletion rows of one network: the intact row (block 0), then every block; blocks that
  /// cannot be deleted have `deletable` 0 and empty error fields.
  static func singleRows(_ label: String, _ network: Network, _ deletion: FigureWorkspace.SingleDeletion)
    -> [[CSVValue]]
  {
    let intact = deletion.intact
    var rows: [[CSVValue]] = [
      [.text(label), .integer(0), .text("intact"), .missing, .missing, .missing] + errorCells(intact)
        + [fraction(0), .number(intact.meanLoss, .fixed(decimals: 6)), .integer(intact.count)]
    ]
    for block in network.blocks {
      let head: [CSVValue] = [
        .text(label), .integer(block.number), .text(block.name), .integer(block.stage),
        .integer(block.isDownsampling ? 1 : 0),
      ]
      if let r = deletion.byBlock[block.number] {
        rows.append(
          head + [.integer(1)] + errorCells(r)
            + [fraction(r.error - intact.error), .number(r.meanLoss, .fixed(decimals: 6)), .integer(r.count)])
      } else {
        rows.append(head + [.integer(0)])
      }
    }
    return rows
  }

  /// Fig. 3: every block of the residual network and every layer of the plain network deleted alone.
  static func fig3(_ workspace: FigureWorkspace) throws -> (files: [String], summary: String) {
    let start = ProcessInfo.processInfo.systemUptime
    let residual = try workspace.model(.residual)
    let plain = try workspace.model(.plain)
    let residualDeletion = try workspace.singleDeletion(.residual)
    let plainDeletion = try workspace.singleDeletion(.plain)
    var csv = CSVTable(header: singleHeader)
    for row in singleRows("residual", residual.network, residualDeletion)
      + singleRows("plain", plain.network, plainDeletion)
    {
      csv.addRow(row)
    }
    var plot = SVGPlot(
      title: "Deleting one block at test time (Fig. 3)", x: .init("deleted block (residual) or layer (plain), 1-based"),
      y: .init("test error (fraction)", minimum: 0, maximum: 1))
    plot.shadedRanges = downsamplingStrips(residual.network, label: "residual: downsampling block")
    plot.series.append(
      singleDeletionSeries(
        residual.network, residualDeletion, name: "residual network: \(residual.argumentLabel)",
        color: SVGPlot.palette[0],
        marker: .circle))
    plot.series.append(
      singleDeletionSeries(
        plain.network, plainDeletion, name: "plain network: \(plain.argumentLabel)", color: SVGPlot.palette[1],
        marker: .square))
    let undeletable = plain.network.blocks.filter { !$0.isDeletable }
    plot.referenceLines = [
      .horizontal(at: residualDeletion.intact.error, label: "residual intact", color: SVGPlot.palette[0]),
      .horizontal(at: plainDeletion.intact.error, label: "plain intact", color: SVGPlot.palette[1]),
    ]
    // Plain layers that change shape cannot be deleted: a dotted line at each (labelled once).
    plot.referenceLines += undeletable.enumerated().map { index, block in
      .vertical(
        at: Double(block.number), label: index == 0 ? "plain: layer changes shape, not deletable" : "", color: "#ff7f0e"
      )
    }
    plot.legend = .outsideRight
    plot.width = 820
    let data = try workspace.testSet()
    let worst = worstDeletion(residualDeletion, residual.network)
    let plainWorst = worstDeletion(plainDeletion, plain.network)
    let files = try workspace.write(
      .fig3, csv: csv, plots: [("", plot)], roles: [.residual, .plain],
      data: [workspace.dataRecord(data, split: "test", perClass: workspace.settings.perClass)],
      details: [
        (
          "intact",
          .object([("residual", intactJSON(residualDeletion.intact)), ("plain", intactJSON(plainDeletion.intact))])
        ),
        ("largest_change", .object([("residual", worst.json), ("plain", plainWorst.json)])),
        ("undeletable_plain_layers", .array(undeletable.map { .integer($0.number) })),
        (
          "equivalent_commands",
          .array([
            .string("resnet-lesion sweep --model \(residual.argumentLabel)\(workspace.dataArguments)"),
            .string("resnet-lesion sweep --model \(plain.argumentLabel)\(workspace.dataArguments)"),
          ])
        ),
      ], seconds: ProcessInfo.processInfo.systemUptime - start)
    let summary =
      "fig3: residual intact \(describe(residualDeletion.intact)), worst single deletion \(worst.text); plain intact \(describe(plainDeletion.intact)), worst \(plainWorst.text)"
    return (files, summary)
  }

  /// The deletion that raises the error most.
  static func worstDeletion(_ deletion: FigureWorkspace.SingleDeletion, _ network: Network) -> (
    text: String, json: JSONValue
  ) {
    guard let (number, result) = deletion.byBlock.max(by: { ($0.value.error, -$0.key) < ($1.value.error, -$1.key) })
    else {
      return ("none (no deletable block)", .null)
    }
    let block = network.blocks[number - 1]
    let kind = block.isDownsampling ? ", downsampling" : ""
    return (
      "block \(number) (\(block.name)\(kind)) \(describe(result))",
      .object([
        ("block", .integer(number)), ("name", .string(block.name)), ("downsampling", .bool(block.isDownsampling)),
        ("error_fraction", .number(result.error)),
      ])
    )
  }

  /// The random-deletion CSV rows: k = 0 (the intact network) then each k.
  static func randomRows(_ deletion: FigureWorkspace.RandomDeletion) -> [[CSVValue]] {
    let i = deletion.intact.error
    var rows: [[CSVValue]] = [[.integer(0), .integer(1), fraction(i), fraction(0), fraction(i), fraction(i)]]
    for group in deletion.groups {
      let s = Summary(group.results.map(\.error))
      rows.append([
        .integer(group.k), .integer(s.count), fraction(s.mean), fraction(s.standardDeviation), fraction(s.minimum),
        fraction(s.maximum),
      ])
    }
    return rows
  }

  /// Mean ± standard deviation with a min–max band, one point per k (k = 0 is the intact network).
  static func randomSeries(
    _ deletion: FigureWorkspace.RandomDeletion, name: String, color: String, marker: SVGPlot.Marker
  ) -> SVGPlot.Series {
    let summaries = [Summary([deletion.intact.error])] + deletion.groups.map { Summary($0.results.map(\.error)) }
    return SVGPlot.Series(
      name, x: [0] + deletion.groups.map { Double($0.k) }, y: summaries.map(\.mean), color: color, marker: marker,
      errors: summaries.map(\.standardDeviation), bandLower: summaries.map(\.minimum),
      bandUpper: summaries.map(\.maximum))
  }

  /// A test-error axis from 0; capped at 1 when mean + std would pass it (errors cannot).
  static func errorAxis(_ deletions: [FigureWorkspace.RandomDeletion]) -> SVGPlot.Axis {
    let highest =
      deletions.flatMap { $0.groups.map { Summary($0.results.map(\.error)) } }.map { $0.mean + $0.standardDeviation }
      .max() ?? 0
    return SVGPlot.Axis("test error (fraction)", minimum: 0, maximum: highest > 1 ? 1 : nil)
  }

  static let randomHeader = [
    "deleted_blocks_k", "samples", "error_mean_fraction", "error_std_fraction", "error_min_fraction",
    "error_max_fraction",
  ]

  /// Fig. 5a: k random blocks deleted, `samples` times for each k.
  static func fig5a(_ workspace: FigureWorkspace) throws -> (files: [String], summary: String) {
    let start = ProcessInfo.processInfo.systemUptime
    let residual = try workspace.model(.residual)
    let deletion = try workspace.randomDeletion(.residual)
    var csv = CSVTable(header: randomHeader)
    for row in randomRows(deletion) { csv.addRow(row) }
    var plot = SVGPlot(
      title: "Deleting k random blocks at test time (Fig. 5a)", x: .init("number of deleted blocks k", minimum: 0),
      y: errorAxis([deletion]))
    plot.series.append(
      randomSeries(
        deletion, name: "\(residual.argumentLabel): mean ± std (band: min–max)", color: SVGPlot.palette[0],
        marker: .circle))
    plot.legend = .automatic
    let data = try workspace.testSet()
    let ks = deletion.groups.map(\.k)
    let files = try workspace.write(
      .fig5a, csv: csv, plots: [("", plot)], roles: [.residual],
      data: [workspace.dataRecord(data, split: "test", perClass: workspace.settings.perClass)],
      details: [
        ("samples_per_k", .integer(workspace.settings.samples)), ("deleted_blocks_k", .integers(ks)),
        ("intact", intactJSON(deletion.intact)),
        (
          "equivalent_command",
          .string(
            "resnet-lesion sweep --model \(residual.argumentLabel) --random \(ks.map(String.init).joined(separator: ",")) --samples \(workspace.settings.samples) --seed \(workspace.settings.seed)\(workspace.dataArguments)"
          )
        ),
      ], seconds: ProcessInfo.processInfo.systemUptime - start)
    let points = deletion.groups.filter { [1, 5, 10, 20].contains($0.k) }.map {
      "k=\($0.k) \(LesionFormat.percent(Summary($0.results.map(\.error)).mean))%"
    }
    return (
      files,
      "fig5a: intact \(LesionFormat.percent(deletion.intact.error))%, mean error " + points.joined(separator: ", ")
    )
  }

  /// Fig. 5b: random swaps of shape-compatible blocks, error against Kendall τ.
  static func fig5b(_ workspace: FigureWorkspace) throws -> (files: [String], summary: String) {
    let start = ProcessInfo.processInfo.systemUptime
    let residual = try workspace.model(.residual)
    let network = residual.network
    let settings = workspace.settings
    var generator = SplitMix64(seed: UInt64(settings.seed))
    var plans: [LesionPlan] = []
    var swapsOf: [Int] = []
    // A network whose blocks all differ in shape (e.g. one block per stage) has nothing to swap:
    // the figure then holds only the intact network.
    let swapCounts = RandomLesions.swappableGroups(of: network).isEmpty ? [] : settings.swapCounts
    if swapCounts.isEmpty {
      workspace.warn(
        "fig5b: \(residual.argumentLabel) has no two blocks of the same shape, so no reordering is possible; the figure holds only the intact network"
      )
    }
    for k in swapCounts {
      plans += try RandomLesions.reorderingPlans(
        network: network, swaps: k, samples: settings.samples, generator: &generator)
      swapsOf += Array(repeating: k, count: settings.samples)
    }
    let (intact, results) = try workspace.evaluate(.residual, plans, what: "reorderings")
    let taus = plans.map { kendallTau($0.order ?? network.blocks.map(\.number)) }
    var csv = CSVTable(header: [
      "swaps", "sample", "kendall_tau", "error_fraction", "error_low95_fraction", "error_high95_fraction", "order",
    ])
    csv.addRow(
      [.integer(0), .integer(0), .number(1, .fixed(decimals: 6))] + errorCells(intact) + [
        .text(network.blocks.map { "\($0.number)" }.joined(separator: " "))
      ])
    for (i, r) in results.enumerated() {
      csv.addRow(
        [.integer(swapsOf[i]), .integer(i % settings.samples + 1), .number(taus[i], .fixed(decimals: 6))]
          + errorCells(r)
          + [.text((r.plan.order ?? []).map(String.init).joined(separator: " "))])
    }
    // Mean τ and mean error per number of swaps.
    var meanTau: [Double] = [1]
    var meanError: [Double] = [intact.error]
    var minError: [Double] = [intact.error]
    var maxError: [Double] = [intact.error]
    for (index, _) in swapCounts.enumerated() {
      let range = (index * settings.samples)..<((index + 1) * settings.samples)
      meanTau.append(Summary(Array(taus[range])).mean)
      let s = Summary(results[range].map(\.error))
      meanError.append(s.mean)
      minError.append(s.minimum)
      maxError.append(s.maximum)
    }
    var plot = SVGPlot(
      title: "Reordering blocks at test time (Fig. 5b)",
      x: .init("Kendall τ of the block order (1 = original)", maximum: 1),
      y: .init("test error (fraction)", minimum: 0))
    plot.series.append(
      SVGPlot.Series(
        "single reorderings", x: [1] + taus, y: [intact.error] + results.map(\.error), style: .markers,
        color: SVGPlot.palette[0], marker: .circle))
    plot.series.append(
      SVGPlot.Series(
        "mean per number of swaps (band: min–max)", x: meanTau, y: meanError, style: .lineAndMarkers,
        color: SVGPlot.palette[3], marker: .diamond,
        bandLower: minError, bandUpper: maxError))
    plot.referenceLines = [.horizontal(at: intact.error, label: "intact", color: "#555555")]
    plot.legend = .automatic
    let data = try workspace.testSet()
    let files = try workspace.write(
      .fig5b, csv: csv, plots: [("", plot)], roles: [.residual],
      data: [workspace.dataRecord(data, split: "test", perClass: settings.perClass)],
      details: [
        ("samples_per_swap_count", .integer(settings.samples)), ("swap_counts", .integers(swapCounts)),
        ("swappable_groups", .array(RandomLesions.swappableGroups(of: network).map { .integers($0) })),
        ("intact", intactJSON(intact)),
        (
          "equivalent_command",
          .string(
            "resnet-lesion reorder --model \(residual.argumentLabel) --swaps \(swapCounts.map(String.init).joined(separator: ",")) --samples \(settings.samples) --seed \(settings.seed)\(workspace.dataArguments)"
          )
        ),
      ], seconds: ProcessInfo.processInfo.systemUptime - start)
    let lowest = zip(meanTau, meanError).min { $0.0 < $1.0 }
    let tail =
      lowest.map { "; at mean τ \(NumberFormat.fixed($0.0, decimals: 3)) mean error \(LesionFormat.percent($0.1))%" }
      ?? ""
    return (files, "fig5b: intact \(LesionFormat.percent(intact.error))%\(tail)")
  }

  /// Fig. 8: single and random deletion of the stochastic-depth network beside the standard one.
  static func fig8(_ workspace: FigureWorkspace) throws -> (files: [String], summary: String) {
    let start = ProcessInfo.processInfo.systemUptime
    let residual = try workspace.model(.residual)
    let stochastic = try workspace.model(.stochasticDepth)
    let standardSingle = try workspace.singleDeletion(.residual)
    let stochasticSingle = try workspace.singleDeletion(.stochasticDepth)
    let standardRandom = try workspace.randomDeletion(.residual)
    let stochasticRandom = try workspace.randomDeletion(.stochasticDepth)
    var csv = CSVTable(header: [
      "experiment", "network", "block", "downsampling", "deleted_blocks_k", "samples", "error_fraction",
      "error_low95_fraction",
      "error_high95_fraction", "error_std_fraction", "error_min_fraction", "error_max_fraction",
    ])
    for (label, model, single, random) in [
      ("standard", residual, standardSingle, standardRandom),
      ("stochastic-depth", stochastic, stochasticSingle, stochasticRandom),
    ] {
      csv.addRow(
        [.text("intact"), .text(label), .integer(0), .missing, .integer(0), .integer(1)] + errorCells(single.intact))
      for block in model.network.blocks {
        let head: [CSVValue] = [
          .text("single"), .text(label), .integer(block.number), .integer(block.isDownsampling ? 1 : 0), .integer(1),
          .integer(1),
        ]
        if let r = single.byBlock[block.number] { csv.addRow(head + errorCells(r)) } else { csv.addRow(head) }
      }
      for group in random.groups {
        let s = Summary(group.results.map(\.error))
        csv.addRow(
          [
            .text("random"), .text(label), .missing, .missing, .integer(group.k), .integer(s.count), fraction(s.mean),
            .missing, .missing,
          ]
            + [fraction(s.standardDeviation), fraction(s.minimum), fraction(s.maximum)])
      }
    }
    var single = SVGPlot(
      title: "Stochastic depth: deleting one block (Fig. 8)", x: .init("deleted block, 1-based"),
      y: .init("test error (fraction)", minimum: 0))
    single.shadedRanges = downsamplingStrips(residual.network, label: "downsampling block")
    single.series = [
      singleDeletionSeries(
        residual.network, standardSingle, name: "standard: \(residual.argumentLabel)", color: SVGPlot.palette[0],
        marker: .circle),
      singleDeletionSeries(
        stochastic.network, stochasticSingle, name: "stochastic depth: \(stochastic.argumentLabel)",
        color: SVGPlot.palette[2], marker: .square),
    ]
    single.legend = .automatic
    var random = SVGPlot(
      title: "Stochastic depth: deleting k random blocks (Fig. 8)", x: .init("number of deleted blocks k", minimum: 0),
      y: errorAxis([standardRandom, stochasticRandom]))
    random.series = [
      randomSeries(
        standardRandom, name: "standard: mean ± std (band: min–max)", color: SVGPlot.palette[0], marker: .circle),
      randomSeries(stochasticRandom, name: "stochastic depth: mean ± std", color: SVGPlot.palette[2], marker: .square),
    ]
    random.legend = .automatic
    let data = try workspace.testSet()
    let settings = workspace.settings
    let files = try workspace.write(
      .fig8, csv: csv, plots: [("", single), ("-random", random)], roles: [.residual, .stochasticDepth],
      data: [workspace.dataRecord(data, split: "test", perClass: settings.perClass)],
      details: [
        ("samples_per_k", .integer(settings.samples)), ("deleted_blocks_k", .integers(standardRandom.groups.map(\.k))),
        (
          "intact",
          .object([
            ("standard", intactJSON(standardSingle.intact)), ("stochastic_depth", intactJSON(stochasticSingle.intact)),
          ])
        ),
        (
          "largest_change",
          .object([
            ("standard", worstDeletion(standardSingle, residual.network).json),
            ("stochastic_depth", worstDeletion(stochasticSingle, stochastic.network).json),
          ])
        ),
      ], seconds: ProcessInfo.processInfo.systemUptime - start)
    func meanAt(_ random: FigureWorkspace.RandomDeletion) -> String {
      guard let last = random.groups.last else { return "–" }
      return "k=\(last.k) \(LesionFormat.percent(Summary(last.results.map(\.error)).mean))%"
    }
    let summary =
      "fig8: worst single deletion standard \(worstDeletion(standardSingle, residual.network).text), stochastic depth \(worstDeletion(stochasticSingle, stochastic.network).text); random \(meanAt(standardRandom)) vs \(meanAt(stochasticRandom))"
    return (files, summary)
  }

  /// §5.2: test error of the network trained with short paths only against the standard one.
  static func tableShortPaths(_ workspace: FigureWorkspace) throws -> (files: [String], summary: String) {
    let start = ProcessInfo.processInfo.systemUptime
    let residual = try workspace.model(.residual)
    let short = try workspace.model(.shortPaths)
    let standard = try workspace.intact(.residual)
    let shortResult = try workspace.intact(.shortPaths)
    var csv = CSVTable(header: [
      "network", "model", "images", "errors", "error_fraction", "error_low95_fraction", "error_high95_fraction",
      "mean_loss_nats",
    ])
    for (label, model, result) in [("standard", residual, standard), ("short-paths", short, shortResult)] {
      csv.addRow(
        [.text(label), .text(model.argumentLabel), .integer(result.count), .integer(result.errors)] + errorCells(result)
          + [.number(result.meanLoss, .fixed(decimals: 6))])
    }
    let overlap =
      standard.errorInterval.lower <= shortResult.errorInterval.upper
      && shortResult.errorInterval.lower <= standard.errorInterval.upper
    let data = try workspace.testSet()
    let files = try workspace.write(
      .tableShortPaths, csv: csv, plots: [], roles: [.residual, .shortPaths],
      data: [workspace.dataRecord(data, split: "test", perClass: workspace.settings.perClass)],
      details: [
        ("intervals_overlap", .bool(overlap)),
        (
          "paper",
          .string("CIFAR-10 ResNet-110: 5.96% (23 of 54 blocks per mini-batch) vs 6.10% (standard), not significant")
        ),
      ], seconds: ProcessInfo.processInfo.systemUptime - start)
    return (
      files,
      "table-short-paths: standard \(describe(standard)), short paths \(describe(shortResult))\(overlap ? "; intervals overlap" : "; intervals do not overlap")"
    )
  }
}

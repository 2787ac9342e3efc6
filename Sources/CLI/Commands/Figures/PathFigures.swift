import Basics
import Foundation
import PathAnalysis
import Report

/// The path figures: the exact path-length distribution (Fig. 6a), the gradient magnitude per path
/// length (Fig. 6b) and the total gradient per length with the effective paths (Fig. 6c).
enum PathFigures {
  /// Fig. 6a: C(n, k) paths of length k for the residual network's n residual blocks.
  static func fig6a(_ workspace: FigureWorkspace) throws -> (files: [String], summary: String) {
    let start = ProcessInfo.processInfo.systemUptime
    let model = try workspace.model(.residual)
    let n = model.network.blocks.filter(\.isResidual).count
    let distribution = try PathLengthDistribution(blockCount: n)
    let central = try distribution.narrowestCentralInterval(holding: 0.95)
    var csv = CSVTable(header: ["path_length_k_blocks", "paths_count", "paths_share_fraction", "log10_paths_count"])
    for k in 0...n {
      csv.addRow([
        .integer(k), .text(distribution.counts[k].description), .number(distribution.shares[k]),
        .number(distribution.log10Counts[k], .fixed(decimals: 6)),
      ])
    }
    var plot = SVGPlot(
      title: "Path lengths of a \(n)-block residual network (Fig. 6a)",
      x: .init("path length k (residual branches passed)"),
      y: .init("number of paths C(n, k), log scale", scale: .log10))
    let highlighted = Set(central.range.map { $0 })
    plot.bars.append(
      SVGPlot.Bars(
        "paths of length k", x: (0...n).map(Double.init), heights: distribution.log10Counts.map { pow(10, $0) },
        highlighted: highlighted,
        highlightName: "95% of paths: \(central.range.lowerBound)–\(central.range.upperBound)",
        color: SVGPlot.palette[0], highlightColor: SVGPlot.palette[1]))
    plot.legend = .topLeft
    let files = try workspace.write(
      .fig6a, csv: csv, plots: [("", plot)], roles: [.residual], data: [],
      details: [
        ("residual_blocks", .integer(n)), ("total_paths", .string(distribution.totalCount.description)),
        ("mean_length_blocks", .number(distribution.meanLength)),
        ("standard_deviation_blocks", .number(distribution.standardDeviation)),
        (
          "central_interval_95",
          .object([
            ("first", .integer(central.range.lowerBound)), ("last", .integer(central.range.upperBound)),
            ("share", .number(central.share)),
          ])
        ),
        ("equivalent_command", .string("resnet-lesion paths --blocks \(n) --format csv")),
      ], seconds: ProcessInfo.processInfo.systemUptime - start)
    return (
      files,
      "fig6a: n = \(n), 2^n = \(distribution.totalCount) paths; 95% have length \(central.range.lowerBound)–\(central.range.upperBound) (share \(NumberFormat.fixed(central.share, decimals: 6)))"
    )
  }

  /// Fig. 6b and 6c share one gradient measurement.
  final class GradientCache {
    var result: PathGradientResult?
    var seconds = 0.0
  }

  /// Runs (once) the gradient-per-length measurement of the residual network on the training split.
  static func measure(_ workspace: FigureWorkspace, cache: GradientCache) throws -> PathGradientResult {
    if let result = cache.result { return result }
    let start = ProcessInfo.processInfo.systemUptime
    let model = try workspace.model(.residual)
    let data = try workspace.trainingSet()
    let measurement = try PathGradientMeasurement(
      network: model.network, dataset: data, mean: model.loaded.metadata.normalizationMean,
      std: model.loaded.metadata.normalizationStd)
    let configuration = workspace.settings.gradientConfiguration
    let n = model.network.blocks.filter(\.isResidual).count
    let total = PathGradientMeasurement.backwardCount(blockCount: n, configuration: configuration)
    workspace.note(
      "gradient per path length: \(model.argument), \(configuration.samples) batches of \(configuration.batchSize) training images, \(total) backward passes"
    )
    let reporter = workspace.progressReporter(total: total, unit: "backward passes")
    defer { reporter.finish() }
    let result = try measurement.measure(configuration) { done in reporter.advance(by: done) }
    cache.result = result
    cache.seconds = ProcessInfo.processInfo.systemUptime - start
    return result
  }

  /// The settings of the measurement for the sidecar.
  static func measurementDetails(_ workspace: FigureWorkspace, _ result: PathGradientResult) -> [(
    key: String, value: JSONValue
  )] {
    let c = result.configuration
    return [
      ("residual_blocks", .integer(result.blockCount)), ("batches", .integer(c.samples)),
      ("batch_size", .integer(c.batchSize)),
      ("location", .string(c.location.rawValue)), ("mode", .string(c.mode.rawValue)),
      ("norm", .string("L2 norm of the gradient of the batch's mean cross-entropy loss")),
      ("measurements_per_length", .integer(c.samples)),
      (
        "equivalent_command",
        .string(
          "resnet-lesion paths --gradients --model \(modelLabel(workspace)) --samples \(c.samples) --batch-size \(c.batchSize) --at \(c.location.rawValue) --mode \(c.mode.rawValue) --seed \(workspace.settings.seed)\(workspace.dataSource == "mnist-5k" ? "" : " --data \(workspace.dataSource)")"
        )
      ),
    ]
  }

  /// The residual model as legends and equivalent commands name it.
  static func modelLabel(_ workspace: FigureWorkspace) -> String {
    (try? workspace.model(.residual).argumentLabel) ?? workspace.argument(for: .residual)
  }

  /// Fig. 6b: mean L2 norm of the gradient that passes through exactly k residual branches.
  static func fig6b(_ workspace: FigureWorkspace, cache: GradientCache) throws -> (files: [String], summary: String) {
    let fresh = cache.result == nil
    let start = ProcessInfo.processInfo.systemUptime
    let result = try measure(workspace, cache: cache)
    var csv = CSVTable(header: [
      "path_length_k_blocks", "gradient_l2_norm_mean", "gradient_l2_norm_std", "measurements",
    ])
    for point in result.points {
      csv.addRow([.integer(point.length), .number(point.mean), .number(point.standardDeviation), .integer(point.count)])
    }
    var plot = SVGPlot(
      title: "Gradient magnitude per path length (Fig. 6b)", x: .init("path length k (residual branches passed)"),
      y: .init(
        "gradient L2 norm at the \(result.configuration.location == .block ? "first block's input" : "input image"), log scale",
        scale: .log10))
    // Error bars: the standard error of the mean, drawn only where mean − s.e.m. stays positive
    // (a bar reaching 0 has no place on a log axis). The CSV has the standard deviation.
    let standardErrors = result.points.map { point -> Double in
      let sem = point.count > 1 ? point.standardDeviation / Double(point.count).squareRoot() : .nan
      return sem < point.mean ? sem : .nan
    }
    plot.series.append(
      SVGPlot.Series(
        "mean over \(result.configuration.samples) batches ± standard error",
        x: result.points.map { Double($0.length) },
        y: result.points.map(\.mean), color: SVGPlot.palette[0], marker: .circle, errors: standardErrors))
    plot.legend = .automatic
    // Float gradients underflow to 0 after enough small branch Jacobians; say so instead of
    // plotting nothing there.
    let underflow = result.points.filter { $0.mean == 0 }.map(\.length)
    let data = try workspace.trainingSet()
    let files = try workspace.write(
      .fig6b, csv: csv, plots: [("", plot)], roles: [.residual],
      data: [workspace.dataRecord(data, split: "train", perClass: nil)],
      details: measurementDetails(workspace, result) + [
        ("lengths_with_zero_gradient", .integers(underflow)),
        (
          "zero_gradient_note",
          .string(
            "a zero mean is a gradient below the Float range (underflow through many branches), not a measured zero; log plots omit it"
          )
        ),
      ],
      seconds: fresh ? cache.seconds : ProcessInfo.processInfo.systemUptime - start)
    var summary = "fig6b: gradient norm"
    if let first = result.points.first, let last = result.points.last {
      summary +=
        " k=\(first.length) \(NumberFormat.shortest(roundSignificant(first.mean))) … k=\(last.length) \(NumberFormat.shortest(roundSignificant(last.mean)))"
      if first.mean > 0, last.mean > 0, last.length > first.length {
        let slope = log10(last.mean / first.mean) / Double(last.length - first.length)
        summary += " (log10 slope \(NumberFormat.fixed(slope, decimals: 3)) per branch)"
      }
    }
    if !underflow.isEmpty {
      summary += "; zero (Float underflow) at k = \(underflow.map(String.init).joined(separator: ","))"
    }
    return (files, summary)
  }

  /// `value` with four significant digits, for summaries.
  static func roundSignificant(_ value: Double) -> Double {
    guard value != 0, value.isFinite else { return value }
    let scale = pow(10, 3 - floor(log10(abs(value))))
    return (value * scale).rounded() / scale
  }

  /// Fig. 6c: total gradient C(n, k) · g_k per path length, and the effective paths.
  static func fig6c(_ workspace: FigureWorkspace, cache: GradientCache) throws -> (files: [String], summary: String) {
    let fresh = cache.result == nil
    let start = ProcessInfo.processInfo.systemUptime
    let result = try measure(workspace, cache: cache)
    let effective = try result.effectivePaths()
    let share = workspace.settings.effectiveShare
    let range = try effective.narrowestRange(holding: share)
    let n = result.blockCount
    var csv = CSVTable(header: ["path_length_k_blocks", "log10_total_gradient", "total_gradient_share_fraction"])
    for k in 0...n {
      let logTotal = effective.log10Totals[k]
      csv.addRow([
        .integer(k), logTotal.isFinite ? .number(logTotal, .fixed(decimals: 6)) : .missing,
        .number(effective.gradientShares[k]),
      ])
    }
    var plot = SVGPlot(
      title: "Total gradient per path length (Fig. 6c)", x: .init("path length k (residual branches passed)"),
      y: .init("share of the total gradient magnitude", minimum: 0))
    plot.shadedRanges = [
      SVGPlot.ShadedRange(
        x: Double(range.range.lowerBound)...Double(range.range.upperBound),
        label:
          "effective paths \(range.range.lowerBound)–\(range.range.upperBound) (\(NumberFormat.fixed(100 * range.gradientShare, decimals: 0))% of gradient)"
      )
    ]
    plot.series.append(
      SVGPlot.Series(
        "C(n, k) × mean gradient, normalized", x: (0...n).map(Double.init), y: effective.gradientShares,
        color: SVGPlot.palette[0], marker: .circle))
    plot.legend = .automatic
    let data = try workspace.trainingSet()
    let files = try workspace.write(
      .fig6c, csv: csv, plots: [("", plot)], roles: [.residual],
      data: [workspace.dataRecord(data, split: "train", perClass: nil)],
      details: measurementDetails(workspace, result) + [
        (
          "effective_paths",
          .object([
            ("gradient_share_asked", .number(share)), ("first", .integer(range.range.lowerBound)),
            ("last", .integer(range.range.upperBound)),
            ("gradient_share", .number(range.gradientShare)), ("path_count", .string(range.pathCount.description)),
            ("path_share", .number(range.pathShare)),
          ])
        ),
        ("mode_length", .integer(effective.mode)),
        ("gradient_measurement_seconds", .number((cache.seconds * 1000).rounded() / 1000)),
        ("paper", .string("ResNet-110 on CIFAR-10: effective paths 5–17 blocks, 0.45% of all paths")),
      ], seconds: fresh ? cache.seconds : ProcessInfo.processInfo.systemUptime - start)
    let summary =
      "fig6c: \(NumberFormat.fixed(100 * range.gradientShare, decimals: 1))% of the total gradient comes from paths of length \(range.range.lowerBound)–\(range.range.upperBound), \(NumberFormat.shortest(roundSignificant(100 * range.pathShare)))% of all paths (most gradient at k = \(effective.mode))"
    return (files, summary)
  }
}

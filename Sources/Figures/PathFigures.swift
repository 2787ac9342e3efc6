import Basics
import Foundation
import PathAnalysis
import Report
import Studies

/// The path figures: the exact path-length distribution (Fig. 6a), the gradient magnitude per path
/// length (Fig. 6b) and the total gradient per length with the effective paths (Fig. 6c), from the
/// `PathLengths` and `PathGradients` experiments that `paths` runs.
enum PathFigures {
  /// Fig. 6a: C(n, k) paths of length k for the residual network's n residual blocks.
  static func fig6a(_ workspace: FigureWorkspace) throws -> (files: [String], summary: String) {
    let start = ProcessInfo.processInfo.systemUptime
    let model = try workspace.model(.residual)
    let n = model.network.blocks.filter(\.isResidual).count
    let result = try PathLengths(blockCount: n, share: 0.95).run()
    let distribution = result.distribution
    let central = result.central
    var plot = SVGPlot(
      title: "Path lengths of a \(n)-block residual network (Fig. 6a)", x: .init("path length k (residual branches passed)"),
      y: .init("number of paths C(n, k), log scale", scale: .log10))
    plot.bars.append(
      SVGPlot.Bars(
        "paths of length k", x: (0...n).map(Double.init), heights: distribution.log10Counts.map { pow(10, $0) },
        highlighted: Set(central.range.map { $0 }),
        highlightName: "95% of paths: \(central.range.lowerBound)–\(central.range.upperBound)",
        color: SVGPlot.palette[0], highlightColor: SVGPlot.palette[1]))
    plot.legend = .topLeft
    let table = result.table
    let files = try workspace.write(
      .fig6a, tables: [("", table)], plots: [("", plot)], roles: [.residual],
      commands: ["resnet-lesion paths --blocks \(n) --format csv"], details: table.metadata,
      seconds: ProcessInfo.processInfo.systemUptime - start)
    return (
      files,
      "fig6a: n = \(n), 2^n = \(distribution.totalCount) paths; 95% have length \(central.range.lowerBound)–\(central.range.upperBound) (share \(NumberFormat.significant(central.share, digits: 4)))"
    )
  }

  /// Fig. 6b and 6c share one gradient measurement.
  final class GradientCache {
    var result: PathGradientsResult?
    var seconds = 0.0
  }

  /// Runs (once) the gradient-per-length measurement of the residual network on the training split.
  static func measure(_ workspace: FigureWorkspace, cache: GradientCache) throws -> PathGradientsResult {
    if let result = cache.result { return result }
    let start = ProcessInfo.processInfo.systemUptime
    let study = try workspace.study(.residual, training: true)
    let experiment = PathGradients(
      configuration: workspace.settings.gradientConfiguration, share: workspace.settings.effectiveShare,
      resamples: workspace.settings.bootstrapResamples)
    workspace.note(
      "gradient per path length: \(try workspace.model(.residual).label), \(experiment.configuration.samples) batches of \(experiment.configuration.batchSize) training images, \(experiment.backwardCount(on: study)) backward passes")
    let result = try experiment.run(on: study)
    cache.result = result
    cache.seconds = ProcessInfo.processInfo.systemUptime - start
    return result
  }

  /// The equivalent `paths --gradients` command.
  static func command(_ workspace: FigureWorkspace, _ result: PathGradientsResult) -> String {
    let c = result.experiment.configuration
    return "resnet-lesion paths --gradients\(workspace.modelArgument(.residual)) --gradient-samples \(c.samples) --gradient-batch \(c.batchSize) --at \(c.location.rawValue) --gradient-mode \(c.mode.rawValue) --seed \(c.seed) --gradient-share \(NumberFormat.shortest(result.experiment.share))\(workspace.dataArguments(perClass: nil))"
  }

  /// Fig. 6b: mean L2 norm of the gradient that passes through exactly k residual branches.
  static func fig6b(_ workspace: FigureWorkspace, cache: GradientCache) throws -> (files: [String], summary: String) {
    let fresh = cache.result == nil
    let start = ProcessInfo.processInfo.systemUptime
    let result = try measure(workspace, cache: cache)
    let points = result.measurement.points
    var plot = SVGPlot(
      title: "Gradient magnitude per path length (Fig. 6b)", x: .init("path length k (residual branches passed)"),
      y: .init(
        "gradient L2 norm at the \(result.experiment.configuration.location == .block ? "first block's input" : "input image"), log scale",
        scale: .log10))
    // Band: the 95% bootstrap interval of each mean, where its lower end stays positive (a log axis
    // has no place for 0).
    let intervals = Dictionary(uniqueKeysWithValues: result.bootstrap.lengths.map { ($0.length, $0.mean) })
    plot.series.append(
      SVGPlot.Series(
        "mean over \(result.experiment.configuration.samples) batches (band: 95% bootstrap interval)",
        x: points.map { Double($0.length) }, y: points.map(\.mean), color: SVGPlot.palette[0], marker: .circle,
        bandLower: points.map { intervals[$0.length].map { $0.lower > 0 ? $0.lower : .nan } ?? .nan },
        bandUpper: points.map { intervals[$0.length].map { $0.lower > 0 ? $0.upper : .nan } ?? .nan }))
    plot.legend = .automatic
    let underflow = points.filter { $0.mean == 0 }.map(\.length)
    let table = result.table
    let files = try workspace.write(
      .fig6b, tables: [("", table)], plots: [("", plot)], roles: [.residual], training: true,
      commands: [command(workspace, result)],
      details: table.metadata + [
        ("lengths_with_zero_gradient", .integers(underflow)),
        ("zero_gradient_note", .string("a zero mean is a gradient below the Float range (underflow through many branches), not a measured zero; log plots omit it")),
      ], seconds: fresh ? cache.seconds : ProcessInfo.processInfo.systemUptime - start)
    var summary = "fig6b: gradient norm"
    if let first = points.first, let last = points.last {
      summary += " k=\(first.length) \(NumberFormat.significant(first.mean, digits: 4)) … k=\(last.length) \(NumberFormat.significant(last.mean, digits: 4))"
    }
    if !underflow.isEmpty { summary += "; zero (Float underflow) at k = \(underflow.map(String.init).joined(separator: ","))" }
    return (files, summary)
  }

  /// Fig. 6c: total gradient C(n, k) · g_k per path length, and the effective paths.
  static func fig6c(_ workspace: FigureWorkspace, cache: GradientCache) throws -> (files: [String], summary: String) {
    let fresh = cache.result == nil
    let start = ProcessInfo.processInfo.systemUptime
    let result = try measure(workspace, cache: cache)
    let effective = result.effective
    let range = result.range
    let n = result.measurement.blockCount
    var plot = SVGPlot(
      title: "Total gradient per path length (Fig. 6c)", x: .init("path length k (residual branches passed)"),
      y: .init("share of the total gradient magnitude", minimum: 0))
    plot.shadedRanges = [
      SVGPlot.ShadedRange(
        x: Double(range.range.lowerBound)...Double(range.range.upperBound),
        label: "effective paths \(range.range.lowerBound)–\(range.range.upperBound) (\(NumberFormat.fixed(100 * range.gradientShare, decimals: 0))% of gradient)")
    ]
    plot.series.append(
      SVGPlot.Series(
        "C(n, k) × mean gradient, normalized", x: (0...n).map(Double.init), y: effective.gradientShares,
        color: SVGPlot.palette[0], marker: .circle))
    plot.legend = .automatic
    let table = result.table
    let files = try workspace.write(
      .fig6c, tables: [("", table), ("-ranges", result.rangesTable)], plots: [("", plot)], roles: [.residual], training: true,
      commands: [command(workspace, result)],
      details: table.metadata + [
        ("gradient_measurement_seconds", .number((cache.seconds * 1000).rounded() / 1000)),
        ("paper", .string("ResNet-110 on CIFAR-10: effective paths 5–17 blocks, 0.45% of all paths")),
      ], seconds: fresh ? cache.seconds : ProcessInfo.processInfo.systemUptime - start)
    let summary =
      "fig6c: \(NumberFormat.fixed(100 * range.gradientShare, decimals: 1))% of the total gradient comes from paths of length \(range.range.lowerBound)–\(range.range.upperBound), \(NumberFormat.significant(100 * range.pathShare, digits: 3))% of all paths (most gradient at k = \(effective.mode))"
    return (files, summary)
  }
}

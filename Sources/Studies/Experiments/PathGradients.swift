import Basics
import Lesion
import PathAnalysis
import Report

/// Gradient magnitude per path length and the effective paths (Veit et al. 2016, §4.2, Figs. 6b, 6c).
public struct PathGradients: Sendable {
  public var configuration: PathGradientConfiguration
  /// Share of the total gradient the effective-path range must hold.
  public var share: Double

  public init(configuration: PathGradientConfiguration, share: Double = 0.9) {
    self.configuration = configuration
    self.share = share
  }

  /// Residual blocks of the study's network (path lengths run 0…n).
  public static func residualCount(_ study: Study) -> Int { study.network.blocks.filter(\.isResidual).count }

  /// Backward passes the measurement runs (a cost estimate before it starts).
  public func backwardCount(on study: Study) -> Int {
    PathGradientMeasurement.backwardCount(blockCount: Self.residualCount(study), configuration: configuration)
  }

  /// Measures on the study's images (usually a training split).
  /// - Throws: `StudyError.lengthOutOfRange` for a length above n.
  public func run(on study: Study) throws -> PathGradientsResult {
    let n = Self.residualCount(study)
    if let bad = configuration.lengths?.first(where: { $0 < 0 || $0 > n }) {
      throw StudyError.lengthOutOfRange(option: "--lengths", length: bad, blockCount: n)
    }
    let measurement = try PathGradientMeasurement(
      network: study.network, dataset: study.dataset, mean: study.mean, std: study.std)
    let handle = study.progress.begin("gradient per path length", backwardCount(on: study), "backward passes")
    defer { handle.finish() }
    let result = try measurement.measure(configuration) { handle.advance($0) }
    let effective = try result.effectivePaths()
    return PathGradientsResult(
      experiment: self, measurement: result, effective: effective, range: try effective.narrowestRange(holding: share),
      dataName: study.dataset.name)
  }
}

/// Per-length gradient norms, total gradient and the effective-path range.
public struct PathGradientsResult: Sendable {
  public var experiment: PathGradients
  public var measurement: PathGradientResult
  public var effective: EffectivePaths
  public var range: EffectivePathRange
  public var dataName: String

  /// Whether only some lengths were measured (shares are then over those lengths only).
  public var isSubset: Bool { measurement.points.count < measurement.blockCount + 1 }

  /// One row per measured length.
  public var table: ResultTable {
    var table = ResultTable(columns: [
      .init("path_length_k_blocks", .integer), .init("paths_count", .text), .init("gradient_l2_mean", .significant(4)),
      .init("gradient_l2_std", .significant(4)), .init("measurements", .integer),
      .init("log10_total_gradient", .fixed(4)), .init("total_gradient_share_fraction", .significant(4)),
    ])
    for point in measurement.points {
      table.addRow([
        .integer(point.length), .text(effective.distribution.counts[point.length].description), .number(point.mean),
        .number(point.standardDeviation), .integer(point.count), .number(effective.log10Totals[point.length]),
        .number(effective.gradientShares[point.length]),
      ])
    }
    let c = experiment.configuration
    let lengths = measurement.points.map(\.length)
    let scope = isSubset ? " of the measured lengths \(lengths.first ?? 0)–\(lengths.last ?? 0) only" : ""
    table.metadata = [
      ("residual_blocks", .integer(measurement.blockCount)), ("mode", .string(c.mode.rawValue)),
      ("location", .string(c.location.rawValue)), ("samples", .integer(c.samples)), ("batch_size", .integer(c.batchSize)),
      ("seed", .integer(Int(truncatingIfNeeded: c.seed))), ("shares_over", .string(isSubset ? "measured lengths" : "all lengths")),
      ("effective_paths", .object([
        ("share_asked", .number(experiment.share)), ("first", .integer(range.range.lowerBound)),
        ("last", .integer(range.range.upperBound)), ("gradient_share", .number(range.gradientShare)),
        ("path_share", .number(range.pathShare)), ("mode_length", .integer(effective.mode)),
      ])),
    ]
    table.notes = [
      "\(c.mode.rawValue) paths, gradient at the \(c.location == .block ? "first block's input" : "image"), \(c.samples) samples of \(c.batchSize) \(dataName) images per length, seed \(c.seed)",
      "effective paths: lengths \(range.range.lowerBound)–\(range.range.upperBound) carry \(NumberFormat.fixed(100 * range.gradientShare, decimals: 1))% of the total gradient\(scope) and are \(NumberFormat.significant(100 * range.pathShare, digits: 3))% of all paths; mode \(effective.mode)",
    ]
    table.textAppendix =
      "\nshare of total gradient by path length (* = effective paths)\n"
      + PathLengthHistogram(values: effective.gradientShares, highlighted: range.range).rendered()
    return table
  }
}

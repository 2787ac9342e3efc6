import Basics
import Lesion
import PathAnalysis
import Report

/// Gradient magnitude per path length and the effective paths (Veit et al. 2016, §4.2, Figs. 6b, 6c).
public struct PathGradients: Sendable {
  public var configuration: PathGradientConfiguration
  /// Share of the total gradient the effective-path range must hold.
  public var share: Double
  /// Bootstrap resamples for the intervals of the per-length means and the effective-path ranges.
  public var resamples: Int

  public init(configuration: PathGradientConfiguration, share: Double = 0.9, resamples: Int = 2000) {
    self.configuration = configuration
    self.share = share
    self.resamples = resamples
  }

  /// Key of the bootstrap's stream ("BOOT"), mixed with the seed.
  static let bootstrapKey: UInt64 = 0x424F_4F54

  /// Residual blocks of the study's network (path lengths run 0…n).
  public static func residualCount(_ study: Study) -> Int { study.network.blocks.filter(\.isResidual).count }

  /// Backward passes the measurement runs (a cost estimate before it starts).
  public func backwardCount(on study: Study) -> Int {
    PathGradientMeasurement.backwardCount(blockCount: Self.residualCount(study), configuration: configuration)
  }

  /// Measures on the study's images (usually a training split).
  /// - Throws: `StudyError.lengthOutOfRange` for a length above n.
  public func run(on study: Study) throws -> PathGradientsResult {
    let result = try measure(on: study)
    let effective = try result.effectivePaths()
    var generator = SplitMix64(seed: configuration.seed, keys: [Self.bootstrapKey])
    let thresholds = Array(Set(EffectivePaths.defaultThresholds + [share])).sorted()
    let bootstrap = try result.effectivePathBootstrap(
      thresholds: thresholds, resamples: resamples, generator: &generator)
    return PathGradientsResult(
      experiment: self, measurement: result, effective: effective, range: try effective.narrowestRange(holding: share),
      bootstrap: bootstrap, dataName: study.dataset.name)
  }
}

extension PathGradients {
  /// The per-length measurements alone (what a shard computes: its samples, recorded in the
  /// study's evaluation store). With a store, stored samples are read instead of measured; each
  /// sample is one configuration of a sharded run.
  /// - Throws: `StudyError.lengthOutOfRange` for a length above n; `ShardingError.missingEvaluation`
  ///   when a merge lacks a sample; `ShardFileError` for stored norms of the wrong count.
  public func measure(on study: Study) throws -> PathGradientResult {
    let n = Self.residualCount(study)
    if let bad = configuration.lengths?.first(where: { $0 < 0 || $0 > n }) {
      throw StudyError.lengthOutOfRange(option: "--lengths", length: bad, blockCount: n)
    }
    let measurement = try PathGradientMeasurement(
      network: study.network, dataset: study.dataset, mean: study.mean, std: study.std)
    let lengthCount = PathGradientMeasurement.lengths(blockCount: n, configuration: configuration).count
    let hooks = study.evaluations.map { store in
      PathGradientMeasurement.SampleHooks(
        known: { sample in
          guard let norms = store.gradientSample(sample) else { return nil }
          guard norms.count == lengthCount else {
            throw ShardFileError.invalid(
              file: "the stored evaluations", key: "gradient_sample \(sample)", expected: "\(lengthCount) norms", found: "\(norms.count)")
          }
          return norms
        },
        computes: { sample in
          if store.mode == .replay { throw ShardingError.missingEvaluation(plan: "path-gradient sample \(sample)") }
          return study.owns(sample)
        },
        finished: { try store.recordGradientSample($0, norms: $1) })
    }
    let handle = study.progress.begin("gradient per path length", backwardCount(on: study), "backward passes")
    defer { handle.finish() }
    return try measurement.measure(configuration, samples: hooks) { handle.advance($0) }
  }
}

extension PathGradientsResult {
  /// One row per threshold (50%, 90%, 95%, and the asked share): the effective-path range with
  /// bootstrap intervals of its endpoints, path share and gradient share, and its most frequent
  /// range over resamples.
  public var rangesTable: ResultTable {
    var table = ResultTable(columns: [
      .init("gradient_share_threshold_fraction", .fraction), .init("first_length", .integer), .init("last_length", .integer),
      .init("first_length_low95", .significant(3)), .init("first_length_high95", .significant(3)),
      .init("last_length_low95", .significant(3)), .init("last_length_high95", .significant(3)),
      .init("paths_share_fraction", .significant(4)), .init("paths_share_low95_fraction", .significant(4)),
      .init("paths_share_high95_fraction", .significant(4)), .init("gradient_share_fraction", .fraction),
      .init("gradient_share_low95_fraction", .fraction), .init("gradient_share_high95_fraction", .fraction),
      .init("most_frequent_range", .text), .init("most_frequent_range_fraction", .fraction),
      .init("resamples_used", .integer),
    ])
    for e in bootstrap.ranges {
      let top = e.frequencies.first
      table.addRow([
        .number(e.threshold), .integer(e.point.range.lowerBound), .integer(e.point.range.upperBound),
        .number(e.start.lower), .number(e.start.upper), .number(e.end.lower), .number(e.end.upper),
        .number(e.point.pathShare), .number(e.pathShare.lower), .number(e.pathShare.upper),
        .number(e.point.gradientShare), .number(e.gradientShare.lower), .number(e.gradientShare.upper),
        top.map { .text("\($0.range.lowerBound)-\($0.range.upperBound)") } ?? .missing,
        top.map { .number($0.fraction) } ?? .missing, .integer(e.usedResamples),
      ])
    }
    table.notes = ["95% bootstrap percentile intervals, \(bootstrap.resamples) resamples of the measurements within each length"]
    if isSubset { table.notes.append("shares are over the measured lengths only") }
    return table
  }
}

/// Per-length gradient norms, total gradient and the effective-path range.
public struct PathGradientsResult: Sendable {
  public var experiment: PathGradients
  public var measurement: PathGradientResult
  public var effective: EffectivePaths
  public var range: EffectivePathRange
  /// Percentile intervals of the per-length means and of the effective-path ranges.
  public var bootstrap: EffectivePathBootstrap
  public var dataName: String

  /// Whether only some lengths were measured (shares are then over those lengths only).
  public var isSubset: Bool { measurement.points.count < measurement.blockCount + 1 }

  /// One row per measured length.
  public var table: ResultTable {
    var table = ResultTable(columns: [
      .init("path_length_k_blocks", .integer), .init("paths_count", .text), .init("gradient_l2_mean", .significant(4)),
      .init("gradient_l2_low95", .significant(4)), .init("gradient_l2_high95", .significant(4)),
      .init("gradient_l2_std", .significant(4)), .init("measurements", .integer),
      .init("log10_total_gradient", .fixed(4)), .init("total_gradient_share_fraction", .significant(4)),
    ])
    let intervals = Dictionary(uniqueKeysWithValues: bootstrap.lengths.map { ($0.length, $0.mean) })
    for point in measurement.points {
      let interval = intervals[point.length]
      table.addRow([
        .integer(point.length), .text(effective.distribution.counts[point.length].description), .number(point.mean),
        interval.map { .number($0.lower) } ?? .missing, interval.map { .number($0.upper) } ?? .missing,
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
    table.notes.append(
      "intervals: 95% bootstrap percentile, \(bootstrap.resamples) resamples of the measurements within each length")
    for estimate in bootstrap.ranges {
      let top = estimate.frequencies.first
      table.notes.append(
        "\(NumberFormat.shortest(100 * estimate.threshold))% of the gradient: lengths \(estimate.point.range.lowerBound)–\(estimate.point.range.upperBound) (95% start \(NumberFormat.shortest(estimate.start.lower))–\(NumberFormat.shortest(estimate.start.upper)), end \(NumberFormat.shortest(estimate.end.lower))–\(NumberFormat.shortest(estimate.end.upper))), \(NumberFormat.significant(100 * estimate.point.pathShare, digits: 3))% of paths (95% \(NumberFormat.significant(100 * estimate.pathShare.lower, digits: 3))–\(NumberFormat.significant(100 * estimate.pathShare.upper, digits: 3))); most frequent range \(top.map { "\($0.range.lowerBound)–\($0.range.upperBound) in \(NumberFormat.fixed(100 * $0.fraction, decimals: 1))% of resamples" } ?? "none")")
    }
    table.metadata.append(("bootstrap_resamples", .integer(bootstrap.resamples)))
    table.textAppendix =
      "\nshare of total gradient by path length (* = effective paths)\n"
      + PathLengthHistogram(values: effective.gradientShares, highlighted: range.range).rendered()
    return table
  }
}

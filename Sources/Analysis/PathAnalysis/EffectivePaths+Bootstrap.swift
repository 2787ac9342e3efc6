import Foundation
import Statistics

/// The bootstrap uncertainty of the effective paths (Veit et al. 2016, Figs. 6b and 6c).
///
/// Fig. 6c combines a mean gradient norm per path length k (Fig. 6b, a handful of measurements
/// each) with the exact path counts C(n, k); the effective-path range — the narrowest range of
/// lengths holding a given share of the total gradient Σ C(n, k)·mean(k) — moves with the noise
/// of those means. This resamples the measurements within each length (nonparametric bootstrap,
/// Efron 1979), recomputes the means, the shares and the narrowest ranges, and reports percentile
/// intervals (`Bootstrap.percentileInterval`) for the per-length means, the range endpoints, the
/// share of paths and the share of gradient, and how often each range came out.
public struct EffectivePathBootstrap: Sendable {
  /// The number of residual blocks n.
  public let blockCount: Int
  /// Resamples drawn (some may be left out of an interval, see `RangeEstimate.usedResamples`).
  public let resamples: Int
  /// The two-sided confidence level of every interval.
  public let confidence: Double
  /// The effective paths of the measured means (the point estimate).
  public let pointEstimate: EffectivePaths
  /// The mean gradient norm of each measured length, ascending by length.
  public let lengths: [LengthEstimate]
  /// One entry per threshold, in the order given.
  public let ranges: [RangeEstimate]

  /// The mean gradient norm of one path length with its bootstrap interval.
  public struct LengthEstimate: Sendable, Equatable {
    /// k, the path length.
    public let length: Int
    /// Measurements at this length.
    public let count: Int
    /// The mean norm (`estimate`) and its percentile interval over resamples.
    public let mean: BootstrapInterval
  }

  /// The effective-path range at one threshold: point estimate, intervals and range frequencies.
  public struct RangeEstimate: Sendable {
    /// The share of the total gradient the range must hold, e.g. 0.9.
    public let threshold: Double
    /// The range of the measured means.
    public let point: EffectivePathRange
    /// The first length of the range.
    public let start: BootstrapInterval
    /// The last length of the range.
    public let end: BootstrapInterval
    /// The fraction of all 2ⁿ paths whose length lies in the range.
    public let pathShare: BootstrapInterval
    /// The fraction of the total gradient the range carries.
    public let gradientShare: BootstrapInterval
    /// Each range that came out of a resample with its count, most frequent first (ties: earlier
    /// start, then earlier end).
    public let frequencies: [RangeFrequency]
    /// Resamples that entered the intervals (those where every mean was 0 are left out).
    public let usedResamples: Int
  }

  /// How often one range of lengths was the narrowest over the resamples.
  public struct RangeFrequency: Sendable, Equatable {
    public let range: ClosedRange<Int>
    public let count: Int
    /// count / used resamples.
    public let fraction: Double
  }
}

extension EffectivePaths {
  /// The thresholds of Fig. 6c's effective-path ranges: 50%, 90% and 95% of the total gradient.
  public static let defaultThresholds = [0.5, 0.9, 0.95]

  /// Bootstraps the effective-path ranges from raw per-length measurements.
  ///
  /// - Parameters:
  ///   - blockCount: n, the number of residual blocks.
  ///   - measurements: gradient norms per path length k (0…n); lengths without measurements
  ///     carry no gradient, as in `init(blockCount:meanGradientMagnitudes:)`.
  ///   - thresholds: shares of the total gradient, each in (0, 1].
  ///   - resamples: bootstrap resamples B (1,000 or more for stable 95% percentiles).
  ///   - generator: the source of the draws. Draw order: for each resample, for each length in
  ///     ascending order, `Bootstrap.resampleIndices(count:generator:)` over that length's
  ///     measurements. The same seed gives the same result.
  /// - Throws: `PathLengthError` for a negative block count, a length outside 0…n, a negative,
  ///   infinite or NaN measurement, no positive measurement, or a threshold outside (0, 1].
  /// - Complexity: O(B · (m + t·n²/64)) for m measurements in all and t thresholds.
  public static func bootstrap<G: RandomNumberGenerator>(
    blockCount: Int, measurements: [Int: [Double]], thresholds: [Double] = defaultThresholds,
    resamples: Int, confidence: Double = 0.95, generator: inout G
  ) throws -> EffectivePathBootstrap {
    let distribution = try PathLengthDistribution(blockCount: blockCount)
    let measured = measurements.filter { !$0.value.isEmpty }.sorted { $0.key < $1.key }
    for (length, values) in measured {
      guard length >= 0, length <= blockCount else {
        throw PathLengthError.lengthOutOfRange(length: length, blockCount: blockCount)
      }
      if let bad = values.first(where: { !($0.isFinite && $0 >= 0) }) {
        throw PathLengthError.invalidGradientMagnitude(length: length, value: bad)
      }
    }
    func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }
    func magnitudes(_ means: [Double]) -> [Double?] {
      var result = [Double?](repeating: nil, count: blockCount + 1)
      for (index, entry) in measured.enumerated() { result[entry.key] = means[index] }
      return result
    }

    let pointMeans = measured.map { mean($0.value) }
    let point = try EffectivePaths(distribution: distribution, meanGradientMagnitudes: magnitudes(pointMeans))
    let pointRanges = try thresholds.map { try point.narrowestRange(holding: $0) }

    let count = max(0, resamples)
    var resampledMeans = [[Double]](repeating: [], count: measured.count)
    var resampledRanges = [[EffectivePathRange]](repeating: [], count: thresholds.count)
    for _ in 0..<count {
      var means: [Double] = []
      means.reserveCapacity(measured.count)
      for (index, entry) in measured.enumerated() {
        let indices = Bootstrap.resampleIndices(count: entry.value.count, generator: &generator)
        let value = indices.reduce(0) { $0 + entry.value[$1] } / Double(indices.count)
        means.append(value)
        resampledMeans[index].append(value)
      }
      // A resample where every drawn norm is 0 has no gradient to share out: it is left out.
      guard let paths = try? EffectivePaths(distribution: distribution, meanGradientMagnitudes: magnitudes(means))
      else { continue }
      for (index, threshold) in thresholds.enumerated() {
        resampledRanges[index].append(try paths.narrowestRange(holding: threshold))
      }
    }

    let lengths = measured.enumerated().map { index, entry in
      EffectivePathBootstrap.LengthEstimate(
        length: entry.key, count: entry.value.count,
        mean: Bootstrap.percentileInterval(
          statistics: resampledMeans[index], estimate: pointMeans[index], confidence: confidence))
    }
    let ranges = thresholds.indices.map { index in
      rangeEstimate(
        threshold: thresholds[index], point: pointRanges[index], resampled: resampledRanges[index],
        confidence: confidence)
    }
    return EffectivePathBootstrap(
      blockCount: blockCount, resamples: count, confidence: confidence, pointEstimate: point,
      lengths: lengths, ranges: ranges)
  }

  private static func rangeEstimate(
    threshold: Double, point: EffectivePathRange, resampled: [EffectivePathRange], confidence: Double
  ) -> EffectivePathBootstrap.RangeEstimate {
    func interval(_ statistic: (EffectivePathRange) -> Double) -> BootstrapInterval {
      Bootstrap.percentileInterval(
        statistics: resampled.map(statistic), estimate: statistic(point), confidence: confidence)
    }
    var counts: [ClosedRange<Int>: Int] = [:]
    for range in resampled { counts[range.range, default: 0] += 1 }
    let frequencies = counts.map { range, count in
      EffectivePathBootstrap.RangeFrequency(
        range: range, count: count, fraction: Double(count) / Double(resampled.count))
    }.sorted {
      ($0.count, -$0.range.lowerBound, -$0.range.upperBound)
        > ($1.count, -$1.range.lowerBound, -$1.range.upperBound)
    }
    return EffectivePathBootstrap.RangeEstimate(
      threshold: threshold, point: point,
      start: interval { Double($0.range.lowerBound) }, end: interval { Double($0.range.upperBound) },
      pathShare: interval(\.pathShare), gradientShare: interval(\.gradientShare),
      frequencies: frequencies, usedResamples: resampled.count)
  }
}

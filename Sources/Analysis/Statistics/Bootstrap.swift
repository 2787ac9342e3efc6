import Foundation

/// A bootstrap estimate: the statistic on the data and its percentile interval.
public struct BootstrapInterval: Sendable, Equatable {
  /// The statistic computed on the original data.
  public let estimate: Double
  public let lower: Double
  public let upper: Double
  /// Resamples whose statistic entered the interval (resamples giving NaN are left out).
  public let resamples: Int
}

/// The nonparametric bootstrap (Efron 1979; percentile interval, Efron & Tibshirani 1993 §13.3).
///
/// **Draw rule.** A resample of n values is n indices drawn with replacement, in order, each as
/// `generator.next(upperBound: UInt64(n))`. Called on a generic generator this is always the
/// standard library's `RandomNumberGenerator.next(upperBound:)` (the high word of `next()` × n,
/// redrawn while the low word is below 2⁶⁴ mod n: Lemire 2019), so the same seed gives the same
/// resamples with any generator type. Structured data (several groups resampled independently)
/// uses `resampleIndices` once per group in a fixed order, which keeps the stream reproducible.
public enum Bootstrap {
  /// `count` indices in 0..<count drawn uniformly with replacement (the draw rule above).
  /// - Complexity: O(count).
  public static func resampleIndices<G: RandomNumberGenerator>(count: Int, generator: inout G) -> [Int] {
    guard count > 0 else { return [] }
    let bound = UInt64(count)
    return (0..<count).map { _ in Int(generator.next(upperBound: bound)) }
  }

  /// The percentile interval of `statistic` over `resamples` bootstrap resamples of `values`.
  ///
  /// Resample r (r = 1…B) is `values` at `resampleIndices(count: values.count, …)`; the interval
  /// is the (1 − c)/2 and (1 + c)/2 percentiles of the B statistics (`percentile`). `estimate` is
  /// the statistic on `values` itself.
  /// - Complexity: O(B · (n + cost of `statistic`) + B log B).
  public static func percentileInterval<G: RandomNumberGenerator>(
    _ values: [Double], resamples: Int, confidence: Double = 0.95, generator: inout G,
    statistic: ([Double]) -> Double
  ) -> BootstrapInterval {
    var statistics: [Double] = []
    statistics.reserveCapacity(max(0, resamples))
    for _ in 0..<max(0, resamples) {
      let indices = resampleIndices(count: values.count, generator: &generator)
      statistics.append(statistic(indices.map { values[$0] }))
    }
    return percentileInterval(statistics: statistics, estimate: statistic(values), confidence: confidence)
  }

  /// The percentile interval of statistics already computed on bootstrap resamples (for
  /// structured bootstraps that draw their own resamples). NaN statistics are left out; with
  /// none left the ends are NaN.
  /// - Complexity: O(B log B).
  public static func percentileInterval(
    statistics: [Double], estimate: Double, confidence: Double = 0.95
  ) -> BootstrapInterval {
    let sorted = statistics.filter { !$0.isNaN }.sorted()
    let alpha = 1 - confidence
    return BootstrapInterval(
      estimate: estimate, lower: percentile(sorted: sorted, alpha / 2),
      upper: percentile(sorted: sorted, 1 - alpha / 2), resamples: sorted.count)
  }

  /// The q-quantile of ascending `sorted` values by linear interpolation between order statistics:
  /// h = (B − 1)·q, x₍⌊h⌋₎ + (h − ⌊h⌋)(x₍⌊h⌋+1₎ − x₍⌊h⌋₎) (Hyndman & Fan 1996 type 7, numpy's
  /// default). NaN for an empty list.
  public static func percentile(sorted: [Double], _ q: Double) -> Double {
    guard !sorted.isEmpty, !q.isNaN else { return .nan }
    let h = Double(sorted.count - 1) * min(max(q, 0), 1)
    let below = Int(h.rounded(.down))
    let above = min(below + 1, sorted.count - 1)
    let fraction = h - Double(below)
    if fraction == 0 || sorted[below] == sorted[above] { return sorted[below] }
    return sorted[below] + fraction * (sorted[above] - sorted[below])
  }
}

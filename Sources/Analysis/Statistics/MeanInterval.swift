import Foundation

/// The mean of a list of values with its Student-t confidence interval (95% by default).
///
/// mean ± t_{(1+c)/2, n−1} · s/√n, with s the sample standard deviation (n − 1) (Student 1908).
/// Used for the mean error over random draws, and — given per-image or per-draw differences —
/// for a paired difference (`pairedDifference(treatment:baseline:)`).
///
/// No NaN for small counts: with one value the interval is unbounded (`halfWidth` = +∞,
/// `standardError` = +∞, `standardDeviation` = 0); with none the mean is 0 and the interval
/// unbounded too, so check `count`. NaN values in the input make every statistic NaN.
public struct MeanInterval: Sendable, Equatable {
  public let count: Int
  public let mean: Double
  /// Sample standard deviation (divisor n − 1); 0 for fewer than 2 values.
  public let standardDeviation: Double
  /// The two-sided confidence level, e.g. 0.95.
  public let confidence: Double

  /// The mean of `values` and its interval.
  /// - Complexity: O(n).
  public init(_ values: [Double], confidence: Double = 0.95) {
    let n = values.count
    guard n > 0 else {
      self.init(count: 0, mean: 0, standardDeviation: 0, confidence: confidence)
      return
    }
    let mean = values.reduce(0, +) / Double(n)
    // Corrected two-pass variance: Σ(x − m)² − (Σ(x − m))²/n.
    var squares = 0.0
    var residual = 0.0
    for value in values {
      squares += (value - mean) * (value - mean)
      residual += value - mean
    }
    let variance = n > 1 ? max(0, squares - residual * residual / Double(n)) / Double(n - 1) : 0
    self.init(count: n, mean: mean, standardDeviation: variance.squareRoot(), confidence: confidence)
  }

  /// The interval from summary statistics (count, mean, sample standard deviation).
  public init(count: Int, mean: Double, standardDeviation: Double, confidence: Double = 0.95) {
    self.count = max(0, count)
    self.mean = mean
    self.standardDeviation = count > 1 ? standardDeviation : 0
    self.confidence = confidence
  }

  /// The mean of `treatment[i] − baseline[i]` with its interval: a paired difference.
  /// - Precondition: the lists have the same length.
  public static func pairedDifference(
    treatment: [Double], baseline: [Double], confidence: Double = 0.95
  ) -> MeanInterval {
    precondition(
      treatment.count == baseline.count, "paired difference of \(treatment.count) and \(baseline.count) values")
    return MeanInterval(zip(treatment, baseline).map { $0 - $1 }, confidence: confidence)
  }

  /// s/√n; +∞ for fewer than 2 values.
  public var standardError: Double {
    count > 1 ? standardDeviation / Double(count).squareRoot() : .infinity
  }

  /// t_{(1+c)/2, n−1} · s/√n; +∞ for fewer than 2 values, 0 for 2 or more equal values.
  public var halfWidth: Double {
    guard count > 1 else { return .infinity }
    guard standardDeviation > 0 else { return standardDeviation.isNaN ? .nan : 0 }
    return studentTQuantile((1 + confidence) / 2, degreesOfFreedom: count - 1) * standardError
  }

  /// mean − halfWidth.
  public var lower: Double { mean - halfWidth }

  /// mean + halfWidth.
  public var upper: Double { mean + halfWidth }
}

import Foundation

/// Mean, standard deviation (sample, n − 1), minimum and maximum of a list of values.
///
/// For the mean with a confidence interval use `MeanInterval`.
public struct Summary: Sendable, Equatable {
  public var count: Int
  public var mean: Double
  public var standardDeviation: Double
  public var minimum: Double
  public var maximum: Double

  /// Summarizes `values`; an empty list gives NaNs and count 0.
  /// - Complexity: O(n).
  public init(_ values: [Double]) {
    count = values.count
    guard let first = values.first else {
      mean = .nan
      standardDeviation = .nan
      minimum = .nan
      maximum = .nan
      return
    }
    let m = values.reduce(0, +) / Double(values.count)
    mean = m
    standardDeviation =
      values.count > 1
      ? (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count - 1)).squareRoot() : 0
    minimum = values.min() ?? first
    maximum = values.max() ?? first
  }
}

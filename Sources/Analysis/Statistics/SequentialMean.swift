import Foundation

/// Draws until the mean is precise: a sequential stopping rule on the Student-t interval.
///
/// Add one value per random draw until `isFinished`: after at least `minimumCount` values the
/// half-width of the interval (95% by default) is at most `precision`, or `maximumCount` values
/// have been added. `reachedPrecision` then says which of the two happened. (Sequential stopping
/// makes the nominal coverage approximate; a `minimumCount` of 5 or more keeps early, lucky
/// stops rare. Chow & Robbins 1965 show the rule's coverage tends to the nominal level as the
/// precision shrinks.)
public struct SequentialMean: Sendable, Equatable {
  /// The target half-width.
  public let precision: Double
  /// Values added before the precision is checked.
  public let minimumCount: Int
  /// Values after which drawing stops whatever the precision.
  public let maximumCount: Int
  /// The two-sided confidence level of the interval.
  public let confidence: Double
  /// The values added so far, in order.
  public private(set) var values: [Double] = []

  /// - Parameters:
  ///   - precision: the half-width to reach (in the values' unit; 0.01 = one point of error).
  ///   - minimumCount: the fewest values to draw (at least 2 are needed for a finite interval).
  ///   - maximumCount: the most values to draw (raised to `minimumCount` if below it).
  public init(precision: Double, minimumCount: Int, maximumCount: Int, confidence: Double = 0.95) {
    self.precision = precision
    self.minimumCount = max(0, minimumCount)
    self.maximumCount = max(self.minimumCount, maximumCount)
    self.confidence = confidence
  }

  /// Records one more value.
  public mutating func add(_ value: Double) { values.append(value) }

  /// The values added so far.
  public var count: Int { values.count }

  /// The mean of the values so far with its interval.
  /// - Complexity: O(n).
  public var estimate: MeanInterval { MeanInterval(values, confidence: confidence) }

  /// Whether the interval's half-width is at most `precision` (needs 2 values or more).
  public var reachedPrecision: Bool { estimate.halfWidth <= precision }

  /// Whether to stop drawing: the precision is reached after at least `minimumCount` values,
  /// or `maximumCount` values have been added.
  public var isFinished: Bool {
    count >= maximumCount || (count >= minimumCount && reachedPrecision)
  }
}

import Foundation

/// A binomial proportion with its 95% Wilson score interval.
///
/// Wilson (1927): for k successes in n trials and z = 1.959964,
/// centre = (p̂ + z²/2n)/(1 + z²/n), half-width = z·√(p̂(1−p̂)/n + z²/4n²)/(1 + z²/n).
/// Used for every error rate the tool reports (paper.md: "report an interval with every error").
public struct WilsonInterval: Sendable, Equatable {
  public var successes: Int
  public var trials: Int
  public var lower: Double
  public var upper: Double

  /// The 95% interval for `successes` out of `trials` (both 0 gives [0, 1]).
  public init(successes: Int, trials: Int, z: Double = 1.959963984540054) {
    self.successes = successes
    self.trials = trials
    guard trials > 0 else {
      lower = 0
      upper = 1
      return
    }
    let n = Double(trials)
    let p = Double(successes) / n
    let z2 = z * z
    let denominator = 1 + z2 / n
    let centre = (p + z2 / (2 * n)) / denominator
    let half = z * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot() / denominator
    lower = max(0, centre - half)
    upper = min(1, centre + half)
  }

  /// successes / trials.
  public var proportion: Double { trials > 0 ? Double(successes) / Double(trials) : 0 }
}

/// Mean, standard deviation (sample, n − 1), minimum and maximum of a list of values.
public struct Summary: Sendable, Equatable {
  public var count: Int
  public var mean: Double
  public var standardDeviation: Double
  public var minimum: Double
  public var maximum: Double

  /// Summarizes `values`; an empty list gives NaNs and count 0.
  public init(_ values: [Double]) {
    count = values.count
    guard !values.isEmpty else {
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
    minimum = values.min()!
    maximum = values.max()!
  }
}

/// Kendall's rank correlation τ between an order and the identity order.
///
/// τ = (concordant − discordant) / C(n, 2) over all pairs of positions; 1 for the original order,
/// −1 for the reversed one (Veit et al. 2016, Fig. 5b).
/// - Complexity: O(n²).
public func kendallTau(_ order: [Int]) -> Double {
  let n = order.count
  guard n > 1 else { return 1 }
  var score = 0
  for i in 0..<n {
    for j in (i + 1)..<n {
      score += order[i] < order[j] ? 1 : -1
    }
  }
  return Double(score) / Double(n * (n - 1) / 2)
}

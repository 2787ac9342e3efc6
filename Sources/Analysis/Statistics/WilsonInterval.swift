import Foundation

/// A binomial proportion with its Wilson score interval (95% by default).
///
/// Wilson (1927): for k successes in n trials and z = Φ⁻¹(1 − α/2) (1.959964 for 95%),
/// centre = (p̂ + z²/2n)/(1 + z²/n), half-width = z·√(p̂(1−p̂)/n + z²/4n²)/(1 + z²/n).
/// Used for every error rate the tool reports, and as the building block of
/// `PairedProportionComparison` (Newcombe 1998).
public struct WilsonInterval: Sendable, Equatable {
  public var successes: Int
  public var trials: Int
  public var lower: Double
  public var upper: Double

  /// The interval for `successes` out of `trials` (both 0 gives [0, 1]).
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

  /// The interval at a given two-sided confidence level (0.95 gives the default z).
  public init(successes: Int, trials: Int, confidence: Double) {
    self.init(successes: successes, trials: trials, z: normalQuantile((1 + confidence) / 2))
  }

  /// successes / trials.
  public var proportion: Double { trials > 0 ? Double(successes) / Double(trials) : 0 }
}

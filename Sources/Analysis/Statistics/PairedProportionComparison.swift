import Foundation

/// Two classifiers scored on the same n images: the change in error with its paired interval and
/// the exact McNemar test.
///
/// Each image falls in one cell of a 2 × 2 table (baseline right/wrong × treatment right/wrong).
/// With b = images only the treatment gets wrong and c = images only the baseline gets wrong,
/// the change in error is (b − c)/n.
///
/// **Interval**: Newcombe's hybrid score interval for paired proportions (Newcombe 1998,
/// "Improved confidence intervals for the difference between binomial proportions based on paired
/// data", Stat Med 17:2635–2650, method 10). With p₁ = treatment error, p₂ = baseline error and
/// their Wilson intervals [l₁, u₁], [l₂, u₂]:
///
///     lower = (p₁ − p₂) − √((p₁ − l₁)² − 2φ(p₁ − l₁)(u₂ − p₂) + (u₂ − p₂)²)
///     upper = (p₁ − p₂) + √((u₁ − p₁)² − 2φ(u₁ − p₁)(p₂ − l₂) + (p₂ − l₂)²)
///
/// where φ is the correlation of the two error indicators with Newcombe's correction:
/// A = (both right)(both wrong) − b·c; φ = (A − n/2)/√(product of the four margins) when A > n/2,
/// 0 when 0 ≤ A ≤ n/2, A/√(…) when A < 0, and 0 when a margin is empty. Newcombe's worked example
/// (36, 12, 2, 0) gives 0.0569 to 0.3404 for a difference of 0.2.
///
/// **Test**: McNemar's exact test (McNemar 1947; exact form: the conditional binomial test) on the
/// discordant images: p = min(1, 2·P(X ≤ min(b, c))) with X ~ Binomial(b + c, ½); 1 when b + c = 0.
public struct PairedProportionComparison: Sendable, Equatable {
  /// Images both classifiers get right.
  public let bothCorrect: Int
  /// Images only the baseline gets right (the treatment gets them wrong).
  public let baselineOnlyCorrect: Int
  /// Images only the treatment gets right (the baseline gets them wrong).
  public let treatmentOnlyCorrect: Int
  /// Images both classifiers get wrong.
  public let bothWrong: Int
  /// The two-sided confidence level of `lower`…`upper` (0.95 by default).
  public let confidence: Double
  /// Lower end of the interval for `errorChange`.
  public let lower: Double
  /// Upper end of the interval for `errorChange`.
  public let upper: Double
  /// The exact two-sided McNemar p-value.
  public let mcNemarExactP: Double

  /// Compares per-image correctness of a baseline (e.g. the intact network) and a treatment (a lesion).
  ///
  /// - Precondition: both arrays have the same length (they score the same images).
  /// - Complexity: O(n) plus the binomial tail, O(√n).
  public init(baselineCorrect: [Bool], treatmentCorrect: [Bool], confidence: Double = 0.95) {
    precondition(
      baselineCorrect.count == treatmentCorrect.count,
      "paired comparison of \(baselineCorrect.count) and \(treatmentCorrect.count) images")
    var cells = (0, 0, 0, 0)
    for (baseline, treatment) in zip(baselineCorrect, treatmentCorrect) {
      switch (baseline, treatment) {
      case (true, true): cells.0 += 1
      case (true, false): cells.1 += 1
      case (false, true): cells.2 += 1
      case (false, false): cells.3 += 1
      }
    }
    self.init(
      bothCorrect: cells.0, baselineOnlyCorrect: cells.1, treatmentOnlyCorrect: cells.2,
      bothWrong: cells.3, confidence: confidence)
  }

  /// Compares two classifiers from the four cells of their paired table.
  ///
  /// With no images (all cells 0) the change is 0, the interval [−1, 1] and p = 1.
  /// - Precondition: no cell is negative.
  public init(
    bothCorrect: Int, baselineOnlyCorrect: Int, treatmentOnlyCorrect: Int, bothWrong: Int,
    confidence: Double = 0.95
  ) {
    precondition(
      bothCorrect >= 0 && baselineOnlyCorrect >= 0 && treatmentOnlyCorrect >= 0 && bothWrong >= 0,
      "negative cell in a paired table")
    self.bothCorrect = bothCorrect
    self.baselineOnlyCorrect = baselineOnlyCorrect
    self.treatmentOnlyCorrect = treatmentOnlyCorrect
    self.bothWrong = bothWrong
    self.confidence = confidence
    let n = bothCorrect + baselineOnlyCorrect + treatmentOnlyCorrect + bothWrong
    let b = baselineOnlyCorrect  // treatment wrong only
    let c = treatmentOnlyCorrect  // baseline wrong only
    let discordantCount = b + c
    mcNemarExactP =
      discordantCount == 0
      ? 1 : min(1, 2 * binomialCDF(min(b, c), trials: discordantCount, probability: 0.5))
    guard n > 0 else {
      lower = -1
      upper = 1
      return
    }
    let z = normalQuantile((1 + confidence) / 2)
    let nd = Double(n)
    let treatmentWrong = b + bothWrong
    let baselineWrong = c + bothWrong
    let p1 = Double(treatmentWrong) / nd
    let p2 = Double(baselineWrong) / nd
    let w1 = WilsonInterval(successes: treatmentWrong, trials: n, z: z)
    let w2 = WilsonInterval(successes: baselineWrong, trials: n, z: z)
    // φ between the two error indicators, with Newcombe's correction (in Double: products of
    // counts overflow Int for n ≳ 55,000).
    let margins =
      Double(treatmentWrong) * Double(n - treatmentWrong) * Double(baselineWrong)
      * Double(n - baselineWrong)
    var phi = 0.0
    if margins > 0 {
      let a = Double(bothCorrect) * Double(bothWrong) - Double(b) * Double(c)
      if a > nd / 2 {
        phi = (a - nd / 2) / margins.squareRoot()
      } else if a < 0 {
        phi = a / margins.squareRoot()
      }
    }
    let change = p1 - p2
    let down1 = p1 - w1.lower
    let up1 = w1.upper - p1
    let down2 = p2 - w2.lower
    let up2 = w2.upper - p2
    lower = change - max(0, down1 * down1 - 2 * phi * down1 * up2 + up2 * up2).squareRoot()
    upper = change + max(0, up1 * up1 - 2 * phi * up1 * down2 + down2 * down2).squareRoot()
  }

  /// How `lower`…`upper` is computed, for tables, CSV headers and JSON sidecars.
  public static let intervalMethod = "Newcombe (1998) hybrid score interval for paired proportions, method 10"
  /// How `mcNemarExactP` is computed.
  public static let testMethod = "exact McNemar test: two-sided binomial test on the discordant images"

  /// The number of images n.
  public var count: Int { bothCorrect + baselineOnlyCorrect + treatmentOnlyCorrect + bothWrong }

  /// The baseline's error rate (0 with no images).
  public var baselineError: Double {
    count > 0 ? Double(treatmentOnlyCorrect + bothWrong) / Double(count) : 0
  }

  /// The treatment's error rate (0 with no images).
  public var treatmentError: Double {
    count > 0 ? Double(baselineOnlyCorrect + bothWrong) / Double(count) : 0
  }

  /// Treatment error − baseline error = (b − c)/n.
  public var errorChange: Double {
    count > 0 ? Double(baselineOnlyCorrect - treatmentOnlyCorrect) / Double(count) : 0
  }

  /// The discordant images: those only the baseline gets wrong (c) and those only the treatment
  /// gets wrong (b). Only these carry information about the change.
  public var discordant: (baselineOnlyWrong: Int, treatmentOnlyWrong: Int) {
    (treatmentOnlyCorrect, baselineOnlyCorrect)
  }
}

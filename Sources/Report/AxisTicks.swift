import Foundation

/// Tick positions and labels for plot axes: 1-2-5 steps on linear axes, decades on log axes.
public enum AxisTicks {
  /// The smallest step of the form {1, 2, 5} × 10^k that divides `span` into at most
  /// `maximumCount` intervals.
  public static func niceStep(span: Double, maximumCount: Int = 6) -> Double {
    guard span.isFinite, span > 0 else { return 1 }
    let raw = span / Double(max(1, maximumCount))
    var magnitude = pow(10, floor(Foundation.log10(raw)))
    // Guard against log10 rounding (e.g. raw = 1000 giving 10^2.9999…).
    if magnitude * 10 <= raw { magnitude *= 10 }
    for multiplier in [1.0, 2.0, 5.0, 10.0] where multiplier * magnitude >= raw * (1 - 1e-12) {
      return multiplier * magnitude
    }
    return 10 * magnitude
  }

  /// Ticks at multiples of a nice step inside `lower…upper` (inclusive, with a small tolerance).
  ///
  /// Each tick is computed as `i × step` (not accumulated), and values within 1e-9 steps of zero are
  /// exactly zero, so labels never show `-0` or `5.000000001`.
  public static func linear(from lower: Double, to upper: Double, maximumCount: Int = 6) -> (
    step: Double, ticks: [Double]
  ) {
    guard lower.isFinite, upper.isFinite, upper > lower else {
      return (1, lower.isFinite ? [lower] : [])
    }
    let step = niceStep(span: upper - lower, maximumCount: maximumCount)
    return (step, multiples(of: step, from: lower, to: upper))
  }

  /// Multiples of `step` within `lower…upper`, tolerant to rounding at both ends.
  public static func multiples(of step: Double, from lower: Double, to upper: Double) -> [Double] {
    guard step > 0, step.isFinite, upper >= lower else { return [] }
    let first = Int((lower / step - 1e-9).rounded(.up))
    let last = Int((upper / step + 1e-9).rounded(.down))
    guard last >= first, last - first <= 10_000 else { return [] }
    return (first...last).map { multiple(Double($0), of: step) }
  }

  /// `index × step`, correctly rounded: steps below 1 (0.05, 0.2, …) divide by their integer
  /// reciprocal, so 6 × 0.05 gives 0.3 rather than 0.30000000000000004.
  static func multiple(_ index: Double, of step: Double) -> Double {
    if step < 1 {
      let reciprocal = (1 / step).rounded()
      if abs(reciprocal * step - 1) < 1e-12 { return index / reciprocal + 0 }
    }
    return index * step + 0
  }

  /// `lower…upper` widened outwards to multiples of the nice step for that span.
  public static func niceRange(from lower: Double, to upper: Double, maximumCount: Int = 6) -> (
    lower: Double, upper: Double
  ) {
    var low = lower
    var high = upper
    if !(high > low) {
      let pad = low == 0 ? 1 : abs(low) * 0.1
      low -= pad
      high += pad
    }
    let step = niceStep(span: high - low, maximumCount: maximumCount)
    return (
      multiple((low / step + 1e-9).rounded(.down), of: step),
      multiple((high / step - 1e-9).rounded(.up), of: step)
    )
  }

  /// Ticks for a log10 axis over `lower…upper` (both > 0).
  ///
  /// Whole decades when the range spans at least one decade, every 2nd, 5th, 10th… decade when
  /// there would be more than `maximumCount` of them; within less than two decades, 1-2-5 values.
  public static func log10(from lower: Double, to upper: Double, maximumCount: Int = 8) -> [Double]
  {
    guard lower > 0, upper > lower, lower.isFinite, upper.isFinite else { return [] }
    let lowDecade = Int((Foundation.log10(lower) - 1e-9).rounded(.up))
    let highDecade = Int((Foundation.log10(upper) + 1e-9).rounded(.down))
    let decades = highDecade - lowDecade + 1
    if decades >= 3 || (decades >= 2 && maximumCount < 4) {
      var every = 1
      for candidate in [1, 2, 5, 10, 20, 50, 100, 200, 500] {
        every = candidate
        if (decades + candidate - 1) / candidate <= maximumCount { break }
      }
      let first = Int((Double(lowDecade) / Double(every)).rounded(.up)) * every
      return stride(from: first, through: highDecade, by: every).map { pow(10, Double($0)) }
    }
    var ticks: [Double] = []
    let startDecade = Int(Foundation.log10(lower).rounded(.down))
    let endDecade = Int(Foundation.log10(upper).rounded(.up))
    for decade in startDecade...endDecade {
      for multiplier in [1.0, 2.0, 5.0] {
        let value = multiplier * pow(10, Double(decade))
        if value >= lower * (1 - 1e-12) && value <= upper * (1 + 1e-12) { ticks.append(value) }
      }
    }
    return ticks
  }

  /// Labels for linear ticks spaced by `step`: fixed decimals matching the step, or
  /// `m×10ⁿ` when the values are very large or very small.
  public static func linearLabels(_ ticks: [Double], step: Double) -> [String] {
    let largest = ticks.map(abs).max() ?? 0
    if largest >= 1e6 || (step < 1e-4 && largest > 0) {
      return ticks.map(scientific)
    }
    let decimals = max(0, Int(-Foundation.log10(step).rounded(.down) + 1e-9))
    return ticks.map { NumberFormat.fixed($0, decimals: decimals) }
  }

  /// Labels for log-axis ticks: plain numbers when every tick lies in 0.001…10000, otherwise
  /// `10ⁿ` for decades and `m×10ⁿ` for others.
  public static func logLabels(_ ticks: [Double]) -> [String] {
    if ticks.allSatisfy({ $0 >= 1e-3 && $0 <= 1e4 }) {
      return ticks.map { tick in
        let decimals = max(0, Int(-Foundation.log10(tick).rounded(.down)))
        return NumberFormat.fixed(tick, decimals: decimals)
      }
    }
    return ticks.map(scientific)
  }

  /// `value` as `m×10ⁿ` with superscript digits (`10ⁿ` when m = 1, `0` for zero).
  public static func scientific(_ value: Double) -> String {
    if value == 0 { return "0" }
    guard value.isFinite else { return NumberFormat.shortest(value) }
    var exponent = Int(Foundation.log10(abs(value)).rounded(.down))
    var mantissa = value / pow(10, Double(exponent))
    if abs(mantissa) >= 9.9995 {
      exponent += 1
      mantissa /= 10
    }
    let power = "10" + superscript(exponent)
    let mantissaText = NumberFormat.fixed(mantissa, decimals: 3)
      .replacingOccurrences(of: #"\.?0+$"#, with: "", options: .regularExpression)
    if mantissaText == "1" { return power }
    if mantissaText == "-1" { return "-" + power }
    return mantissaText + "×" + power
  }

  private static func superscript(_ value: Int) -> String {
    let digits: [Character] = ["⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"]
    let text = String(abs(value)).map { digits[$0.wholeNumberValue ?? 0] }
    return (value < 0 ? "⁻" : "") + String(text)
  }
}

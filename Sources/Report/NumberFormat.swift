import Foundation

/// How a `Double` is written in tables, CSV, JSON and SVG: deterministic and locale-independent.
///
/// Output never depends on the user's locale (the decimal separator is always `.`, there are no
/// grouping separators) and is the same on every platform.
///
/// - `fixed(decimals:)` rounds to a fixed number of decimals (correctly rounded, ties as the C
///   library's `printf`, i.e. on the exact binary value). A result that rounds to zero never shows a
///   minus sign (`-0.0001` with 3 decimals is `0.000`).
/// - `shortest` is the shortest text that reads back as exactly the same `Double` (Swift's
///   `description`). It uses plain decimal notation for 1e-4 ≤ |x| < 1e16 (always with a fraction,
///   `1.0`) and otherwise exponent notation with a lowercase `e`, an explicit exponent sign and at
///   least two exponent digits: `1e-05`, `2.5e+16`. That is the one exponent form ever produced.
///
/// Non-finite values are written `nan`, `inf` and `-inf` (JSON writes `null` instead).
public enum NumberFormat: Equatable, Sendable {
  /// A fixed number of digits after the decimal point (0 gives an integer without a point).
  case fixed(decimals: Int)
  /// The shortest representation that round-trips.
  case shortest

  /// Formats `value`.
  public func string(_ value: Double) -> String {
    switch self {
    case .fixed(let decimals): return NumberFormat.fixed(value, decimals: decimals)
    case .shortest: return NumberFormat.shortest(value)
    }
  }

  /// `value` with exactly `decimals` digits after the point (no point when `decimals` ≤ 0).
  public static func fixed(_ value: Double, decimals: Int) -> String {
    if let special = nonFinite(value) { return special }
    let text = String(format: "%.\(max(0, min(decimals, 40)))f", value)
    if text.hasPrefix("-") && !text.contains(where: { $0 >= "1" && $0 <= "9" }) {
      return String(text.dropFirst())
    }
    return text
  }

  /// The shortest round-trip representation of `value` (see the type's documentation).
  public static func shortest(_ value: Double) -> String {
    if let special = nonFinite(value) { return special }
    return value.description
  }

  /// `value` with `digits` significant digits, trailing zeros kept (`0.02000` for 0.02 and 4
  /// digits); exponent form (`1.234e-07`) below 1e-4 and from 1e15 in magnitude. Zero is `0`.
  public static func significant(_ value: Double, digits: Int) -> String {
    if let special = nonFinite(value) { return special }
    guard value != 0 else { return "0" }
    let d = max(1, min(digits, 17))
    let magnitude = abs(value)
    if magnitude < 1e-4 || magnitude >= 1e15 {
      let text = String(format: "%.\(d - 1)e", value)  // e.g. 1.234e-07
      return text
    }
    // Digits after the point so that `d` significant digits show; rounding may add a digit (9.9996 → 10.000).
    let exponent = Int(floor(log10(magnitude)))
    var text = fixed(value, decimals: max(0, d - 1 - exponent))
    if let rounded = Double(text), rounded != 0, Int(floor(log10(abs(rounded)))) > exponent, d - 1 - exponent > 0 {
      text = fixed(value, decimals: max(0, d - 2 - exponent))
    }
    return text
  }

  /// `value` as a percentage with `decimals` decimals, e.g. `6.10%` for 0.061.
  public static func percent(_ value: Double, decimals: Int = 2) -> String {
    if let special = nonFinite(value) { return special }
    return fixed(value * 100, decimals: decimals) + "%"
  }

  private static func nonFinite(_ value: Double) -> String? {
    if value.isNaN { return "nan" }
    if value.isInfinite { return value < 0 ? "-inf" : "inf" }
    return nil
  }
}

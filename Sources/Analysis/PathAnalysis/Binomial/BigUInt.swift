import Foundation

/// An arbitrary-precision unsigned integer, just large enough for exact path counting.
///
/// A residual network of `n` blocks has `2^n` paths, `C(n, k)` of them of length `k`
/// (Veit et al. 2016, §4.2). For `n` in the thousands these counts overflow `UInt64` and `Double`,
/// so they are kept exactly here. The value is stored as little-endian 64-bit limbs with no
/// trailing zero limbs (zero has no limbs), which makes `==` a limb comparison.
///
/// Only the operations the path mathematics needs are provided: addition, subtraction,
/// multiplication, multiplication and division by a machine word, left shifts, comparison,
/// decimal printing and overflow-free conversion to `Double` and `log10`.
public struct BigUInt: Hashable, Comparable, Sendable, CustomStringConvertible,
  ExpressibleByIntegerLiteral
{
  /// The magnitude's 64-bit limbs, least significant first; empty for zero.
  public private(set) var limbs: [UInt64]

  /// Zero.
  public init() { limbs = [] }

  /// The value of a machine word.
  public init(_ value: UInt64) { limbs = value == 0 ? [] : [value] }

  /// The value of a non-negative `Int`; traps on a negative value, like `UInt(_:)`.
  public init(_ value: Int) {
    precondition(value >= 0, "BigUInt cannot represent the negative value \(value)")
    self.init(UInt64(value))
  }

  /// The value of a non-negative `Int`, or `nil` when it is negative.
  public init?(exactly value: Int) {
    guard value >= 0 else { return nil }
    self.init(UInt64(value))
  }

  /// An integer literal.
  public init(integerLiteral value: UInt64) { self.init(value) }

  /// Builds a value from limbs (least significant first), dropping trailing zero limbs.
  public init(limbs: [UInt64]) {
    self.limbs = limbs
    normalize()
  }

  /// `2^exponent`.
  ///
  /// - Complexity: O(exponent / 64).
  public static func powerOfTwo(_ exponent: Int) -> BigUInt {
    precondition(exponent >= 0, "negative exponent \(exponent)")
    var limbs = [UInt64](repeating: 0, count: exponent / 64 + 1)
    limbs[exponent / 64] = 1 << UInt64(exponent % 64)
    return BigUInt(limbs: limbs)
  }

  /// Whether the value is zero.
  public var isZero: Bool { limbs.isEmpty }

  /// The number of significant bits (0 for zero).
  public var bitWidth: Int {
    guard let top = limbs.last else { return 0 }
    return limbs.count * 64 - top.leadingZeroBitCount
  }

  private mutating func normalize() {
    while let last = limbs.last, last == 0 { limbs.removeLast() }
  }

  // MARK: Comparison

  /// Orders two values by magnitude.
  ///
  /// - Complexity: O(number of limbs).
  public static func < (lhs: BigUInt, rhs: BigUInt) -> Bool {
    if lhs.limbs.count != rhs.limbs.count { return lhs.limbs.count < rhs.limbs.count }
    for index in stride(from: lhs.limbs.count - 1, through: 0, by: -1)
    where lhs.limbs[index] != rhs.limbs[index] {
      return lhs.limbs[index] < rhs.limbs[index]
    }
    return false
  }

  // MARK: Addition and subtraction

  /// Adds `rhs` to `lhs` in place.
  ///
  /// - Complexity: O(number of limbs).
  public static func += (lhs: inout BigUInt, rhs: BigUInt) {
    if lhs.limbs.count < rhs.limbs.count {
      lhs.limbs.append(contentsOf: repeatElement(0, count: rhs.limbs.count - lhs.limbs.count))
    }
    let carry = ripple(&lhs.limbs, rhs.limbs, UInt64.addingReportingOverflow)
    if carry != 0 { lhs.limbs.append(carry) }
  }

  /// The sum of two values.
  public static func + (lhs: BigUInt, rhs: BigUInt) -> BigUInt {
    var result = lhs
    result += rhs
    return result
  }

  /// Subtracts `rhs` from `lhs` in place; traps when `rhs > lhs`, like unsigned machine integers.
  ///
  /// - Complexity: O(number of limbs).
  public static func -= (lhs: inout BigUInt, rhs: BigUInt) {
    precondition(rhs <= lhs, "BigUInt subtraction underflow")
    _ = ripple(&lhs.limbs, rhs.limbs, UInt64.subtractingReportingOverflow)
    lhs.normalize()
  }

  /// The difference of two values; traps when `rhs > lhs`.
  public static func - (lhs: BigUInt, rhs: BigUInt) -> BigUInt {
    var result = lhs
    result -= rhs
    return result
  }

  /// Combines `rhs` into `lhs` limb by limb, lowest first, with `step` (adding or subtracting with
  /// overflow) and a carry (or borrow) of 0 or 1 passed upward; stops once `rhs` and the carry are
  /// used up. `lhs` must have at least as many limbs as `rhs`.
  /// - Returns: the carry (or borrow) out of the top limb.
  /// - Complexity: O(number of limbs).
  @inline(__always)
  private static func ripple(
    _ lhs: inout [UInt64], _ rhs: [UInt64], _ step: (UInt64) -> (UInt64) -> (partialValue: UInt64, overflow: Bool)
  ) -> UInt64 {
    var carry: UInt64 = 0
    for index in 0..<lhs.count {
      let operand = index < rhs.count ? rhs[index] : 0
      if operand == 0 && carry == 0 {
        if index >= rhs.count { break }
        continue
      }
      let (partial, overflow1) = step(lhs[index])(operand)
      let (result, overflow2) = step(partial)(carry)
      lhs[index] = result
      carry = (overflow1 ? 1 : 0) + (overflow2 ? 1 : 0)
    }
    return carry
  }

  // MARK: Multiplication and division

  /// Multiplies the value by a machine word in place.
  ///
  /// - Complexity: O(number of limbs).
  public mutating func multiply(by factor: UInt64) {
    if factor == 0 || isZero {
      limbs = []
      return
    }
    var carry: UInt64 = 0
    for index in 0..<limbs.count {
      let (high, low) = limbs[index].multipliedFullWidth(by: factor)
      let (sum, overflow) = low.addingReportingOverflow(carry)
      limbs[index] = sum
      carry = high &+ (overflow ? 1 : 0)
    }
    if carry != 0 { limbs.append(carry) }
  }

  /// The product of the value and a machine word.
  public func multiplied(by factor: UInt64) -> BigUInt {
    var result = self
    result.multiply(by: factor)
    return result
  }

  /// The product of two values (schoolbook multiplication).
  ///
  /// - Complexity: O(m·n) for operands of m and n limbs.
  public static func * (lhs: BigUInt, rhs: BigUInt) -> BigUInt {
    if lhs.isZero || rhs.isZero { return BigUInt() }
    var result = [UInt64](repeating: 0, count: lhs.limbs.count + rhs.limbs.count)
    for i in 0..<lhs.limbs.count {
      var carry: UInt64 = 0
      let a = lhs.limbs[i]
      for j in 0..<rhs.limbs.count {
        let (high, low) = a.multipliedFullWidth(by: rhs.limbs[j])
        let (sum1, overflow1) = result[i + j].addingReportingOverflow(low)
        let (sum2, overflow2) = sum1.addingReportingOverflow(carry)
        result[i + j] = sum2
        // high ≤ 2^64 − 2, so adding two carries cannot overflow.
        carry = high &+ (overflow1 ? 1 : 0) &+ (overflow2 ? 1 : 0)
      }
      result[i + rhs.limbs.count] = carry
    }
    return BigUInt(limbs: result)
  }

  /// Divides by a non-zero machine word, returning the quotient and the remainder.
  ///
  /// - Complexity: O(number of limbs).
  public func quotientAndRemainder(dividingBy divisor: UInt64) -> (
    quotient: BigUInt, remainder: UInt64
  ) {
    precondition(divisor != 0, "BigUInt division by zero")
    var quotient = [UInt64](repeating: 0, count: limbs.count)
    var remainder: UInt64 = 0
    for index in stride(from: limbs.count - 1, through: 0, by: -1) {
      let (q, r) = divisor.dividingFullWidth((high: remainder, low: limbs[index]))
      quotient[index] = q
      remainder = r
    }
    return (BigUInt(limbs: quotient), remainder)
  }

  /// The value shifted left by `bits` (multiplied by `2^bits`).
  ///
  /// - Complexity: O(number of limbs + bits / 64).
  public static func << (lhs: BigUInt, bits: Int) -> BigUInt {
    precondition(bits >= 0, "negative shift \(bits)")
    if lhs.isZero || bits == 0 { return lhs }
    let limbShift = bits / 64
    let bitShift = UInt64(bits % 64)
    var result = [UInt64](repeating: 0, count: lhs.limbs.count + limbShift + 1)
    for (index, limb) in lhs.limbs.enumerated() {
      result[index + limbShift] |= limb << bitShift
      if bitShift != 0 { result[index + limbShift + 1] |= limb >> (64 - bitShift) }
    }
    return BigUInt(limbs: result)
  }

  // MARK: Conversions

  /// The decimal representation, without separators.
  ///
  /// - Complexity: O(limbs²).
  public var description: String {
    if isZero { return "0" }
    // Peel off 19 decimal digits at a time.
    let chunkDivisor: UInt64 = 10_000_000_000_000_000_000
    var chunks: [UInt64] = []
    var rest = self
    while !rest.isZero {
      let (quotient, remainder) = rest.quotientAndRemainder(dividingBy: chunkDivisor)
      chunks.append(remainder)
      rest = quotient
    }
    var text = String(chunks.removeLast())
    for chunk in chunks.reversed() {
      let digits = String(chunk)
      text += String(repeating: "0", count: 19 - digits.count) + digits
    }
    return text
  }

  /// The value as `significand × 2^exponent` with `significand` in [1, 2), correctly rounded to
  /// double precision; `(0, 0)` for zero. Never overflows, however large the value.
  public var significandAndExponent: (significand: Double, exponent: Int) {
    let width = bitWidth
    if width == 0 { return (0, 0) }
    // Take the top 64 bits; fold every lower bit into a sticky bit so that the conversion of the
    // 64-bit word to Double (round to nearest, ties to even) rounds exactly as the full value would.
    let shift = width - 64
    var top: UInt64
    if shift <= 0 {
      top = limbs[0] << UInt64(-shift)
    } else {
      let limbIndex = shift / 64
      let bitIndex = UInt64(shift % 64)
      top = limbs[limbIndex] >> bitIndex
      if bitIndex != 0 && limbIndex + 1 < limbs.count {
        top |= limbs[limbIndex + 1] << (64 - bitIndex)
      }
      var sticky = bitIndex != 0 && (limbs[limbIndex] << (64 - bitIndex)) != 0
      if !sticky { sticky = limbs[..<limbIndex].contains { $0 != 0 } }
      if sticky { top |= 1 }
    }
    // top has its highest bit set: top = m × 2^63 with m in [1, 2). Rounding may carry to 2.0.
    let scaled = Double(top)  // in [2^63, 2^64]
    let significand = scaled.significand
    let exponent = Int(scaled.exponent) + (width - 64)
    return (significand, exponent)
  }

  /// The nearest `Double`, or `+infinity` when the value exceeds `Double.greatestFiniteMagnitude`.
  public var doubleValue: Double {
    let (significand, exponent) = significandAndExponent
    if significand == 0 { return 0 }
    if exponent > Double.greatestFiniteMagnitude.exponent { return .infinity }
    return Double(sign: .plus, exponent: exponent, significand: significand)
  }

  /// `value / 2^power` as a `Double`, exact to double precision; results below the normal range
  /// become subnormal or zero, as for any `Double` arithmetic.
  public func doubleValue(dividedByPowerOfTwo power: Int) -> Double {
    let (significand, exponent) = significandAndExponent
    if significand == 0 { return 0 }
    return Double(sign: .plus, exponent: exponent - power, significand: significand)
  }

  /// The base-10 logarithm, computed without overflow; `-infinity` for zero.
  public var log10: Double {
    let (significand, exponent) = significandAndExponent
    if significand == 0 { return -.infinity }
    return Foundation.log10(significand) + Double(exponent) * Foundation.log10(2.0)
  }
}

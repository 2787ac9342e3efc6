import Basics
import XCTest

/// The half-precision codec against a naive twin that shares no code with it: decoding by
/// `Double` arithmetic, encoding by searching the sorted list of all finite halves.
final class HalfPrecisionTests: XCTestCase {
  /// The value of half `bits` by the textbook formula, in Double (nil for NaN).
  static func naiveValue(_ bits: UInt16) -> Double? {
    let sign: Double = bits & 0x8000 != 0 ? -1 : 1
    let exponent = Int(bits >> 10) & 0x1F
    let fraction = Double(bits & 0x3FF) / 1024
    switch exponent {
    case 0x1F: return bits & 0x3FF == 0 ? sign * .infinity : nil
    case 0: return sign * fraction * pow(2, -14)
    default: return sign * (1 + fraction) * pow(2, Double(exponent - 15))
    }
  }

  /// The 31,744 non-negative finite halves (0x0000…0x7BFF) in increasing order of value.
  static let positiveValues: [Double] = (0..<UInt16(0x7C00)).map { naiveValue($0)! }

  /// The nearest half by search: ties go to the even bit pattern, magnitudes at or beyond the
  /// tie between the largest half and 2^16 go to infinity; NaN becomes the quiet NaN keeping
  /// the sign and top 9 payload bits.
  static func naiveHalfBits(_ value: Float) -> UInt16 {
    let sign: UInt16 = value.sign == .minus ? 0x8000 : 0
    if value.isNaN {
      return sign | 0x7E00 | UInt16((value.bitPattern & 0x7F_FFFF) >> 13)
    }
    let magnitude = Double(value.magnitude)
    if magnitude >= 65_520 { return sign | 0x7C00 }
    // The first half ≥ magnitude, by binary search.
    var low = 0
    var high = positiveValues.count - 1
    while low < high {
      let middle = (low + high) / 2
      if positiveValues[middle] < magnitude { low = middle + 1 } else { high = middle }
    }
    var chosen = low
    if low > 0 {
      let below = magnitude - positiveValues[low - 1]
      let above = positiveValues[low] - magnitude
      if below < above || (below == above && (low - 1) % 2 == 0) { chosen = low - 1 }
    }
    return sign | UInt16(chosen)
  }

  func testHandCheckableRoundings() {
    XCTAssertEqual(HalfPrecision.halfBits(1), 0x3C00)
    XCTAssertEqual(HalfPrecision.halfBits(-2), 0xC000)
    XCTAssertEqual(HalfPrecision.halfBits(65504), 0x7BFF)
    XCTAssertEqual(HalfPrecision.halfBits(70000), 0x7C00)
    XCTAssertEqual(HalfPrecision.halfBits(0x1p-24), 0x0001)
    XCTAssertEqual(HalfPrecision.halfBits(0x1p-25), 0x0000)  // tie to even
    XCTAssertEqual(HalfPrecision.halfBits(1 + 0x1p-11), 0x3C00)  // tie to even
    XCTAssertEqual(HalfPrecision.halfBits(1 + 0x1p-10 + 0x1p-11), 0x3C02)  // tie to even (up)
    XCTAssertEqual(HalfPrecision.halfBits(65_519), 0x7BFF)  // below the overflow tie
    XCTAssertEqual(HalfPrecision.halfBits(65_520), 0x7C00)  // the tie rounds to even: ∞
    XCTAssertEqual(HalfPrecision.halfBits(-.infinity), 0xFC00)
    XCTAssertEqual(HalfPrecision.halfBits(-0.0), 0x8000)
    XCTAssertEqual(HalfPrecision.halfBits(.nan), 0x7E00)
    XCTAssertEqual(HalfPrecision.float(halfBits: 0x3555), 0.333251953125)
  }

  func testEveryHalfDecodesExactlyAndRoundTrips() {
    for bits in 0...UInt16.max {
      let decoded = HalfPrecision.float(halfBits: bits)
      if let value = Self.naiveValue(bits) {
        XCTAssertEqual(Double(decoded), value, "half 0x\(String(bits, radix: 16))")
        XCTAssertEqual(decoded.sign, bits & 0x8000 != 0 ? .minus : .plus)  // ±0 keep their sign
        XCTAssertEqual(HalfPrecision.halfBits(decoded), bits, "half 0x\(String(bits, radix: 16))")
      } else {
        XCTAssertTrue(decoded.isNaN)
        // NaN payload: shifted into the top of the Float significand, sign kept.
        XCTAssertEqual(decoded.bitPattern, UInt32(bits) << 16 & 0x8000_0000 | 0x7F80_0000 | UInt32(bits & 0x3FF) << 13)
        XCTAssertEqual(HalfPrecision.halfBits(decoded), bits | 0x0200)  // re-encoded quiet
      }
    }
  }

  func testEncodingMatchesTheNaiveTwinOnEveryTieAndManyFloats() {
    var checked = 0
    func check(_ value: Float) {
      XCTAssertEqual(
        HalfPrecision.halfBits(value), Self.naiveHalfBits(value),
        "\(value) (0x\(String(value.bitPattern, radix: 16)))")
      checked += 1
    }
    // Every midpoint between neighbouring halves (the ties) and the Floats either side of it.
    for index in 0..<(Self.positiveValues.count - 1) {
      let middle = Float((Self.positiveValues[index] + Self.positiveValues[index + 1]) / 2)
      for value in [middle.nextDown, middle, middle.nextUp] {
        check(value)
        check(-value)
      }
    }
    // The edges: overflow tie, largest half, smallest subnormal and its half, zeros, ∞, NaNs.
    for value: Float in [
      65_520, Float(65_520).nextDown, 65_504, 65_536, .greatestFiniteMagnitude, .infinity,
      0x1p-24, 0x1p-25, Float(0x1p-25).nextUp, Float(0x1p-25).nextDown, 0x1p-26,
      .leastNonzeroMagnitude, .leastNormalMagnitude, 0, -0.0, 0x1p-14, Float(0x1p-14).nextDown,
      .nan, -.nan, .signalingNaN, Float(bitPattern: 0x7F80_0001), Float(bitPattern: 0xFFC1_2345),
    ] {
      check(value)
      check(-value)
    }
    // Floats spread over all bit patterns (every exponent, both signs).
    var generator = SplitMix64(seed: 16)
    for _ in 0..<300_000 {
      check(Float(bitPattern: UInt32(truncatingIfNeeded: generator.next())))
    }
    // And densely around the half range, where rounding matters.
    for _ in 0..<300_000 {
      let bits = UInt32(truncatingIfNeeded: generator.next()) & 0x8FFF_FFFF | 0x3000_0000
      check(Float(bitPattern: bits))
    }
    XCTAssertGreaterThan(checked, 700_000)
  }

  func testAgreesWithTheStandardLibraryWhereAvailable() {
    #if arch(x86_64) || arch(arm64)
      var generator = SplitMix64(seed: 17)
      for _ in 0..<100_000 {
        let value = Float(bitPattern: UInt32(truncatingIfNeeded: generator.next()) & 0x8FFF_FFFF | 0x3000_0000)
        XCTAssertEqual(HalfPrecision.halfBits(value), Float16(value).bitPattern, "\(value)")
      }
      for bits in 0...UInt16.max where !Float16(bitPattern: bits).isNaN {
        XCTAssertEqual(HalfPrecision.float(halfBits: bits), Float(Float16(bitPattern: bits)))
      }
    #endif
  }

  func testLittleEndianBytes() {
    XCTAssertEqual(HalfPrecision.littleEndianHalfBytes([1, -2, 65_504]), [0x00, 0x3C, 0x00, 0xC0, 0xFF, 0x7B])
    XCTAssertEqual(HalfPrecision.littleEndianHalfBytes([]), [])
  }

  func testBFloat16() {
    XCTAssertEqual(HalfPrecision.float(bfloat16Bits: 0x3FC0), 1.5)
    XCTAssertEqual(HalfPrecision.bfloat16Bits(1.5), 0x3FC0)
    XCTAssertEqual(HalfPrecision.bfloat16Bits(Float(bitPattern: 0x3F80_8000)), 0x3F80)  // tie → even
    XCTAssertEqual(HalfPrecision.bfloat16Bits(Float(bitPattern: 0x3F81_8000)), 0x3F82)  // tie → even
    XCTAssertEqual(HalfPrecision.bfloat16Bits(.greatestFiniteMagnitude), 0x7F80)  // overflow → ∞
    XCTAssertEqual(HalfPrecision.bfloat16Bits(-.nan), 0xFFC0)
    XCTAssertTrue(HalfPrecision.float(bfloat16Bits: HalfPrecision.bfloat16Bits(.signalingNaN)).isNaN)
    for bits in 0...UInt16.max {
      let value = HalfPrecision.float(bfloat16Bits: bits)
      XCTAssertEqual(value.bitPattern, UInt32(bits) << 16)
      if !value.isNaN { XCTAssertEqual(HalfPrecision.bfloat16Bits(value), bits) }
    }
  }
}

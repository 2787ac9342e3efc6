import _TestSupport
import Foundation
import XCTest

@testable import PathAnalysis

/// Exact path-length mathematics: `BigUInt` and `PathLengthDistribution` (Veit et al. 2016, Fig. 6a).
final class BinomialTests: XCTestCase {
  // MARK: BigUInt

  func testBigUIntArithmeticAgainstKnownValues() {
    let maxWord = BigUInt(UInt64.max)
    // (2^64 − 1)² = 2^128 − 2^65 + 1
    let square = maxWord * maxWord
    XCTAssertEqual(square, BigUInt.powerOfTwo(128) - BigUInt.powerOfTwo(65) + 1)
    XCTAssertEqual(square.limbs, [1, UInt64.max - 1])
    XCTAssertEqual(
      BigUInt.powerOfTwo(200).description,
      "1606938044258990275541962092341162602522202993782792835301376")
    XCTAssertEqual((BigUInt(1) << 200), BigUInt.powerOfTwo(200))
    XCTAssertEqual((BigUInt(3) << 63).limbs, [1 << 63, 1])
    XCTAssertEqual(maxWord + 1, BigUInt.powerOfTwo(64))
    XCTAssertEqual(BigUInt.powerOfTwo(64) - 1, maxWord)
    XCTAssertEqual(BigUInt(0).description, "0")
    XCTAssertEqual(BigUInt(10_000_000_000_000_000_000).description, "10000000000000000000")
    XCTAssertEqual(BigUInt(12345).multiplied(by: 0), BigUInt())
    XCTAssertTrue(BigUInt().isZero)
    XCTAssertNil(BigUInt(exactly: -1))
    XCTAssertEqual(BigUInt.powerOfTwo(0).bitWidth, 1)
    XCTAssertEqual(BigUInt.powerOfTwo(130).bitWidth, 131)
  }

  func testBigUIntDivisionInvertsMultiplication() {
    var rng = SplitMix64(seed: 7)
    for _ in 0..<20 {
      var value = BigUInt(rng.next())
      for _ in 0..<(rng.next() % 5) { value = value * BigUInt(rng.next() | 1) }
      let divisor = rng.next() % 1_000_000 + 1
      let remainderIn = rng.next() % divisor
      let dividend = value.multiplied(by: divisor) + BigUInt(remainderIn)
      let (quotient, remainder) = dividend.quotientAndRemainder(dividingBy: divisor)
      XCTAssertEqual(quotient, value)
      XCTAssertEqual(remainder, remainderIn)
    }
  }

  func testBigUIntComparison() {
    XCTAssertLessThan(BigUInt(5), BigUInt(7))
    XCTAssertLessThan(BigUInt(UInt64.max), BigUInt.powerOfTwo(64))
    XCTAssertLessThan(BigUInt.powerOfTwo(64), BigUInt.powerOfTwo(64) + 1)
    XCTAssertFalse(BigUInt(9) < BigUInt(9))
  }

  func testBigUIntToDoubleRoundsCorrectly() {
    let twoTo53 = BigUInt.powerOfTwo(53)
    XCTAssertEqual((twoTo53 + 1).doubleValue, 0x1p53)  // tie → even
    XCTAssertEqual((twoTo53 + 3).doubleValue, 0x1p53 + 4)  // tie → even (up)
    // A tie decided by a far-away sticky bit: (2^53 + 1)·2^100 + 1 must round up.
    let stickyCase = ((twoTo53 + 1) << 100) + 1
    XCTAssertEqual(stickyCase.doubleValue, (0x1p53 + 2) * 0x1p100)
    XCTAssertEqual(((twoTo53 + 1) << 100).doubleValue, 0x1p53 * 0x1p100)
    // All-ones 64 bits round up to 2^64.
    XCTAssertEqual(BigUInt(UInt64.max).doubleValue, 0x1p64)
    let (significand, exponent) = BigUInt.powerOfTwo(10_000).significandAndExponent
    XCTAssertEqual(significand, 1)
    XCTAssertEqual(exponent, 10_000)
    XCTAssertEqual(BigUInt.powerOfTwo(10_000).doubleValue, .infinity)
    XCTAssertEqual(BigUInt.powerOfTwo(10_000).log10, 10_000 * log10(2.0), accuracy: 1e-9)
    XCTAssertEqual(BigUInt().log10, -.infinity)
    XCTAssertEqual(BigUInt(1000).log10, 3, accuracy: 1e-15)
  }

  // MARK: Exact values from the paper (n = 54)

  func testResNet110Counts() throws {
    let distribution = try PathLengthDistribution(blockCount: 54)
    XCTAssertEqual(distribution.count(ofLength: 27).description, "1946939425648112")
    XCTAssertEqual(distribution.totalCount.description, "18014398509481984")
    XCTAssertEqual(distribution.meanLength, 27)
    XCTAssertEqual(distribution.standardDeviation, 3.674, accuracy: 5e-4)
    XCTAssertEqual(distribution.count(ofLength: 0), 1)
    XCTAssertEqual(distribution.count(ofLength: 1), 54)
    XCTAssertEqual(distribution.count(ofLength: 55), BigUInt())
    XCTAssertEqual(distribution.count(ofLength: -1), BigUInt())
  }

  func testResNet110Shares() throws {
    let distribution = try PathLengthDistribution(blockCount: 54)
    XCTAssertEqual(distribution.share(of: 19...35), 0.980166, accuracy: 1e-6)
    XCTAssertEqual(distribution.share(of: 19...35), 0.9801656732719317, accuracy: 1e-15)
    XCTAssertEqual(distribution.share(of: 5...17), 0.0045367, accuracy: 1e-7)
    XCTAssertEqual(distribution.share(of: 0...54), 1)
    XCTAssertEqual(distribution.share(of: -10...100), 1)
    XCTAssertEqual(distribution.shares[27], 1_946_939_425_648_112 / 18014398509481984.0)
    XCTAssertEqual(distribution.shares.reduce(0, +), 1, accuracy: 1e-14)
  }

  func testNarrowestCentralIntervalForResNet110() throws {
    let distribution = try PathLengthDistribution(blockCount: 54)
    let interval = try distribution.narrowestCentralInterval(holding: 0.95)
    XCTAssertEqual(interval.range, 20...34)
    XCTAssertEqual(interval.share, 0.959776, accuracy: 1e-6)
    XCTAssertEqual(interval.count, distribution.count(in: 20...34))
    // Width 13 cannot reach 95%: the best 14-length window 21…34 holds 0.941936.
    XCTAssertLessThan(distribution.share(of: 21...34), 0.95)
    XCTAssertEqual(try distribution.narrowestCentralInterval(holding: 1).range, 0...54)
    // Odd width: the two central windows tie; the earlier one is taken.
    let half = try distribution.narrowestCentralInterval(holding: 0.2)
    XCTAssertEqual(half.range.count, 2)
    XCTAssertEqual(half.range, 26...27)
  }

  func testExactThresholdComparison() throws {
    // Just below the (rounded) share of 20…34 the answer is 20…34; just above it, the exact
    // comparison must reject 20…34 and widen the interval.
    let distribution = try PathLengthDistribution(blockCount: 54)
    let rounded = distribution.share(of: 20...34)
    XCTAssertEqual(
      try distribution.narrowestCentralInterval(holding: rounded.nextDown).range, 20...34)
    let above = rounded.nextUp
    XCTAssertEqual(try distribution.narrowestCentralInterval(holding: above).range.count, 16)
  }

  func testInvalidArguments() {
    XCTAssertThrowsError(try PathLengthDistribution(blockCount: -1)) { error in
      XCTAssertEqual(error as? PathLengthError, .negativeBlockCount(-1))
      XCTAssertEqual("\(error)", "block count must be 0 or more, found -1")
    }
    let distribution = try? PathLengthDistribution(blockCount: 4)
    for bad in [0, -0.1, 1.5, Double.nan] {
      XCTAssertThrowsError(try distribution?.narrowestCentralInterval(holding: bad))
    }
  }

  // MARK: Large n, symmetry, edge cases

  func testCountsSumToPowerOfTwoForLargeNetworks() throws {
    for n in [1000, 10_000] {
      let distribution = try PathLengthDistribution(blockCount: n)
      var sum = BigUInt()
      for count in distribution.counts { sum += count }
      XCTAssertEqual(sum, BigUInt.powerOfTwo(n), "n = \(n)")
      XCTAssertEqual(distribution.counts.count, n + 1)
    }
  }

  func testLargeNetworkValuesAgainstPythonExactIntegers() throws {
    // Values computed with Python's math.comb and fractions.Fraction.
    let distribution = try PathLengthDistribution(blockCount: 10_000)
    let middle = distribution.count(ofLength: 5000).description
    XCTAssertEqual(middle.count, 3009)
    XCTAssertTrue(middle.hasPrefix("15917902635324389483"))
    XCTAssertTrue(middle.hasSuffix("78163387440553649120"))
    XCTAssertEqual(distribution.shares[5000], 0.007978646139382154, accuracy: 1e-18)
    XCTAssertEqual(distribution.log10Counts[5000], 3008.201885843934846, accuracy: 1e-9)
    XCTAssertEqual(distribution.shares[0], 0)  // 2^-10000 underflows Double
    XCTAssertEqual(distribution.log10Counts[0], 0)
    let thousand = try PathLengthDistribution(blockCount: 1000)
    XCTAssertEqual(thousand.shares[500], 0.0252250181783608, accuracy: 1e-17)
    let interval = try thousand.narrowestCentralInterval(holding: 0.95)
    // Brute force in Python (exact integers): the narrowest ≥95% window has width 61; of the two
    // equally central ones (469…530 and 470…531) the earlier is taken.
    XCTAssertEqual(interval.range, 469...530)
    XCTAssertGreaterThanOrEqual(interval.share, 0.95)
    let narrower = (interval.range.lowerBound + 1)...(interval.range.upperBound)
    XCTAssertLessThan(thousand.share(of: narrower), 0.95)
  }

  func testSymmetry() throws {
    for n in [7, 54, 301] {
      let distribution = try PathLengthDistribution(blockCount: n)
      for k in 0...n {
        XCTAssertEqual(distribution.counts[k], distribution.counts[n - k], "n = \(n), k = \(k)")
      }
    }
  }

  func testPascalRecurrence() throws {
    let previous = try PathLengthDistribution(blockCount: 99)
    let current = try PathLengthDistribution(blockCount: 100)
    for k in 1...99 {
      XCTAssertEqual(current.counts[k], previous.counts[k - 1] + previous.counts[k])
    }
  }

  func testEmptyAndSingleBlockNetworks() throws {
    let empty = try PathLengthDistribution(blockCount: 0)
    XCTAssertEqual(empty.counts, [1])
    XCTAssertEqual(empty.totalCount, 1)
    XCTAssertEqual(empty.shares, [1])
    XCTAssertEqual(empty.meanLength, 0)
    XCTAssertEqual(empty.standardDeviation, 0)
    XCTAssertEqual(try empty.narrowestCentralInterval(holding: 0.95).range, 0...0)

    let single = try PathLengthDistribution(blockCount: 1)
    XCTAssertEqual(single.counts, [1, 1])
    XCTAssertEqual(single.totalCount, 2)
    XCTAssertEqual(single.shares, [0.5, 0.5])
    XCTAssertEqual(try single.narrowestCentralInterval(holding: 0.5).range, 0...0)
    XCTAssertEqual(try single.narrowestCentralInterval(holding: 0.6).range, 0...1)
  }

  // MARK: Text histogram

  func testHistogramLines() throws {
    let distribution = try PathLengthDistribution(blockCount: 4)
    let lines = distribution.histogram(barWidth: 8).lines()
    XCTAssertEqual(
      lines,
      [
        "0 │█▍ 0.0625",
        "1 │█████▍ 0.2500",
        "2 │████████ 0.3750",
        "3 │█████▍ 0.2500",
        "4 │█▍ 0.0625",
      ])
    let ascii = distribution.histogram(barWidth: 8, ascii: true).lines()
    XCTAssertEqual(ascii[2], "2 |######## 0.3750")
  }

  func testHistogramGroupsLargeNetworks() throws {
    let distribution = try PathLengthDistribution(blockCount: 54)
    let histogram = distribution.histogram(maximumBars: 10, barWidth: 20)
    XCTAssertEqual(histogram.groupSize, 6)
    let lines = histogram.lines()
    XCTAssertEqual(lines.count, 10)
    XCTAssertTrue(lines[0].hasPrefix("  0–5 │"))
    XCTAssertTrue(lines[9].hasPrefix("   54 │"))
    // Grouped values still sum to 1.
    let total = lines.compactMap { Double($0.split(separator: " ").last ?? "") }.reduce(0, +)
    XCTAssertEqual(total, 1, accuracy: 1e-3)
  }
}


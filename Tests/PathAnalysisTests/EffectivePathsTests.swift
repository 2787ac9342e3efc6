import Foundation
import XCTest

@testable import PathAnalysis

/// Effective paths: C(n, k) · g_k in log space and its narrowest ranges (Veit et al. 2016, Fig. 6c).
final class EffectivePathsTests: XCTestCase {
  /// log10 C(n, k) computed independently of `BigUInt`, through lgamma.
  private func log10Binomial(_ n: Int, _ k: Int) -> Double {
    (lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1))) / log(10.0)
  }

  func testSyntheticExponentialDecayAgainstBruteForce() throws {
    let n = 54
    let magnitudes = (0...n).map { k in pow(10, -0.3 * Double(k)) }
    let paths = try EffectivePaths(
      distribution: PathLengthDistribution(blockCount: n), meanGradientMagnitudes: magnitudes)

    // Independent reference: totals via lgamma, normalised, then every interval tried.
    let logs = (0...n).map { k in log10Binomial(n, k) - 0.3 * Double(k) }
    let largest = logs.max()!
    let raw = logs.map { pow(10, $0 - largest) }
    let sum = raw.reduce(0, +)
    let reference = raw.map { $0 / sum }
    for k in 0...n {
      XCTAssertEqual(paths.gradientShares[k], reference[k], accuracy: 1e-12, "k = \(k)")
    }
    // The mode of C(54,k)·r^k with r = 10^-0.3 ≈ 0.501 is near n·r/(1+r) ≈ 18.
    let referenceMode = reference.indices.max { reference[$0] < reference[$1] }!
    XCTAssertEqual(paths.mode, referenceMode)
    XCTAssertEqual(paths.mode, 18)

    for share in [0.5, 0.9, 0.95, 0.99] {
      var best: (lower: Int, upper: Int, total: Double)?
      for lower in 0...n {
        for upper in lower...n {
          let total = reference[lower...upper].reduce(0, +)
          guard total >= share else { continue }
          if let current = best {
            let width = upper - lower
            let bestWidth = current.upper - current.lower
            if width < bestWidth || (width == bestWidth && total > current.total) {
              best = (lower, upper, total)
            }
          } else {
            best = (lower, upper, total)
          }
        }
      }
      let expected = try XCTUnwrap(best)
      let found = try paths.narrowestRange(holding: share)
      XCTAssertEqual(found.range, expected.lower...expected.upper, "share \(share)")
      XCTAssertEqual(found.gradientShare, expected.total, accuracy: 1e-12)
      let pathShare = (expected.lower...expected.upper).map { k in
        pow(10, log10Binomial(n, k) - Double(n) * log10(2.0))
      }.reduce(0, +)
      XCTAssertEqual(found.pathShare, pathShare, accuracy: 1e-12)
    }
  }

  func testPaperRangeFiveToSeventeenPathShare() throws {
    // Whatever the gradients, the paper's effective range 5…17 holds 0.45% of all paths.
    let magnitudes = Dictionary(uniqueKeysWithValues: (5...17).map { ($0, 1.0) })
    let paths = try EffectivePaths(blockCount: 54, meanGradientMagnitudes: magnitudes)
    let range = try paths.narrowestRange(holding: 1)
    XCTAssertEqual(range.range, 5...17)
    XCTAssertEqual(range.pathShare, 0.0045367, accuracy: 1e-7)
    XCTAssertEqual(range.gradientShare, 1, accuracy: 1e-12)
  }

  func testLargeNetworkIsStableInLogSpace() throws {
    // For n = 2000, C(n, k)·g_k overflows Double near the middle; the shares must stay finite.
    let n = 2000
    let magnitudes = (0...n).map { k in pow(10, -0.05 * Double(k)) }
    let paths = try EffectivePaths(
      distribution: PathLengthDistribution(blockCount: n), meanGradientMagnitudes: magnitudes)
    XCTAssertTrue(paths.gradientShares.allSatisfy { $0.isFinite && $0 >= 0 })
    XCTAssertEqual(paths.gradientShares.reduce(0, +), 1, accuracy: 1e-12)
    XCTAssertGreaterThan(paths.log10Totals[n / 2], 308)  // would have overflowed
    // Mode of C(n,k)·r^k with r = 10^-0.05: near n·r/(1+r).
    let r = pow(10, -0.05)
    XCTAssertEqual(Double(paths.mode), Double(n) * r / (1 + r), accuracy: 1.5)
    let range = try paths.narrowestRange(holding: 0.95)
    XCTAssertTrue(range.range.contains(paths.mode))
    XCTAssertGreaterThanOrEqual(range.gradientShare, 0.95 - 1e-12)
  }

  func testTiesPreferTheLargerTotalAndAnyPosition() throws {
    // n = 2: counts 1, 2, 1. g = (0.45, 0.05, 0.5) gives totals (0.45, 0.10, 0.50) / 1.05.
    let paths = try EffectivePaths(
      distribution: PathLengthDistribution(blockCount: 2),
      meanGradientMagnitudes: [0.45, 0.05, 0.5])
    let single = try paths.narrowestRange(holding: 0.4)
    XCTAssertEqual(single.range, 2...2)
    XCTAssertEqual(single.gradientShare, 0.5 / 1.05, accuracy: 1e-15)
    XCTAssertEqual(single.pathShare, 0.25)
    XCTAssertEqual(try paths.narrowestRange(holding: 0.5).range, 1...2)
    XCTAssertEqual(try paths.narrowestRange(holding: 1).range, 0...2)
    XCTAssertEqual(paths.mode, 2)
    // A range at the edge, far from the centre.
    let edge = try EffectivePaths(
      distribution: PathLengthDistribution(blockCount: 10),
      meanGradientMagnitudes: [1, 0.2] + [Double?](repeating: nil, count: 9))
    XCTAssertEqual(try edge.narrowestRange(holding: 0.9).range, 0...1)
    XCTAssertEqual(try edge.narrowestRange(holding: 0.3).range, 1...1)  // 0.2·10 = 2 vs 1
    XCTAssertEqual(edge.mode, 1)
  }

  func testMissingAndInvalidMagnitudes() throws {
    let distribution = try PathLengthDistribution(blockCount: 3)
    XCTAssertThrowsError(
      try EffectivePaths(distribution: distribution, meanGradientMagnitudes: [1, 1, 1])
    ) { error in
      XCTAssertEqual(error as? PathLengthError, .magnitudeCountMismatch(expected: 4, found: 3))
    }
    XCTAssertThrowsError(
      try EffectivePaths(distribution: distribution, meanGradientMagnitudes: [1, -1, 1, 1])
    ) { error in
      XCTAssertEqual(error as? PathLengthError, .invalidGradientMagnitude(length: 1, value: -1))
    }
    XCTAssertThrowsError(
      try EffectivePaths(distribution: distribution, meanGradientMagnitudes: [nil, 0, nil, 0])
    ) { error in
      XCTAssertEqual(error as? PathLengthError, .noPositiveGradient)
    }
    XCTAssertThrowsError(try EffectivePaths(blockCount: 3, meanGradientMagnitudes: [4: 1])) {
      error in
      XCTAssertEqual(error as? PathLengthError, .lengthOutOfRange(length: 4, blockCount: 3))
      XCTAssertEqual("\(error)", "path length 4 is out of range: valid lengths are 0–3")
    }
    let sparse = try EffectivePaths(blockCount: 3, meanGradientMagnitudes: [1: 2, 2: 1])
    for (found, expected) in zip(sparse.gradientShares, [0, 6.0 / 9.0, 3.0 / 9.0, 0]) {
      XCTAssertEqual(found, expected, accuracy: 1e-15)
    }
    XCTAssertEqual(sparse.log10Totals[0], -.infinity)
    XCTAssertThrowsError(try sparse.narrowestRange(holding: 0))
    XCTAssertThrowsError(try sparse.narrowestRange(holding: 1.01))
  }

  func testHistogramMarksTheRange() throws {
    let paths = try EffectivePaths(blockCount: 3, meanGradientMagnitudes: [1: 2, 2: 1])
    let lines = paths.histogram(marking: 1...1, barWidth: 6, ascii: true).lines()
    XCTAssertEqual(lines, ["0 | 0.0000", "1 |###### 0.6667 *", "2 |### 0.3333", "3 | 0.0000"])
  }
}

import XCTest
import _TestSupport

@testable import Statistics

/// The bootstrap against a naive re-implementation of its documented draw rule.
final class BootstrapTests: XCTestCase {
  /// The documented draw rule written out: high word of next() × n, redrawn while the low word
  /// is below 2⁶⁴ mod n.
  private func draw(_ generator: inout SplitMix64, below n: Int) -> Int {
    let bound = UInt64(n)
    let threshold = (0 &- bound) % bound
    while true {
      let (high, low) = generator.next().multipliedFullWidth(by: bound)
      if low >= threshold { return Int(high) }
    }
  }

  /// Type-7 quantile computed independently: position (B − 1)q, linear between neighbours.
  private func naiveQuantile(_ values: [Double], _ q: Double) -> Double {
    let s = values.sorted()
    let position = q * Double(s.count - 1)
    let i = Int(position)
    return i + 1 < s.count ? s[i] * (1 - (position - Double(i))) + s[i + 1] * (position - Double(i)) : s[i]
  }

  func testFixedSeedMatchesNaiveImplementation() {
    var data = SplitMix64(seed: 3)
    let values = (0..<23).map { _ in Double(data.int(below: 1000)) / 7 }
    let median: ([Double]) -> Double = { v in
      let s = v.sorted()
      return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
    var generator = SplitMix64(seed: 42)
    let result = Bootstrap.percentileInterval(values, resamples: 500, generator: &generator, statistic: median)

    var naive = SplitMix64(seed: 42)
    var statistics: [Double] = []
    for _ in 0..<500 {
      var resample: [Double] = []
      for _ in 0..<values.count { resample.append(values[draw(&naive, below: values.count)]) }
      statistics.append(median(resample))
    }
    XCTAssertEqual(result.resamples, 500)
    XCTAssertEqual(result.estimate, median(values))
    XCTAssertEqual(result.lower, naiveQuantile(statistics, 0.025), accuracy: 1e-12)
    XCTAssertEqual(result.upper, naiveQuantile(statistics, 0.975), accuracy: 1e-12)
    XCTAssertEqual(generator.state, naive.state, "the same number of draws")
    XCTAssertLessThan(result.lower, result.upper)
  }

  func testResampleIndicesFollowTheDrawRuleForAwkwardBounds() {
    // n = 3 and n = 2⁶² + 1 make rejections possible; the streams must agree draw for draw.
    for n in [1, 3, 7, 1000] {
      var a = SplitMix64(seed: UInt64(n))
      var b = SplitMix64(seed: UInt64(n))
      let indices = Bootstrap.resampleIndices(count: n, generator: &a)
      XCTAssertEqual(indices, (0..<n).map { _ in draw(&b, below: n) })
      XCTAssertTrue(indices.allSatisfy { (0..<n).contains($0) })
    }
    var g = SplitMix64(seed: 1)
    XCTAssertEqual(Bootstrap.resampleIndices(count: 0, generator: &g), [])
    XCTAssertEqual(g.state, 1, "no draws for an empty sample")
  }

  func testPercentileInterpolation() {
    XCTAssertEqual(Bootstrap.percentile(sorted: [1, 2, 3, 4, 5], 0.25), 2)
    XCTAssertEqual(Bootstrap.percentile(sorted: [1, 2, 3, 4, 5], 0.1), 1.4, accuracy: 1e-15)
    XCTAssertEqual(Bootstrap.percentile(sorted: [1, 2, 3, 4, 5], 1), 5)
    XCTAssertEqual(Bootstrap.percentile(sorted: [7], 0.3), 7)
    XCTAssertTrue(Bootstrap.percentile(sorted: [], 0.5).isNaN)
    let interval = Bootstrap.percentileInterval(statistics: [3, .nan, 1, 2], estimate: 2)
    XCTAssertEqual(interval.resamples, 3)
    XCTAssertEqual(interval.lower, 1.05, accuracy: 1e-15)
    XCTAssertEqual(interval.upper, 2.95, accuracy: 1e-15)
  }

  func testConstantDataGivesAPointInterval() {
    var generator = SplitMix64(seed: 9)
    let result = Bootstrap.percentileInterval([2.5, 2.5, 2.5], resamples: 50, generator: &generator) {
      $0.reduce(0, +) / Double($0.count)
    }
    XCTAssertEqual(result.lower, 2.5)
    XCTAssertEqual(result.upper, 2.5)
    XCTAssertEqual(result.estimate, 2.5)
  }
}

import Foundation
import Statistics
import XCTest
import _TestSupport

@testable import PathAnalysis

/// The bootstrap of Fig. 6c's effective-path ranges, against a naive re-implementation.
final class EffectivePathBootstrapTests: XCTestCase {
  func testZeroVarianceReproducesThePointEstimateInEveryResample() throws {
    // Every measurement at a length is equal, so every resample has the same means.
    let n = 54
    let measurements = Dictionary(
      uniqueKeysWithValues: (0...n).map { k in
        (k, [Double](repeating: pow(10, -0.3 * Double(k)), count: 5))
      })
    var generator = SplitMix64(seed: 5)
    let result = try EffectivePaths.bootstrap(
      blockCount: n, measurements: measurements, resamples: 200, generator: &generator)
    XCTAssertEqual(result.ranges.map(\.threshold), [0.5, 0.9, 0.95])
    for estimate in result.ranges {
      let point = try result.pointEstimate.narrowestRange(holding: estimate.threshold)
      XCTAssertEqual(estimate.point, point)
      XCTAssertEqual(estimate.usedResamples, 200)
      XCTAssertEqual(estimate.frequencies, [.init(range: point.range, count: 200, fraction: 1)])
      for (interval, value) in [
        (estimate.start, Double(point.range.lowerBound)), (estimate.end, Double(point.range.upperBound)),
        (estimate.pathShare, point.pathShare), (estimate.gradientShare, point.gradientShare),
      ] {
        XCTAssertEqual(interval.estimate, value)
        XCTAssertEqual(interval.lower, value)
        XCTAssertEqual(interval.upper, value)
        XCTAssertEqual(interval.resamples, 200)
      }
    }
    // The 90% range of C(54, k)·10^(−0.3k) (see EffectivePathsTests), found again.
    XCTAssertEqual(result.ranges[1].point.range, try result.pointEstimate.narrowestRange(holding: 0.9).range)
    XCTAssertEqual(result.lengths.count, n + 1)
    for estimate in result.lengths {
      let value = pow(10, -0.3 * Double(estimate.length))
      XCTAssertEqual(estimate.mean.estimate, value)
      XCTAssertEqual(estimate.mean.lower, value)
      XCTAssertEqual(estimate.mean.upper, value)
      XCTAssertEqual(estimate.count, 5)
    }
  }

  func testAgreesWithNaiveBootstrapAndBruteForceRanges() throws {
    // n = 8 blocks, 3–6 noisy measurements per length (length 7 unmeasured), 300 resamples.
    let n = 8
    var data = SplitMix64(seed: 17)
    var measurements: [Int: [Double]] = [:]
    for k in 0...n where k != 7 {
      measurements[k] = (0..<(3 + k % 4)).map { _ in pow(0.4, Double(k)) * Double(data.float(0.2, 1.8)) }
    }
    var generator = SplitMix64(seed: 99)
    let result = try EffectivePaths.bootstrap(
      blockCount: n, measurements: measurements, thresholds: [0.5, 0.9], resamples: 300,
      generator: &generator)

    // Naive: the documented draw order with the documented bounded draw, lgamma path counts,
    // every range tried.
    var naive = SplitMix64(seed: 99)
    func draw(below count: Int) -> Int {
      let bound = UInt64(count)
      while true {
        let (high, low) = naive.next().multipliedFullWidth(by: bound)
        if low >= (0 &- bound) % bound { return Int(high) }
      }
    }
    func binomial(_ k: Int) -> Double {
      exp(lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1))).rounded()
    }
    func narrowest(_ means: [Int: Double], _ share: Double) -> (
      range: ClosedRange<Int>, gradient: Double, paths: Double
    ) {
      let totals = (0...n).map { k in binomial(k) * (means[k] ?? 0) }
      let sum = totals.reduce(0, +)
      var best: (Int, Int, Double)?
      for lower in 0...n {
        for upper in lower...n {
          let part = totals[lower...upper].reduce(0, +) / sum
          guard part >= share - 1e-12 else { continue }
          if let b = best, upper - lower > b.1 - b.0 || (upper - lower == b.1 - b.0 && part <= b.2) { continue }
          best = (lower, upper, part)
        }
      }
      let (lower, upper, part) = best!
      let paths = (lower...upper).map(binomial).reduce(0, +) / pow(2, Double(n))
      return (lower...upper, part, paths)
    }
    let lengths = measurements.keys.sorted()
    var meanSamples: [Int: [Double]] = [:]
    var rangeSamples: [[(range: ClosedRange<Int>, gradient: Double, paths: Double)]] = [[], []]
    for _ in 0..<300 {
      var means: [Int: Double] = [:]
      for k in lengths {
        let values = measurements[k]!
        var sum = 0.0
        for _ in values { sum += values[draw(below: values.count)] }
        means[k] = sum / Double(values.count)
        meanSamples[k, default: []].append(means[k]!)
      }
      for (index, share) in [0.5, 0.9].enumerated() { rangeSamples[index].append(narrowest(means, share)) }
    }
    XCTAssertEqual(generator.state, naive.state, "the same number of draws")

    func quantile(_ values: [Double], _ q: Double) -> Double {
      let s = values.sorted()
      let h = q * Double(s.count - 1)
      let i = Int(h)
      return i + 1 < s.count ? s[i] + (h - Double(i)) * (s[i + 1] - s[i]) : s[i]
    }
    XCTAssertEqual(result.lengths.map(\.length), lengths)
    for estimate in result.lengths {
      let samples = meanSamples[estimate.length]!
      XCTAssertEqual(estimate.mean.lower, quantile(samples, 0.025), accuracy: 1e-15)
      XCTAssertEqual(estimate.mean.upper, quantile(samples, 0.975), accuracy: 1e-15)
    }
    for (index, estimate) in result.ranges.enumerated() {
      let samples = rangeSamples[index]
      var counts: [ClosedRange<Int>: Int] = [:]
      for sample in samples { counts[sample.range, default: 0] += 1 }
      XCTAssertEqual(Dictionary(uniqueKeysWithValues: estimate.frequencies.map { ($0.range, $0.count) }), counts)
      XCTAssertEqual(estimate.frequencies.map(\.count), estimate.frequencies.map(\.count).sorted(by: >))
      XCTAssertGreaterThan(estimate.frequencies.count, 1, "the noise must move the range for this test to mean much")
      XCTAssertEqual(estimate.start.lower, quantile(samples.map { Double($0.range.lowerBound) }, 0.025))
      XCTAssertEqual(estimate.end.upper, quantile(samples.map { Double($0.range.upperBound) }, 0.975))
      XCTAssertEqual(estimate.gradientShare.lower, quantile(samples.map(\.gradient), 0.025), accuracy: 1e-12)
      XCTAssertEqual(estimate.gradientShare.upper, quantile(samples.map(\.gradient), 0.975), accuracy: 1e-12)
      XCTAssertEqual(estimate.pathShare.lower, quantile(samples.map(\.paths), 0.025), accuracy: 1e-14)
      XCTAssertEqual(estimate.pathShare.upper, quantile(samples.map(\.paths), 0.975), accuracy: 1e-14)
    }
  }

  func testInvalidMeasurementsThrow() {
    var generator = SplitMix64(seed: 1)
    XCTAssertThrowsError(
      try EffectivePaths.bootstrap(blockCount: 3, measurements: [4: [1]], resamples: 10, generator: &generator)
    ) { XCTAssertEqual($0 as? PathLengthError, .lengthOutOfRange(length: 4, blockCount: 3)) }
    XCTAssertThrowsError(
      try EffectivePaths.bootstrap(blockCount: 3, measurements: [1: [1, .nan]], resamples: 10, generator: &generator)
    ) {
      XCTAssertEqual(
        ($0 as? PathLengthError)?.description, "gradient magnitude for path length 1 must be finite and ≥ 0, found nan")
    }
    XCTAssertThrowsError(
      try EffectivePaths.bootstrap(blockCount: 3, measurements: [1: [0, 0]], resamples: 10, generator: &generator)
    ) { XCTAssertEqual($0 as? PathLengthError, .noPositiveGradient) }
    XCTAssertThrowsError(
      try EffectivePaths.bootstrap(
        blockCount: 3, measurements: [1: [1]], thresholds: [0], resamples: 10, generator: &generator)
    ) { XCTAssertEqual($0 as? PathLengthError, .invalidShare(0)) }
  }

  func testResamplesWithoutGradientAreLeftOut() throws {
    // One length, one positive norm among zeros: resamples that draw only zeros are left out.
    var generator = SplitMix64(seed: 4)
    let result = try EffectivePaths.bootstrap(
      blockCount: 2, measurements: [1: [0, 0, 1]], thresholds: [0.9], resamples: 200,
      generator: &generator)
    let estimate = result.ranges[0]
    XCTAssertLessThan(estimate.usedResamples, 200)
    XCTAssertGreaterThan(estimate.usedResamples, 100)  // P(all zeros) = (2/3)³ ≈ 30%: about 141 used
    XCTAssertEqual(estimate.frequencies, [.init(range: 1...1, count: estimate.usedResamples, fraction: 1)])
    XCTAssertEqual(result.lengths[0].mean.resamples, 200)
  }
}

import XCTest

@testable import Statistics

/// Wilson intervals, summaries and rank correlations.
final class DescriptiveTests: XCTestCase {
  func testWilsonIntervalMatchesHandComputedValues() {
    // 6 errors in 100: centre (0.06 + 1.92/100)/(1.0384) ... computed with the formula in Double.
    let w = WilsonInterval(successes: 6, trials: 100)
    XCTAssertEqual(w.lower, 0.02778, accuracy: 1e-5)
    XCTAssertEqual(w.upper, 0.124768, accuracy: 1e-5)
    let zero = WilsonInterval(successes: 0, trials: 1000)
    XCTAssertEqual(zero.lower, 0, accuracy: 1e-15)
    XCTAssertEqual(zero.upper, 0.003827, accuracy: 1e-6)
    // 6% of 10,000 has a half-width of about 0.47 points.
    let big = WilsonInterval(successes: 600, trials: 10_000)
    XCTAssertEqual((big.upper - big.lower) / 2, 0.004657, accuracy: 0.00001)
    XCTAssertEqual(WilsonInterval(successes: 6, trials: 100, confidence: 0.95), w)
  }

  func testKendallTau() {
    XCTAssertEqual(kendallTau([1, 2, 3, 4]), 1)
    XCTAssertEqual(kendallTau([4, 3, 2, 1]), -1)
    XCTAssertEqual(kendallTau([2, 1, 3, 4]), 4.0 / 6.0, accuracy: 1e-12)
  }

  func testSummary() {
    let s = Summary([1, 2, 3, 4])
    XCTAssertEqual(s.mean, 2.5)
    XCTAssertEqual(s.standardDeviation, (5.0 / 3.0).squareRoot(), accuracy: 1e-12)
    XCTAssertEqual(s.minimum, 1)
    XCTAssertEqual(s.maximum, 4)
  }

  func testSpearmanMatchesScipy() throws {
    for row in try References.load().spearman {
      XCTAssertEqual(spearmanCorrelation(row.a, row.b), row.rho, accuracy: 1e-13, "\(row.a)")
    }
    XCTAssertEqual(averageRanks([10, 30, 20, 20]), [1, 4, 2.5, 2.5])
    XCTAssertEqual(spearmanCorrelation([1, 2, 3], [30, 20, 10]), -1, accuracy: 1e-15)
    XCTAssertTrue(spearmanCorrelation([1, 1, 1], [1, 2, 3]).isNaN)
    XCTAssertTrue(spearmanCorrelation([1, 2], [1, 2, 3]).isNaN)
    XCTAssertTrue(spearmanCorrelation([1], [1]).isNaN)
  }
}

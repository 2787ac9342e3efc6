import XCTest

@testable import Statistics

/// Student-t intervals for a mean and the sequential stopping rule.
final class MeanIntervalTests: XCTestCase {
  func testMatchesScipyTInterval() throws {
    for row in try References.load().meanInterval {
      let m = MeanInterval(row.values, confidence: row.confidence)
      XCTAssertEqual(m.count, row.values.count)
      assertClose(m.mean, row.mean, relative: 1e-14, absolute: 1e-16)
      assertClose(m.standardDeviation, row.standardDeviation, relative: 1e-13)
      assertClose(m.lower, row.lower, relative: 1e-12, absolute: 1e-15)
      assertClose(m.upper, row.upper, relative: 1e-12, absolute: 1e-15)
    }
  }

  func testHandComputedInterval() {
    // [0, 2]: mean 1, s = √2, s/√2 = 1, t(0.975, 1) = tan(0.475π) = 12.706204736174707.
    let m = MeanInterval([0, 2])
    XCTAssertEqual(m.mean, 1)
    XCTAssertEqual(m.standardError, 1, accuracy: 1e-15)
    XCTAssertEqual(m.halfWidth, tan(0.475 * Double.pi), accuracy: 1e-12)
    XCTAssertEqual(m.halfWidth, 12.706204736174707, accuracy: 1e-12)
  }

  func testSmallCountsAreNaNFree() {
    let empty = MeanInterval([])
    XCTAssertEqual(empty.count, 0)
    XCTAssertEqual(empty.mean, 0)
    XCTAssertEqual(empty.halfWidth, .infinity)
    XCTAssertEqual(empty.lower, -.infinity)
    let one = MeanInterval([0.25])
    XCTAssertEqual(one.mean, 0.25)
    XCTAssertEqual(one.standardDeviation, 0)
    XCTAssertEqual(one.standardError, .infinity)
    XCTAssertEqual(one.halfWidth, .infinity)
    XCTAssertEqual(one.upper, .infinity)
    let constant = MeanInterval([3, 3, 3])
    XCTAssertEqual(constant.halfWidth, 0)
    XCTAssertEqual(constant.lower, 3)
  }

  func testPairedDifference() {
    let d = MeanInterval.pairedDifference(treatment: [0.30, 0.25, 0.40], baseline: [0.10, 0.05, 0.20])
    XCTAssertEqual(d.mean, 0.2, accuracy: 1e-15)
    XCTAssertEqual(d.halfWidth, 0, accuracy: 1e-15)  // every difference is 0.2
    let e = MeanInterval.pairedDifference(treatment: [1, 4], baseline: [0, 1])
    XCTAssertEqual(e, MeanInterval([1, 3]))
  }

  func testSequentialMeanStopsAtThePrecision() {
    // t(0.975, 1) = 12.706, t(0.975, 2) = 0.95/√0.04875 = 4.3027.
    var wide = SequentialMean(precision: 12, minimumCount: 2, maximumCount: 10)
    XCTAssertFalse(wide.isFinished)
    wide.add(0)
    XCTAssertFalse(wide.isFinished)  // one value: unbounded
    wide.add(2)  // half-width 12.706 > 12
    XCTAssertFalse(wide.isFinished)
    XCTAssertFalse(wide.reachedPrecision)
    wide.add(1)  // mean 1, s = 1, half-width 4.3027/√3 = 2.484
    XCTAssertTrue(wide.isFinished)
    XCTAssertTrue(wide.reachedPrecision)
    XCTAssertEqual(wide.estimate.halfWidth, 0.95 / 0.04875.squareRoot() / 3.0.squareRoot(), accuracy: 1e-12)

    var loose = SequentialMean(precision: 13, minimumCount: 2, maximumCount: 10)
    loose.add(0)
    loose.add(2)
    XCTAssertTrue(loose.isFinished)  // 12.706 ≤ 13 at the minimum count

    var late = SequentialMean(precision: 13, minimumCount: 4, maximumCount: 10)
    for value in [0.0, 2, 1] { late.add(value) }
    XCTAssertTrue(late.reachedPrecision)
    XCTAssertFalse(late.isFinished)  // precise, but fewer than minimumCount values
    late.add(1)
    XCTAssertTrue(late.isFinished)
  }

  func testSequentialMeanStopsAtTheMaximum() {
    var capped = SequentialMean(precision: 0.001, minimumCount: 2, maximumCount: 4)
    for value in [0.0, 1, 0] {
      capped.add(value)
      XCTAssertFalse(capped.isFinished)
    }
    capped.add(1)
    XCTAssertTrue(capped.isFinished)
    XCTAssertFalse(capped.reachedPrecision)
    XCTAssertEqual(capped.estimate.count, 4)
    XCTAssertEqual(capped.estimate.mean, 0.5)
  }
}

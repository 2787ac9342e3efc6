import XCTest

@testable import Statistics

/// Newcombe's paired interval and the exact McNemar test.
final class PairedProportionComparisonTests: XCTestCase {
  /// Reference rows are (e, f, g, h, p₁ − p₂, lower, upper) with e = both "positive" (both wrong),
  /// f = first only (treatment only wrong), g = second only (baseline only wrong), h = neither.
  private func comparison(_ row: [Double], confidence: Double = 0.95) -> PairedProportionComparison {
    PairedProportionComparison(
      bothCorrect: Int(row[3]), baselineOnlyCorrect: Int(row[1]), treatmentOnlyCorrect: Int(row[2]),
      bothWrong: Int(row[0]), confidence: confidence)
  }

  func testNewcombeIntervalMatchesTheFormulaWrittenIndependently() throws {
    let references = try References.load()
    for row in references.newcombe {
      let c = comparison(row)
      XCTAssertEqual(c.errorChange, row[4], accuracy: 1e-15, "\(row)")
      XCTAssertEqual(c.lower, row[5], accuracy: 1e-13, "\(row)")
      XCTAssertEqual(c.upper, row[6], accuracy: 1e-13, "\(row)")
      XCTAssertLessThanOrEqual(c.lower, c.errorChange)
      XCTAssertGreaterThanOrEqual(c.upper, c.errorChange)
    }
    for row in references.newcombe90 {
      let c = comparison(row, confidence: 0.90)
      XCTAssertEqual(c.lower, row[5], accuracy: 1e-13, "\(row)")
      XCTAssertEqual(c.upper, row[6], accuracy: 1e-13, "\(row)")
    }
  }

  func testMethodsAreNamed() {
    XCTAssertTrue(PairedProportionComparison.intervalMethod.contains("Newcombe"))
    XCTAssertTrue(PairedProportionComparison.testMethod.contains("McNemar"))
  }

  func testNewcombesFirstExample() {
    // (36, 12, 2, 0): difference 0.2, interval 0.0569 to 0.3404 to four decimals.
    let c = PairedProportionComparison(bothCorrect: 0, baselineOnlyCorrect: 12, treatmentOnlyCorrect: 2, bothWrong: 36)
    XCTAssertEqual(c.errorChange, 0.2, accuracy: 1e-15)
    XCTAssertEqual(c.lower, 0.0569, accuracy: 5e-5)
    XCTAssertEqual(c.upper, 0.3404, accuracy: 5e-5)
  }

  func testExactMcNemarMatchesScipyBinomtest() throws {
    for row in try References.load().mcNemar {
      let (b, c) = (Int(row[0]), Int(row[1]))
      let comparison = PairedProportionComparison(
        bothCorrect: 50, baselineOnlyCorrect: b, treatmentOnlyCorrect: c, bothWrong: 7)
      assertClose(comparison.mcNemarExactP, row[2], relative: 1e-12, "b = \(b), c = \(c)")
    }
    // By hand: 0 against 5 discordant images, p = 2 · (1/2)^5.
    let hand = PairedProportionComparison(
      bothCorrect: 90, baselineOnlyCorrect: 0, treatmentOnlyCorrect: 5, bothWrong: 5)
    XCTAssertEqual(hand.mcNemarExactP, 0.0625)
    let none = PairedProportionComparison(
      bothCorrect: 90, baselineOnlyCorrect: 0, treatmentOnlyCorrect: 0, bothWrong: 10)
    XCTAssertEqual(none.mcNemarExactP, 1)
  }

  func testPerImageInitCountsTheFourCells() {
    // baseline: ✓✓✗✗✓✗✓, treatment: ✓✗✓✗✗✗✓ → both right 2, baseline only 2, treatment only 1, both wrong 2.
    let baseline = [true, true, false, false, true, false, true]
    let treatment = [true, false, true, false, false, false, true]
    let c = PairedProportionComparison(baselineCorrect: baseline, treatmentCorrect: treatment)
    XCTAssertEqual(
      c, PairedProportionComparison(bothCorrect: 2, baselineOnlyCorrect: 2, treatmentOnlyCorrect: 1, bothWrong: 2))
    XCTAssertEqual(c.count, 7)
    XCTAssertEqual(c.baselineError, 3.0 / 7.0, accuracy: 1e-15)
    XCTAssertEqual(c.treatmentError, 4.0 / 7.0, accuracy: 1e-15)
    XCTAssertEqual(c.errorChange, 1.0 / 7.0, accuracy: 1e-15)
    XCTAssertEqual(c.discordant.baselineOnlyWrong, 1)
    XCTAssertEqual(c.discordant.treatmentOnlyWrong, 2)
  }

  func testIdenticalClassifiersAndNoImages() {
    let same = PairedProportionComparison(baselineCorrect: [true, false, true], treatmentCorrect: [true, false, true])
    XCTAssertEqual(same.errorChange, 0)
    XCTAssertEqual(same.mcNemarExactP, 1)
    XCTAssertLessThan(same.lower, 0)
    XCTAssertGreaterThan(same.upper, 0)
    let empty = PairedProportionComparison(baselineCorrect: [], treatmentCorrect: [])
    XCTAssertEqual(empty.count, 0)
    XCTAssertEqual(empty.lower, -1)
    XCTAssertEqual(empty.upper, 1)
    XCTAssertEqual(empty.mcNemarExactP, 1)
  }

  func testLargeTableDoesNotOverflow() {
    // 10⁶ images: the φ products (≈ 10²⁴) must be formed in Double.
    let c = PairedProportionComparison(
      bothCorrect: 950_000, baselineOnlyCorrect: 9_000, treatmentOnlyCorrect: 1_000, bothWrong: 40_000)
    XCTAssertEqual(c.errorChange, 0.008, accuracy: 1e-15)
    XCTAssertTrue(c.lower > 0.007 && c.lower < 0.008, "\(c.lower)")
    XCTAssertTrue(c.upper > 0.008 && c.upper < 0.009, "\(c.upper)")
    XCTAssertLessThan(c.mcNemarExactP, 1e-300)
  }
}

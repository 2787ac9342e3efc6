import Foundation
import XCTest

@testable import Statistics

/// Quantiles and tails against scipy and against exact sums.
final class DistributionTests: XCTestCase {
  func testNormalQuantileMatchesScipy() throws {
    for row in try References.load().normalQuantile {
      assertClose(normalQuantile(row[0]), row[1], relative: 1e-13, absolute: 1e-15, "p = \(row[0])")
    }
    XCTAssertEqual(normalQuantile(0.975), 1.959963984540054, accuracy: 1e-15)
    XCTAssertEqual(normalQuantile(0), -.infinity)
    XCTAssertEqual(normalQuantile(1), .infinity)
    XCTAssertTrue(normalQuantile(1.5).isNaN)
    XCTAssertTrue(normalQuantile(.nan).isNaN)
  }

  func testStudentTQuantileMatchesScipy() throws {
    for row in try References.load().studentTQuantile {
      let p = row[0]
      let df = Int(row[1])
      assertClose(
        studentTQuantile(p, degreesOfFreedom: df), row[2], relative: 1e-11, absolute: 1e-14, "p = \(p), df = \(df)")
    }
    XCTAssertEqual(studentTQuantile(0.975, degreesOfFreedom: 4), 2.7764451051977987, accuracy: 1e-13)
    XCTAssertTrue(studentTQuantile(0.975, degreesOfFreedom: 0).isNaN)
    XCTAssertEqual(studentTQuantile(1, degreesOfFreedom: 3), .infinity)
    XCTAssertEqual(studentTQuantile(0.5, degreesOfFreedom: 3), 0)
  }

  func testStudentTCDFMatchesScipyAndInvertsTheQuantile() throws {
    for row in try References.load().studentTCDF {
      let df = Int(row[1])
      assertClose(
        studentTCDF(row[0], degreesOfFreedom: df), row[2], relative: 1e-11, absolute: 1e-16, "t = \(row[0]), df = \(df)"
      )
    }
    for df in [3, 8, 40] {
      for p in [0.01, 0.3, 0.8, 0.999] {
        let t = studentTQuantile(p, degreesOfFreedom: df)
        XCTAssertEqual(studentTCDF(t, degreesOfFreedom: df), p, accuracy: 1e-14)
      }
    }
  }

  func testBinomialMatchesScipyUpToOneMillionTrials() throws {
    let references = try References.load()
    for row in references.binomialCDF {
      let (k, n, p) = (Int(row[0]), Int(row[1]), row[2])
      assertClose(
        binomialCDF(k, trials: n, probability: p), row[3], relative: 1e-11, absolute: 1e-300,
        "P(X ≤ \(k)), n = \(n), p = \(p)")
    }
    for row in references.binomialProbability {
      let (k, n, p) = (Int(row[0]), Int(row[1]), row[2])
      assertClose(
        binomialProbability(k, trials: n, probability: p), row[3], relative: 1e-12, absolute: 1e-300,
        "P(X = \(k)), n = \(n)")
    }
  }

  func testBinomialCDFAgainstExactRationalSums() throws {
    // Python's fractions: Σ C(n, i) p^i (1 − p)^(n − i) in exact arithmetic, rounded once.
    for row in try References.load().binomialCDFExact {
      let (k, n, p) = (Int(row[0]), Int(row[1]), row[2])
      assertClose(binomialCDF(k, trials: n, probability: p), row[3], relative: 1e-13, "k = \(k), n = \(n), p = \(p)")
    }
    // p = 1/2 in exact integers here: Σ_{i ≤ k} C(n, i) / 2^n for n ≤ 60 fits in UInt64.
    for n in [1, 2, 9, 30, 47, 60] {
      var row: [UInt64] = [1]
      for _ in 0..<n { row = zip(row + [0], [0] + row).map { $0 + $1 } }
      var sum: UInt64 = 0
      for k in 0...n {
        sum += row[k]
        let exact = Double(sum) / pow(2, Double(n))
        assertClose(binomialCDF(k, trials: n, probability: 0.5), exact, relative: 1e-13, "k = \(k), n = \(n)")
      }
    }
  }

  func testLogBetaAvoidsCancellation() {
    // Against lgamma where that is accurate, and against B(a, ½) = √π·Γ(a)/Γ(a + ½) for large a,
    // whose ratio Γ(a + ½)/Γ(a) = √a·(1 − 1/8a + 1/128a² + 5/1024a³ − 21/32768a⁴ …).
    for (a, b) in [(2.5, 0.5), (9.0, 3.0), (12.0, 0.5), (15.0, 40.0), (30.0, 30.0)] {
      XCTAssertEqual(logBeta(a, b), lgamma(a) + lgamma(b) - lgamma(a + b), accuracy: 1e-12, "\(a), \(b)")
    }
    for a in [5e4, 5e5] {
      let ratio = 1 - 1 / (8 * a) + 1 / (128 * a * a) + 5 / (1024 * a * a * a)
      let expected = 0.5 * log(Double.pi) - 0.5 * log(a) - log(ratio)
      XCTAssertEqual(logBeta(a, 0.5), expected, accuracy: 1e-14, "a = \(a)")
    }
  }

  func testBinomialEdgeCases() {
    XCTAssertEqual(binomialCDF(-1, trials: 10, probability: 0.3), 0)
    XCTAssertEqual(binomialCDF(10, trials: 10, probability: 0.3), 1)
    XCTAssertEqual(binomialCDF(0, trials: 0, probability: 0.3), 1)
    XCTAssertEqual(binomialCDF(0, trials: 5, probability: 0), 1)
    XCTAssertEqual(binomialCDF(4, trials: 5, probability: 1), 0)
    XCTAssertEqual(binomialProbability(5, trials: 5, probability: 1), 1)
    XCTAssertTrue(binomialCDF(2, trials: 5, probability: 1.2).isNaN)
    XCTAssertTrue(binomialCDF(2, trials: -5, probability: 0.2).isNaN)
    XCTAssertEqual(binomialCDF(0, trials: 3, probability: 0.5), 0.125, accuracy: 1e-16)
  }
}

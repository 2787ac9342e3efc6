import Foundation
import XCTest
import _TestSupport

/// The values written by `Fixtures/generate_references.py` (scipy 1.17, exact fractions).
struct References: Decodable {
  struct MeanCase: Decodable {
    var values: [Double]
    var confidence: Double
    var mean: Double
    var standardDeviation: Double
    var lower: Double
    var upper: Double
  }
  struct SpearmanCase: Decodable {
    var a: [Double]
    var b: [Double]
    var rho: Double
  }
  var normalQuantile: [[Double]]
  var studentTQuantile: [[Double]]
  var studentTCDF: [[Double]]
  var binomialCDF: [[Double]]
  var binomialProbability: [[Double]]
  var binomialCDFExact: [[Double]]
  var mcNemar: [[Double]]
  var newcombe: [[Double]]
  var newcombe90: [[Double]]
  var spearman: [SpearmanCase]
  var meanInterval: [MeanCase]

  static func load() throws -> References {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent("Fixtures/references.json")
    return try JSONDecoder().decode(References.self, from: Data(contentsOf: url))
  }
}

/// One scalar through the project's closeness helper: |actual − expected| ≤ absolute + relative·|expected|.
func assertClose(
  _ actual: Double, _ expected: Double, relative: Double, absolute: Double = 0,
  _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line
) {
  _TestSupport.assertClose([actual], [expected], atol: absolute, rtol: relative, message(), file: file, line: line)
}

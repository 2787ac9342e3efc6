import _TestSupport
import XCTest

/// The one tolerance of the engine's reference tests: |a − b| ≤ atol + rtol·|ref|, NaN-aware.
struct Tolerance {
  var absolute: Float = 1e-4
  var relative: Float = 1e-4

  static let pytorch = Tolerance()

  /// The worst violations, for failure messages: (index, actual, expected, excess ratio).
  func mismatches(_ actual: [Float], _ expected: [Float]) -> [(index: Int, actual: Float, expected: Float, ratio: Float)] {
    var result: [(Int, Float, Float, Float)] = []
    for i in 0..<min(actual.count, expected.count) {
      let a = actual[i]
      let e = expected[i]
      if a.isNaN || e.isNaN {
        if a.isNaN != e.isNaN { result.append((i, a, e, .infinity)) }
        continue
      }
      let allowed = absolute + relative * abs(e)
      let difference = abs(a - e)
      if !(difference <= allowed) { result.append((i, a, e, difference / allowed)) }
    }
    return result.sorted { $0.3 > $1.3 }
  }
}

/// Asserts element-wise closeness and reports the worst elements on failure.
func assertClose(
  _ actual: [Float], _ expected: [Float], _ what: @autoclosure () -> String,
  tolerance: Tolerance = .pytorch, file: StaticString = #filePath, line: UInt = #line
) {
  guard actual.count == expected.count else {
    XCTFail("\(what()): \(actual.count) elements, expected \(expected.count)", file: file, line: line)
    return
  }
  let bad = tolerance.mismatches(actual, expected)
  if !bad.isEmpty {
    let worst = bad.prefix(3).map { "[\($0.index)] got \($0.actual) expected \($0.expected)" }.joined(separator: "; ")
    XCTFail("\(what()): \(bad.count) of \(actual.count) elements differ beyond \(tolerance.absolute) + \(tolerance.relative)·|ref|; worst: \(worst)", file: file, line: line)
  }
}


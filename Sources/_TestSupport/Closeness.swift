import XCTest

/// One element outside the tolerance: where, the two values, and by how much (the difference
/// over the allowed difference; infinity when only one side is NaN).
public struct CloseMismatch: Equatable, Sendable {
  public var index: Int
  public var actual: Double
  public var expected: Double
  public var ratio: Double
}

/// The elements where `|actual − expected| ≤ atol + rtol·|expected|` fails, worst first.
///
/// NaN-aware: a NaN on either side fails, except NaN against NaN when `nanMatchesNaN` is true
/// (the reference computed NaN there too). Infinities must match exactly (same sign). Lengths
/// must be equal (the caller checks); extra elements are ignored.
/// - Complexity: O(n log n) in the number of mismatches, O(n) otherwise.
public func closeMismatches<T: BinaryFloatingPoint>(
  _ actual: [T], _ expected: [T], atol: Double, rtol: Double, nanMatchesNaN: Bool = true
) -> [CloseMismatch] {
  var result: [CloseMismatch] = []
  for i in 0..<min(actual.count, expected.count) {
    let (a, e) = (Double(actual[i]), Double(expected[i]))
    if a.isNaN || e.isNaN {
      if !(a.isNaN && e.isNaN && nanMatchesNaN) {
        result.append(CloseMismatch(index: i, actual: a, expected: e, ratio: .infinity))
      }
      continue
    }
    if a.isInfinite || e.isInfinite {
      if a != e { result.append(CloseMismatch(index: i, actual: a, expected: e, ratio: .infinity)) }
      continue
    }
    let allowed = atol + rtol * abs(e)
    let difference = abs(a - e)
    if !(difference <= allowed) {
      result.append(CloseMismatch(index: i, actual: a, expected: e, ratio: difference / allowed))
    }
  }
  return result.sorted { $0.ratio > $1.ratio || ($0.ratio == $1.ratio && $0.index < $1.index) }
}

/// The project's one closeness assertion: `|actual − expected| ≤ atol + rtol·|expected|`
/// element-wise, NaN-aware (see `closeMismatches`); on failure it reports the count and the
/// five worst elements with their indices.
public func assertClose<T: BinaryFloatingPoint>(
  _ actual: [T], _ expected: [T], atol: Double = 1e-4, rtol: Double = 1e-4,
  _ what: @autoclosure () -> String = "", nanMatchesNaN: Bool = true,
  file: StaticString = #filePath, line: UInt = #line
) {
  guard actual.count == expected.count else {
    XCTFail("\(what()): \(actual.count) values, expected \(expected.count)", file: file, line: line)
    return
  }
  let bad = closeMismatches(actual, expected, atol: atol, rtol: rtol, nanMatchesNaN: nanMatchesNaN)
  guard !bad.isEmpty else { return }
  let worst = bad.prefix(5).map { "[\($0.index)] \($0.actual) vs \($0.expected)" }
  XCTFail(
    "\(what()): \(bad.count) of \(actual.count) values differ beyond \(atol) + \(rtol)·|ref|; worst: \(worst.joined(separator: ", "))",
    file: file, line: line)
}

import XCTest

@testable import PathAnalysis

/// Issue 12: the exact distribution's cost grows as n², so n is bounded where a run still takes
/// well under a second.
final class PathLengthLimitTests: XCTestCase {
  func testBlockCountAboveTheMaximumIsRefused() throws {
    let maximum = PathLengthDistribution.maximumBlockCount
    XCTAssertEqual(try PathLengthDistribution(blockCount: maximum).counts.count, maximum + 1)
    XCTAssertThrowsError(try PathLengthDistribution(blockCount: maximum + 1)) { error in
      XCTAssertEqual(error as? PathLengthError, .tooManyBlocks(maximum + 1, maximum: maximum))
    }
    XCTAssertThrowsError(try PathLengthDistribution(blockCount: 100_000))
    XCTAssertThrowsError(try PathLengthDistribution(blockCount: Int.max))
  }
}

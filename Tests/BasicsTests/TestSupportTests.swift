import Foundation
import XCTest
import _TestSupport

/// The shared test helpers must be able to fail: the closeness check on NaN, infinities and
/// the tolerance boundary, and the fixture locator.
final class TestSupportTests: XCTestCase {
  func testCloseMismatchesAreNaNAwareAndWorstFirst() {
    let expected: [Float] = [1, 100, 0, .nan, .infinity, 5, .nan]
    let actual: [Float] = [1.0002, 100.0101, 0.0002, .nan, .infinity, .nan, 3]
    let bad = closeMismatches(actual, expected, atol: 1e-4, rtol: 1e-4)
    // [0]: 2e-4 > 1e-4 + 1e-4 (ratio ≈ 1.0); [1]: 0.0101 > 0.0101? (ratio ≈ 1.0); [2]: ratio 2.
    XCTAssertEqual(bad.map(\.index).prefix(2).sorted(), [5, 6])  // NaN on one side: ratio ∞
    XCTAssertEqual(bad[2].index, 2)
    XCTAssertEqual(bad[2].ratio, 2, accuracy: 1e-3)
    XCTAssertFalse(bad.contains { $0.index == 3 })  // NaN against NaN is allowed by default
    XCTAssertFalse(bad.contains { $0.index == 4 })  // equal infinities
    XCTAssertTrue(
      closeMismatches([Float.nan], [.nan], atol: 1, rtol: 1, nanMatchesNaN: false).count == 1)
    XCTAssertEqual(closeMismatches([Float.infinity], [-.infinity], atol: 1, rtol: 1).count, 1)
    XCTAssertEqual(closeMismatches([Float.infinity], [1e30], atol: 1, rtol: 1).count, 1)
    // The boundary itself passes: |a − b| ≤ atol + rtol·|ref|.
    XCTAssertTrue(closeMismatches([1.5], [1.0], atol: 0.25, rtol: 0.25).isEmpty)
    XCTAssertEqual(closeMismatches([1.5], [1.0], atol: 0.25, rtol: 0.2).count, 1)
    XCTAssertTrue(closeMismatches([0.5 as Double], [1], atol: 0, rtol: 0.5).isEmpty)
  }

  func testAssertClosePassesWhatItShould() {
    // (Failures are checked through closeMismatches above: swift-corelibs-xctest has no
    // XCTExpectFailure.)
    assertClose([Float](), [], "empty")
    assertClose([1, .nan], [1, Float.nan], "NaN in both")
  }

  func testFixtureLocator() {
    let root = TestFiles.repositoryRoot()
    XCTAssertTrue(FileManager.default.fileExists(atPath: root.appendingPathComponent("Package.swift").path))
    XCTAssertEqual(TestFiles.fixtures().path, root.appendingPathComponent("Tests/BasicsTests/Fixtures").path)
    let engine = TestFiles.fixture("cifar_a.safetensors", of: "EngineTests")
    XCTAssertTrue(FileManager.default.fileExists(atPath: engine.path), engine.path)
    XCTAssertEqual(TestFiles.notebooksData().lastPathComponent, "notebooks-data")
  }
}

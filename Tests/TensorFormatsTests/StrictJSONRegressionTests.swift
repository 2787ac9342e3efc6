import Basics
import Foundation
import XCTest

/// Replays the strict-JSON fuzz target's committed inputs (`Tests/Fuzz/Corpus/json/` and
/// `Tests/Fuzz/Regressions/json/` when fuzzing finds something): each parses or throws.
final class StrictJSONRegressionTests: XCTestCase {
  func testCommittedFuzzInputs() throws {
    let fuzz = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("Fuzz")
    var parsed = 0
    var refused = 0
    for kind in ["Corpus", "Regressions"] {
      let folder = fuzz.appendingPathComponent(kind).appendingPathComponent("json")
      for name in ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted() {
        let bytes = [UInt8](try Data(contentsOf: folder.appendingPathComponent(name)))
        do {
          _ = try JSONValue.parse(bytes)
          parsed += 1
        } catch is JSONParseError {
          refused += 1
        }
      }
    }
    // The seeds hold both valid texts and a duplicate key, which must be refused.
    XCTAssertGreaterThan(parsed, 0)
    XCTAssertGreaterThan(refused, 0)
  }
}

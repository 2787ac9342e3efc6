import Foundation
import XCTest

/// End-to-end runs of `resnet-lesion paths` and of the program's error handling.
final class PathsCommandTests: XCTestCase {
  func testPathsTableReportsThePapersIntervals() throws {
    let result = try BinaryRunner.run(["paths", "--blocks", "54", "--range", "19-35"])
    XCTAssertEqual(result.status, 0, result.standardError)
    guard result.status == 0 else { return }
    XCTAssertTrue(result.standardOutput.contains("1946939425648112"), "C(54,27) in the table")
    XCTAssertTrue(result.standardOutput.contains("20–34 (share 0.9598)"), result.standardOutput)
    XCTAssertTrue(result.standardOutput.contains("share of lengths 19–35: 0.9802"), result.standardOutput)
    // Shares with four significant digits, not seventeen.
    let k27 = result.standardOutput.split(separator: "\n").first { $0.hasPrefix("                  27 ") || $0.trimmingCharacters(in: .whitespaces).hasPrefix("27 ") }
    XCTAssertTrue(k27?.contains(" 0.1081 ") ?? false, String(describing: k27))
    XCTAssertFalse(result.standardOutput.contains("0.10807"), "no share printed with more than four significant digits")
  }

  func testPathsCSVHasOneRowPerLength() throws {
    let result = try BinaryRunner.run(["paths", "--blocks", "10", "--format", "csv"])
    XCTAssertEqual(result.status, 0, result.standardError)
    guard result.status == 0 else { return }
    let lines = result.standardOutput.split(separator: "\n").filter { !$0.hasPrefix("#") }
    XCTAssertEqual(lines.first, "path_length_k_blocks,paths_count,paths_share_fraction,log10_paths_count")
    XCTAssertEqual(lines.count, 12)
    guard lines.count == 12 else { return }
    XCTAssertTrue(lines[6].hasPrefix("5,252,"), String(lines[6]))
  }

  func testOutputFileIsWrittenAndStdoutStaysEmpty() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("paths-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let file = folder.appendingPathComponent("paths.json")
    let result = try BinaryRunner.run(["paths", "--blocks", "3", "--output", file.path])
    XCTAssertEqual(result.status, 0, result.standardError)
    guard result.status == 0 else { return }
    XCTAssertEqual(result.standardOutput, "")
    let object = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any]
    XCTAssertEqual(object?["total_paths"] as? String, "8")
  }

  func testUsageErrorsAreOneLineWithStatus64() throws {
    for arguments in [["paths", "--blocks", "x"], ["paths", "--bloks", "3"], ["frobnicate"], ["paths", "--range", "9-3"]] {
      let result = try BinaryRunner.run(arguments)
      XCTAssertEqual(result.status, 64, "\(arguments): \(result.standardError)")
      XCTAssertTrue(result.standardError.hasPrefix("Error: "), result.standardError)
      XCTAssertEqual(result.standardError.split(separator: "\n").count, 1, result.standardError)
      XCTAssertEqual(result.standardOutput, "")
    }
  }

  func testHelpListsCommandsOnStdout() throws {
    let result = try BinaryRunner.run(["--help"])
    XCTAssertEqual(result.status, 0)
    XCTAssertTrue(result.standardOutput.contains("paths"))
    XCTAssertEqual(result.standardError, "")
  }
}

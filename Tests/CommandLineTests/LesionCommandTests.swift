import _TestSupport
import Foundation
import XCTest

/// End-to-end runs of drop, sweep and reorder on small committed models trained by
/// `resnet-lesion train` (see Fixtures/README.md), on the bundled MNIST-5k test split.
final class LesionCommandTests: XCTestCase {
  static var fixtures: URL { TestFiles.fixtures() }
  static var resnet: String { fixtures.appendingPathComponent("tiny-resnet8.safetensors").path }
  static var vgg: String { fixtures.appendingPathComponent("tiny-vgg.safetensors").path }

  /// Parses CSV without quoted fields (our lesion CSVs have none).
  func rows(_ csv: String) -> [[String]] {
    csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
  }

  func testDropTableCSVAndJSONAgree() throws {
    let table = try BinaryRunner.run(["drop", "--model", Self.resnet, "--blocks", "2,3", "--limit", "300", "--quiet"])
    XCTAssertEqual(table.status, 0, table.standardError)
    guard table.status == 0 else { return }
    XCTAssertEqual(table.standardError, "")
    let lines = table.standardOutput.split(separator: "\n")
    guard lines.count >= 4 else { return XCTFail(table.standardOutput) }
    XCTAssertTrue(lines[0].hasPrefix("network"), table.standardOutput)
    XCTAssertTrue(lines[2].hasPrefix("intact"), table.standardOutput)
    XCTAssertTrue(lines[3].hasPrefix("delete 2-3"), table.standardOutput)
    let csv = try BinaryRunner.run(["drop", "--model", Self.resnet, "--blocks", "2,3", "--limit", "300", "--format", "csv", "--quiet"])
    let r = rows(csv.standardOutput)
    guard r.count == 3, r[2].count == 9 else { return XCTFail(csv.standardOutput + csv.standardError) }
    XCTAssertEqual(r[0], ["network", "deleted_blocks", "error", "error_low95", "error_high95", "error_change", "mean_loss", "agreement", "images"])
    XCTAssertEqual(r[1][0], "intact")
    XCTAssertEqual(r[2][1], "2 3")
    XCTAssertEqual(r[2][8], "300")
    let lesionedError = Double(r[2][2])!
    let low = Double(r[2][3])!
    let high = Double(r[2][4])!
    XCTAssertTrue(low <= lesionedError && lesionedError <= high)
    XCTAssertEqual(Double(r[2][5])!, lesionedError - Double(r[1][2])!, accuracy: 1e-6)
    // The table shows the same error in percent.
    XCTAssertTrue(lines[3].contains(String(format: "%.2f", 100 * lesionedError)), String(lines[3]))
  }

  func testSweepRowsEqualSingleDrops() throws {
    let sweep = try BinaryRunner.run(["sweep", "--model", Self.resnet, "--limit", "200", "--format", "csv", "--quiet"])
    XCTAssertEqual(sweep.status, 0, sweep.standardError)
    guard sweep.status == 0 else { return }
    let r = rows(sweep.standardOutput)
    XCTAssertEqual(r.count, 1 + 1 + 3, "header, intact, three blocks")
    guard r.count == 5 else { return }
    for block in 1...3 {
      let drop = try BinaryRunner.run(["drop", "--model", Self.resnet, "--blocks", "\(block)", "--limit", "200", "--format", "csv", "--quiet"])
      let d = rows(drop.standardOutput)
      guard d.count == 3 else { return XCTFail(drop.standardOutput + drop.standardError) }
      XCTAssertEqual(r[1 + block][5...], d[2][2...], "block \(block): sweep row equals drop")
    }
  }

  func testPlainNetworkSweepMarksUndeletableLayers() throws {
    let sweep = try BinaryRunner.run(["sweep", "--model", Self.vgg, "--limit", "100", "--format", "csv", "--quiet"])
    XCTAssertEqual(sweep.status, 0, sweep.standardError)
    guard sweep.status == 0 else { return }
    let r = rows(sweep.standardOutput)
    guard r.count == 8 else { return XCTFail(sweep.standardOutput) }
    XCTAssertEqual(r[4][0...4], ["3", "layers.2", "2", "1", "0"], "the stride-2 layer cannot be deleted")
    let refused = try BinaryRunner.run(["drop", "--model", Self.vgg, "--blocks", "3"])
    XCTAssertEqual(refused.status, 64)
    XCTAssertTrue(refused.standardError.contains("has no shortcut and maps 4×28×28 to 8×14×14"), refused.standardError)
  }

  func testRandomDeletionIsReproducible() throws {
    let arguments = ["sweep", "--model", Self.resnet, "--random", "1-2", "--samples", "3", "--seed", "9", "--limit", "100", "--format", "json", "--quiet"]
    let a = try BinaryRunner.run(arguments)
    let b = try BinaryRunner.run(arguments, environment: ["RESNET_LESION_THREADS": "1"])
    XCTAssertEqual(a.status, 0, a.standardError)
    guard a.status == 0 else { return }
    XCTAssertEqual(a.standardOutput, b.standardOutput, "same seed, different thread count: same bytes")
    let c = try BinaryRunner.run(["sweep", "--model", Self.resnet, "--random", "1-2", "--samples", "3", "--seed", "10", "--limit", "100", "--format", "json", "--quiet"])
    XCTAssertNotEqual(a.standardOutput, c.standardOutput)
  }

  func testReorderReportsKendallTau() throws {
    let result = try BinaryRunner.run(["reorder", "--model", Self.vgg, "--order", "2,1,3,4,5,6", "--limit", "100", "--format", "csv", "--quiet"])
    XCTAssertEqual(result.status, 0, result.standardError)
    guard result.status == 0 else { return }
    let r = rows(result.standardOutput)
    guard r.count == 3 else { return XCTFail(result.standardOutput) }
    XCTAssertEqual(r[2][0...2], ["-1", "0.866667", "2 1 3 4 5 6"])
    let broken = try BinaryRunner.run(["reorder", "--model", Self.vgg, "--order", "1,2"])
    XCTAssertEqual(broken.status, 64, broken.standardError)
    XCTAssertTrue(broken.standardError.contains("missing blocks 3,4,5,6"), broken.standardError)
    let shapes = try BinaryRunner.run(["reorder", "--model", Self.resnet, "--order", "2,1,3"])
    XCTAssertEqual(shapes.status, 64, shapes.standardError)
    XCTAssertTrue(shapes.standardError.contains("takes 4×28×28 feature maps but would receive 8×14×14"), shapes.standardError)
    let random = try BinaryRunner.run(["reorder", "--model", Self.vgg, "--swaps", "1,2", "--samples", "2", "--limit", "50", "--format", "csv", "--quiet"])
    XCTAssertEqual(random.status, 0, random.standardError)
    guard random.status == 0 else { return }
    XCTAssertEqual(rows(random.standardOutput).count, 6)
  }

  func testBadInputIsOneLineErrorWithTheRightStatus() throws {
    let cases: [([String], Int32, String)] = [
      (["drop", "--model", Self.resnet, "--blocks", "4"], 64, "valid blocks are 1–3"),
      (["drop", "--model", Self.resnet, "--blocks", "2,2"], 64, "2"),
      (["drop", "--model", Self.resnet, "--blocks", "x"], 64, "--blocks"),
      (["drop", "--model", Self.resnet], 64, "exactly one of --blocks, --stage or --random"),
      (["drop", "--model", "/nonexistent/model.pt", "--blocks", "1"], 1, "model.pt"),
      (["drop", "--model", Self.resnet, "--blocks", "1", "--data", "/nonexistent/data"], 1, "/nonexistent/data"),
    ]
    for (arguments, status, fragment) in cases {
      let result = try BinaryRunner.run(arguments)
      XCTAssertEqual(result.status, status, "\(arguments): \(result.standardError)")
      XCTAssertTrue(result.standardError.hasPrefix("Error: "), result.standardError)
      XCTAssertEqual(result.standardError.split(separator: "\n").count, 1, result.standardError)
      XCTAssertTrue(result.standardError.contains(fragment), "\(arguments): \(result.standardError)")
    }
  }

  func testOutputFileIsAtomicAndComplete() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("drop-\(UUID().uuidString)")
    let file = folder.appendingPathComponent("drop.csv")
    let result = try BinaryRunner.run(["drop", "--model", Self.resnet, "--blocks", "1", "--limit", "50", "--format", "csv", "--output", file.path, "--quiet"])
    XCTAssertEqual(result.status, 0, result.standardError)
    guard result.status == 0 else { return }
    let text = try String(contentsOf: file, encoding: .utf8)
    XCTAssertEqual(rows(text).count, 3)
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path)
    XCTAssertEqual(leftovers, ["drop.csv"], "no temporary files left behind")
  }
}

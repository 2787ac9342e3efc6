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
    csv.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
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
    XCTAssertTrue(lines[3].hasPrefix("lesioned  2 3"), table.standardOutput)
    XCTAssertTrue(table.standardOutput.contains("Newcombe paired interval"), "the footer says which method")
    let csv = try BinaryRunner.run(["drop", "--model", Self.resnet, "--blocks", "2,3", "--limit", "300", "--format", "csv", "--quiet"])
    let r = rows(csv.standardOutput)
    guard r.count == 3, r[2].count == 17 else { return XCTFail(csv.standardOutput + csv.standardError) }
    XCTAssertEqual(r[0], [
      "network", "deleted_blocks", "images", "error_fraction", "error_low95_fraction", "error_high95_fraction",
      "error_change_fraction", "error_change_low95_fraction", "error_change_high95_fraction", "mcnemar_p",
      "newly_wrong_images", "newly_right_images", "mean_loss_nats", "loss_change_nats", "loss_change_low95_nats",
      "loss_change_high95_nats", "agreement_fraction",
    ])
    XCTAssertEqual(r[1][0], "intact")
    XCTAssertEqual(r[2][1], "2 3")
    XCTAssertEqual(r[2][2], "300")
    let lesionedError = Double(r[2][3])!
    XCTAssertTrue(Double(r[2][4])! <= lesionedError && lesionedError <= Double(r[2][5])!)
    let change = Double(r[2][6])!
    XCTAssertEqual(change, lesionedError - Double(r[1][3])!, accuracy: 1e-6)
    XCTAssertTrue(Double(r[2][7])! <= change && change <= Double(r[2][8])!, "the paired interval holds the change")
    // The change is (newly wrong − newly right) / images: McNemar's discordant pairs.
    XCTAssertEqual(change, Double(Int(r[2][10])! - Int(r[2][11])!) / 300, accuracy: 1e-6)
    let p = Double(r[2][9])!
    XCTAssertTrue(p > 0 && p < 1e-6, "91 against 2 discordant images is far from chance: p = \(p)")
    XCTAssertEqual(r[1][9], "1.0", "the intact network against itself: no discordant image")
    // The table shows the same numbers with four decimals.
    XCTAssertTrue(lines[3].contains(String(format: "%.4f", lesionedError)), String(lines[3]))
    // JSON: the same row keyed by column name, with provenance.
    let json = try BinaryRunner.run(["drop", "--model", Self.resnet, "--blocks", "2,3", "--limit", "300", "--format", "json", "--quiet"])
    let object = try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any]
    let jsonRows = object?["rows"] as? [[String: Any]] ?? []
    XCTAssertEqual(jsonRows.count, 2)
    XCTAssertEqual(jsonRows.last?["newly_wrong_images"] as? Int, Int(r[2][10]))
    XCTAssertEqual(jsonRows.last?["deleted_blocks"] as? [Int], [2, 3])
    let model = object?["model"] as? [String: Any]
    XCTAssertEqual((model?["sha256"] as? String)?.count, 64)
    XCTAssertEqual(model?["path"] as? String, URL(fileURLWithPath: Self.resnet).standardizedFileURL.path)
    XCTAssertTrue((object?["equivalent_command"] as? String)?.hasPrefix("resnet-lesion drop --model /") ?? false)
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
    XCTAssertEqual(r[2][0...3], ["-1", "0", "0.8667", "2 1 3 4 5 6"])
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
      (["drop", "--model", Self.resnet], 64, "exactly one of --blocks, --stage or --deleted"),
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
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let file = folder.appendingPathComponent("drop.csv")
    // No --format: the extension chooses CSV.
    let result = try BinaryRunner.run(["drop", "--model", Self.resnet, "--blocks", "1", "--limit", "50", "--output", file.path, "--quiet"])
    XCTAssertEqual(result.status, 0, result.standardError)
    guard result.status == 0 else { return }
    let text = try String(contentsOf: file, encoding: .utf8)
    XCTAssertEqual(rows(text).count, 3)
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path)
    XCTAssertEqual(leftovers, ["drop.csv"], "no temporary files left behind")
  }

  /// Every user mistake is one line and exit 64, found before any evaluation (no progress on
  /// stderr, no output file).
  func testUsageErrorsExit64BeforeAnyWork() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("usage-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let cases: [([String], String)] = [
      (["drop", "--model", Self.vgg, "--random", "5"], "the network has 4 deletable blocks"),
      (["sweep", "--model", Self.vgg, "--deleted", "1,5"], "the network has 4 deletable blocks"),
      (["drop", "--model", Self.resnet, "--stage", "4"], "valid stages are 1–3"),
      (["drop", "--model", Self.resnet, "--blocks", "1", "--offset", "100000"], "'--offset 100000' leaves no image"),
      (["reorder", "--model", Self.resnet, "--swaps", "2"], "needs two blocks of the same shape"),
      (["drop", "--model", Self.resnet, "--blocks", "1", "--format", "xml"], "--format"),
      (["drop", "--model", Self.resnet, "--blocks", "1", "--output", folder.path], "not a folder"),
      (["drop", "--model", Self.resnet, "--blocks", "1", "--output", folder.path + "/missing/x.csv"], "does not exist"),
      (["sweep", "--model", Self.resnet, "--deleted", "1", "--samples", "many"], "or 'auto'"),
      (["paths", "--share", "0"], "a share in (0, 1]"),
      (["paths", "--gradients", "--model", Self.resnet, "--lengths", "4"], "valid lengths are 0–3"),
    ]
    for (arguments, fragment) in cases {
      let result = try BinaryRunner.run(arguments)
      XCTAssertEqual(result.status, 64, "\(arguments): \(result.standardError)")
      XCTAssertEqual(result.standardError.split(separator: "\n").count, 1, "\(arguments): \(result.standardError)")
      XCTAssertTrue(result.standardError.hasPrefix("Error: "), result.standardError)
      XCTAssertTrue(result.standardError.contains(fragment), "\(arguments): \(result.standardError)")
      XCTAssertEqual(result.standardOutput, "")
    }
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), [], "no file written")
  }

  /// Draw j of k uses its own stream: asking for other k changes nothing at k = 2, and
  /// `--samples auto` stops at the precision or the maximum and says which.
  func testRandomDrawsAreKeyedAndAutoSamplingReportsItsWidth() throws {
    func rowsByK(_ arguments: [String]) throws -> [String: [String]] {
      let result = try BinaryRunner.run(["sweep", "--model", Self.vgg, "--limit", "100", "--format", "csv", "--quiet"] + arguments)
      XCTAssertEqual(result.status, 0, result.standardError)
      return Dictionary(rows(result.standardOutput).dropFirst().map { ($0[0], $0) }, uniquingKeysWith: { a, _ in a })
    }
    let alone = try rowsByK(["--deleted", "2", "--samples", "4"])
    let together = try rowsByK(["--deleted", "1,2,3", "--samples", "4"])
    XCTAssertNotNil(alone["2"])
    XCTAssertEqual(alone["2"], together["2"], "k = 2 draws the same sets whatever other k are asked")
    let auto = try rowsByK(["--deleted", "1-3", "--samples", "auto", "--precision", "0.05", "--min-samples", "3", "--max-samples", "12"])
    for k in ["1", "2", "3"] {
      guard let row = auto[k], row.count == 11, let draws = Int(row[1]), let half = Double(row[5]) else {
        return XCTFail("k = \(k): \(String(describing: auto[k]))")
      }
      XCTAssertTrue((3...12).contains(draws), "k = \(k): \(draws) draws")
      XCTAssertEqual(row[10], half <= 0.05 ? "yes" : "no", "k = \(k): precision_reached says whether the width was reached")
      XCTAssertTrue(half <= 0.05 || draws == 12, "k = \(k): stops only at the precision or the maximum")
    }
  }
}

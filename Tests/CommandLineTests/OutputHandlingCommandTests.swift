import _TestSupport
import Foundation
import XCTest

/// What the commands write, and where (issue 19's smaller defects), run as a new user would:
/// the built binary in a fresh temporary folder.
final class OutputHandlingCommandTests: XCTestCase {
  static var fixtures: URL { TestFiles.fixtures() }
  static var resnet: String { fixtures.appendingPathComponent("tiny-resnet8.safetensors").path }
  static var vgg: String { fixtures.appendingPathComponent("tiny-vgg.safetensors").path }

  func temporaryFolder(_ name: String) throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("resnet-lesion-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
  }

  /// CSV records without the `# key: value` provenance lines.
  func records(_ csv: String) -> [[String]] {
    csv.split(separator: "\n").filter { !$0.hasPrefix("#") }.map {
      $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    }
  }

  func testOutputExtensionChoosesTheFormatAndCSVCarriesProvenanceComments() throws {
    let folder = try temporaryFolder("format")
    let result = try BinaryRunner.run(
      ["drop", "--model", Self.resnet, "--blocks", "2", "--limit", "30", "--quiet", "--output", "x.csv"], in: folder)
    XCTAssertEqual(result.status, 0, result.standardError)
    XCTAssertEqual(result.standardOutput, "")
    let csv = try String(contentsOf: folder.appendingPathComponent("x.csv"), encoding: .utf8)
    let lines = csv.split(separator: "\n")
    // Comment lines first (pandas: comment='#'), then the header, then the rows.
    let comments = lines.prefix { $0.hasPrefix("# ") }
    XCTAssertEqual(lines.dropFirst(comments.count).first?.hasPrefix("network,deleted_blocks,images,"), true, csv)
    XCTAssertEqual(lines.count, comments.count + 3, csv)
    XCTAssertFalse(lines.dropFirst(comments.count).contains { $0.contains("#") }, "no '#' inside the data")
    let keys = comments.map { $0.dropFirst(2).prefix { $0 != ":" } }
    for key in [
      "tool", "tool_version", "model.argument", "model.path", "model.sha256", "data.argument", "data.path",
      "data.fingerprint_sha256", "selection.split", "selection.limit", "seed", "equivalent_command",
    ] {
      XCTAssertTrue(keys.contains(Substring(key)), "CSV comment header lacks \(key): \(comments)")
    }
    // JSON: typed values, one key for the command.
    let json = try BinaryRunner.run(
      ["drop", "--model", Self.resnet, "--blocks", "2", "--limit", "30", "--quiet", "--output", "x.json"], in: folder)
    XCTAssertEqual(json.status, 0, json.standardError)
    let object = try JSONSerialization.jsonObject(
      with: Data(contentsOf: folder.appendingPathComponent("x.json"))) as? [String: Any] ?? [:]
    XCTAssertEqual((object["selection"] as? [String: Any])?["limit"] as? Int, 30)
    XCTAssertEqual((object["data"] as? [String: Any])?["images"] as? Int, 30)
    XCTAssertEqual(((object["data"] as? [String: Any])?["fingerprint_sha256"] as? String)?.count, 64)
    XCTAssertEqual(object["seed"] as? Int, 0)
    XCTAssertNil(object["command"])
    XCTAssertEqual(object["equivalent_command"] as? String,
      "resnet-lesion drop --model \(Self.resnet) --limit 30 --blocks 2 --output x.json --quiet")
    // The table ends with the provenance lines.
    let table = try BinaryRunner.run(["drop", "--model", Self.resnet, "--blocks", "2", "--limit", "30", "--quiet"], in: folder)
    XCTAssertTrue(table.standardOutput.contains("\nequivalent command: resnet-lesion drop --model "), table.standardOutput)
    XCTAssertTrue(table.standardOutput.contains("\nmodel: \(Self.resnet) (SHA-256 "), table.standardOutput)
  }

  func testInfoWritesCSVAndJSONFiles() throws {
    let folder = try temporaryFolder("info")
    let csv = try BinaryRunner.run(["info", "--model", Self.resnet, "--output", "blocks.csv"], in: folder)
    XCTAssertEqual(csv.status, 0, csv.standardError)
    let rows = records(try String(contentsOf: folder.appendingPathComponent("blocks.csv"), encoding: .utf8))
    XCTAssertEqual(rows.first?.prefix(3), ["block", "name", "stage"])
    XCTAssertEqual(rows.count, 1 + 3, "one row per block")
    let json = try BinaryRunner.run(["info", "--model", Self.resnet, "--format", "json"], in: folder)
    let object = try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any] ?? [:]
    XCTAssertEqual(((object["model"] as? [String: Any])?["sha256"] as? String)?.count, 64)
    XCTAssertEqual((object["blocks"] as? [Any])?.count, 3)
    // Provenance recorded as text in the model file comes out typed (issue 19: "test_error": "0.8090").
    let provenance = object["provenance"] as? [String: Any] ?? [:]
    XCTAssertFalse(provenance.isEmpty)
    for (key, value) in provenance {
      if let text = value as? String { XCTAssertNil(Double(text), "provenance.\(key) is a number written as text") }
    }
  }

  func testSweepOfZeroDeletionsIsOneRowAndPlainLayersHaveNoErrorText() throws {
    let zero = try BinaryRunner.run(
      ["sweep", "--model", Self.resnet, "--deleted", "0", "--limit", "30", "--format", "csv", "--quiet"])
    XCTAssertEqual(zero.status, 0, zero.standardError)
    let rows = records(zero.standardOutput)
    XCTAssertEqual(rows.count, 2, zero.standardOutput)
    XCTAssertEqual(rows.last?.first, "0")
    let plain = try BinaryRunner.run(["sweep", "--model", Self.vgg, "--limit", "30", "--format", "csv", "--quiet"])
    XCTAssertEqual(plain.status, 0, plain.standardError)
    let table = records(plain.standardOutput)
    guard let header = table.first, let error = header.firstIndex(of: "error_fraction"),
      let deletable = header.firstIndex(of: "deletable")
    else { return XCTFail(plain.standardOutput) }
    let undeletable = table.dropFirst().filter { $0[deletable] == "0" }
    XCTAssertFalse(undeletable.isEmpty, "the tiny VGG has layers that change shape")
    for row in undeletable { XCTAssertEqual(row[error], "", "an undeletable layer has an empty error cell: \(row)") }
    XCTAssertFalse(plain.standardOutput.contains("not deletable"), plain.standardOutput)
  }

  func testDropWritesPerImageOutcomes() throws {
    let folder = try temporaryFolder("per-image")
    let result = try BinaryRunner.run(
      ["drop", "--model", Self.resnet, "--blocks", "2", "--limit", "25", "--per-image", "images.csv", "--format", "json",
       "--quiet"], in: folder)
    XCTAssertEqual(result.status, 0, result.standardError)
    let rows = records(try String(contentsOf: folder.appendingPathComponent("images.csv"), encoding: .utf8))
    XCTAssertEqual(rows.first, [
      "deleted_blocks", "image", "label", "intact_prediction", "intact_loss_nats", "lesioned_prediction",
      "lesioned_loss_nats",
    ])
    XCTAssertEqual(rows.count, 1 + 25)
    // The per-image rows add up to the summary: errors, and mean losses.
    let object = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any] ?? [:]
    let summary = object["rows"] as? [[String: Any]] ?? []
    let images = rows.dropFirst()
    let intactWrong = images.filter { $0[2] != $0[3] }.count
    let lesionedWrong = images.filter { $0[2] != $0[5] }.count
    XCTAssertEqual(summary.first?["error_fraction"] as? Double ?? -1, Double(intactWrong) / 25, accuracy: 1e-12)
    XCTAssertEqual(summary.last?["error_fraction"] as? Double ?? -1, Double(lesionedWrong) / 25, accuracy: 1e-12)
    let meanLoss = images.map { Double($0[6]) ?? .nan }.reduce(0, +) / 25
    XCTAssertEqual(summary.last?["mean_loss_nats"] as? Double ?? -1, meanLoss, accuracy: 1e-9)
    XCTAssertEqual(Array(images.map { $0[1] }), (0..<25).map(String.init))
    // Not with random draws, and checked before any work.
    let refused = try BinaryRunner.run(
      ["drop", "--model", Self.resnet, "--deleted", "1", "--per-image", "draws.csv", "--quiet"], in: folder)
    XCTAssertEqual(refused.status, 64, refused.standardError)
  }

  func testPredictOnADataSet() throws {
    let folder = try temporaryFolder("predict")
    let result = try BinaryRunner.run(
      ["predict", "--model", Self.resnet, "--data", "mnist-5k", "--limit", "7", "--output", "logits.npy"], in: folder)
    XCTAssertEqual(result.status, 0, result.standardError)
    let data = try Data(contentsOf: folder.appendingPathComponent("logits.npy"))
    let header = String(decoding: data.prefix(128), as: UTF8.self)
    XCTAssertTrue(header.contains("'shape': (7, 10)"), header)
    XCTAssertTrue(header.contains("'descr': '<f4'"), header)
    // --quiet is accepted as by every command that reads data.
    let quiet = try BinaryRunner.run(
      ["predict", "--model", Self.resnet, "--data", "mnist-5k", "--limit", "7", "--output", "quiet.npy", "--quiet"], in: folder)
    XCTAssertEqual(quiet.status, 0, quiet.standardError)
    XCTAssertEqual(try Data(contentsOf: folder.appendingPathComponent("quiet.npy")), data)
    let both = try BinaryRunner.run(
      ["predict", "--model", Self.resnet, "--data", "mnist-5k", "--input", "x.npy", "--output", "l.npy"], in: folder)
    XCTAssertEqual(both.status, 64, both.standardError)
    let neither = try BinaryRunner.run(["predict", "--model", Self.resnet, "--output", "l.npy"], in: folder)
    XCTAssertEqual(neither.status, 64, neither.standardError)
  }

  func testTrainWithoutOutputSavesUnderADefaultNameAndNeverOverwrites() throws {
    let folder = try temporaryFolder("train")
    let arguments = ["train", "--depth", "8", "--widths", "2,2,2", "--epochs", "1", "--per-class", "2", "--batch-size", "10"]
    let first = try BinaryRunner.run(arguments, in: folder)
    XCTAssertEqual(first.status, 0, first.standardError)
    XCTAssertTrue(first.standardError.contains("no --output given; the model is saved as resnet8-seed0.safetensors"), first.standardError)
    let model = folder.appendingPathComponent("resnet8-seed0.safetensors")
    XCTAssertTrue(FileManager.default.fileExists(atPath: model.path))
    let bytes = try Data(contentsOf: model)
    let second = try BinaryRunner.run(arguments, in: folder)
    XCTAssertEqual(second.status, 64, second.standardError)
    XCTAssertTrue(second.standardError.contains("resnet8-seed0.safetensors exists"), second.standardError)
    XCTAssertEqual(try Data(contentsOf: model), bytes)
  }

  func testOfflineFetchLeavesNoFile() throws {
    let folder = try temporaryFolder("fetch")
    // Port 9 (discard) on the loopback refuses the connection at once: no network needed.
    let result = try BinaryRunner.run(["data", "fetch", "mnist", "--dir", "cache", "--from", "http://127.0.0.1:9/", "--quiet"], in: folder)
    XCTAssertEqual(result.status, 1, result.standardError)
    let cache = folder.appendingPathComponent("cache")
    let files = (try? FileManager.default.contentsOfDirectory(atPath: cache.path)) ?? []
    XCTAssertEqual(files, [], "no .part or empty file after a failed download")
  }

  func testFailingFigureKeepsTheOthersAndExitsOne() throws {
    let folder = try temporaryFolder("figures")
    // A folder where fig5a's CSV should go makes that figure, and only it, fail to write.
    try FileManager.default.createDirectory(
      at: folder.appendingPathComponent("figures/fig5a-random-deletion.csv"), withIntermediateDirectories: true)
    let result = try BinaryRunner.run(
      ["figures", "--only", "fig3,fig5a,fig6a", "--model", Self.resnet, "--plain", Self.vgg, "--quick", "--per-class", "3",
       "--quiet"], in: folder)
    XCTAssertEqual(result.status, 1, result.standardError)
    XCTAssertTrue(result.standardError.contains("fig5a failed: "), result.standardError)
    XCTAssertTrue(result.standardError.hasSuffix("\n") && result.standardError.contains("Error: 1 figure(s) failed: fig5a"), result.standardError)
    for name in ["fig3-single-deletion.json", "fig6a-path-lengths.json"] {
      XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("figures/" + name).path), name)
    }
    // Fig. 3's legend: every entry has its own swatch (issue 19: "plain intact" and "not deletable"
    // looked alike).
    let svg = try String(contentsOf: folder.appendingPathComponent("figures/fig3-single-deletion.svg"), encoding: .utf8)
    guard let start = svg.range(of: "<g class=\"legend\">") else { return XCTFail("no legend") }
    guard let end = svg.range(of: "</text>\n</g>", range: start.upperBound..<svg.endIndex) else { return XCTFail("legend not closed") }
    let legend = svg[start.upperBound..<end.lowerBound]
    let entries = legend.components(separatedBy: "<text").dropLast()
    let position = try NSRegularExpression(pattern: "\\b(x|y|x1|x2|y1|y2|cx|cy|width|height)=\"[^\"]*\"")
    var swatches: [String] = []
    for entry in entries {
      let swatch = entry.components(separatedBy: "</text>\n").last ?? entry
      let range = NSRange(swatch.startIndex..., in: swatch)
      swatches.append(position.stringByReplacingMatches(in: swatch, range: range, withTemplate: ""))
    }
    XCTAssertGreaterThanOrEqual(swatches.count, 5, legend.description)
    XCTAssertEqual(swatches.count, Set(swatches).count, "two legend entries share a swatch: \(swatches)")
  }
}

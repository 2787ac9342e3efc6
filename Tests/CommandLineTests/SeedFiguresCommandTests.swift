import _TestSupport
import Basics
import Foundation
import XCTest

/// `figures --seeds`: Fig. 8 and the §5.2 table over training seeds from a manifest, with
/// missing seeds skipped and said, checksums checked, and intervals over seeds from two seeds.
final class SeedFiguresCommandTests: XCTestCase {
  static var resnet: String { TestFiles.fixtures().appendingPathComponent("tiny-resnet8.safetensors").path }

  func lines(_ url: URL) throws -> [String] {
    try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
  }

  /// Cells of a CSV row.
  func cells(_ line: String) -> [String] { line.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }

  func testFig8AndTableOverSeedsFromAManifest() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("seed-figures-\(UUID().uuidString)")
    let models = folder.appendingPathComponent("runs")
    try FileManager.default.createDirectory(at: models, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    // Two "standard" seeds trained here (different weights), the fixture as both stochastic-depth seeds.
    for seed in [1, 2] {
      let trained = try BinaryRunner.run([
        "train", "--arch", "resnet", "--depth", "8", "--widths", "4,8,16", "--epochs", "1", "--limit", "40",
        "--batch-size", "10", "--seed", String(seed), "--quiet",
        "--output", models.appendingPathComponent("standard-\(seed).safetensors").path,
      ])
      XCTAssertEqual(trained.status, 0, trained.standardError)
      try FileManager.default.copyItem(
        atPath: Self.resnet, toPath: models.appendingPathComponent("sd-\(seed).safetensors").path)
    }
    let fixtureDigest = try SHA256.hash(fileAt: URL(fileURLWithPath: Self.resnet)).hexadecimal
    func manifest(sdDigest: String?) throws -> URL {
      let digest = sdDigest.map { "\"\($0)\"" } ?? "null"
      let text = """
        {"kinds": {
          "standard": [{"seed": 1, "path": "standard-1.safetensors"}, {"seed": 2, "path": "standard-2.safetensors"}],
          "stochastic-depth": [{"seed": 1, "path": "sd-1.safetensors", "sha256": \(digest)},
                               {"seed": 2, "path": "sd-2.safetensors"}, {"seed": 3, "path": "sd-3.safetensors"}],
          "baseline15": [{"seed": 1, "path": "standard-1.safetensors"}, {"seed": 2, "path": "standard-2.safetensors"}],
          "short-paths": [{"seed": 1, "path": "sd-1.safetensors"}, {"seed": 2, "path": "sd-2.safetensors"}]
        }}
        """
      let url = folder.appendingPathComponent("seeds.json")
      try text.write(to: url, atomically: true, encoding: .utf8)
      return url
    }
    let out = folder.appendingPathComponent("figures")
    let result = try BinaryRunner.run([
      "figures", "--only", "fig8,table-short-paths", "--seeds", try manifest(sdDigest: fixtureDigest).path,
      "--models-dir", models.path, "--output", out.path, "--quick", "--per-class", "5", "--samples", "2",
      "--deleted", "1,2",
    ])
    XCTAssertEqual(result.status, 0, result.standardError)
    guard result.status == 0 else { return }
    XCTAssertTrue(
      result.standardError.contains("seeds: stochastic-depth: skipped seed 3 (") && result.standardError.contains("sd-3.safetensors not found"),
      result.standardError)
    XCTAssertTrue(result.standardOutput.contains("fig8 (2 seeds):"), result.standardOutput)

    let difference = try lines(out.appendingPathComponent("fig8-stochastic-depth-difference.csv"))
    XCTAssertEqual(
      difference.first,
      "seed,deleted_blocks_k,draws,same_block_sets,standard_intact_error_fraction,stochastic_depth_intact_error_fraction,standard_error_change_mean_fraction,stochastic_depth_error_change_mean_fraction,difference_mean_fraction,difference_low95_fraction,difference_high95_fraction,interval_over"
    )
    XCTAssertEqual(difference.dropFirst().map { cells($0)[0] + "/" + cells($0)[1] }, ["1/1", "2/1", "all/1", "1/2", "2/2", "all/2"])
    for line in difference.dropFirst() {
      let row = cells(line)
      if row[0] == "all" {
        XCTAssertEqual(row.last, "2 seeds")
        // Interval over the two seeds' differences: low ≤ mean ≤ high, all present.
        let (mean, low, high) = (Double(row[8]), Double(row[9]), Double(row[10]))
        XCTAssertNotNil(mean)
        XCTAssertTrue((low ?? .nan) <= (mean ?? .nan) && (mean ?? .nan) <= (high ?? .nan), line)
      } else {
        XCTAssertEqual(row[3], "yes", "both kinds delete the same blocks: \(line)")
        XCTAssertEqual(row[2], "2")
      }
    }
    // The two seeds draw different block sets (keyed by training seed).
    let random = try lines(out.appendingPathComponent("fig8-stochastic-depth-random.csv"))
    XCTAssertTrue(random.first?.hasPrefix("network,seed,deleted_blocks_k,") ?? false, random.first ?? "")
    let single = try lines(out.appendingPathComponent("fig8-stochastic-depth-single-difference.csv"))
    XCTAssertEqual(single.filter { $0.hasPrefix("all,") }.count, 3 + 1, "blocks 1–3 and their mean")

    let seedRows = try lines(out.appendingPathComponent("table-short-paths.csv"))
    XCTAssertEqual(seedRows.count, 1 + 4)
    XCTAssertTrue(seedRows[1].hasPrefix("baseline15,1,standard-1.safetensors,50,"), seedRows[1])
    let summary = try lines(out.appendingPathComponent("table-short-paths-seeds.csv"))
    XCTAssertEqual(
      summary.first,
      "network,seeds,seed_list,error_mean_fraction,error_low95_fraction,error_high95_fraction,paired_seeds,difference_mean_fraction,difference_low95_fraction,difference_high95_fraction"
    )
    XCTAssertEqual(summary.count, 3, "baseline15 and short-paths; no gradient-paths model: \(summary)")
    XCTAssertTrue(summary.count == 3 && summary[2].hasPrefix("short-paths,2,1 2,"), summary.joined(separator: "\n"))
    let sidecar = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("fig8-stochastic-depth.json"))) as? [String: Any]
    XCTAssertEqual((sidecar?["seed_models"] as? [Any])?.count, 4)
    XCTAssertEqual((sidecar?["missing_seed_models"] as? [String])?.count, 1)

    // A recorded checksum that does not match stops the run before any work.
    let wrong = try BinaryRunner.run([
      "figures", "--only", "fig8", "--seeds", try manifest(sdDigest: String(repeating: "0", count: 64)).path,
      "--models-dir", models.path, "--output", folder.appendingPathComponent("wrong").path, "--quick", "--quiet",
    ])
    XCTAssertEqual(wrong.status, 1, wrong.standardError)
    XCTAssertTrue(wrong.standardError.hasPrefix("Error: ") && wrong.standardError.contains("has SHA-256"), wrong.standardError)
    XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("wrong").path))
    // A manifest with a repeated key or a mistyped member is refused, naming what is wrong.
    for (text, reason) in [
      (#"{"kinds": {"standard": [{"seed": 1, "seed": 2, "path": "a.safetensors"}]}}"#, "seed"),
      (#"{"kinds": {"standard": [{"seed": 1, "path": "a.safetensors", "sha256": 5}]}}"#, "\"sha256\" should be a string"),
    ] {
      let bad = folder.appendingPathComponent("bad-seeds.json")
      try Data(text.utf8).write(to: bad)
      let run = try BinaryRunner.run([
        "figures", "--only", "fig8", "--seeds", bad.path, "--models-dir", models.path, "--quick", "--quiet",
        "--output", folder.appendingPathComponent("bad").path,
      ])
      XCTAssertEqual(run.status, 1, run.standardError)
      XCTAssertTrue(run.standardError.hasPrefix("Error: invalid seed manifest") && run.standardError.contains(reason), run.standardError)
    }
    // --models-dir without --seeds is a usage error.
    let usage = try BinaryRunner.run(["figures", "--models-dir", models.path])
    XCTAssertEqual(usage.status, 64, usage.standardError)
  }
}

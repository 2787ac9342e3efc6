import _TestSupport
import Foundation
import XCTest

/// `figures --only importance,pruning,interactions` on the tiny committed models (ResNet-8 with
/// three blocks, a six-layer plain network): the three figures with both networks, their
/// sidecars, and tables that agree with each other and with `rank`.
final class ImportanceFiguresCommandTests: XCTestCase {
  static var fixtures: URL { TestFiles.fixtures() }
  static var resnet: String { fixtures.appendingPathComponent("tiny-resnet8.safetensors").path }
  static var vgg: String { fixtures.appendingPathComponent("tiny-vgg.safetensors").path }

  func rows(_ url: URL) throws -> [[String]] {
    try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map {
      $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    }
  }

  func column(_ rows: [[String]], _ name: String) -> [String] {
    guard let i = rows.first?.firstIndex(of: name) else {
      XCTFail("no column \(name) in \(rows.first ?? [])")
      return []
    }
    return rows.dropFirst().map { $0[i] }
  }

  func json(_ url: URL) throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] ?? [:]
  }

  func testImportancePruningAndInteractionFiguresWithBothNetworks() throws {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("importance-figures-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: out) }
    let result = try BinaryRunner.run([
      "figures", "--only", "interactions,importance,pruning", "--output", out.path, "--model", Self.resnet, "--plain", Self.vgg,
      "--quick", "--samples", "2", "--deleted", "1,2", "--calibration-per-class", "4", "--permutations", "3", "--quiet",
    ])
    XCTAssertEqual(result.status, 0, result.standardError)
    guard result.status == 0 else { return }
    XCTAssertEqual(
      result.standardOutput.split(separator: "\n").map { String($0.prefix(while: { $0 != ":" })) }.prefix(3),
      ["importance", "pruning", "interactions"], "catalog order")

    // Every figure: CSVs, an SVG per network (+ Block Influence), and a sidecar naming them.
    let expected: [String: [String]] = [
      "importance-blocks": [
        "importance-blocks.csv", "importance-blocks-spearman.csv", "importance-blocks.svg", "importance-blocks-plain.svg",
        "importance-blocks-influence.svg",
      ],
      "pruning-curves": ["pruning-curves.csv", "pruning-curves-random.csv", "pruning-curves.svg", "pruning-curves-plain.svg"],
      "interactions-pairs": [
        "interactions-pairs.csv", "interactions-pairs-summary.csv", "interactions-pairs.svg", "interactions-pairs-plain.svg",
      ],
    ]
    for (stem, files) in expected {
      let sidecar = try json(out.appendingPathComponent(stem + ".json"))
      XCTAssertEqual(((sidecar["csv"] as? [String]) ?? []) + ((sidecar["svg"] as? [String]) ?? []), files, stem)
      for file in files {
        let text = try String(contentsOf: out.appendingPathComponent(file), encoding: .utf8)
        if file.hasSuffix(".svg") { XCTAssertTrue(text.hasPrefix("<?xml") && text.hasSuffix("</svg>\n"), file) }
      }
      let figure = sidecar["figure"] as? String ?? ""
      XCTAssertTrue((sidecar["equivalent_command"] as? String ?? "").hasPrefix("resnet-lesion figures --only \(figure) "), stem)
      XCTAssertEqual((sidecar["models"] as? [[String: Any]])?.map { $0["role"] as? String }, ["residual", "plain"], stem)
      XCTAssertEqual(sidecar["calibration_images"] as? Int, 40, "4 images × 10 classes: \(stem)")
      XCTAssertEqual(
        (sidecar["importance_settings"] as? [String: Any])?["shapley_permutations"] as? Int, 3, stem)
    }

    // importance: one row per deletable block and network; Spearman over 5 measures = 10 pairs each.
    let importance = try rows(out.appendingPathComponent("importance-blocks.csv"))
    let networks = column(importance, "network")
    XCTAssertEqual(networks.filter { $0 == "residual" }.count, 3)
    XCTAssertGreaterThan(networks.filter { $0 == "plain" }.count, 1)
    let spearman = try rows(out.appendingPathComponent("importance-blocks-spearman.csv"))
    XCTAssertEqual(spearman.first, ["network", "measure_a", "measure_b", "spearman_rho", "blocks"])
    XCTAssertEqual(column(spearman, "network").filter { $0 == "residual" }.count, 10)
    for rho in column(spearman, "spearman_rho").compactMap(Double.init) { XCTAssertTrue((-1...1).contains(rho), "\(rho)") }
    // The residual rows are `rank`'s rows on the same images.
    let rank = try BinaryRunner.run([
      "rank", "--model", Self.resnet, "--per-class", "4", "--permutations", "3", "--format", "csv", "--quiet",
    ])
    XCTAssertEqual(rank.status, 0, rank.standardError)
    let rankRows = rank.standardOutput.split(separator: "\n").filter { !$0.hasPrefix("#") }.dropFirst().map(String.init)
    XCTAssertEqual(importance.dropFirst().prefix(3).map { $0.dropFirst().joined(separator: ",") }, rankRows)

    // pruning: four methods × (0…3 removed) per network; the random curve (Fig. 5a's experiment)
    // starts from the same intact error on the same images.
    let pruning = try rows(out.appendingPathComponent("pruning-curves.csv"))
    let residualMethods = zip(column(pruning, "network"), column(pruning, "method")).filter { $0.0 == "residual" }.map(\.1)
    XCTAssertEqual(residualMethods.count, 4 * 4)
    XCTAssertEqual(Set(residualMethods), ["greedy", "loss_change", "block_influence", "first_order"])
    let random = try rows(out.appendingPathComponent("pruning-curves-random.csv"))
    XCTAssertEqual(column(random, "deleted_blocks_k").prefix(3), ["0", "1", "2"])
    XCTAssertEqual(column(random, "error_mean_fraction").first, column(pruning, "error_fraction").first)

    // interactions: the three pairs of the residual network; the summary's "all" row counts them.
    let pairs = try rows(out.appendingPathComponent("interactions-pairs.csv"))
    let residualPairs = zip(column(pairs, "network"), zip(column(pairs, "first"), column(pairs, "second")))
      .filter { $0.0 == "residual" }.map { "\($0.1.0)-\($0.1.1)" }
    XCTAssertEqual(residualPairs, ["1-2", "1-3", "2-3"])
    let summary = try rows(out.appendingPathComponent("interactions-pairs-summary.csv"))
    let all = summary.first { $0.first == "residual" && $0.dropFirst().first == "all" }
    XCTAssertEqual(all?[2], "3")
    let zeros = zip(column(pairs, "network"), column(pairs, "interval_contains_zero")).filter { $0.0 == "residual" }
    XCTAssertEqual(all?[3], String(zeros.filter { $0.1 == "1" }.count))
    let heatmap = try String(contentsOf: out.appendingPathComponent("interactions-pairs.svg"), encoding: .utf8)
    XCTAssertTrue(heatmap.contains("tiny-resnet8.safetensors"), "the heatmap names its network")
  }

  /// Without `--only`, `figures` makes the paper's figures and not these (tens of minutes on ResNet-110).
  func testDefaultRunLeavesTheImportanceFiguresOut() throws {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("importance-default-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: out) }
    let result = try BinaryRunner.run([
      "figures", "--output", out.path, "--model", Self.resnet, "--plain", "none", "--stochastic", Self.resnet,
      "--short-paths", Self.resnet, "--quick", "--per-class", "2", "--samples", "1", "--quiet",
    ])
    XCTAssertEqual(result.status, 0, result.standardError)
    let files = (try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? []
    XCTAssertTrue(files.contains("fig3-single-deletion.json"), "\(files)")
    XCTAssertFalse(files.contains { $0.hasPrefix("importance") || $0.hasPrefix("pruning") || $0.hasPrefix("interactions") }, "\(files)")
  }

  func testPermutationsOfOneIsAUsageError() throws {
    let result = try BinaryRunner.run(["figures", "--only", "importance", "--model", Self.resnet, "--permutations", "1"])
    XCTAssertEqual(result.status, 64)
    XCTAssertTrue(result.standardError.hasPrefix("Error: "), result.standardError)
  }
}

import _TestSupport
import Foundation
import Report
import XCTest

/// End-to-end runs of rank, prune and interactions on the committed tiny ResNet-8 (three blocks),
/// checked against `drop` on the same images.
final class ImportanceCommandTests: XCTestCase {
  static var resnet: String { TestFiles.fixtures().appendingPathComponent("tiny-resnet8.safetensors").path }

  func csvRows(_ arguments: [String]) throws -> [[String]] {
    let run = try BinaryRunner.run(arguments + ["--model", Self.resnet, "--limit", "60", "--format", "csv", "--quiet"])
    XCTAssertEqual(run.status, 0, run.standardError)
    return run.standardOutput.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
  }

  /// Column `name` of CSV rows (header first).
  func column(_ rows: [[String]], _ name: String) -> [String] {
    guard let i = rows.first?.firstIndex(of: name) else {
      XCTFail("no column \(name) in \(rows.first ?? [])")
      return []
    }
    return rows.dropFirst().map { $0[i] }
  }

  func dropLoss(_ blocks: String) throws -> (intact: Double, lesioned: Double) {
    let rows = try csvRows(["drop", "--blocks", blocks])
    let losses = column(rows, "mean_loss_nats").compactMap(Double.init)
    guard losses.count == 2 else {
      XCTFail("drop rows: \(rows)")
      return (.nan, .nan)
    }
    return (losses[0], losses[1])
  }

  func testRankShapleyValuesSumToTheLossChangeOfDeletingEveryBlock() throws {
    let rows = try csvRows(["rank", "--permutations", "6", "--seed", "2"])
    XCTAssertEqual(column(rows, "block"), ["1", "2", "3"])
    let shapley = column(rows, "shapley_loss_nats").compactMap(Double.init)
    XCTAssertEqual(shapley.count, 3)
    let (intact, all) = try dropLoss("1,2,3")
    // Four-decimal CSV cells: the sum of three rounded values is within 2e-4 of the exact sum.
    XCTAssertEqual(shapley.reduce(0, +), all - intact, accuracy: 3e-4)
    // The single-deletion loss change agrees with drop.
    let (_, second) = try dropLoss("2")
    XCTAssertEqual(Double(column(rows, "loss_change_nats")[1])!, second - intact, accuracy: 2e-4)
    let text = try BinaryRunner.run(["rank", "--model", Self.resnet, "--limit", "60", "--permutations", "3", "--quiet"])
    XCTAssertTrue(text.standardOutput.contains("Spearman correlations across blocks"), text.standardOutput)
  }

  func testPruneCurvesStartIntactAndGreedyTakesTheCheapestFirstRemoval() throws {
    let rows = try csvRows(["prune", "--random-orders", "1"])
    let methods = column(rows, "method")
    XCTAssertEqual(Set(methods), ["greedy", "loss_change", "block_influence", "first_order", "random 1"])
    XCTAssertEqual(methods.count, 5 * 4, "four rows (0–3 removed) per method")
    let removed = column(rows, "removed").compactMap(Int.init)
    let losses = column(rows, "mean_loss_nats").compactMap(Double.init)
    let intact = losses[0]
    var firstRemoval: [String: Double] = [:]
    for i in methods.indices {
      if removed[i] == 0 { XCTAssertEqual(losses[i], intact, "every curve starts at the intact network") }
      if removed[i] == 1 { firstRemoval[methods[i]] = losses[i] }
    }
    for (method, loss) in firstRemoval { XCTAssertLessThanOrEqual(firstRemoval["greedy"]!, loss, method) }
    // Greedy's first removal is the best single deletion, as drop measures it.
    let greedyFirst = column(rows, "block_removed")[1]
    XCTAssertEqual(try dropLoss(greedyFirst).lesioned, firstRemoval["greedy"]!, accuracy: 1e-4)
  }

  /// `--heatmap` draws the three pairs of the tiny network symmetrically (6 cells, empty
  /// diagonal) with the same loss interactions as the CSV; a heatmap into a missing folder is a
  /// usage error before any work.
  func testInteractionsHeatmap() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("heatmap-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let svgURL = folder.appendingPathComponent("pairs.svg")
    let rows = try csvRows(["interactions", "--heatmap", svgURL.path])
    let svg = try String(contentsOf: svgURL, encoding: .utf8)
    XCTAssertTrue(svg.hasPrefix("<?xml") && svg.hasSuffix("</svg>\n"))
    let cells = svg.split(separator: "\n").filter { $0.hasPrefix("<rect") && $0.contains("width=\"28.00\" height=\"28.00\"") }
    XCTAssertEqual(cells.count, 6, svg)
    let interactions = column(rows, "loss_interaction_nats").compactMap(Double.init)
    let limit = interactions.map(abs).max()!
    for value in interactions {
      let fill = "fill=\"\(SVGHeatmap.color(value, limit: limit))\""
      XCTAssertEqual(cells.filter { $0.contains(fill) }.count, 2, "\(value): \(fill)")
    }
    let bad = try BinaryRunner.run(["interactions", "--model", Self.resnet, "--heatmap", folder.path + "/missing/x.svg"])
    XCTAssertEqual(bad.status, 64, bad.standardError)
    XCTAssertTrue(bad.standardError.contains("--heatmap"), bad.standardError)
  }

  func testInteractionsAgreeWithDropAndRejectBadBlocks() throws {
    let rows = try csvRows(["interactions"])
    XCTAssertEqual(column(rows, "first"), ["1", "1", "2"])
    XCTAssertEqual(column(rows, "second"), ["2", "3", "3"])
    let pairLoss = Double(column(rows, "pair_mean_loss_nats")[1])!
    let interaction = Double(column(rows, "loss_interaction_nats")[1])!
    let (intact, both) = try dropLoss("1,3")
    let (_, one) = try dropLoss("1")
    let (_, three) = try dropLoss("3")
    XCTAssertEqual(pairLoss, both, accuracy: 1e-4)
    XCTAssertEqual(interaction, both - one - three + intact, accuracy: 3e-4)
    let onePermutation = try BinaryRunner.run(["rank", "--model", Self.resnet, "--limit", "10", "--permutations", "1", "--quiet"])
    XCTAssertEqual(onePermutation.status, 64, onePermutation.standardError)
    for bad in [["--blocks", "2"], ["--blocks", "1,9"]] {
      let run = try BinaryRunner.run(["interactions", "--model", Self.resnet, "--limit", "10", "--quiet"] + bad)
      XCTAssertEqual(run.status, 64, "\(bad): \(run.standardError)")
      XCTAssertTrue(run.standardError.hasPrefix("Error: "), run.standardError)
    }
  }
}

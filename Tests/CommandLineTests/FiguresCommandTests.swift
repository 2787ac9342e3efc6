import _TestSupport
import Basics
import Foundation
import LesionCLI
import XCTest

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// End-to-end runs of `resnet-lesion figures` on the tiny committed models (see
/// Fixtures/README.md).
final class FiguresCommandTests: XCTestCase {
  static var fixtures: URL {
    TestFiles.fixtures()
  }
  static var resnet: String { fixtures.appendingPathComponent("tiny-resnet8.safetensors").path }
  static var vgg: String { fixtures.appendingPathComponent("tiny-vgg.safetensors").path }

  /// Small settings so that debug builds run each case in seconds: 5 test images per class.
  static let small = ["--quick", "--per-class", "5", "--samples", "1", "--quiet"]
  static var tinyModels: [String] {
    ["--model", resnet, "--plain", vgg, "--stochastic", resnet, "--short-paths", resnet]
  }

  func temporaryFolder(_ name: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("figures-\(name)-\(UUID().uuidString)")
  }

  func lines(_ url: URL) throws -> [String] {
    try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).dropLast()
      .map(String.init)
  }

  func json(_ url: URL) throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] ?? [:]
  }

  func testQuickRunWritesCSVsWithUnitsAndOneRowPerPoint() throws {
    let out = temporaryFolder("quick")
    let result = try BinaryRunner.run(
      ["figures", "--only", "fig3,fig5a,fig6a,fig6b,fig6c", "--out", out.path] + Self.small + Self.tinyModels)
    XCTAssertEqual(result.status, 0, result.standardError)
    guard result.status == 0 else { return }
    XCTAssertEqual(result.standardError, "", "--quiet prints nothing on stderr")
    XCTAssertTrue(result.standardOutput.contains("wrote 15 files"), result.standardOutput)

    let fig3 = try lines(out.appendingPathComponent("fig3-single-deletion.csv"))
    XCTAssertEqual(
      fig3.first,
      "network,block,name,stage,downsampling,deletable,error_fraction,error_low95_fraction,error_high95_fraction,error_change_fraction,mean_loss_nats,images"
    )
    XCTAssertEqual(fig3.count, 1 + (1 + 3) + (1 + 6), "header, intact + 3 residual blocks, intact + 6 plain layers")
    guard fig3.count == 12 else { return XCTFail(fig3.joined(separator: "\n")) }
    XCTAssertTrue(fig3[1].hasPrefix("residual,0,intact,,,,"), fig3[1])
    XCTAssertTrue(fig3[3].hasPrefix("residual,2,layer2.0,2,1,1,"), "block 2 is a downsampling block: \(fig3[3])")
    XCTAssertEqual(fig3[8], "plain,3,layers.2,2,1,0,,,,,,", "the stride-2 plain layer is marked undeletable")
    XCTAssertTrue(fig3[2].hasSuffix(",50"), "10 classes × 5 images: \(fig3[2])")
    // The Wilson interval holds the error.
    let fields = fig3[2].split(separator: ",", omittingEmptySubsequences: false).compactMap { Double($0) }
    let row = fig3[2].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    if let error = Double(row[6]), let low = Double(row[7]), let high = Double(row[8]) {
      XCTAssertTrue(low < error && error < high, fig3[2])
    } else {
      XCTFail("\(fields)")
    }

    let fig5a = try lines(out.appendingPathComponent("fig5a-random-deletion.csv"))
    XCTAssertEqual(
      fig5a.first,
      "deleted_blocks_k,samples,error_mean_fraction,error_std_fraction,error_min_fraction,error_max_fraction")
    XCTAssertEqual(
      fig5a.dropFirst().map { String($0.prefix(4)) }, ["0,1,", "1,1,"],
      "k = 0 (intact), then the quick k (1, 5, 10, 20) that fit 3 blocks")

    let fig6a = try lines(out.appendingPathComponent("fig6a-path-lengths.csv"))
    XCTAssertEqual(fig6a.first, "path_length_k_blocks,paths_count,paths_share_fraction,log10_paths_count")
    XCTAssertEqual(
      fig6a.dropFirst().map { $0.split(separator: ",").prefix(3).joined(separator: ",") },
      ["0,1,0.125", "1,3,0.375", "2,3,0.375", "3,1,0.125"])

    let fig6b = try lines(out.appendingPathComponent("fig6b-gradient-per-length.csv"))
    XCTAssertEqual(fig6b.first, "path_length_k_blocks,gradient_l2_norm_mean,gradient_l2_norm_std,measurements")
    XCTAssertEqual(fig6b.count, 5)
    for line in fig6b.dropFirst() {
      let cells = line.split(separator: ",").map(String.init)
      XCTAssertEqual(cells.last, "2", "two gradient batches with --quick")
      XCTAssertGreaterThan(Double(cells[1]) ?? 0, 0, line)
    }
    let fig6c = try lines(out.appendingPathComponent("fig6c-total-gradient.csv"))
    XCTAssertEqual(fig6c.first, "path_length_k_blocks,log10_total_gradient,total_gradient_share_fraction")
    let shares = fig6c.dropFirst().compactMap { Double($0.split(separator: ",")[2]) }
    XCTAssertEqual(shares.count, 4)
    XCTAssertEqual(shares.reduce(0, +), 1, accuracy: 1e-9)

    // Sidecar: model checksum, data, seed, version; wall time only here; no machine paths.
    let sidecar = try json(out.appendingPathComponent("fig3-single-deletion.json"))
    XCTAssertEqual(sidecar["tool_version"] as? String, LesionProgram.version)
    XCTAssertEqual(sidecar["seed"] as? Int, 0)
    XCTAssertNotNil(sidecar["wall_time_seconds"] as? Double)
    let models = sidecar["models"] as? [[String: Any]] ?? []
    XCTAssertEqual(models.map { $0["role"] as? String }, ["residual", "plain"])
    let expected = try SHA256.hash(fileAt: URL(fileURLWithPath: Self.resnet)).hexadecimal
    XCTAssertEqual(models.first?["sha256"] as? String, expected)
    XCTAssertEqual(models.first?["file"] as? String, "tiny-resnet8.safetensors")
    let data = (sidecar["data"] as? [[String: Any]])?.first
    XCTAssertEqual(data?["images"] as? Int, 50)
    XCTAssertEqual(data?["split"] as? String, "test")
    let text = try String(contentsOf: out.appendingPathComponent("fig3-single-deletion.json"), encoding: .utf8)
    XCTAssertFalse(text.contains(Self.fixtures.path), "sidecars record file names, not this machine's paths")
    let effective =
      try json(out.appendingPathComponent("fig6c-total-gradient.json"))["effective_paths"] as? [String: Any]
    XCTAssertNotNil(effective?["first"] as? Int)
    XCTAssertEqual(effective?["gradient_share_asked"] as? Double, 0.9)
  }

  func testSameSeedGivesIdenticalBytesAndAnotherSeedDiffers() throws {
    let arguments =
      ["figures", "--only", "fig5a,fig6b", "--deleted", "1,2", "--samples", "2"]
      + Self.small.filter { $0 != "--samples" && $0 != "1" } + Self.tinyModels
    let a = temporaryFolder("seed-a")
    let b = temporaryFolder("seed-b")
    let c = temporaryFolder("seed-c")
    let first = try BinaryRunner.run(arguments + ["--seed", "5", "--out", a.path])
    XCTAssertEqual(first.status, 0, first.standardError)
    guard first.status == 0 else { return }
    let second = try BinaryRunner.run(
      arguments + ["--seed", "5", "--out", b.path], environment: ["RESNET_LESION_THREADS": "1"])
    XCTAssertEqual(second.status, 0, second.standardError)
    for name in [
      "fig5a-random-deletion.csv", "fig5a-random-deletion.svg", "fig6b-gradient-per-length.csv",
      "fig6b-gradient-per-length.svg",
    ] {
      let x = try Data(contentsOf: a.appendingPathComponent(name))
      let y = try Data(contentsOf: b.appendingPathComponent(name))
      XCTAssertEqual(x, y, "\(name): same seed, different thread count, same bytes")
    }
    let third = try BinaryRunner.run(arguments + ["--seed", "6", "--out", c.path])
    XCTAssertEqual(third.status, 0, third.standardError)
    XCTAssertNotEqual(
      try Data(contentsOf: a.appendingPathComponent("fig6b-gradient-per-length.csv")),
      try Data(contentsOf: c.appendingPathComponent("fig6b-gradient-per-length.csv")),
      "another seed draws other batches")
  }

  func testLesionFiguresWithTinyModelsAndWellFormedSVG() throws {
    let out = temporaryFolder("lesions")
    let result = try BinaryRunner.run(
      ["figures", "--only", "table-short-paths,fig8,fig5b,fig3", "--out", out.path]
        + Self.small.filter { $0 != "--quiet" } + Self.tinyModels)
    XCTAssertEqual(result.status, 0, result.standardError)
    guard result.status == 0 else { return }
    // Figures run in catalog order whatever the order of --only.
    let summaries = result.standardOutput.split(separator: "\n").map { String($0.prefix(while: { $0 != ":" })) }
    XCTAssertEqual(summaries.prefix(4), ["fig3", "fig5b", "fig8", "table-short-paths"])
    XCTAssertTrue(
      result.standardError.contains("Warning: fig5b:"), "tiny-resnet8 has one block per stage: nothing to swap")

    let fig5b = try lines(out.appendingPathComponent("fig5b-reordering.csv"))
    XCTAssertEqual(
      fig5b,
      [
        "swaps,sample,kendall_tau,error_fraction,error_low95_fraction,error_high95_fraction,order",
        fig5b.count > 1 ? fig5b[1] : "",
      ])
    XCTAssertTrue(fig5b.count > 1 && fig5b[1].hasPrefix("0,0,1.000000,") && fig5b[1].hasSuffix(",1 2 3"))

    let fig8 = try lines(out.appendingPathComponent("fig8-stochastic-depth.csv"))
    XCTAssertTrue(
      fig8.first?.hasPrefix("experiment,network,block,downsampling,deleted_blocks_k,samples,error_fraction,") ?? false)
    // Per network: intact, 3 single deletions, random k = 1 (the only quick k that fits).
    XCTAssertEqual(fig8.count, 1 + 2 * (1 + 3 + 1))
    XCTAssertEqual(fig8.dropFirst().map { String($0.prefix(while: { $0 != "," })) }.filter { $0 == "single" }.count, 6)

    let table = try lines(out.appendingPathComponent("table-short-paths.csv"))
    XCTAssertEqual(
      table.first,
      "network,model,images,errors,error_fraction,error_low95_fraction,error_high95_fraction,mean_loss_nats")
    XCTAssertEqual(table.count, 3)
    XCTAssertTrue(
      table.count == 3 && table[1].hasPrefix("standard,tiny-resnet8.safetensors,50,")
        && table[2].hasPrefix("short-paths,"), table.joined(separator: "\n"))

    let svgs = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasSuffix(".svg") }.sorted()
    XCTAssertEqual(
      svgs,
      [
        "fig3-single-deletion.svg", "fig5b-reordering.svg", "fig8-stochastic-depth-random.svg",
        "fig8-stochastic-depth.svg",
      ])
    for name in svgs {
      let data = try Data(contentsOf: out.appendingPathComponent(name))
      let parser = XMLParser(data: data)
      XCTAssertTrue(parser.parse(), "\(name) is well-formed XML: \(String(describing: parser.parserError))")
      let text = String(decoding: data, as: UTF8.self)
      XCTAssertTrue(text.contains("<polyline") || text.contains("<circle"), "\(name) draws data")
      XCTAssertTrue(text.contains("test error (fraction)"), "\(name) labels its y axis")
    }
    let fig3 = String(
      decoding: try Data(contentsOf: out.appendingPathComponent("fig3-single-deletion.svg")), as: UTF8.self)
    XCTAssertTrue(
      fig3.contains("downsampling block") && fig3.contains("not deletable"),
      "fig3 marks downsampling and undeletable layers")
  }

  func testUnknownFigureIsAOneLineUsageError() throws {
    let result = try BinaryRunner.run(["figures", "--only", "fig3,fig9", "--out", temporaryFolder("fig9").path])
    XCTAssertEqual(result.status, 64, result.standardError)
    XCTAssertEqual(result.standardOutput, "")
    let errorLines = result.standardError.split(separator: "\n")
    XCTAssertEqual(errorLines.count, 1, result.standardError)
    XCTAssertTrue(result.standardError.hasPrefix("Error: invalid value 'fig3,fig9' for '--only'"), result.standardError)
    XCTAssertTrue(result.standardError.contains("'fig9' is not one"), result.standardError)
  }

  func testMissingBundledModels() throws {
    // A data folder without trained models.
    let data = temporaryFolder("data")
    try FileManager.default.createDirectory(
      at: data.appendingPathComponent("models"), withIntermediateDirectories: true)
    let environment = ["RESNET_LESION_DATA": data.path]
    // With --only: an error naming the model and how to train it.
    let only = try BinaryRunner.run(
      ["figures", "--only", "fig3", "--model", Self.resnet, "--out", temporaryFolder("m1").path],
      environment: environment)
    XCTAssertEqual(only.status, 1, only.standardError)
    XCTAssertEqual(only.standardError.split(separator: "\n").count, 1, only.standardError)
    XCTAssertTrue(only.standardError.contains("fig3 needs the plain model 'plain'"), only.standardError)
    XCTAssertTrue(only.standardError.contains("resnet-lesion train --arch vgg"), only.standardError)
    XCTAssertTrue(only.standardError.contains("--plain"), only.standardError)
    // Without --only: every figure is skipped with a warning, and nothing to do is an error.
    let all = try BinaryRunner.run(
      ["figures", "--quiet", "--out", temporaryFolder("m2").path], environment: environment)
    XCTAssertEqual(all.status, 1, all.standardError)
    let warnings = all.standardError.split(separator: "\n").filter { $0.hasPrefix("Warning: skipping ") }
    XCTAssertEqual(warnings.count, 8, all.standardError)
    XCTAssertTrue(all.standardError.contains("Error: no figure could be made"), all.standardError)
  }

  /// The real thing: `--quick` with the four bundled models. Needs a release build (the debug
  /// engine is far too slow for ResNet-110) and the trained models; skipped otherwise.
  func testQuickRunWithBundledModels() throws {
    #if DEBUG
      throw XCTSkip("needs a release build: swift test -c release --filter FiguresCommandTests")
    #else
      let models = BinaryRunner.repositoryRoot.appendingPathComponent("notebooks-data/models")
      let missing = ["resnet110", "plain", "resnet110-stochastic-depth", "resnet110-short-paths"].filter {
        !FileManager.default.fileExists(atPath: models.appendingPathComponent("\($0).safetensors").path)
      }
      guard missing.isEmpty else { throw XCTSkip("bundled models not trained yet: \(missing.joined(separator: ", "))") }
      let out = temporaryFolder("bundled")
      let result = try BinaryRunner.run(["figures", "--quick", "--quiet", "--out", out.path])
      XCTAssertEqual(result.status, 0, result.standardError)
      let stems = [
        "fig3-single-deletion", "fig5a-random-deletion", "fig5b-reordering", "fig6a-path-lengths",
        "fig6b-gradient-per-length",
        "fig6c-total-gradient", "fig8-stochastic-depth", "table-short-paths",
      ]
      for stem in stems {
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(stem + ".csv").path), stem)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(stem + ".json").path), stem)
      }
      let fig3 = try lines(out.appendingPathComponent("fig3-single-deletion.csv"))
      XCTAssertEqual(fig3.filter { $0.hasPrefix("residual,") }.count, 1 + 54)
    #endif
  }
}

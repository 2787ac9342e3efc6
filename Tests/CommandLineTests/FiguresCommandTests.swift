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

  /// The columns every lesion row carries (`LesionComparison.columns`), as the commands print them.
  static let lesionColumns =
    "images,error_fraction,error_low95_fraction,error_high95_fraction,error_change_fraction,error_change_low95_fraction,error_change_high95_fraction,mcnemar_p,newly_wrong_images,newly_right_images,mean_loss_nats,loss_change_nats,loss_change_low95_nats,loss_change_high95_nats,agreement_fraction"

  func testQuickRunWritesCSVsWithUnitsAndOneRowPerPoint() throws {
    let out = temporaryFolder("quick")
    let result = try BinaryRunner.run(
      ["figures", "--only", "fig3,fig5a,fig6a,fig6b,fig6c", "--output", out.path] + Self.small + Self.tinyModels)
    XCTAssertEqual(result.status, 0, result.standardError)
    guard result.status == 0 else { return }
    XCTAssertEqual(result.standardError, "", "--quiet prints nothing on stderr")
    XCTAssertTrue(result.standardOutput.contains("wrote 17 files"), result.standardOutput)

    // Fig. 3 is the sweep's table with a network column: the same schema as `sweep --format csv`.
    let fig3 = try lines(out.appendingPathComponent("fig3-single-deletion.csv"))
    XCTAssertEqual(fig3.first, "network,block,name,stage,downsampling,deletable," + Self.lesionColumns)
    XCTAssertEqual(fig3.count, 1 + (1 + 3) + (1 + 6), "header, intact + 3 residual blocks, intact + 6 plain layers")
    guard fig3.count == 12 else { return XCTFail(fig3.joined(separator: "\n")) }
    XCTAssertTrue(fig3[1].hasPrefix("residual,0,intact,,,,50,"), fig3[1])
    XCTAssertTrue(fig3[3].hasPrefix("residual,2,layer2.0,2,1,1,"), "block 2 is a downsampling block: \(fig3[3])")
    XCTAssertEqual(fig3[8], "plain,3,layers.2,2,1,0" + String(repeating: ",", count: 15), "the stride-2 plain layer is marked undeletable")
    let row = fig3[2].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    XCTAssertEqual(row[6], "50", "10 classes × 5 images")
    if let error = Double(row[7]), let low = Double(row[8]), let high = Double(row[9]), let change = Double(row[10]),
      let changeLow = Double(row[11]), let changeHigh = Double(row[12]), let p = Double(row[13])
    {
      XCTAssertTrue(low < error && error < high, fig3[2])
      XCTAssertTrue(changeLow <= change && change <= changeHigh, fig3[2])
      XCTAssertTrue(p > 0 && p <= 1, fig3[2])
    } else {
      XCTFail(fig3[2])
    }

    let fig5a = try lines(out.appendingPathComponent("fig5a-random-deletion.csv"))
    XCTAssertEqual(
      fig5a.first,
      "deleted_blocks_k,draws,error_mean_fraction,error_low95_fraction,error_high95_fraction,half_width_fraction,error_std_fraction,error_min_fraction,error_max_fraction,error_change_mean_fraction,precision_reached")
    XCTAssertEqual(
      fig5a.dropFirst().map { String($0.prefix(4)) }, ["0,0,", "1,1,"],
      "k = 0 (intact, no draws), then the quick k (1, 5, 10, 20) that fit 3 blocks")
    let draws = try lines(out.appendingPathComponent("fig5a-random-deletion-draws.csv"))
    XCTAssertEqual(draws.first, "deleted_blocks_k,draw,deleted_blocks," + Self.lesionColumns)
    XCTAssertEqual(draws.count, 2)

    let fig6a = try lines(out.appendingPathComponent("fig6a-path-lengths.csv"))
    XCTAssertEqual(fig6a.first, "path_length_k_blocks,paths_count,paths_share_fraction,log10_paths_count")
    XCTAssertEqual(
      fig6a.dropFirst().map { $0.split(separator: ",").prefix(3).joined(separator: ",") },
      ["0,1,0.125", "1,3,0.375", "2,3,0.375", "3,1,0.125"])

    let fig6b = try lines(out.appendingPathComponent("fig6b-gradient-per-length.csv"))
    XCTAssertEqual(
      fig6b.first,
      "path_length_k_blocks,paths_count,gradient_l2_mean,gradient_l2_low95,gradient_l2_high95,gradient_l2_std,measurements,log10_total_gradient,total_gradient_share_fraction")
    XCTAssertEqual(fig6b.count, 5)
    var shares: [Double] = []
    for line in fig6b.dropFirst() {
      let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      XCTAssertEqual(cells[6], "2", "two gradient batches with --quick")
      let mean = Double(cells[2]) ?? 0
      XCTAssertGreaterThan(mean, 0, line)
      XCTAssertTrue((Double(cells[3]) ?? .nan) <= mean && mean <= (Double(cells[4]) ?? .nan), "bootstrap interval holds the mean: \(line)")
      shares.append(Double(cells[8]) ?? .nan)
    }
    XCTAssertEqual(shares.reduce(0, +), 1, accuracy: 1e-9)
    let ranges = try lines(out.appendingPathComponent("fig6c-total-gradient-ranges.csv"))
    XCTAssertEqual(ranges.map { String($0.prefix(9)) }.dropFirst(), ["0.500000,", "0.900000,", "0.950000,"])

    // Sidecar: models with absolute path and checksum, data, settings, version, runnable commands.
    let sidecar = try json(out.appendingPathComponent("fig3-single-deletion.json"))
    XCTAssertEqual(sidecar["tool_version"] as? String, LesionProgram.version)
    XCTAssertEqual((sidecar["settings"] as? [String: Any])?["seed"] as? Int, 0)
    XCTAssertNotNil(sidecar["wall_time_seconds"] as? Double)
    let models = sidecar["models"] as? [[String: Any]] ?? []
    XCTAssertEqual(models.map { $0["role"] as? String }, ["residual", "plain"])
    let expected = try SHA256.hash(fileAt: URL(fileURLWithPath: Self.resnet)).hexadecimal
    XCTAssertEqual(models.first?["sha256"] as? String, expected)
    XCTAssertEqual(models.first?["path"] as? String, URL(fileURLWithPath: Self.resnet).standardizedFileURL.path)
    let data = sidecar["data"] as? [String: Any]
    XCTAssertEqual(data?["images"] as? Int, 50)
    XCTAssertEqual(data?["split"] as? String, "test")
    let commands = sidecar["experiment_commands"] as? [String] ?? []
    XCTAssertEqual(commands.count, 2)
    XCTAssertTrue(commands.first?.contains("--model " + URL(fileURLWithPath: Self.resnet).standardizedFileURL.path) ?? false, "\(commands)")
  }

  /// The equivalent command in a sidecar, run from another folder, prints the figure's CSV.
  func testSidecarCommandReproducesTheCSV() throws {
    let out = temporaryFolder("reproduce")
    let result = try BinaryRunner.run(["figures", "--only", "fig3", "--output", out.path, "--plain", "none"] + Self.small + ["--model", Self.resnet])
    XCTAssertEqual(result.status, 0, result.standardError)
    guard result.status == 0 else { return }
    let command = (try json(out.appendingPathComponent("fig3-single-deletion.json"))["experiment_commands"] as? [String])?.first ?? ""
    var words = command.split(separator: " ").map(String.init)
    XCTAssertEqual(words.first, "resnet-lesion")
    words.removeFirst()
    let sweep = try BinaryRunner.run(words + ["--format", "csv", "--quiet"])
    XCTAssertEqual(sweep.status, 0, sweep.standardError)
    let figure = try lines(out.appendingPathComponent("fig3-single-deletion.csv")).dropFirst().map { String($0.dropFirst("residual,".count)) }
    let rows = sweep.standardOutput.split(separator: "\n").filter { !$0.hasPrefix("#") }.dropFirst().map(String.init)
    XCTAssertEqual(figure, rows, "the figure's rows are the sweep's rows")
    // The sidecar's equivalent command remakes the same files, byte for byte, from another folder
    // (the wall time aside).
    let sidecar = try json(out.appendingPathComponent("fig3-single-deletion.json"))
    let remake = (sidecar["equivalent_command"] as? String ?? "").split(separator: " ").map(String.init)
    XCTAssertEqual(Array(remake.prefix(4)), ["resnet-lesion", "figures", "--only", "fig3"])
    let elsewhere = temporaryFolder("remake")
    let again = try BinaryRunner.run(Array(remake.dropFirst()), in: elsewhere)
    XCTAssertEqual(again.status, 0, again.standardError)
    for name in ["fig3-single-deletion.csv", "fig3-single-deletion.svg", "fig3-single-deletion.json"] {
      let first = try String(contentsOf: out.appendingPathComponent(name), encoding: .utf8)
      let second = try String(contentsOf: elsewhere.appendingPathComponent("figures/" + name), encoding: .utf8)
      func stable(_ text: String) -> [Substring] { text.split(separator: "\n").filter { !$0.contains("\"wall_time_seconds\"") } }
      XCTAssertEqual(stable(first), stable(second), name)
    }
  }

  func testSameSeedGivesIdenticalBytesAndAnotherSeedDiffers() throws {
    let arguments =
      ["figures", "--only", "fig5a,fig6b", "--deleted", "1,2", "--samples", "2"]
      + Self.small.filter { $0 != "--samples" && $0 != "1" } + Self.tinyModels
    let a = temporaryFolder("seed-a")
    let b = temporaryFolder("seed-b")
    let c = temporaryFolder("seed-c")
    let first = try BinaryRunner.run(arguments + ["--seed", "5", "--output", a.path])
    XCTAssertEqual(first.status, 0, first.standardError)
    guard first.status == 0 else { return }
    let second = try BinaryRunner.run(
      arguments + ["--seed", "5", "--output", b.path], environment: ["RESNET_LESION_THREADS": "1"])
    XCTAssertEqual(second.status, 0, second.standardError)
    for name in [
      "fig5a-random-deletion.csv", "fig5a-random-deletion.svg", "fig6b-gradient-per-length.csv",
      "fig6b-gradient-per-length.svg",
    ] {
      let x = try Data(contentsOf: a.appendingPathComponent(name))
      let y = try Data(contentsOf: b.appendingPathComponent(name))
      XCTAssertEqual(x, y, "\(name): same seed, different thread count, same bytes")
    }
    let third = try BinaryRunner.run(arguments + ["--seed", "6", "--output", c.path])
    XCTAssertEqual(third.status, 0, third.standardError)
    XCTAssertNotEqual(
      try Data(contentsOf: a.appendingPathComponent("fig6b-gradient-per-length.csv")),
      try Data(contentsOf: c.appendingPathComponent("fig6b-gradient-per-length.csv")),
      "another seed draws other batches")
  }

  func testLesionFiguresWithTinyModelsAndWellFormedSVG() throws {
    let out = temporaryFolder("lesions")
    let result = try BinaryRunner.run(
      ["figures", "--only", "table-short-paths,fig8,fig5b,fig3", "--output", out.path]
        + Self.small.filter { $0 != "--quiet" } + Self.tinyModels)
    XCTAssertEqual(result.status, 0, result.standardError)
    guard result.status == 0 else { return }
    // Figures run in catalog order whatever the order of --only.
    let summaries = result.standardOutput.split(separator: "\n").map { String($0.prefix(while: { $0 != ":" })) }
    // Fig. 8 and the §5.2 table without a manifest: the one-seed case of the seed comparison.
    XCTAssertEqual(summaries.prefix(4), ["fig3", "fig5b", "fig8 (1 seed)", "table-short-paths (seeds)"])
    XCTAssertTrue(
      result.standardError.contains("fig5b: tiny-resnet8.safetensors has no two blocks of the same shape"),
      result.standardError)

    let fig5b = try lines(out.appendingPathComponent("fig5b-reordering.csv"))
    XCTAssertEqual(fig5b.count, 2, "only the intact order: \(fig5b)")
    XCTAssertTrue(fig5b.first?.hasPrefix("swaps,kendall_tau_mean,draws,error_mean_fraction,") ?? false)
    XCTAssertTrue(fig5b.count > 1 && fig5b[1].hasPrefix("0,1.0000,0,"), fig5b.joined(separator: "\n"))

    let fig8 = try lines(out.appendingPathComponent("fig8-stochastic-depth.csv"))
    XCTAssertEqual(fig8.first, "network,seed,block,name,stage,downsampling,deletable," + Self.lesionColumns)
    XCTAssertEqual(fig8.count, 1 + 2 * (1 + 3))
    // Both role models take the residual network's training seed (the tiny fixture's is 1).
    XCTAssertTrue(
      fig8.count > 5 && fig8[1].hasPrefix("standard,1,0,intact,") && fig8[5].hasPrefix("stochastic_depth,1,0,intact,"),
      fig8.joined(separator: "\n"))
    let difference = try lines(out.appendingPathComponent("fig8-stochastic-depth-difference.csv"))
    XCTAssertEqual(
      difference.first,
      "seed,deleted_blocks_k,draws,same_block_sets,standard_intact_error_fraction,stochastic_depth_intact_error_fraction,standard_error_change_mean_fraction,stochastic_depth_error_change_mean_fraction,difference_mean_fraction,difference_low95_fraction,difference_high95_fraction,interval_over")
    // The same model twice under common random numbers: the same sets, a difference of exactly 0,
    // in the seed's row and in the row over seeds.
    XCTAssertEqual(difference.count, 3)
    XCTAssertTrue(
      difference.count == 3 && difference[1].hasPrefix("1,1,1,yes,") && difference[1].contains(",0.000000,"),
      difference.joined(separator: "\n"))

    let table = try lines(out.appendingPathComponent("table-short-paths.csv"))
    XCTAssertEqual(table.first, "network,seed,model," + Self.lesionColumns)
    XCTAssertEqual(table.count, 3)
    XCTAssertTrue(
      table.count == 3 && table[1].hasPrefix("standard,1,tiny-resnet8.safetensors,50,")
        && table[2].hasPrefix("short-paths,1,"), table.joined(separator: "\n"))

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
      XCTAssertTrue(text.contains("test error"), "\(name) labels its y axis")
    }
    let fig3 = String(
      decoding: try Data(contentsOf: out.appendingPathComponent("fig3-single-deletion.svg")), as: UTF8.self)
    XCTAssertTrue(
      fig3.contains("downsampling block") && fig3.contains("not deletable"),
      "fig3 marks downsampling and undeletable layers")
    // Every sidecar, Fig. 8 and the §5.2 table included, records the command that remakes it.
    for (stem, id) in [
      ("fig3-single-deletion", "fig3"), ("fig5b-reordering", "fig5b"), ("fig8-stochastic-depth", "fig8"),
      ("table-short-paths", "table-short-paths"),
    ] {
      let sidecar = try json(out.appendingPathComponent(stem + ".json"))
      let command = sidecar["equivalent_command"] as? String ?? ""
      XCTAssertTrue(command.hasPrefix("resnet-lesion figures --only \(id) "), "\(stem): \(command)")
      XCTAssertTrue(command.contains("--model " + URL(fileURLWithPath: Self.resnet).standardizedFileURL.path), command)
      XCTAssertFalse(command.contains("--output"), command)
      XCTAssertNil(sidecar["equivalent_commands"], "one key name")
    }
  }

  func testUnknownFigureIsAOneLineUsageError() throws {
    let result = try BinaryRunner.run(["figures", "--only", "fig3,fig9", "--output", temporaryFolder("fig9").path])
    XCTAssertEqual(result.status, 64, result.standardError)
    XCTAssertEqual(result.standardOutput, "")
    let errorLines = result.standardError.split(separator: "\n")
    XCTAssertEqual(errorLines.count, 1, result.standardError)
    XCTAssertTrue(result.standardError.hasPrefix("Error: invalid value 'fig3,fig9' for '--only'"), result.standardError)
    XCTAssertTrue(result.standardError.contains("'fig9' is not one"), result.standardError)
  }

  func testComparisonModelsAreOptionalAndCheckedBeforeWork() throws {
    // A data folder with the bundled data but without trained models.
    let data = temporaryFolder("data")
    try FileManager.default.createDirectory(at: data.appendingPathComponent("models"), withIntermediateDirectories: true)
    try FileManager.default.createSymbolicLink(
      at: data.appendingPathComponent("mnist-5k"),
      withDestinationURL: BinaryRunner.repositoryRoot.appendingPathComponent("notebooks-data/mnist-5k"))
    let environment = ["RESNET_LESION_DATA": data.path]
    // fig3 without a plain model: the residual series alone, and one line saying why.
    let out = temporaryFolder("m1")
    let only = try BinaryRunner.run(
      ["figures", "--only", "fig3,fig8", "--model", Self.resnet, "--output", out.path] + Self.small, environment: environment)
    XCTAssertEqual(only.status, 0, only.standardError)
    XCTAssertTrue(only.standardError.contains("fig3: no plain series: the bundled plain model 'plain' is not trained"), only.standardError)
    XCTAssertTrue(only.standardError.contains("fig8 skipped: the bundled stochastic-depth model"), only.standardError)
    XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("fig3-single-deletion.csv").path))
    XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("fig8-stochastic-depth.csv").path))
    // --plain none skips the series without a reason to give.
    let none = try BinaryRunner.run(
      ["figures", "--only", "fig3", "--model", Self.resnet, "--plain", "none", "--output", temporaryFolder("m2").path] + Self.small)
    XCTAssertEqual(none.status, 0, none.standardError)
    XCTAssertTrue(none.standardError.contains("fig3: no plain series: --plain none"), none.standardError)
    // A named comparison model that cannot be used stops the run before anything is computed.
    let m3 = temporaryFolder("m3")
    let misfit = try BinaryRunner.run(
      ["figures", "--only", "fig3", "--model", Self.resnet, "--plain", "/nonexistent/plain.safetensors", "--output", m3.path])
    XCTAssertEqual(misfit.status, 1, misfit.standardError)
    XCTAssertEqual(misfit.standardError.split(separator: "\n").count, 1, misfit.standardError)
    XCTAssertTrue(misfit.standardError.contains("plain.safetensors"), misfit.standardError)
    XCTAssertFalse(FileManager.default.fileExists(atPath: m3.path), "nothing written")
    // Without any model: nothing to do is an error.
    let all = try BinaryRunner.run(["figures", "--quiet", "--output", temporaryFolder("m4").path], environment: environment)
    XCTAssertEqual(all.status, 1, all.standardError)
    XCTAssertTrue(all.standardError.contains("Error: no figure could be made"), all.standardError)
  }

  func testDefaultOutputIsTheCurrentFolder() throws {
    let folder = temporaryFolder("cwd")
    let result = try BinaryRunner.run(["figures", "--only", "fig6a", "--model", Self.resnet, "--quiet"], in: folder)
    XCTAssertEqual(result.status, 0, result.standardError)
    XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("figures/fig6a-path-lengths.csv").path))
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
      let result = try BinaryRunner.run(["figures", "--quick", "--quiet", "--output", out.path])
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

import _TestSupport
import Basics
import Foundation
import PathAnalysis
import Studies
import XCTest

@testable import Figures

/// The `Figures` library without the command line: a `FigureRequest` made by hand, the console
/// captured, files checked against the experiments they come from.
final class FigureRunTests: XCTestCase {
  /// The tiny committed models of the command-line tests (see Tests/CommandLineTests/Fixtures/README.md).
  static var tinyResNet: String { TestFiles.fixture("tiny-resnet8.safetensors", of: "CommandLineTests").path }

  func temporaryFolder() -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("figure-run-\(UUID().uuidString)")
  }

  /// A console that keeps what is written.
  final class Captured: @unchecked Sendable {
    var output = ""
    var errors = ""
    var console: FigureConsole {
      FigureConsole(write: { self.output += $0 }, writeError: { self.errors += $0 }, quiet: true, progress: .silent)
    }
  }

  func request(_ figures: [FigureID], into folder: URL) -> FigureRequest {
    var settings = FigureSettings.defaults(quick: true, seed: 0)
    settings.perClass = 2
    var request = FigureRequest(figures: figures, settings: settings, dataSource: "mnist-5k", outputFolder: folder)
    request.modelArguments = [.residual: Self.tinyResNet, .plain: "none"]
    return request
  }

  func testFig6aIsThePathLengthsTableWithASidecar() throws {
    let folder = temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    var request = request([.fig6a], into: folder)
    request.equivalentCommand = { "remake \($0.rawValue)" }
    let captured = Captured()
    try FigureRun.make(request, console: captured.console)

    let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    XCTAssertEqual(files, ["fig6a-path-lengths.csv", "fig6a-path-lengths.json", "fig6a-path-lengths.svg"])
    // tiny-resnet8: 3 residual blocks.
    let expected = try PathLengths(blockCount: 3, share: 0.95).run().table.csv().rendered()
    XCTAssertEqual(try String(contentsOf: folder.appendingPathComponent("fig6a-path-lengths.csv"), encoding: .utf8), expected)
    let sidecar = try JSONValue.parse(Data(contentsOf: folder.appendingPathComponent("fig6a-path-lengths.json")))
    XCTAssertEqual(sidecar["figure"]?.stringValue, "fig6a")
    XCTAssertEqual(sidecar["tool_version"]?.stringValue, Provenance.toolVersion)
    XCTAssertEqual(sidecar["equivalent_command"]?.stringValue, "remake fig6a")
    XCTAssertEqual(sidecar["models"]?.arrayValue?.first?["sha256"]?.stringValue?.count, 64)
    XCTAssertTrue(captured.output.hasPrefix("fig6a: n = 3, 2^n = 8 paths"), captured.output)
    XCTAssertTrue(captured.output.contains("wrote 3 files to \(folder.path)"), captured.output)
  }

  func testANamedFigureWithoutAResidualNetworkStopsBeforeWriting() throws {
    let folder = temporaryFolder()
    var request = request([.fig5a], into: folder)
    request.modelArguments[.residual] = "none"
    request.named = true
    let captured = Captured()
    XCTAssertThrowsError(try FigureRun.make(request, console: captured.console)) { error in
      guard case FiguresError.nothingToDo(let skipped) = error else { return XCTFail("\(error)") }
      XCTAssertEqual(skipped, ["fig5a skipped: --model none"])
    }
    XCTAssertFalse(FileManager.default.fileExists(atPath: folder.path))
    XCTAssertEqual(captured.output, "")
  }

  func testAnUnnamedFigureWithoutItsComparisonModelIsSkippedWithOneLine() throws {
    let folder = temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    var request = request([.fig6a, .fig8], into: folder)
    request.modelArguments[.stochasticDepth] = "none"
    let captured = Captured()
    try FigureRun.make(request, console: captured.console)
    XCTAssertEqual(captured.errors, "fig8 skipped: --stochastic none\n")
    XCTAssertTrue(captured.output.hasSuffix("; skipped 1 figure(s)\n"), captured.output)
  }

  func testAFileBelongsToTheFigureWithTheLongestMatchingStem() {
    XCTAssertTrue(FigureSharding.belongs("fig6b-gradient-per-length-ranges.csv", to: .fig6b))
    XCTAssertTrue(FigureSharding.belongs("fig8-stochastic-depth-random.svg", to: .fig8))
    XCTAssertFalse(FigureSharding.belongs("fig8-stochastic-depth-random.svg", to: .fig3))
    XCTAssertTrue(FigureSharding.belongs("table-short-paths-seeds.csv", to: .tableShortPaths))
  }

  func testPathsInsideTheDataFolderAreShownFromIt() {
    XCTAssertEqual(
      FigureWorkspace.relativeToData("/home/x/repo/notebooks-data/models/resnet110.safetensors"),
      "notebooks-data/models/resnet110.safetensors")
    XCTAssertEqual(FigureWorkspace.relativeToData("/tmp/model.th"), "/tmp/model.th")
  }
}

import Foundation
import XCTest
import _TestSupport

/// `figures` on a PyTorch CIFAR checkpoint and a CIFAR-10 archive: the lesion and path figures
/// come out without any bundled MNIST model, and the bundled comparison models that do not fit are
/// left out with one line each.
final class FiguresOnCIFARTests: XCTestCase {
  /// akamaster's CIFAR ResNet-8 (option A, 3 residual blocks) saved by `torch.save` (legacy format).
  static var checkpoint: URL { TestFiles.fixture("akamaster.wrapped.pt", of: "CheckpointsTests") }
  /// Real CIFAR-10 binary layout: 15 training and 3 test images.
  static var cifar: URL { TestFiles.fixture("cifar/cifar-10-binary.tar.gz", of: "DatasetsTests") }

  func testLesionAndPathFiguresFromACIFARCheckpointAndArchive() throws {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("figures-cifar-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: out) }
    let result = try BinaryRunner.run([
      "figures", "--only", "fig3,fig5a,fig5b,fig6a,fig6b,fig6c", "--quick", "--model", Self.checkpoint.path,
      "--data", Self.cifar.path, "--output", out.path,
    ])
    XCTAssertEqual(result.status, 0, result.standardError)
    guard result.status == 0 else { return }
    // The bundled plain network takes 1×28×28 digits: Fig. 3 is drawn without it, saying why.
    XCTAssertTrue(
      result.standardError.contains("fig3: no plain series: the bundled plain model 'plain' does not fit"),
      result.standardError)

    let fig3 = try String(contentsOf: out.appendingPathComponent("fig3-single-deletion.csv"), encoding: .utf8)
      .split(separator: "\n").map(String.init)
    // The intact row and one row per residual block of the ResNet-8, on the 3 test images.
    XCTAssertEqual(fig3.count, 1 + 1 + 3, fig3.joined(separator: "\n"))
    XCTAssertEqual(fig3.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false)[2] }, ["intact", "layer1.0", "layer2.0", "layer3.0"])
    XCTAssertTrue(fig3.dropFirst().allSatisfy { $0.contains(",3,") }, "every row on the 3 test images")

    let fig6a = try String(contentsOf: out.appendingPathComponent("fig6a-path-lengths.csv"), encoding: .utf8)
      .split(separator: "\n").map(String.init)
    XCTAssertEqual(fig6a.dropFirst().map { $0.split(separator: ",")[1] }, ["1", "3", "3", "1"], "C(3, k) paths")

    var digests: Set<String> = []
    for stem in [
      "fig3-single-deletion", "fig5a-random-deletion", "fig5b-reordering", "fig6a-path-lengths",
      "fig6b-gradient-per-length", "fig6c-total-gradient",
    ] {
      let sidecar = try JSONSerialization.jsonObject(
        with: Data(contentsOf: out.appendingPathComponent(stem + ".json"))) as? [String: Any]
      let models = sidecar?["models"] as? [[String: Any]] ?? []
      XCTAssertEqual(
        models.compactMap { ($0["argument"] as? String).map { URL(fileURLWithPath: $0).lastPathComponent } },
        ["akamaster.wrapped.pt"], "\(stem) records only the CIFAR checkpoint")
      digests.formUnion(models.compactMap { $0["sha256"] as? String })
      let data = sidecar?["data"] as? [String: Any]
      XCTAssertEqual((data?["argument"] as? String).map { URL(fileURLWithPath: $0).lastPathComponent }, "cifar-10-binary.tar.gz", stem)
      XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(stem + ".svg").path), stem)
    }
    XCTAssertEqual(digests.count, 1, "one checkpoint, one SHA-256: \(digests)")
    XCTAssertEqual(digests.first?.count, 64)
  }
}

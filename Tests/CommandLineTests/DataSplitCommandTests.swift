import _TestSupport
import Foundation
import XCTest

/// Splits are never silently ignored (issue 19): a single-file data set has no train/test split.
final class DataSplitCommandTests: XCTestCase {
  static var resnet: String { TestFiles.fixtures().appendingPathComponent("tiny-resnet8.safetensors").path }

  /// A folder holding the bundled MNIST test images as one IDX file with its labels beside it.
  func singleFileData() throws -> (folder: URL, images: String) {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("resnet-lesion-split-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let source = BinaryRunner.repositoryRoot.appendingPathComponent("notebooks-data/mnist-5k")
    for name in ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"] {
      try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: folder.appendingPathComponent(name))
    }
    return (folder, "t10k-images-idx3-ubyte.gz")
  }

  func testRequestedSplitOfASingleFileIsAUsageError() throws {
    let (folder, images) = try singleFileData()
    let result = try BinaryRunner.run(
      ["drop", "--model", Self.resnet, "--data", images, "--split", "train", "--blocks", "2", "--quiet"], in: folder)
    XCTAssertEqual(result.status, 64, result.standardError)
    XCTAssertTrue(result.standardError.hasPrefix("Error: --split train: \(images) is one set of images"), result.standardError)
    XCTAssertEqual(result.standardOutput, "")
    // Without --split the file is used as it is.
    let plain = try BinaryRunner.run(
      ["drop", "--model", Self.resnet, "--data", images, "--blocks", "2", "--limit", "20", "--quiet"], in: folder)
    XCTAssertEqual(plain.status, 0, plain.standardError)
    XCTAssertEqual(plain.standardError, "")
    // The bundled set has both splits.
    let bundled = try BinaryRunner.run(
      ["drop", "--model", Self.resnet, "--split", "train", "--blocks", "2", "--limit", "20", "--quiet"])
    XCTAssertEqual(bundled.status, 0, bundled.standardError)
  }

  func testASplitAFolderLacksIsAUsageErrorNamingTheOthers() throws {
    // An MNIST folder holding only the test files.
    let (folder, _) = try singleFileData()
    let result = try BinaryRunner.run(
      ["drop", "--model", Self.resnet, "--data", ".", "--split", "train", "--blocks", "2", "--quiet"], in: folder)
    XCTAssertEqual(result.status, 64, result.standardError)
    XCTAssertEqual(result.standardError, "Error: --split train: . has no train split, only test\n")
    let test = try BinaryRunner.run(["drop", "--model", Self.resnet, "--data", ".", "--blocks", "2", "--limit", "10", "--quiet"], in: folder)
    XCTAssertEqual(test.status, 0, test.standardError)
    let train = try BinaryRunner.run(["train", "--data", ".", "--depth", "8", "--epochs", "1", "--quiet"], in: folder)
    XCTAssertEqual(train.status, 64, train.standardError)
    XCTAssertTrue(train.standardError.contains("has no train split, only test"), train.standardError)
  }

  func testPathGradientsSayWhenThereIsNoTrainingSplit() throws {
    let (folder, images) = try singleFileData()
    let result = try BinaryRunner.run(
      ["paths", "--gradients", "--model", Self.resnet, "--data", images, "--gradient-samples", "1",
       "--gradient-batch", "2", "--lengths", "0-1", "--quiet", "--format", "csv"], in: folder)
    XCTAssertEqual(result.status, 0, result.standardError)
    XCTAssertTrue(
      result.standardError.hasPrefix("warning: \(images) has no separate training split; using all of its images"),
      result.standardError)
    let help = try BinaryRunner.run(["paths", "--help"])
    let words = help.standardOutput.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    XCTAssertTrue(words.contains("measures on the training split unless --split test is given"), help.standardOutput)
  }

  func testTrainRefusesToEvaluateOnItsTrainingImages() throws {
    let (folder, images) = try singleFileData()
    let refused = try BinaryRunner.run(["train", "--data", images, "--depth", "8", "--epochs", "1", "--quiet"], in: folder)
    XCTAssertEqual(refused.status, 64, refused.standardError)
    XCTAssertTrue(refused.standardError.contains("--allow-overlap"), refused.standardError)
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).count, 2, "nothing written")
    let allowed = try BinaryRunner.run(
      ["train", "--data", images, "--allow-overlap", "--depth", "8", "--widths", "2,2,2", "--epochs", "1",
       "--per-class", "2", "--batch-size", "10", "--output", "m.safetensors"], in: folder)
    XCTAssertEqual(allowed.status, 0, allowed.standardError)
    XCTAssertTrue(allowed.standardError.hasPrefix("warning: \(images) has no test split"), allowed.standardError)
  }

  func testBenchHelpExitsZero() throws {
    let result = try BinaryRunner.run(["--help"], executable: "resnet-lesion-bench")
    XCTAssertEqual(result.status, 0, result.standardError)
    XCTAssertTrue(result.standardOutput.hasPrefix("OVERVIEW: "), result.standardOutput)
    XCTAssertTrue(result.standardOutput.contains("EXAMPLES:"))
    let bad = try BinaryRunner.run(["--bogus"], executable: "resnet-lesion-bench")
    XCTAssertEqual(bad.status, 64)
  }
}

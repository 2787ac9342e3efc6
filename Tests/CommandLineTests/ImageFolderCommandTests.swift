import Foundation
import XCTest

/// End-to-end runs on a tiny folder of JPEG and PNG images of mixed sizes (copied from the
/// Images fixtures), with a committed 3×32×32 model (Fixtures/README.md).
final class ImageFolderCommandTests: XCTestCase {
  static var fixtures: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures") }
  static var imageFixtures: URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("ImagesTests/Fixtures")
  }
  static var model: String { fixtures.appendingPathComponent("tiny-rgb-resnet8.safetensors").path }

  /// Class folders `Zebra` (sorts first), `cat`, `dog` (with a subfolder), extensions in any case,
  /// a text file that is ignored, and optionally one truncated JPEG.
  func makeFolder(withBadFile: Bool) throws -> URL {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("image-folder-\(UUID().uuidString)")
    let files = [
      ("cat/a.JPG", "rgb420-64x48.jpg"), ("cat/b.jpeg", "photo-150x113.jpg"), ("dog/c.png", "png-portrait-50x80.png"),
      ("dog/sub/d.jpg", "progressive420-45x33.jpg"), ("Zebra/e.PNG", "png-type6-depth16-adam7.png"),
      ("Zebra/g.jpg", "sampling-mixed-29x21.jpg"),
    ] + (withBadFile ? [("Zebra/f.jpg", "truncated.jpg")] : [])
    for (target, source) in files {
      let url = root.appendingPathComponent(target)
      try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try FileManager.default.copyItem(at: Self.imageFixtures.appendingPathComponent(source), to: url)
    }
    try Data("not an image".utf8).write(to: root.appendingPathComponent("cat/notes.txt"))
    return root
  }

  func testDropOnAClassFolderOfMixedSizes() throws {
    let folder = try makeFolder(withBadFile: false)
    defer { try? FileManager.default.removeItem(at: folder) }
    let result = try BinaryRunner.run(["drop", "--model", Self.model, "--data", folder.path, "--blocks", "2", "--format", "csv"])
    XCTAssertEqual(result.status, 0, result.standardError)
    let rows = result.standardOutput.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { $0.split(separator: ",").map(String.init) }
    XCTAssertEqual(rows.count, 3, result.standardOutput)
    XCTAssertEqual(rows.last?[2], "6", "the images column: \(result.standardOutput)")
    // The summary: layout, classes, sizes, formats and the model's default transform (32 → 32).
    XCTAssertTrue(result.standardError.contains("6 images, 3 classes"), result.standardError)
    XCTAssertTrue(result.standardError.contains("sizes 11–150 × 10–113"), result.standardError)
    XCTAssertTrue(result.standardError.contains("formats JPEG 4, PNG 2"), result.standardError)
    XCTAssertTrue(result.standardError.contains("Resize(32) → CenterCrop(32) (6)"), result.standardError)
    // Decoding progress counts images (a plain line when standard error is not a terminal).
    XCTAssertTrue(result.standardError.contains("decoding images: 6 images\n"), result.standardError)
    XCTAssertTrue(result.standardError.contains("progress: 6/6 images (100%)"), result.standardError)
  }

  /// CSV output without its `# key: value` provenance lines.
  static func withoutComments(_ csv: String) -> String {
    csv.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { $0 + "\n" }.joined()
  }

  func testDataInfoListsClassesInImageFolderOrder() throws {
    let folder = try makeFolder(withBadFile: false)
    defer { try? FileManager.default.removeItem(at: folder) }
    let result = try BinaryRunner.run(["data", "info", "--data", folder.path, "--resize", "40", "--crop", "24", "--format", "csv"])
    XCTAssertEqual(result.status, 0, result.standardError)
    XCTAssertEqual(Self.withoutComments(result.standardOutput), "class,name,images\n0,Zebra,2\n1,cat,2\n2,dog,2\n")
  }

  func testBadFileFailsOrIsSkipped() throws {
    let folder = try makeFolder(withBadFile: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let failing = try BinaryRunner.run(["data", "info", "--data", folder.path, "--resize", "40", "--crop", "32"])
    XCTAssertEqual(failing.status, 1)
    // Decoding progress may come first; the error is one last line.
    let lines = failing.standardError.split(separator: "\n")
    XCTAssertTrue(lines.last?.hasPrefix("Error: ") == true, failing.standardError)
    XCTAssertEqual(lines.filter { $0.hasPrefix("Error: ") }.count, 1, failing.standardError)
    XCTAssertTrue(failing.standardError.contains("Zebra/f.jpg: truncated at byte "), failing.standardError)
    let quiet = try BinaryRunner.run(["data", "info", "--data", folder.path, "--resize", "40", "--crop", "32", "--quiet"])
    XCTAssertTrue(quiet.standardError.hasPrefix("Error: ") && quiet.standardError.split(separator: "\n").count == 1, quiet.standardError)
    let skipping = try BinaryRunner.run(["data", "info", "--data", folder.path, "--resize", "40", "--crop", "32", "--skip-bad"])
    XCTAssertEqual(skipping.status, 0, skipping.standardError)
    XCTAssertTrue(skipping.standardError.contains("skipped 1 bad file"), skipping.standardError)
    XCTAssertTrue(skipping.standardOutput.contains("6 images of 3×32×32"), skipping.standardOutput)
  }

  func testMixedSizesWithoutATransformIsAnError() throws {
    let folder = try makeFolder(withBadFile: false)
    defer { try? FileManager.default.removeItem(at: folder) }
    let result = try BinaryRunner.run(["data", "info", "--data", folder.path])
    XCTAssertEqual(result.status, 1)
    XCTAssertTrue(result.standardError.contains("give --resize and --crop"), result.standardError)
  }

  func testFlatFolderWithLabelsFile() throws {
    let folder = try makeFolder(withBadFile: false)
    defer { try? FileManager.default.removeItem(at: folder) }
    let labels = folder.appendingPathComponent("labels.txt")
    try Data("cat/a.JPG 2\ndog/c.png 0\n\n# comment\nZebra/e.PNG 1\n".utf8).write(to: labels)
    let result = try BinaryRunner.run([
      "data", "info", "--data", folder.path, "--labels", labels.path, "--resize", "32", "--crop", "32", "--format", "csv",
    ])
    XCTAssertEqual(result.status, 0, result.standardError)
    XCTAssertEqual(Self.withoutComments(result.standardOutput), "class,name,images\n0,0,1\n1,1,1\n2,2,1\n")
  }
}

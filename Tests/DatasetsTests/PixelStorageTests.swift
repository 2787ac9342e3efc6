import Datasets
import Foundation
import XCTest

/// A data set whose pixels are spooled to a temporary file reads exactly like its in-memory twin.
final class PixelStorageTests: XCTestCase {
  /// 7 images of 2×3×5 with distinct bytes, and the same data set spooled (in `folder`) in
  /// uneven appends.
  private func twins(folder: URL) throws -> (memory: ImageDataset, file: ImageDataset) {
    let bytes: [UInt8] = (0..<210).map { (index: Int) -> UInt8 in UInt8((index * 37 + 11) % 251) }
    let labels = [0, 1, 2, 0, 1, 2, 0]
    let memory = ImageDataset(
      name: "twins", channels: 2, height: 3, width: 5, pixels: bytes, labels: labels,
      classNames: ["a", "b", "c"])
    let spool = try PixelStorage.Spool(folder: folder)
    for chunk in [0..<1, 1..<64, 64..<65, 65..<210] {
      try bytes[chunk].withUnsafeBufferPointer { try spool.append($0) }
    }
    XCTAssertEqual(spool.count, 210)
    let file = ImageDataset(
      name: "twins", channels: 2, height: 3, width: 5, storage: try spool.finish(), labels: labels,
      classNames: ["a", "b", "c"])
    return (memory, file)
  }

  private func temporaryFolder() throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
      "pixel-storage-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
    return folder
  }

  func testSpooledImagesReadLikeTheArray() throws {
    let (memory, file) = try twins(folder: try temporaryFolder())
    XCTAssertTrue(file.storage.isFileBacked)
    XCTAssertFalse(memory.storage.isFileBacked)
    XCTAssertEqual(file.pixels, memory.pixels)
    XCTAssertEqual(file, memory)
    for index in 0..<7 {
      XCTAssertEqual(file.withImage(index, Array.init), memory.withImage(index, Array.init))
      XCTAssertEqual(memory.withImage(index, Array.init), Array(memory.pixels[(index * 30)..<(index * 30 + 30)]))
    }
    let statistics = (file.pixelStatistics(), memory.pixelStatistics())
    XCTAssertEqual(statistics.0.mean, statistics.1.mean)
    XCTAssertEqual(statistics.0.std, statistics.1.std)
  }

  func testBatchesAndSubsetsAgree() throws {
    let (memory, file) = try twins(folder: try temporaryFolder())
    let indices = [6, 0, 3, 3, 1]
    var fromFile = [Float](repeating: .nan, count: indices.count * 30)
    var fromMemory = fromFile
    fromFile.withUnsafeMutableBufferPointer {
      file.writeBatch(indices: indices, mean: [0.5, 0.25], std: [0.2, 0.4], into: $0)
    }
    fromMemory.withUnsafeMutableBufferPointer {
      memory.writeBatch(indices: indices, mean: [0.5, 0.25], std: [0.2, 0.4], into: $0)
    }
    XCTAssertEqual(fromFile, fromMemory)
    XCTAssertFalse(fromFile.contains { $0.isNaN })

    let subset = try file.subset([4, 2, 2])
    XCTAssertTrue(subset.storage.isFileBacked)
    XCTAssertEqual(subset, try memory.subset([4, 2, 2]))
    XCTAssertEqual(subset.labels, [1, 2, 2])
    // The whole set in order is the same storage, not a copy.
    XCTAssertTrue(try file.subset(Array(0..<7)).storage === file.storage)
  }

  /// The spool is unlinked as soon as it is created: nothing is left in its folder, even while
  /// the data set is alive.
  func testSpoolLeavesNoFileBehind() throws {
    let folder = try temporaryFolder()
    let (_, file) = try twins(folder: folder)
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), [])
    XCTAssertEqual(file.count, 7)
  }

  func testUnwritableFolderIsAnError() {
    XCTAssertThrowsError(try PixelStorage.Spool(folder: URL(fileURLWithPath: "/nonexistent-folder-for-spool"))) { error in
      guard case .fileAccess(let file, _)? = error as? DatasetError else { return XCTFail("\(error)") }
      XCTAssertEqual(file, "/nonexistent-folder-for-spool")
    }
  }
}

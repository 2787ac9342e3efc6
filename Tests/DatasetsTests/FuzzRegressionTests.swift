import Foundation
import TensorFormats
import XCTest

@testable import Archives
@testable import Datasets

/// Replays every committed fuzzing input (`Tests/Fuzz/Regressions/<target>/`, inputs that once
/// crashed, and the small committed corpus `Tests/Fuzz/Corpus/<target>/`) through the readers
/// the fuzz targets drive. Each must end in a value or a thrown error, never a trap.
final class FuzzRegressionTests: XCTestCase {
  static let fuzzFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fuzz")

  func inputs(_ target: String) -> [[UInt8]] {
    var result: [[UInt8]] = []
    for kind in ["Regressions", "Corpus"] {
      let folder = Self.fuzzFolder.appendingPathComponent(kind).appendingPathComponent(target)
      let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
      for name in names.sorted() where !name.hasPrefix(".") {
        if let data = try? Data(contentsOf: folder.appendingPathComponent(name)) { result.append([UInt8](data)) }
      }
    }
    return result
  }

  func testInflateAndGzip() {
    for bytes in inputs("inflate") {
      _ = try? Inflate.decompress(bytes, limit: 1 << 20)
      if let whole = try? Gzip.decompress(bytes, file: "r", limit: 1 << 20) {
        XCTAssertLessThanOrEqual(whole.count, 1 << 20)
        if let prefix = try? Gzip.decompressedPrefix(bytes, file: "r", count: 100) {
          XCTAssertEqual(prefix, Array(whole.prefix(100)))
        }
      }
    }
  }

  func testTar() {
    for bytes in inputs("tar") {
      if let archive = try? TarArchive.parse(bytes, file: "r") {
        XCTAssertLessThanOrEqual(archive.entries.reduce(0) { $0 + $1.bytes.count }, bytes.count)
      }
    }
  }

  func testIDX() {
    for input in inputs("idx") where !input.isEmpty {
      let bytes = Array(input.dropFirst())
      let images = input[0] & 1 == 1
      let maximum: Int? = input[0] & 2 == 0 ? nil : Int(input[0] >> 2)
      if let array = try? MNIST.parseIDX(
        bytes, file: "r", dimensions: images ? 3 : 1, magic: images ? 0x803 : 0x801,
        maximumRecords: maximum, limit: 1 << 20)
      {
        XCTAssertEqual(array.data.count, array.shape.reduce(1, *))
      }
    }
  }

  func testCIFAR() {
    for bytes in inputs("cifar") {
      var pixels: [UInt8] = []
      var labels: [Int] = []
      if (try? CIFAR.appendRecords(
        bytes, file: "r", variant: .cifar100, pixels: &pixels, labels: &labels)) != nil
      {
        XCTAssertEqual(pixels.count, labels.count * 3072)
      }
    }
  }

  func testNumPyImages() {
    for input in inputs("npyimages") where input.count > 2 {
      let split = min(input.count - 2, Int(input[0]) | Int(input[1]) << 8)
      let images = Array(input[2..<(2 + split)])
      let labels = Array(input[(2 + split)...])
      if let dataset = try? NumPyImages.assemble(
        images: images, imagesFile: "i", labels: labels, labelsFile: "l", layout: nil)
      {
        XCTAssertEqual(dataset.pixels.count, dataset.count * dataset.imageSize)
      }
    }
  }
}

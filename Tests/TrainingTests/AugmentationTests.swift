import Basics
import Datasets
@testable import Training
import XCTest

/// Random crops with zero padding and flips act on raw pixels before normalization.
final class AugmentationTests: XCTestCase {
  /// One 1×3×4 image with pixels 10, 20, …, 120 and a 2-channel 1×2 image.
  let image = ImageDataset(
    name: "tiny", channels: 1, height: 3, width: 4, pixels: (1...12).map { UInt8($0 * 10) }, labels: [0],
    classNames: ["a"])

  func write(_ transform: ImageTransform, padding: Int, dataset: ImageDataset? = nil) -> [Float] {
    let d = dataset ?? image
    var out = [Float](repeating: .nan, count: d.imageSize)
    out.withUnsafeMutableBufferPointer {
      d.writeAugmentedBatch(
        indices: [0], transforms: [transform], padding: padding, mean: Array(repeating: 0, count: d.channels),
        std: Array(repeating: 1.0 / 255, count: d.channels), into: $0)
    }
    return out
  }

  func assertPixels(_ actual: [Float], _ expected: [Float], file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, file: file, line: line)
    for (a, b) in zip(actual, expected) { XCTAssertEqual(a, b, accuracy: 1e-3, "\(actual)", file: file, line: line) }
  }

  func testCentredCropIsTheImage() {
    assertPixels(
      write(ImageTransform(cropRow: 2, cropColumn: 2, flip: false), padding: 2), (1...12).map { Float($0 * 10) })
    assertPixels(
      write(ImageTransform(cropRow: 0, cropColumn: 0, flip: false), padding: 0), (1...12).map { Float($0 * 10) })
  }

  func testShiftedCropPadsWithZeroPixels() {
    // Crop at (0, 1) of the image padded by 1: rows shift down by one, columns unchanged.
    assertPixels(
      write(ImageTransform(cropRow: 0, cropColumn: 1, flip: false), padding: 1),
      [0, 0, 0, 0, 10, 20, 30, 40, 50, 60, 70, 80])
    // Crop at (1, 2): columns shift left by one, zero column on the right.
    assertPixels(
      write(ImageTransform(cropRow: 1, cropColumn: 2, flip: false), padding: 1),
      [20, 30, 40, 0, 60, 70, 80, 0, 100, 110, 120, 0])
  }

  func testFlipMirrorsAfterCrop() {
    assertPixels(
      write(ImageTransform(cropRow: 1, cropColumn: 1, flip: true), padding: 1),
      [40, 30, 20, 10, 80, 70, 60, 50, 120, 110, 100, 90])
    assertPixels(
      write(ImageTransform(cropRow: 1, cropColumn: 2, flip: true), padding: 1),
      [0, 40, 30, 20, 0, 80, 70, 60, 0, 120, 110, 100])
  }

  func testNormalizationAppliesToPaddingAndChannelsLast() {
    let rgb = ImageDataset(
      name: "rgb", channels: 2, height: 1, width: 2, pixels: [255, 0, 51, 102], labels: [0], classNames: ["a"])
    var out = [Float](repeating: .nan, count: 4)
    out.withUnsafeMutableBufferPointer {
      rgb.writeAugmentedBatch(
        indices: [0], transforms: [ImageTransform(cropRow: 1, cropColumn: 2, flip: false)], padding: 1,
        mean: [0.5, 0.1], std: [0.5, 0.2], into: $0)
    }
    // Pixel (0,0) ← source column 1: channel 0 raw 0, channel 1 raw 102; pixel (0,1) is padding.
    let expected: [Float] = [(0 - 0.5) / 0.5, (0.4 - 0.1) / 0.2, (0 - 0.5) / 0.5, (0 - 0.1) / 0.2]
    for (a, b) in zip(out, expected) { XCTAssertEqual(a, b, accuracy: 1e-6) }
  }

  func testRandomTransformsCoverTheRangeUniformly() {
    var generator = SplitMix64(seed: 8)
    var rows = [Int](repeating: 0, count: 5)
    var flips = 0
    for _ in 0..<5_000 {
      let t = ImageTransform.random(Augmentation(cropPadding: 2, horizontalFlip: true), using: &generator)
      rows[t.cropRow] += 1
      XCTAssertTrue((0...4).contains(t.cropColumn))
      if t.flip { flips += 1 }
    }
    for count in rows { XCTAssertEqual(Double(count), 1_000, accuracy: 130) }
    XCTAssertEqual(Double(flips), 2_500, accuracy: 150)
    let none = ImageTransform.random(Augmentation(), using: &generator)
    XCTAssertEqual(none, ImageTransform(cropRow: 0, cropColumn: 0, flip: false))
  }
}

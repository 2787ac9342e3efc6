import Foundation
import Images
import XCTest

final class TransformTests: XCTestCase {
  /// Resize → CenterCrop → ToTensor equals torchvision's on the same files: every element of
  /// our bytes / 255 equals torchvision's float32 tensor (tolerance 1e-7 covers float32 ÷255).
  func testEvaluationTransformMatchesTorchvision() throws {
    let names = try fixtureNames(withSuffix: ".f32")
    XCTAssertGreaterThanOrEqual(names.count, 8)
    for name in names {
      // NAME.RESIZE-CROP.f32
      let parts = name.dropLast(4).split(separator: ".")
      let sizes = parts.last!.split(separator: "-").compactMap { Int($0) }
      let image = parts.dropLast().joined(separator: ".")
      let transform = EvaluationTransform(resize: sizes[0], crop: sizes[1])
      let result = transform.apply(try ImageDecoder.decode(try fixture(image), file: image))
      let crop = sizes[1]
      XCTAssertEqual(result.width, crop, name)
      XCTAssertEqual(result.height, crop, name)
      let reference = try fixture(name).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
      XCTAssertEqual(reference.count, 3 * crop * crop, name)
      var worst: Float = 0
      var mismatches = 0
      for c in 0..<3 {
        for y in 0..<crop {
          for x in 0..<crop {
            let ours = Float(result.pixels[(y * crop + x) * 3 + c]) / 255
            let d = abs(ours - reference[(c * crop + y) * crop + x])
            worst = max(worst, d)
            if d > 1e-7 { mismatches += 1 }
          }
        }
      }
      XCTAssertEqual(mismatches, 0, "\(name): \(mismatches) elements differ, max \(worst)")
    }
  }

  /// torchvision's output-size rule: the shorter side to N, the longer truncated.
  func testResizedSizeFollowsTorchvision() {
    XCTAssertTrue(EvaluationTransform.resizedSize(width: 500, height: 375, shorter: 256) == (341, 256))
    XCTAssertTrue(EvaluationTransform.resizedSize(width: 375, height: 500, shorter: 256) == (256, 341))
    XCTAssertTrue(EvaluationTransform.resizedSize(width: 13, height: 11, shorter: 24) == (28, 24))
    XCTAssertTrue(EvaluationTransform.resizedSize(width: 7, height: 7, shorter: 3) == (3, 3))
  }

  /// Python's round-half-to-even decides the crop offset: (5 − 2) / 2 = 1.5 → 2, (7 − 2) / 2 =
  /// 2.5 → 2.
  func testCenterCropOffsetsRoundHalfToEven() {
    func row(_ width: Int) -> RGBImage {
      RGBImage(width: width, height: 2, pixels: (0..<(width * 2 * 3)).map { UInt8($0 / 3 % width) })
    }
    XCTAssertEqual(EvaluationTransform.centerCrop(row(5), size: 2).pixels[0], 2)
    XCTAssertEqual(EvaluationTransform.centerCrop(row(7), size: 2).pixels[0], 2)
    XCTAssertEqual(EvaluationTransform.centerCrop(row(6), size: 2).pixels[0], 2)
  }

  /// Resizing to the same size is the identity; a constant image stays constant at any scale.
  func testResizeInvariants() {
    let image = RGBImage(width: 9, height: 4, pixels: (0..<108).map { UInt8($0 * 2 % 256) })
    XCTAssertEqual(Resample.bilinear(image, width: 9, height: 4), image)
    let flat = RGBImage(width: 31, height: 17, pixels: [UInt8](repeating: 77, count: 31 * 17 * 3))
    for (w, h) in [(5, 3), (64, 40), (31, 1), (1, 17)] {
      XCTAssertEqual(Set(Resample.bilinear(flat, width: w, height: h).pixels), [77])
    }
  }
}

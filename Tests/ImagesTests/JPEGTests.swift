import Foundation
import Images
import XCTest

final class JPEGTests: XCTestCase {
  /// Every JPEG fixture with a Pillow reference decodes to exactly Pillow's pixels.
  func testFixturesMatchPillowExactly() throws {
    let names = try fixtureNames(withSuffix: ".jpg").filter {
      FileManager.default.fileExists(atPath: fixturesDirectory.appendingPathComponent($0 + ".rgb").path)
    }
    XCTAssertGreaterThanOrEqual(names.count, 20)
    for name in names {
      do {
        let image = try JPEG.decode(try fixture(name), file: name)
        assertImagesEqual(image, try referenceImage(name + ".rgb"), name)
      } catch {
        XCTFail("\(name): \(error)")
      }
    }
  }
}

final class ImageErrorTests: XCTestCase {
  /// Each unsupported or damaged fixture listed in errors.txt fails with the listed kind.
  func testErrorFixturesFailWithTheListedKind() throws {
    let lines = String(decoding: try fixture("errors.txt"), as: UTF8.self).split(separator: "\n")
    XCTAssertGreaterThanOrEqual(lines.count, 7)
    for line in lines {
      let parts = line.split(separator: " ").map(String.init)
      let name = parts[0]
      XCTAssertThrowsError(try ImageDecoder.decode(try fixture(name), file: name), name) { error in
        guard let error = error as? ImageError else { return XCTFail("\(name): \(error)") }
        let kind: String
        switch error {
        case .truncated: kind = "truncated"
        case .invalidData: kind = "invalidData"
        case .unsupported: kind = "unsupported"
        case .checksumMismatch: kind = "checksumMismatch"
        case .tooLarge: kind = "tooLarge"
        case .unknownFormat: kind = "unknownFormat"
        }
        XCTAssertEqual(kind, parts[1], "\(name): \(error)")
        XCTAssertTrue(error.description.hasPrefix(name + ": "), error.description)
      }
    }
  }

  /// Every prefix of a valid JPEG fails cleanly (no trap), naming an offset inside the file.
  func testEveryTruncationOfAJPEGIsAnError() throws {
    for name in ["progressive420-45x33.jpg", "restart-blocks-33x27.jpg", "gray-13x11.jpg"] {
      let bytes = try fixture(name)
      for length in stride(from: 0, to: bytes.count - 1, by: 7) {
        do {
          _ = try JPEG.decode(Array(bytes[..<length]), file: name)
          XCTFail("\(name) cut to \(length) bytes decoded")
        } catch let error as ImageError {
          if case .truncated(_, let offset, _) = error { XCTAssertLessThanOrEqual(offset, length) }
        }
      }
    }
  }

  /// Flipped bytes never trap: the result is an image or an ImageError.
  func testCorruptedJPEGsNeverTrap() throws {
    let bytes = try fixture("progressive420-45x33.jpg")
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    for _ in 0..<300 {
      var copy = bytes
      for _ in 0..<3 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        copy[Int(state >> 33) % copy.count] = UInt8(truncatingIfNeeded: state >> 13)
      }
      do { _ = try JPEG.decode(copy, file: "x") } catch is ImageError {}
    }
  }
}

import Foundation
import Images
import XCTest

final class PNGTests: XCTestCase {
  /// Every PNG fixture with a Pillow reference (every colour type and depth, Adam7, tRNS, short
  /// palettes) decodes to exactly Pillow's `convert("RGB")` pixels.
  func testFixturesMatchPillowExactly() throws {
    let names = try fixtureNames(withSuffix: ".png").filter {
      FileManager.default.fileExists(atPath: fixturesDirectory.appendingPathComponent($0 + ".rgb").path)
    }
    XCTAssertGreaterThanOrEqual(names.count, 36)
    for name in names {
      do {
        let image = try ImageDecoder.decode(try fixture(name), file: name)
        assertImagesEqual(image, try referenceImage(name + ".rgb"), name)
      } catch {
        XCTFail("\(name): \(error)")
      }
    }
  }

  /// A 1×1 image whose IDAT inflates to 16 MiB is refused once inflation passes the scanlines'
  /// size plus a small margin, not inflated whole (a decompression bomb costs the image's size).
  func testInflateStopsAtTheScanlinesSize() throws {
    let name = "png-inflate-bomb.png"
    XCTAssertThrowsError(try ImageDecoder.decode(try fixture(name), file: name)) { error in
      guard case .invalidData(_, let offset, let expected, let found)? = error as? ImageError else {
        return XCTFail("\(error)")
      }
      XCTAssertEqual(offset, 41)  // signature 8 + IHDR 25 + IDAT length and type 8
      XCTAssertEqual(expected, "2 bytes of scanlines for a 1×1 image")
      XCTAssertEqual(found, "a zlib stream that inflates to more than 65538 bytes")
    }
  }

  /// Every prefix of a valid PNG fails cleanly with an offset inside the prefix.
  func testEveryTruncationOfAPNGIsAnError() throws {
    let bytes = try fixture("png-type2-depth8-adam7.png")
    for length in 0..<(bytes.count - 1) {
      XCTAssertThrowsError(try ImageDecoder.decode(Array(bytes[..<length]), file: "cut.png")) { error in
        if case .truncated(_, let offset, _)? = error as? ImageError {
          XCTAssertLessThanOrEqual(offset, length)
        }
      }
    }
  }

  /// A flipped byte anywhere is caught by a CRC (or is harmless); never a trap.
  func testCorruptedPNGsNeverTrap() throws {
    let bytes = try fixture("png-type6-depth16-adam7.png")
    for index in stride(from: 8, to: bytes.count, by: 3) {
      var copy = bytes
      copy[index] ^= 0x5A
      do { _ = try PNG.decode(copy, file: "x") } catch is ImageError {}
    }
  }
}

import Foundation
import Images
import XCTest

/// The folder of committed fixtures beside this file.
let fixturesDirectory = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
  .deletingLastPathComponent()
  .appendingPathComponent("Fixtures")

func fixture(_ name: String) throws -> [UInt8] {
  [UInt8](try Data(contentsOf: fixturesDirectory.appendingPathComponent(name)))
}

/// Fixture names with `suffix`, sorted.
func fixtureNames(withSuffix suffix: String) throws -> [String] {
  try FileManager.default.contentsOfDirectory(atPath: fixturesDirectory.path)
    .filter { $0.hasSuffix(suffix) }.sorted()
}

/// Reads a binary PPM ("P6 W H 255\n" + bytes) written by generate_fixtures.py.
func referenceImage(_ name: String) throws -> RGBImage {
  let bytes = try fixture(name)
  guard let newline = bytes.firstIndex(of: 0x0A) else { throw CocoaError(.fileReadCorruptFile) }
  let header = String(decoding: bytes[..<newline], as: UTF8.self).split(separator: " ")
  guard header.count == 4, header[0] == "P6", let width = Int(header[1]), let height = Int(header[2])
  else { throw CocoaError(.fileReadCorruptFile) }
  return RGBImage(width: width, height: height, pixels: Array(bytes[(newline + 1)...]))
}

/// Compares two images sample by sample; fails with the count and the worst differences.
func assertImagesEqual(
  _ found: RGBImage, _ expected: RGBImage, tolerance: Int = 0, _ name: String,
  file: StaticString = #filePath, line: UInt = #line
) {
  guard found.width == expected.width, found.height == expected.height else {
    XCTFail("\(name): size \(found.width)×\(found.height), expected \(expected.width)×\(expected.height)", file: file, line: line)
    return
  }
  var mismatches: [(Int, Int, Int)] = []
  var worst = 0
  for i in 0..<found.pixels.count {
    let d = abs(Int(found.pixels[i]) - Int(expected.pixels[i]))
    worst = max(worst, d)
    if d > tolerance { mismatches.append((i, Int(found.pixels[i]), Int(expected.pixels[i]))) }
  }
  if !mismatches.isEmpty {
    let shown = mismatches.prefix(5).map { i, f, e in
      "(x \(i / 3 % found.width), y \(i / 3 / found.width), c \(i % 3)): \(f) vs \(e)"
    }
    XCTFail(
      "\(name): \(mismatches.count) of \(found.pixels.count) samples differ by more than \(tolerance) (max \(worst)); "
        + shown.joined(separator: ", "), file: file, line: line)
  }
}

import Basics
import XCTest

/// The shared text forms of error messages: `Hex` (bytes and 32-bit checksums) and
/// `InputProblem` (a problem at a byte of a file), checked against hand-written strings.
final class MessageFormTests: XCTestCase {
  func testHexBytesPadsEveryByteToTwoDigits() {
    XCTAssertEqual(Hex.bytes([0x1F, 0x8B, 0x08, 0x00, 0xFF]), "1f 8b 08 00 ff")
    XCTAssertEqual(Hex.bytes([0x01, 0x0A], separator: ""), "010a")
    XCTAssertEqual(Hex.bytes([UInt8]()), "")
    XCTAssertEqual(Hex.bytes(([0x93, 0x4E, 0x55] as [UInt8]).prefix(2)), "93 4e")
  }

  func testHexWordIsEightDigitsMostSignificantFirst() {
    XCTAssertEqual(Hex.word(0x1C29_1CA3), "0x1c291ca3")
    XCTAssertEqual(Hex.word(0x0803), "0x00000803")
    XCTAssertEqual(Hex.word(0), "0x00000000")
    XCTAssertEqual(Hex.word(.max), "0xffffffff")
  }

  func testInputProblemForms() {
    XCTAssertEqual(
      InputProblem.truncated(file: "a.tar.gz", offset: 1834, expected: "a tar header"),
      "a.tar.gz: truncated at byte 1834: expected a tar header")
    XCTAssertEqual(
      InputProblem.invalid(file: "x.png", offset: 33, expected: "a filter type 0–4", found: "7"),
      "x.png: byte 33: expected a filter type 0–4, found 7")
    XCTAssertEqual(InputProblem.at(file: "x.jpg", offset: 2, "unsupported: CMYK"), "x.jpg: byte 2: unsupported: CMYK")
  }
}

import _TestSupport
import Foundation
import XCTest

@testable import TensorFormats

/// Hand-built `.npy` files and writer round trips.
final class NumPyTests: XCTestCase {
  func npy(_ header: String, data: [UInt8], major: UInt8 = 1) -> [UInt8] {
    var bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, major, 0]
    let text = Array(header.utf8)
    if major == 1 {
      appendLittleEndian(UInt16(text.count), to: &bytes)
    } else {
      appendLittleEndian(UInt32(text.count), to: &bytes)
    }
    return bytes + text + data
  }

  func testRoundTripEveryDType() throws {
    var rng = SplitMix64(seed: 7)
    for dtype in TensorDType.allCases where dtype != .bfloat16 {
      for shape in [[], [3], [2, 3], [1, 0, 2]] {
        let count = shape.reduce(1, *)
        var bytes = (0..<(count * dtype.byteCount)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        if dtype == .bool { bytes = bytes.map { $0 & 1 } }
        let tensor = RawTensor(dtype: dtype, shape: shape, bytes: bytes)
        let encoded = NumPyArray.serialize(tensor)
        XCTAssertEqual((Int(encoded.le16(at: 8) ?? 0) + 10) % 64, 0)
        XCTAssertEqual(try NumPyArray.parse(encoded, file: "rt").tensor, tensor, "\(dtype) \(shape)")
      }
    }
  }

  func testBFloat16IsWrittenAsFloat32() throws {
    let tensor = RawTensor(dtype: .bfloat16, shape: [2], bytes: [0xC0, 0x3F, 0x00, 0xC0])
    let array = try NumPyArray.parse(NumPyArray.serialize(tensor), file: "bf16")
    XCTAssertEqual(array.tensor, RawTensor(floats: [1.5, -2], shape: [2]))
  }

  func testVersionTwoHeaderPython2LongsAndFortran() throws {
    // 2 × 3 int16 in Fortran order: columns (1,4), (2,5), (3,6).
    var data: [UInt8] = []
    for value: Int16 in [1, 4, 2, 5, 3, 6] { appendLittleEndian(UInt16(bitPattern: value), to: &data) }
    let bytes = npy("{'shape': (2L, 3L), 'fortran_order': True, 'descr': '<i2'}\n", data: data, major: 2)
    let array = try NumPyArray.parse(bytes, file: "v2")
    XCTAssertEqual(array.tensor.shape, [2, 3])
    XCTAssertEqual(array.tensor.int64s(), [1, 2, 3, 4, 5, 6])
  }

  func testBigEndianConverted() throws {
    let bytes = npy(
      "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }\n", data: [0x3F, 0x80, 0, 0, 0xC0, 0, 0, 0])
    XCTAssertEqual(try NumPyArray.parse(bytes, file: "be").tensor.floats(), [1, -2])
  }

  func testRefusals() {
    assertThrows(["expected magic", "4e 55 4d"]) { try NumPyArray.parse([0x4E, 0x55, 0x4D], file: "m") }
    assertThrows(["version 4.0"]) { try NumPyArray.parse(self.npy("{}", data: [], major: 4), file: "v") }
    assertThrows(["dtype '|O'", "object arrays are refused"]) {
      try NumPyArray.parse(
        self.npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }\n", data: [0x80]), file: "o")
    }
    assertThrows(["dtype '<c8'"]) {
      try NumPyArray.parse(self.npy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }\n", data: []), file: "c")
    }
    assertThrows(["dtype 'structured'"]) {
      try NumPyArray.parse(
        self.npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }\n", data: []), file: "s")
    }
    assertThrows(["header of 20000 bytes exceeds the limit of 10000"]) {
      try NumPyArray.parse(self.npy(String(repeating: " ", count: 20000), data: [], major: 2), file: "big")
    }
    assertThrows(["data is 3 bytes, expected 4"]) {
      try NumPyArray.parse(
        self.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n", data: [0, 0, 0]), file: "short")
    }
    assertThrows(["data is 5 bytes, expected 4"]) {
      try NumPyArray.parse(
        self.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n", data: [0, 0, 0, 0, 0]), file: "long")
    }
    assertThrows(["invalid header", "key 'extra'"]) {
      try NumPyArray.parse(
        self.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}\n", data: []), file: "k")
    }
    assertThrows(["keys descr, fortran_order and shape"]) {
      try NumPyArray.parse(self.npy("{'descr': '<f4', 'shape': (1,)}\n", data: [0, 0, 0, 0]), file: "k")
    }
    assertThrows(["overflows"]) {
      try NumPyArray.parse(
        self.npy(
          "{'descr': '<f4', 'fortran_order': False, 'shape': (999999999999999999, 999999999999999999), }\n", data: []),
        file: "of")
    }
  }

  func testEveryTruncationThrows() throws {
    for name in ["f8_fortran.npy", "i8_big_endian.npy", "scalar_f4.npy"] {
      let valid = try fixtureBytes(name)
      for length in 0..<valid.count {
        XCTAssertThrowsError(try NumPyArray.parse(Array(valid[..<length]), file: name), "\(name) prefix \(length)")
      }
    }
  }

  func testAtomicWrite() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("np-\(getpid()).npy")
    defer { try? FileManager.default.removeItem(at: url) }
    let tensor = RawTensor(floats: [1, 2, 3, 4], shape: [2, 2])
    try NumPyArray.write(tensor, to: url)
    XCTAssertEqual(try NumPyArray.read(contentsOf: url).tensor, tensor)
    XCTAssertEqual(try TensorFile.read(contentsOf: url)[""], tensor)
  }
}

/// 16-bit tensors decode through the shared half-precision codec (tested in BasicsTests).
final class HalfPrecisionTensorTests: XCTestCase {
  func testBFloat16() {
    let tensor = RawTensor(dtype: .bfloat16, shape: [2], bytes: [0xC0, 0x3F, 0x00, 0xC0])
    XCTAssertEqual(tensor.floats(), [1.5, -2])
  }

  func testConversionsFromEveryDType() {
    XCTAssertEqual(RawTensor(dtype: .int8, shape: [2], bytes: [0xFF, 0x05]).floats(), [-1, 5])
    XCTAssertEqual(RawTensor(dtype: .uint8, shape: [2], bytes: [0xFF, 0x05]).int64s(), [255, 5])
    XCTAssertEqual(RawTensor(dtype: .int16, shape: [1], bytes: [0x00, 0x80]).int64s(), [-32768])
    XCTAssertEqual(RawTensor(dtype: .int32, shape: [1], bytes: [0xFE, 0xFF, 0xFF, 0xFF]).floats(), [-2])
    XCTAssertEqual(RawTensor(dtype: .bool, shape: [2], bytes: [0, 1]).floats(), [0, 1])
    XCTAssertEqual(RawTensor(floats: [-2.7, 3.9, .nan], shape: [3]).int64s(), [-2, 3, 0])
    var bytes: [UInt8] = []
    appendLittleEndian((0.1 as Double).bitPattern, to: &bytes)
    let double = RawTensor(dtype: .float64, shape: [], bytes: bytes)
    XCTAssertEqual(double.doubles(), [0.1])
    XCTAssertEqual(double.floats(), [Float(0.1)])
    XCTAssertNil(RawTensor(validatingDType: .float32, shape: [2], bytes: [0, 0, 0]))
  }
}

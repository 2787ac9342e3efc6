import Foundation
import XCTest

@testable import TensorFormats

/// Hand-built safetensors files: the reference reader's rules, duplicates, writer layout.
final class SafeTensorsTests: XCTestCase {
  /// A file from a literal header (padded to 8 bytes unless `pad` is false) and data bytes.
  func file(_ header: String, data: [UInt8] = [], pad: Bool = true) -> [UInt8] {
    var headerBytes = Array(header.utf8)
    if pad { headerBytes += [UInt8](repeating: 0x20, count: (8 - headerBytes.count % 8) % 8) }
    var bytes: [UInt8] = []
    appendLittleEndian(UInt64(headerBytes.count), to: &bytes)
    return bytes + headerBytes + data
  }

  func testEmptyArchiveIsSixteenBytes() throws {
    let bytes = try SafeTensors.serialize([], metadata: [:])
    XCTAssertEqual(bytes, [8, 0, 0, 0, 0, 0, 0, 0] + Array("{}      ".utf8))
    let archive = try SafeTensors.parse(bytes, file: "empty")
    XCTAssertTrue(archive.tensors.isEmpty)
    XCTAssertEqual(archive.format, .safetensors)
  }

  func testScalarZeroSizedAndKeyOrderIndependentOfOffsets() throws {
    // Keys listed out of offset order; the reader returns offset order.
    let bytes = file(
      #"{"b":{"dtype":"I32","shape":[],"data_offsets":[8,12]},"e":{"dtype":"F32","shape":[2,0],"data_offsets":[8,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#,
      data: floatBytes([1.5, -2]) + [7, 0, 0, 0])
    let archive = try SafeTensors.parse(bytes, file: "t")
    XCTAssertEqual(archive.names, ["a", "e", "b"])
    XCTAssertEqual(archive["a"]?.floats(), [1.5, -2])
    XCTAssertEqual(archive["b"]?.shape, [])
    XCTAssertEqual(archive["b"]?.int64s(), [7])
    XCTAssertEqual(archive["e"]?.elementCount, 0)
    XCTAssertNil(archive["missing"])
  }

  func testWhitespaceAroundHeaderAccepted() throws {
    let bytes = file("\t\n{\"__metadata__\":{\"k\":\"v\"}}\r \t\n", pad: false)
    let archive = try SafeTensors.parse(bytes, file: "ws")
    XCTAssertEqual(archive.metadata, ["k": "v"])
  }

  func testWriterOrderPaddingAndRoundTrip() throws {
    let tensors: [(name: String, tensor: RawTensor)] = [
      ("z.weight", RawTensor(floats: [1, 2, 3, 4, 5, 6], shape: [2, 3])),
      ("a.steps", RawTensor(int64s: [42], shape: [])),
      ("mask", RawTensor(dtype: .bool, shape: [3], bytes: [1, 0, 1])),
      ("b.weight", RawTensor(floats: [-1], shape: [1, 1])),
    ]
    let bytes = try SafeTensors.serialize(tensors, metadata: ["format": "pt", "a\"b": "x\ny"])
    let headerLength = Int(bytes.le64(at: 0) ?? 0)
    XCTAssertEqual(headerLength % 8, 0)
    let header = String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self)
    XCTAssertTrue(
      header.hasPrefix(
        #"{"__metadata__":{"a\"b":"x\ny","format":"pt"},"a.steps":{"dtype":"I64","shape":[],"data_offsets":[0,8]},"b.weight":{"dtype":"F32","shape":[1,1],"data_offsets":[8,12]},"z.weight""#
      ),
      header)
    let archive = try SafeTensors.parse(bytes, file: "rt")
    XCTAssertEqual(archive.names, ["a.steps", "b.weight", "z.weight", "mask"])
    XCTAssertEqual(archive["z.weight"], tensors[0].tensor)
    XCTAssertEqual(archive["mask"], tensors[2].tensor)
    XCTAssertEqual(archive.metadata, ["format": "pt", "a\"b": "x\ny"])
  }

  func testAtomicWriteAndRead() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("st-\(getpid())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let url = folder.appendingPathComponent("w.safetensors")
    let tensor = RawTensor(floats: [0.25, 0.5], shape: [2])
    try SafeTensors.write([("w", tensor)], metadata: [:], to: url)
    try SafeTensors.write([("w", tensor), ("v", tensor)], metadata: [:], to: url)  // replaces
    XCTAssertEqual(try SafeTensors.read(contentsOf: url).names, ["v", "w"])
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["w.safetensors"])
  }

  func testWriterRefusesDuplicatesAndBadTensors() {
    let tensor = RawTensor(floats: [1], shape: [1])
    assertThrows(["\"w\"", "more than once"]) {
      try SafeTensors.serialize([("w", tensor), ("w", tensor)], metadata: [:])
    }
    assertThrows(["__metadata__", "reserved"]) {
      try SafeTensors.serialize([("__metadata__", tensor)], metadata: [:])
    }
    var bad = tensor
    bad.bytes.append(0)
    assertThrows(["5 bytes do not fit shape [1]"]) { try SafeTensors.serialize([("b", bad)], metadata: [:]) }
  }

  func testRejectsTooSmallAndOversizedHeaders() {
    assertThrows(["7 bytes", "at least 8"]) { try SafeTensors.parse([1, 2, 3, 4, 5, 6, 7], file: "s") }
    var huge: [UInt8] = []
    appendLittleEndian(UInt64(100_000_001), to: &huge)
    assertThrows(["header length 100000001", "limit of 100000000"]) {
      try SafeTensors.parse(huge + [0x7B, 0x7D], file: "s")
    }
    var past: [UInt8] = []
    appendLittleEndian(UInt64(64), to: &past)
    assertThrows(["header length 64 runs past the end of the 10-byte file"]) {
      try SafeTensors.parse(past + [0x7B, 0x7D], file: "s")
    }
    var max: [UInt8] = []
    appendLittleEndian(UInt64.max, to: &max)
    assertThrows(["exceeds the limit"]) { try SafeTensors.parse(max + [0x7B, 0x7D], file: "s") }
  }

  func testRejectsMalformedHeaders() {
    assertThrows(["not valid UTF-8"]) {
      try SafeTensors.parse([4, 0, 0, 0, 0, 0, 0, 0, 0x7B, 0x22, 0xFF, 0x22], file: "u")
    }
    assertThrows(["invalid header JSON", "offset"]) { try SafeTensors.parse(self.file("{\"a\":}"), file: "j") }
    assertThrows(["expected end of input", "byte 0x0"]) {
      try SafeTensors.parse(self.file("{}\u{0}", pad: false), file: "nul")
    }
    assertThrows(["expected a JSON object", "array"]) { try SafeTensors.parse(self.file("[]"), file: "arr") }
    assertThrows(["name \"a\" appears more than once"]) {
      try SafeTensors.parse(
        self.file(
          #"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}"#,
          data: [1, 2]),
        file: "dup")
    }
    assertThrows(["unsupported dtype \"F8_E4M3\"", "tensor \"w\""]) {
      try SafeTensors.parse(
        self.file(#"{"w":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}"#, data: [0]), file: "d")
    }
    assertThrows(["__metadata__ value for \"n\" must be a string", "integer 3"]) {
      try SafeTensors.parse(self.file(#"{"__metadata__":{"n":3}}"#), file: "m")
    }
    assertThrows(["field \"shape\"", "non-negative integer"]) {
      try SafeTensors.parse(self.file(#"{"w":{"dtype":"U8","shape":[-1],"data_offsets":[0,0]}}"#), file: "neg")
    }
    assertThrows(["field \"shape\"", "number 1.0"]) {
      try SafeTensors.parse(
        self.file(#"{"w":{"dtype":"U8","shape":[1.0],"data_offsets":[0,1]}}"#, data: [0]), file: "frac")
    }
    assertThrows(["field \"extra\"", "unknown field"]) {
      try SafeTensors.parse(
        self.file(#"{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"extra":1}}"#, data: [0]), file: "x")
    }
    assertThrows(["field \"data_offsets\"", "nothing"]) {
      try SafeTensors.parse(self.file(#"{"w":{"dtype":"U8","shape":[1]}}"#), file: "x")
    }
  }

  func testRejectsBadOffsets() {
    // Overlap: b starts inside a.
    assertThrows(["tensor \"b\"", "data_offsets [2, 6]", "expected [4"]) {
      try SafeTensors.parse(
        self.file(
          #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}}"#,
          data: [UInt8](repeating: 0, count: 6)),
        file: "overlap")
    }
    // Gap before the first tensor.
    assertThrows(["data_offsets [4, 8]", "expected [0"]) {
      try SafeTensors.parse(
        self.file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: [UInt8](repeating: 0, count: 8)),
        file: "gap")
    }
    // Reversed range.
    assertThrows(["tensor \"b\" data_offsets [1, 0]"]) {
      try SafeTensors.parse(
        self.file(
          #"{"a":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"U8","shape":[1],"data_offsets":[1,0]}}"#,
          data: [0]), file: "rev")
    }
    // Offsets past the end of the file.
    assertThrows(["account for 72 bytes but the file has 68"]) {
      try SafeTensors.parse(
        self.file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: [0, 0, 0, 0]), file: "past")
    }
    // A dtype the shape does not fit.
    assertThrows(["needs 12 bytes", "span 8"]) {
      try SafeTensors.parse(
        self.file(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 8)),
        file: "fit")
    }
    // Element count overflow.
    assertThrows(["overflows"]) {
      try SafeTensors.parse(
        self.file(
          #"{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#,
          data: [UInt8](repeating: 0, count: 8)), file: "of")
    }
    // Trailing bytes.
    assertThrows(["account for 72 bytes but the file has 73"]) {
      try SafeTensors.parse(
        self.file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 9)),
        file: "trail")
    }
  }

  func testEveryTruncationOfAValidFileThrows() throws {
    let valid = try fixtureBytes("mixed.safetensors")
    XCTAssertNoThrow(try SafeTensors.parse(valid, file: "full"))
    for length in 0..<valid.count {
      XCTAssertThrowsError(try SafeTensors.parse(Array(valid[..<length]), file: "prefix"), "prefix \(length)")
    }
  }
}

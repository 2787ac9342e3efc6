import _TestSupport
import Foundation
import XCTest

@testable import TensorFormats

/// Builds Torch7 binary streams value by value for hand-made (and hostile) inputs.
struct Torch7Builder {
  var bytes: [UInt8] = []
  var nextIndex = 0

  mutating func int32(_ value: Int32) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
  mutating func int64(_ value: Int64) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
  mutating func string(_ text: String) {
    int32(2)
    int32(Int32(text.utf8.count))
    bytes += Array(text.utf8)
  }
  mutating func number(_ value: Double) {
    int32(1)
    withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
  }
  /// Starts a table with `count` pairs; returns its reference index.
  @discardableResult mutating func table(count: Int32) -> Int32 {
    nextIndex += 1
    int32(3)
    int32(Int32(nextIndex))
    int32(count)
    return Int32(nextIndex)
  }
  mutating func tableReference(_ index: Int32) {
    int32(3)
    int32(index)
  }
  /// Starts an object of `className`; returns its reference index.
  @discardableResult mutating func object(_ className: String) -> Int32 {
    nextIndex += 1
    int32(4)
    int32(Int32(nextIndex))
    let version = Array("V 1".utf8)
    int32(Int32(version.count))
    bytes += version
    int32(Int32(className.utf8.count))
    bytes += Array(className.utf8)
    return Int32(nextIndex)
  }
  mutating func objectReference(_ index: Int32) {
    int32(4)
    int32(index)
  }
  /// A float tensor of `shape` (contiguous) over a storage of `storageCount` values.
  mutating func floatTensor(shape: [Int64], storageCount: Int64, values: [Float]? = nil) {
    object("torch.FloatTensor")
    int32(Int32(shape.count))
    for size in shape { int64(size) }
    var stride: Int64 = 1
    var strides: [Int64] = []
    for size in shape.reversed() {
      strides.insert(stride, at: 0)
      stride *= size
    }
    for s in strides { int64(s) }
    int64(1)
    object("torch.FloatStorage")
    int64(storageCount)
    for value in values ?? [Float](repeating: 0.5, count: Int(max(0, storageCount))) {
      withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
    }
  }
}

/// The Torch7 `.t7` reader: values, references and cycles, tensors, the allow-list and limits.
final class Torch7Tests: XCTestCase {
  static let networkFixtures = TestFiles.fixtures(of: "CheckpointsTests").appendingPathComponent("torch7")

  func testValuesTablesAndTensorsAreRead() throws {
    var b = Torch7Builder()
    b.table(count: 4)
    b.string("answer"); b.number(42)
    b.string("flag"); b.int32(5); b.int32(1)
    b.number(1); b.string("first")
    b.string("weights"); b.floatTensor(shape: [2, 3], storageCount: 6, values: [1, 2, 3, 4, 5, 6])
    let document = try Torch7Document.parse(b.bytes, file: "values.t7")
    guard case .table(let root) = document.root else { return XCTFail("root is not a table") }
    XCTAssertEqual(document.field(root, "answer"), .number(42))
    XCTAssertEqual(document.field(root, "flag"), .boolean(true))
    XCTAssertEqual(document.array(root), [.string("first")])
    guard case .object(let index)? = document.field(root, "weights"),
      case .tensor(let tensor)? = document.objects[index]?.payload
    else { return XCTFail("no tensor") }
    XCTAssertEqual(tensor.shape, [2, 3])
    XCTAssertEqual(try document.floats(tensor), [1, 2, 3, 4, 5, 6])
    XCTAssertEqual(TensorFile.detectFormat(b.bytes), .torch7)
  }

  /// A table that contains itself is a reference, read once; a module containing itself is refused.
  func testCyclesAreReferencesAndCyclicModulesAreRefused() throws {
    var b = Torch7Builder()
    let root = b.table(count: 1)
    b.string("self"); b.tableReference(root)
    let document = try Torch7Document.parse(b.bytes, file: "cycle.t7")
    XCTAssertEqual(document.field(1, "self"), .table(1))

    var m = Torch7Builder()
    let sequential = m.object("nn.Sequential")
    m.table(count: 1)
    m.string("modules")
    m.table(count: 1)
    m.number(1); m.objectReference(sequential)
    assertThrows(["cycle.t7", "contains itself"]) { try Torch7Network.archive(m.bytes, file: "cycle.t7") }
  }

  func testUnknownClassesAndFunctionsAreRefused() {
    var b = Torch7Builder()
    b.object("nn.LuaScript")
    assertThrows(["evil.t7", "'nn.LuaScript'", "byte 8", "allow-list"]) { try Torch7Document.parse(b.bytes, file: "evil.t7") }
    var f = Torch7Builder()
    f.int32(8); f.int32(1); f.int32(4); f.bytes += [0x1b, 0x4c, 0x75, 0x61]
    assertThrows(["function"]) { try Torch7Document.parse(f.bytes, file: "f.t7") }
    var t = Torch7Builder()
    t.object("torch.File")
    assertThrows(["'torch.File'"]) { try Torch7Document.parse(t.bytes, file: "t.t7") }
  }

  func testHugeSizesAreRefusedBeforeAllocating() {
    var storage = Torch7Builder()
    storage.object("torch.FloatStorage")
    storage.int64(1 << 40)
    assertThrows(["huge.t7", "1099511627776 elements"]) { try Torch7Document.parse(storage.bytes, file: "huge.t7") }
    var table = Torch7Builder()
    table.table(count: Int32.max)
    assertThrows(["table size"]) { try Torch7Document.parse(table.bytes, file: "huge.t7") }
    var text = Torch7Builder()
    text.int32(2); text.int32(Int32.max)
    assertThrows(["ends at byte 8"]) { try Torch7Document.parse(text.bytes, file: "huge.t7") }
    var rank = Torch7Builder()
    rank.object("torch.FloatTensor")
    rank.int32(1000)
    assertThrows(["tensor rank", "1000"]) { try Torch7Document.parse(rank.bytes, file: "huge.t7") }
    var outside = Torch7Builder()
    outside.floatTensor(shape: [10], storageCount: 5)
    assertThrows(["needs 10 storage elements", "has 5"]) { try Torch7Document.parse(outside.bytes, file: "oob.t7") }
  }

  func testDeepNestingIsRefused() {
    var b = Torch7Builder()
    for _ in 0..<(Torch7Document.maxDepth + 5) {
      b.table(count: 1)
      b.number(1)
    }
    b.number(0)
    assertThrows(["nesting depth"]) { try Torch7Document.parse(b.bytes, file: "deep.t7") }
  }

  /// Every prefix of a real network file is refused with an error, never a crash.
  func testTruncatedNetworksAreRefused() throws {
    let url = Self.networkFixtures.appendingPathComponent("fb_preresnet_cifar_b.t7")
    let bytes = [UInt8](try Data(contentsOf: url))
    _ = try Torch7Network.archive(bytes, file: "whole.t7")
    for length in stride(from: 0, to: bytes.count, by: 5) {
      XCTAssertThrowsError(try Torch7Network.archive(Array(bytes[..<length]), file: "cut.t7"), "\(length) bytes")
    }
    assertThrows(["3 bytes follow"]) { try Torch7Document.parse(bytes + [1, 2, 3], file: "long.t7") }
  }
}

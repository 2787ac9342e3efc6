import _TestSupport
import Foundation
import Archives
import XCTest

@testable import TensorFormats

/// The folder holding the committed fixtures (next to this file).
let fixturesFolder = TestFiles.fixtures()

/// Reads a fixture's bytes.
func fixtureBytes(_ name: String) throws -> [UInt8] {
  [UInt8](try Data(contentsOf: fixturesFolder.appendingPathComponent(name)))
}


/// Asserts that `body` throws an error whose description contains every fragment.
func assertThrows<T>(
  _ fragments: [String], file: StaticString = #filePath, line: UInt = #line,
  _ body: () throws -> T
) {
  do {
    _ = try body()
    XCTFail("expected an error containing \(fragments)", file: file, line: line)
  } catch {
    let text = "\(error)"
    XCTAssertFalse(text.contains("\n"), "error description must be one line: \(text)", file: file, line: line)
    for fragment in fragments where !text.contains(fragment) {
      XCTFail("error \"\(text)\" does not contain \"\(fragment)\"", file: file, line: line)
    }
  }
}

/// Builds pickle byte streams opcode by opcode for hand-made test inputs.
struct PickleBuilder {
  var bytes: [UInt8] = [0x80, 0x02]  // PROTO 2

  mutating func op(_ code: UInt8) { bytes.append(code) }
  mutating func raw(_ data: [UInt8]) { bytes.append(contentsOf: data) }
  mutating func global(_ module: String, _ name: String) {
    op(0x63)
    raw(Array("\(module)\n\(name)\n".utf8))
  }
  mutating func string(_ text: String) {
    op(0x58)
    appendLittleEndian(UInt32(text.utf8.count), to: &bytes)
    raw(Array(text.utf8))
  }
  mutating func int(_ value: Int32) {
    op(0x4A)
    appendLittleEndian(UInt32(bitPattern: value), to: &bytes)
  }
  mutating func mark() { op(0x28) }
  mutating func tuple() { op(0x74) }
  mutating func emptyTuple() { op(0x29) }
  mutating func emptyDict() { op(0x7D) }
  mutating func emptyList() { op(0x5D) }
  mutating func setItem() { op(0x73) }
  mutating func setItems() { op(0x75) }
  mutating func append() { op(0x61) }
  mutating func reduce() { op(0x52) }
  mutating func put(_ index: UInt8) { raw([0x71, index]) }
  mutating func get(_ index: UInt8) { raw([0x68, index]) }
  mutating func stop() { op(0x2E) }
  mutating func intTuple(_ values: [Int32]) {
    mark()
    for value in values { int(value) }
    tuple()
  }

  /// Pushes `_rebuild_tensor_v2(storage(key, numel), offset, sizes, strides, False, OrderedDict())`.
  mutating func tensor(
    storageType: String = "FloatStorage", key: String, numel: Int32, offset: Int32,
    sizes: [Int32], strides: [Int32]
  ) {
    global("torch._utils", "_rebuild_tensor_v2")
    mark()
    mark()
    string("storage")
    global("torch", storageType)
    string(key)
    string("cpu")
    int(numel)
    tuple()
    op(0x51)  // BINPERSID
    int(offset)
    intTuple(sizes)
    intTuple(strides)
    op(0x89)  // NEWFALSE
    global("collections", "OrderedDict")
    emptyTuple()
    reduce()
    tuple()
    reduce()
  }
}

/// Builds a stored (uncompressed) zip archive the way torch.save lays it out: local headers
/// with zero sizes and a data descriptor flag, sizes and CRC in the central directory.
struct ZipBuilder {
  var records: [(name: String, data: [UInt8], method: UInt16)] = []

  mutating func add(_ name: String, _ data: [UInt8], method: UInt16 = 0) {
    records.append((name, data, method))
  }

  func build(corruptCRCOf corrupt: String? = nil) -> [UInt8] {
    var output: [UInt8] = []
    var central: [UInt8] = []
    for record in records {
      let offset = output.count
      let name = Array(record.name.utf8)
      var crc = CRC32.checksum(record.data)
      if record.name == corrupt { crc ^= 1 }
      // Local header with an 'FB' padding field aligning data to 64 bytes.
      let unpadded = offset + 30 + name.count + 4
      let padding = (64 - unpadded % 64) % 64
      output += [0x50, 0x4B, 0x03, 0x04]
      appendLittleEndian(UInt16(0), to: &output)  // version
      appendLittleEndian(UInt16(0x0808), to: &output)  // flags
      appendLittleEndian(record.method, to: &output)
      appendLittleEndian(UInt32(0), to: &output)  // time, date
      appendLittleEndian(UInt32(0), to: &output)  // crc
      appendLittleEndian(UInt32(0), to: &output)  // compressed
      appendLittleEndian(UInt32(0), to: &output)  // uncompressed
      appendLittleEndian(UInt16(name.count), to: &output)
      appendLittleEndian(UInt16(4 + padding), to: &output)
      output += name
      output += [0x46, 0x42]
      appendLittleEndian(UInt16(padding), to: &output)
      output += [UInt8](repeating: 0x5A, count: padding)
      output += record.data
      output += [0x50, 0x4B, 0x07, 0x08]
      appendLittleEndian(crc, to: &output)
      appendLittleEndian(UInt32(record.data.count), to: &output)
      appendLittleEndian(UInt32(record.data.count), to: &output)

      central += [0x50, 0x4B, 0x01, 0x02]
      appendLittleEndian(UInt16(0), to: &central)
      appendLittleEndian(UInt16(0), to: &central)
      appendLittleEndian(UInt16(0x0808), to: &central)
      appendLittleEndian(record.method, to: &central)
      appendLittleEndian(UInt32(0), to: &central)
      appendLittleEndian(crc, to: &central)
      appendLittleEndian(UInt32(record.data.count), to: &central)
      appendLittleEndian(UInt32(record.data.count), to: &central)
      appendLittleEndian(UInt16(name.count), to: &central)
      appendLittleEndian(UInt16(0), to: &central)  // extra
      appendLittleEndian(UInt16(0), to: &central)  // comment
      appendLittleEndian(UInt16(0), to: &central)  // disk
      appendLittleEndian(UInt16(0), to: &central)  // internal attributes
      appendLittleEndian(UInt32(0), to: &central)  // external attributes
      appendLittleEndian(UInt32(offset), to: &central)
      central += name
    }
    let centralOffset = output.count
    output += central
    output += [0x50, 0x4B, 0x05, 0x06, 0, 0, 0, 0]
    appendLittleEndian(UInt16(records.count), to: &output)
    appendLittleEndian(UInt16(records.count), to: &output)
    appendLittleEndian(UInt32(central.count), to: &output)
    appendLittleEndian(UInt32(centralOffset), to: &output)
    appendLittleEndian(UInt16(0), to: &output)
    return output
  }
}

/// Little-endian bytes of floats.
func floatBytes(_ values: [Float]) -> [UInt8] {
  var bytes: [UInt8] = []
  for value in values { appendLittleEndian(value.bitPattern, to: &bytes) }
  return bytes
}

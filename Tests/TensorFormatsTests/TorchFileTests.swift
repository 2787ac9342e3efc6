import _TestSupport
import Foundation
import Archives
import XCTest

@testable import TensorFormats

/// Hand-built torch.save zip and legacy files, and malformed variants of the real fixtures.
final class TorchFileTests: XCTestCase {
  /// An OrderedDict pickle {name: tensor} over storage "0" (FloatStorage of `numel`).
  func stateDictPickle(
    _ tensors: [(String, Int32, [Int32], [Int32])], numel: Int32, storageType: String = "FloatStorage"
  ) -> [UInt8] {
    var p = PickleBuilder()
    p.global("collections", "OrderedDict")
    p.emptyTuple()
    p.reduce()
    p.mark()
    for (name, offset, sizes, strides) in tensors {
      p.string(name)
      p.tensor(storageType: storageType, key: "0", numel: numel, offset: offset, sizes: sizes, strides: strides)
    }
    p.setItems()
    p.stop()
    return p.bytes
  }

  func zipFile(
    pickle: [UInt8], storage: [UInt8], byteOrder: String? = "little", folder: String = "model", method: UInt16 = 0,
    corrupt: String? = nil
  ) -> [UInt8] {
    var zip = ZipBuilder()
    zip.add("\(folder)/data.pkl", pickle, method: method)
    if let byteOrder { zip.add("\(folder)/byteorder", Array(byteOrder.utf8)) }
    zip.add("\(folder)/data/0", storage)
    zip.add("\(folder)/version", Array("3\n".utf8))
    return zip.build(corruptCRCOf: corrupt)
  }

  func testHandBuiltZipWithViews() throws {
    // storage = 0..5; "m" = 2×3, "t" = its transpose, "s" = [[4, 5]] via offset 4.
    let pickle = stateDictPickle(
      [("m", 0, [2, 3], [3, 1]), ("t", 0, [3, 2], [1, 3]), ("s", 4, [1, 2], [2, 1])], numel: 6)
    let bytes = zipFile(pickle: pickle, storage: floatBytes([0, 1, 2, 3, 4, 5]))
    let archive = try TorchCheckpoint.parse(bytes, file: "views.pt")
    XCTAssertEqual(archive.format, .torchZip)
    XCTAssertEqual(archive.names, ["m", "t", "s"])
    XCTAssertEqual(archive["m"]?.floats(), [0, 1, 2, 3, 4, 5])
    XCTAssertEqual(archive["t"]?.floats(), [0, 3, 1, 4, 2, 5])
    XCTAssertEqual(archive["t"]?.shape, [3, 2])
    XCTAssertEqual(archive["s"]?.floats(), [4, 5])
    XCTAssertEqual(archive.metadata, [:])
    XCTAssertEqual(try TensorFile.parse(bytes, file: "views.pt")["t"], archive["t"])
  }

  func testBigEndianStoragesAreSwapped() throws {
    let pickle = stateDictPickle([("w", 0, [2], [1])], numel: 2)
    let bigEndian: [UInt8] = [0x3F, 0x80, 0, 0, 0xC0, 0, 0, 0]
    let archive = try TorchCheckpoint.parse(
      zipFile(pickle: pickle, storage: bigEndian, byteOrder: "big"), file: "be.pt")
    XCTAssertEqual(archive["w"]?.floats(), [1, -2])
    assertThrows(["byteorder record is \"middle\""]) {
      try TorchCheckpoint.parse(self.zipFile(pickle: pickle, storage: bigEndian, byteOrder: "middle"), file: "x.pt")
    }
    // No byteorder record means little-endian.
    let little = try TorchCheckpoint.parse(
      zipFile(pickle: pickle, storage: floatBytes([1, -2]), byteOrder: nil), file: "le.pt")
    XCTAssertEqual(little["w"]?.floats(), [1, -2])
  }

  func testZipContainerProblems() {
    let pickle = stateDictPickle([("w", 0, [2], [1])], numel: 2)
    assertThrows(["record \"m/data.pkl\" uses zip method 8", "only stored"]) {
      try TorchCheckpoint.parse(
        self.zipFile(pickle: pickle, storage: floatBytes([1, 2]), folder: "m", method: 8), file: "deflated.pt")
    }
    assertThrows(["record \"model/data/0\" CRC-32"]) {
      try TorchCheckpoint.parse(
        self.zipFile(pickle: pickle, storage: floatBytes([1, 2]), corrupt: "model/data/0"), file: "crc.pt")
    }
    assertThrows(["storage \"0\" has 4 bytes, expected 8"]) {
      try TorchCheckpoint.parse(self.zipFile(pickle: pickle, storage: floatBytes([1])), file: "small.pt")
    }
    var noPickle = ZipBuilder()
    noPickle.add("a/data/0", floatBytes([1, 2]))
    assertThrows(["no record \"a/data.pkl\""]) { try TorchCheckpoint.parse(noPickle.build(), file: "nopkl.pt") }
    var noStorage = ZipBuilder()
    noStorage.add("a/data.pkl", pickle)
    assertThrows(["no record \"a/data/0\""]) { try TorchCheckpoint.parse(noStorage.build(), file: "nostorage.pt") }
    var script = ZipBuilder()
    script.add("a/data.pkl", pickle)
    script.add("a/constants.pkl", [0x80, 0x02, 0x29, 0x2E])
    assertThrows(["TorchScript"]) { try TorchCheckpoint.parse(script.build(), file: "script.pt") }
    var flat = ZipBuilder()
    flat.add("data.pkl", pickle)
    assertThrows(["entries inside one archive folder"]) { try TorchCheckpoint.parse(flat.build(), file: "flat.pt") }
    // Tensor past its storage.
    let outside = stateDictPickle([("w", 1, [2], [1])], numel: 2)
    assertThrows(["needs 3 elements of storage \"0\", which has 2"]) {
      try TorchCheckpoint.parse(self.zipFile(pickle: outside, storage: floatBytes([1, 2])), file: "oob.pt")
    }
  }

  func testEmptyTensorWithHugeOtherSizes() throws {
    // Regression: sizes [0, 2^31-1, 2^31-1, 2^31-1] have a zero element count but the product
    // of the trailing sizes overflows Int; the contiguity check must not multiply them.
    let huge = Int32.max
    let pickle = stateDictPickle([("e", 0, [0, huge, huge, huge], [1, 1, 1, 1])], numel: 2)
    let archive = try TorchCheckpoint.parse(zipFile(pickle: pickle, storage: floatBytes([1, 2])), file: "empty.pt")
    XCTAssertEqual(archive["e"]?.shape, [0, Int(huge), Int(huge), Int(huge)])
    XCTAssertEqual(archive["e"]?.bytes, [])
  }

  func testWrongMagicAndEmptyFiles() {
    assertThrows(["not a torch.save file", "47 49 46 38"]) {
      try TorchCheckpoint.parse(Array("GIF89a".utf8), file: "gif")
    }
    assertThrows(["an empty file"]) { try TorchCheckpoint.parse([], file: "empty") }
  }

  func testStateDictExtractionRules() throws {
    func load(_ build: (inout PickleBuilder) -> Void) throws -> TensorArchive {
      var p = PickleBuilder()
      build(&p)
      p.stop()
      return try TorchCheckpoint.parse(zipFile(pickle: p.bytes, storage: floatBytes([1, 2])), file: "sd.pt")
    }
    func tensorEntry(_ p: inout PickleBuilder, _ name: String) {
      p.string(name)
      p.tensor(key: "0", numel: 2, offset: 0, sizes: [2], strides: [1])
    }
    // `net` wrapper, prefix kept because not every key has it; non-tensor values ignored.
    let net = try load { p in
      p.emptyDict()
      p.mark()
      p.string("net")
      p.emptyDict()
      p.mark()
      tensorEntry(&p, "module.a")
      tensorEntry(&p, "b")
      p.string("note")
      p.string("ignored")
      p.setItems()
      p.string("acc")
      p.raw([0x47, 0x3F, 0xF8, 0, 0, 0, 0, 0, 0])  // 1.5
      p.setItems()
    }
    XCTAssertEqual(net.names, ["module.a", "b"])
    XCTAssertEqual(net.metadata, ["wrapper": "net", "checkpoint.acc": "1.5"])
    // No tensors anywhere: the top-level keys are listed.
    assertThrows(["no tensors found", "top-level keys: epoch"]) {
      try load { p in
        p.emptyDict()
        p.string("epoch")
        p.int(3)
        p.setItem()
      }
    }
    // A state dict key that is not a string.
    assertThrows(["expected a string key", "int 5"]) {
      try load { p in
        p.emptyDict()
        p.int(5)
        p.tensor(key: "0", numel: 2, offset: 0, sizes: [2], strides: [1])
        p.setItem()
      }
    }
    assertThrows(["expected a dict or OrderedDict", "list of 0"]) { try load { $0.emptyList() } }
  }

  func testRuinedFixturesAreRefused() throws {
    let zip = try fixtureBytes("zip_views.pt")
    // A byte after the end record: the end record's comment length no longer reaches the end.
    assertThrows(["trail.pt: invalid zip", "expected an end-of-central-directory record"]) {
      try TorchCheckpoint.parse(zip + [0], file: "trail.pt")
    }
    // torch writes ZIP64 end records (56-byte record, 20-byte locator, 22-byte classic record);
    // a wrong central-directory offset in the ZIP64 record is caught.
    XCTAssertTrue(zip.matches([0x50, 0x4B, 0x06, 0x06], at: zip.count - 98))
    var moved = zip
    moved[zip.count - 98 + 48] ^= 0x01
    assertThrows(["moved.pt: invalid zip", "expected a central directory entry"]) {
      try TorchCheckpoint.parse(moved, file: "moved.pt")
    }
    let legacy = try fixtureBytes("legacy_views.pt")
    assertThrows(["3 unexpected trailing bytes at offset \(legacy.count)"]) {
      try TorchCheckpoint.parse(legacy + [1, 2, 3], file: "trail-legacy.pt")
    }
    var badMagic = legacy
    badMagic[5] ^= 0xFF
    assertThrows(["invalid legacy header at offset 0", "magic number"]) {
      try TorchCheckpoint.parse(badMagic, file: "magic.pt")
    }
    var badProtocol = legacy
    badProtocol[18] = 0xEA  // BININT2 1001 → 1002
    assertThrows(["protocol version 1001", "int 1002"]) { try TorchCheckpoint.parse(badProtocol, file: "proto.pt") }
  }

  func testEveryTruncationThrows() throws {
    for name in ["zip_views.pt", "legacy_views.pt", "legacy_wrapped.pt"] {
      let valid = try fixtureBytes(name)
      XCTAssertNoThrow(try TorchCheckpoint.parse(valid, file: name))
      for length in 0..<valid.count {
        XCTAssertThrowsError(try TorchCheckpoint.parse(Array(valid[..<length]), file: name), "\(name) prefix \(length)")
      }
    }
  }

  func testSingleByteCorruptionsNeverCrash() throws {
    // Flip every byte of the small legacy fixture in turn; each result must parse or throw.
    let valid = try fixtureBytes("legacy_views.pt")
    var thrown = 0
    for index in 0..<valid.count {
      var damaged = valid
      damaged[index] ^= 0x5A
      do { _ = try TorchCheckpoint.parse(damaged, file: "flip") } catch { thrown += 1 }
    }
    XCTAssertGreaterThan(thrown, valid.count / 4)
  }

  /// A legacy file: magic, protocol, sys_info, `object`, key list, then the storages.
  func legacyFile(object: [UInt8], storages: [(key: String, count: Int64, data: [UInt8])]) -> [UInt8] {
    var bytes: [UInt8] = [0x80, 0x02, 0x8A, 0x0A] + TorchCheckpoint.legacyMagic + [0x2E]
    bytes += [0x80, 0x02, 0x4D, 0xE9, 0x03, 0x2E]
    bytes += [0x80, 0x02, 0x7D, 0x2E]  // sys_info {}
    bytes += object
    var keys = PickleBuilder()
    keys.mark()
    for storage in storages { keys.string(storage.key) }
    keys.op(0x6C)  // LIST
    keys.stop()
    bytes += keys.bytes
    for storage in storages {
      appendLittleEndian(UInt64(bitPattern: storage.count), to: &bytes)
      bytes += storage.data
    }
    return bytes
  }

  func testLegacyViewsAndOldRebuildFunction() throws {
    // {'w': _rebuild_tensor(view of storage "root"[2..<5], 1, (2,), (1,))} → root[3], root[4].
    var p = PickleBuilder()
    p.emptyDict()
    p.string("module.w")
    p.global("torch._utils", "_rebuild_tensor")
    p.mark()
    p.mark()
    p.string("storage")
    p.global("torch", "DoubleStorage")
    p.string("root")
    p.string("cuda:0")
    p.int(6)
    p.mark()
    p.string("view")
    p.int(2)
    p.int(3)
    p.tuple()
    p.tuple()
    p.op(0x51)
    p.int(1)
    p.intTuple([2])
    p.intTuple([1])
    p.tuple()
    p.reduce()
    p.setItem()
    p.stop()
    var data: [UInt8] = []
    for value in [0.0, 1, 2, 3, 4.5, 5] { appendLittleEndian(value.bitPattern, to: &data) }
    let bytes = legacyFile(object: p.bytes, storages: [("root", 6, data)])
    let archive = try TorchCheckpoint.parse(bytes, file: "legacy.pt")
    XCTAssertEqual(archive.format, .torchLegacy)
    XCTAssertEqual(archive.names, ["w"])
    XCTAssertEqual(archive.metadata, ["prefix_stripped": "module."])
    XCTAssertEqual(archive["w"]?.dtype, .float64)
    XCTAssertEqual(archive["w"]?.doubles(), [3, 4.5])
    assertThrows(["storage \"root\" has 40 bytes, expected 48"]) {
      try TorchCheckpoint.parse(
        self.legacyFile(object: p.bytes, storages: [("root", 5, Array(data[..<40]))]), file: "count.pt")
    }
    assertThrows(["storage \"other\" is missing"]) {
      try TorchCheckpoint.parse(self.legacyFile(object: p.bytes, storages: [("other", 6, data)]), file: "key.pt")
    }
    assertThrows(["truncated", "48 bytes of storage \"root\""]) {
      try TorchCheckpoint.parse(
        self.legacyFile(object: p.bytes, storages: [("root", 6, Array(data[..<47]))]), file: "short.pt")
    }
  }

  func testFormatDetection() throws {
    XCTAssertEqual(TensorFile.detectFormat(try fixtureBytes("zip_plain.pt")), .torchZip)
    XCTAssertEqual(TensorFile.detectFormat(try fixtureBytes("legacy_plain.pt")), .torchLegacy)
    XCTAssertEqual(TensorFile.detectFormat(try fixtureBytes("legacy_protocol4.pt")), .torchLegacy)
    XCTAssertEqual(TensorFile.detectFormat(try fixtureBytes("f4.npy")), .numpy)
    XCTAssertEqual(TensorFile.detectFormat(try fixtureBytes("mixed.safetensors")), .safetensors)
    assertThrows(["safetensors", "at least 8"]) { try TensorFile.parse([1, 2], file: "tiny") }
    assertThrows(["cannot read"]) {
      try TensorFile.read(contentsOf: fixturesFolder.appendingPathComponent("does-not-exist.pt"))
    }
  }

  func testArchiveLookupFollowsMutation() {
    var archive = TensorArchive(
      format: .safetensors,
      tensors: [("a", RawTensor(floats: [1], shape: [1])), ("a", RawTensor(floats: [2], shape: [1]))])
    XCTAssertEqual(archive["a"]?.floats(), [1])  // first occurrence
    archive.tensors.remove(at: 0)
    XCTAssertEqual(archive["a"]?.floats(), [2])
    archive.tensors.append(("b", RawTensor(int64s: [3], shape: [])))
    XCTAssertEqual(archive["b"]?.int64s(), [3])
    XCTAssertEqual(archive.names, ["a", "b"])
  }
}

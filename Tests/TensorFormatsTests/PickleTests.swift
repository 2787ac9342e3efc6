import Foundation
import XCTest

@testable import TensorFormats

/// The restricted unpickler on hand-built pickles: values, memo semantics, hostile input.
final class PickleTests: XCTestCase {
  func testScalarsAndContainers() throws {
    var p = PickleBuilder()
    p.mark()
    p.op(0x4E)  // None
    p.op(0x88)  // True
    p.raw([0x4B, 200])  // BININT1
    p.raw([0x4D, 0xE9, 0x03])  // BININT2 1001
    p.int(-5)
    p.raw([0x8A, 0x02, 0x00, 0x80])  // LONG1 -32768
    p.raw([0x8A, 0x00])  // LONG1 0
    p.raw([0x47, 0x40, 0x56, 0xF1, 0xEB, 0x8C, 0xCC, 0xCC, 0xCD])  // BINFLOAT 91.78
    p.raw([0x8C, 2] + Array("hi".utf8))  // SHORT_BINUNICODE
    p.raw([0x55, 2, 0x61, 0xE9])  // SHORT_BINSTRING "aé" (Latin-1)
    p.raw([0x43, 2, 1, 2])  // SHORT_BINBYTES
    p.tuple()
    p.stop()
    let value = try Pickle.load(p.bytes, file: "scalars")
    XCTAssertEqual(
      value,
      .tuple([
        // The BINFLOAT bytes decode to 91.78000183105469 (checked with Python struct.unpack(">d")).
        .none, .bool(true), .int(200), .int(1001), .int(-5), .int(-32768), .int(0), .float(91.780_001_831_054_69),
        .string("hi"), .string("aé"), .bytes([1, 2]),
      ]))
  }

  func testLegacyMagicIsABigInt() throws {
    let bytes: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E]
    XCTAssertEqual(try Pickle.load(bytes, file: "magic"), .bigInt(TorchCheckpoint.legacyMagic))
  }

  func testMemoSharesMutableContainers() throws {
    // d = {}; memo[0] = d; d['a'] = 1 (after memoization); return [d, memo[0]]
    var p = PickleBuilder()
    p.emptyList()
    p.emptyDict()
    p.put(0)
    p.string("a")
    p.int(1)
    p.setItem()
    p.append()
    p.get(0)
    p.append()
    p.stop()
    let dict = PickleValue.dict([PickleDictEntry(key: .string("a"), value: .int(1))])
    XCTAssertEqual(try Pickle.load(p.bytes, file: "memo"), .list([dict, dict]))
  }

  func testOrderedDictBuildIsIgnoredAndLaterKeysWin() throws {
    var p = PickleBuilder()
    p.global("collections", "OrderedDict")
    p.emptyTuple()
    p.reduce()
    p.mark()
    p.string("x")
    p.int(1)
    p.string("y")
    p.int(2)
    p.string("x")
    p.int(3)
    p.setItems()
    p.emptyDict()  // state: {'_metadata': {}}
    p.string("_metadata")
    p.emptyDict()
    p.setItem()
    p.op(0x62)  // BUILD
    p.stop()
    XCTAssertEqual(
      try Pickle.load(p.bytes, file: "od"),
      .dict([PickleDictEntry(key: .string("x"), value: .int(3)), PickleDictEntry(key: .string("y"), value: .int(2))]))
  }

  func testForbiddenGlobalsNameModuleAndName() {
    for (module, name) in [
      ("os", "system"), ("builtins", "eval"), ("posix", "system"), ("subprocess", "Popen"), ("torch", "load"),
    ] {
      var p = PickleBuilder()
      p.global(module, name)
      p.string("echo pwned")
      p.op(0x85)
      p.reduce()
      p.stop()
      assertThrows(["refused pickle GLOBAL \(module).\(name)", "offset 2"]) { try Pickle.load(p.bytes, file: "evil") }
    }
    // STACK_GLOBAL (protocol 4) goes through the same allow-list.
    var p = PickleBuilder()
    p.string("os")
    p.string("system")
    p.op(0x93)
    p.stop()
    assertThrows(["refused pickle GLOBAL os.system"]) { try Pickle.load(p.bytes, file: "evil4") }
  }

  func testReduceOnlyOnAllowedCallables() {
    var p = PickleBuilder()
    p.global("torch", "FloatStorage")
    p.emptyTuple()
    p.reduce()
    p.stop()
    assertThrows(["refused to call torch.FloatStorage", "REDUCE"]) { try Pickle.load(p.bytes, file: "r") }
    var q = PickleBuilder()
    q.string("not callable")
    q.emptyTuple()
    q.reduce()
    q.stop()
    assertThrows(["refused to call string \"not callable\""]) { try Pickle.load(q.bytes, file: "r") }
    var n = PickleBuilder()
    n.global("torch", "Size")
    n.emptyTuple()
    n.op(0x81)  // NEWOBJ
    n.stop()
    assertThrows(["refused to call torch.Size", "NEWOBJ"]) { try Pickle.load(n.bytes, file: "n") }
    var b = PickleBuilder()
    b.string("s")
    b.emptyDict()
    b.op(0x62)  // BUILD on a string
    b.stop()
    assertThrows(["BUILD is only allowed"]) { try Pickle.load(b.bytes, file: "b") }
  }

  func testPersistentIDMustBeAStorageTuple() {
    var p = PickleBuilder()
    p.mark()
    p.string("module")
    p.string("evil")
    p.tuple()
    p.op(0x51)
    p.stop()
    assertThrows(["persistent id at offset", "tuple of 2"]) { try Pickle.load(p.bytes, file: "pid") }
    var q = PickleBuilder()
    q.string("storage")
    q.op(0x51)
    q.stop()
    assertThrows(["persistent id", "string \"storage\""]) { try Pickle.load(q.bytes, file: "pid") }
    var r = PickleBuilder()
    r.mark()
    r.string("storage")
    r.global("torch", "ComplexFloatStorage")
    r.string("0")
    r.string("cpu")
    r.int(1)
    r.tuple()
    r.op(0x51)
    r.stop()
    assertThrows(["storage type torch.ComplexFloatStorage", "not supported"]) { try Pickle.load(r.bytes, file: "c") }
  }

  func testTensorBoundsCheckedAgainstStorage() throws {
    var ok = PickleBuilder()
    ok.tensor(key: "0", numel: 6, offset: 1, sizes: [2, 2], strides: [3, 1])
    ok.stop()
    guard case .tensor(let reference) = try Pickle.load(ok.bytes, file: "ok") else {
      return XCTFail("expected a tensor")
    }
    XCTAssertEqual(reference.shape, [2, 2])
    XCTAssertEqual(reference.strides, [3, 1])
    XCTAssertEqual(reference.storageOffset, 1)
    XCTAssertEqual(reference.storage.key, "0")
    XCTAssertEqual(reference.dtype, .float32)

    var past = PickleBuilder()
    past.tensor(key: "0", numel: 6, offset: 2, sizes: [2, 2], strides: [3, 1])  // last = 2+3+1 = 6
    past.stop()
    assertThrows(["needs 7 elements of storage \"0\", which has 6"]) { try Pickle.load(past.bytes, file: "oob") }
    var negative = PickleBuilder()
    negative.tensor(key: "0", numel: 6, offset: 0, sizes: [2], strides: [-1])
    negative.stop()
    assertThrows(["non-negative offset, sizes and strides"]) { try Pickle.load(negative.bytes, file: "neg") }
    var empty = PickleBuilder()  // empty tensors need no storage
    empty.tensor(key: "0", numel: 0, offset: 5, sizes: [0, 3], strides: [3, 1])
    empty.stop()
    XCTAssertNoThrow(try Pickle.load(empty.bytes, file: "empty"))
  }

  func testDeepNestingRefused() {
    var p = PickleBuilder()
    for _ in 0..<5000 { p.emptyList() }
    for _ in 0..<4999 { p.append() }
    p.stop()
    assertThrows(["nesting depth", "limit of 200"]) { try Pickle.load(p.bytes, file: "deep") }
    var t = PickleBuilder()
    t.op(0x29)
    for _ in 0..<5000 { t.op(0x85) }  // TUPLE1 nests
    t.stop()
    assertThrows(["nesting depth", "limit of 200"]) { try Pickle.load(t.bytes, file: "deep-tuple") }
  }

  func testSharedSubtreesDoNotExplode() throws {
    // t0 = (); t_{k+1} = (t_k, t_k) via DUP: 2^100 leaves if expanded naively.
    var p = PickleBuilder()
    p.op(0x29)
    for _ in 0..<100 {
      p.op(0x32)  // DUP
      p.op(0x86)  // TUPLE2
    }
    p.stop()
    var limits = PickleLimits()
    limits.maxResultValues = 100_000
    assertThrows(["decoded value count", "limit of 100000"]) { try Pickle.load(p.bytes, file: "bomb", limits: limits) }
    // Shared lists are decoded once.
    var q = PickleBuilder()
    q.emptyList()
    q.put(0)
    q.op(0x30)  // POP
    for _ in 0..<150 {
      q.emptyList()
      q.get(0)
      q.append()
      q.get(0)
      q.append()
      q.put(0)
      q.op(0x30)  // POP
      q.get(0)
      q.op(0x30)
    }
    q.get(0)
    q.stop()
    XCTAssertNoThrow(try Pickle.load(q.bytes, file: "shared", limits: limits))
  }

  func testRecursiveContainerRefused() {
    var p = PickleBuilder()
    p.emptyList()
    p.put(0)
    p.get(0)
    p.append()
    p.stop()
    assertThrows(["contains itself"]) { try Pickle.load(p.bytes, file: "cycle") }
  }

  func testHugeDeclaredLengthsRefusedBeforeAllocating() {
    assertThrows(["string length 4294967295 exceeds the limit"]) {
      try Pickle.load([0x80, 0x02, 0x58, 0xFF, 0xFF, 0xFF, 0xFF, 0x61], file: "huge")
    }
    assertThrows(["string length", "exceeds the limit"]) {
      try Pickle.load([0x80, 0x02, 0x8D, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F], file: "huge8")
    }
    assertThrows(["truncated", "a string of 1000 bytes"]) {
      try Pickle.load([0x80, 0x02, 0x58, 0xE8, 0x03, 0x00, 0x00, 0x61], file: "short")
    }
    assertThrows(["integer length 100000 exceeds the limit of 1024"]) {
      try Pickle.load([0x80, 0x02, 0x8B, 0xA0, 0x86, 0x01, 0x00], file: "long4")
    }
  }

  func testMalformedStreams() {
    assertThrows(["unsupported pickle opcode 0x69 'i'"]) { try Pickle.load([0x80, 0x02, 0x69], file: "inst") }
    assertThrows(["empty stack"]) { try Pickle.load([0x80, 0x02, 0x2E], file: "empty") }
    assertThrows(["memo index 7 never stored"]) { try Pickle.load([0x80, 0x02, 0x68, 0x07, 0x2E], file: "memo") }
    assertThrows(["no MARK"]) { try Pickle.load([0x80, 0x02, 0x74, 0x2E], file: "mark") }
    assertThrows(["truncated at offset 2"]) { try Pickle.load([0x80, 0x02], file: "eof") }
    assertThrows(["leftover values"]) { try Pickle.load([0x80, 0x02, 0x4E, 0x4E, 0x2E], file: "left") }
    assertThrows(["1 unexpected trailing bytes at offset 4"]) {
      try Pickle.load([0x80, 0x02, 0x4E, 0x2E, 0x00], file: "trail")
    }
    assertThrows(["protocol 9"]) { try Pickle.load([0x80, 0x09, 0x4E, 0x2E], file: "proto") }
    assertThrows(["invalid UTF-8"]) { try Pickle.load([0x80, 0x02, 0x58, 1, 0, 0, 0, 0xFF, 0x2E], file: "utf8") }
    assertThrows(["a dict under SETITEM"]) { try Pickle.load([0x80, 0x02, 0x5D, 0x4E, 0x4E, 0x73, 0x2E], file: "si") }
  }

  func testAllowedCallables() throws {
    // (_codecs.encode('\u{e9}A', 'latin1'), torch.Size((2, 3)), Parameter(tensor, False) via NEWOBJ)
    var p = PickleBuilder()
    p.mark()
    p.global("_codecs", "encode")
    p.string("\u{e9}A")
    p.string("latin1")
    p.op(0x86)
    p.reduce()
    p.global("torch", "Size")
    p.intTuple([2, 3])
    p.op(0x85)
    p.reduce()
    p.global("torch.nn.parameter", "Parameter")
    p.tensor(key: "k", numel: 6, offset: 0, sizes: [2, 3], strides: [3, 1])
    p.op(0x89)
    p.op(0x86)
    p.op(0x81)  // NEWOBJ
    p.global("torch._utils", "_rebuild_parameter")
    p.tensor(storageType: "HalfStorage", key: "h", numel: 1, offset: 0, sizes: [], strides: [])
    p.op(0x89)
    p.global("collections", "OrderedDict")
    p.emptyTuple()
    p.reduce()
    p.op(0x87)
    p.reduce()
    p.tuple()
    p.stop()
    guard case .tuple(let items) = try Pickle.load(p.bytes, file: "calls"), items.count == 4 else {
      return XCTFail("expected a 4-tuple")
    }
    XCTAssertEqual(items[0], .bytes([0xE9, 0x41]))
    XCTAssertEqual(items[1], .tuple([.int(2), .int(3)]))
    guard case .tensor(let parameter) = items[2], case .tensor(let half) = items[3] else {
      return XCTFail("expected tensors")
    }
    XCTAssertEqual(parameter.shape, [2, 3])
    XCTAssertEqual(half.dtype, .float16)
    XCTAssertEqual(half.shape, [])
  }

  func testLegacyStorageViewBounds() {
    // A view of 3 elements starting at 2 of a 6-element storage; the tensor needs 4.
    var p = PickleBuilder()
    p.global("torch._utils", "_rebuild_tensor")
    p.mark()
    p.mark()
    p.string("storage")
    p.global("torch", "FloatStorage")
    p.string("root")
    p.string("cpu")
    p.int(6)
    p.mark()
    p.string("view")
    p.int(2)
    p.int(3)
    p.tuple()
    p.tuple()
    p.op(0x51)
    p.int(0)
    p.intTuple([4])
    p.intTuple([1])
    p.tuple()
    p.reduce()
    p.stop()
    assertThrows(["needs 4 elements of storage \"root\", which has 3"]) { try Pickle.load(p.bytes, file: "view") }
    // A view reaching past its root storage.
    var q = PickleBuilder()
    q.mark()
    q.string("storage")
    q.global("torch", "FloatStorage")
    q.string("root")
    q.string("cpu")
    q.int(6)
    q.mark()
    q.string("view")
    q.int(4)
    q.int(3)
    q.tuple()
    q.tuple()
    q.op(0x51)
    q.stop()
    assertThrows(["needs 7 elements of storage \"root\", which has 6"]) { try Pickle.load(q.bytes, file: "view2") }
  }
}

import _TestSupport
import Foundation
import XCTest

@testable import Archives

/// The cases listed in Fixtures/deflate/manifest.json.
struct DeflateCase {
  var file: String
  var kind: String
  var size: Int
  var seed: UInt64
  var level: Int
  var strategy: String
  var crc32: UInt32
}

func deflateManifest() throws -> (cases: [DeflateCase], words: [String]) {
  let json = try JSONSerialization.jsonObject(with: Data(try fixture("deflate/manifest.json")))
  guard let root = json as? [String: Any], let words = root["words"] as? [String],
    let rawCases = root["cases"] as? [[String: Any]]
  else {
    XCTFail("bad manifest")
    return ([], [])
  }
  let cases = rawCases.compactMap { item -> DeflateCase? in
    guard let file = item["file"] as? String, let kind = item["kind"] as? String,
      let size = item["size"] as? Int, let seed = item["seed"] as? Int,
      let level = item["level"] as? Int, let strategy = item["strategy"] as? String,
      let crc = item["crc32"] as? Int
    else { return nil }
    return DeflateCase(
      file: file, kind: kind, size: size, seed: UInt64(seed), level: level, strategy: strategy,
      crc32: UInt32(crc))
  }
  XCTAssertEqual(cases.count, rawCases.count)
  return (cases, words)
}

final class InflateTests: XCTestCase {
  func testPythonZlibFixtures() throws {
    let (cases, words) = try deflateManifest()
    XCTAssertGreaterThan(cases.count, 40)
    var blockTypes = Set<UInt8>()
    for item in cases {
      let expected = generatedData(kind: item.kind, size: item.size, seed: item.seed, words: words)
      XCTAssertEqual(CRC32.checksum(expected), item.crc32, "generator mismatch for \(item.file)")
      let compressed = try fixture("deflate/" + item.file)
      let result: [UInt8]
      if item.file.hasSuffix(".gz") {
        result = try Gzip.decompress(compressed, file: item.file)
      } else {
        blockTypes.insert((compressed[0] >> 1) & 3)
        result = try Inflate.decompress(compressed)
      }
      XCTAssertEqual(result.count, expected.count, item.file)
      XCTAssertTrue(result == expected, item.file)
    }
    XCTAssertEqual(blockTypes, [0, 1, 2], "fixtures cover stored, fixed and dynamic blocks")
  }

  func testHandMadeFixedBlock() throws {
    // "abcabcabc" as literals a, b, c then a match (length 6, distance 3), fixed Huffman.
    var writer = BitWriter()
    writer.write(1, bits: 1)
    writer.write(1, bits: 2)
    for byte in Array("abc".utf8) { writer.writeFixedLiteral(Int(byte)) }
    writer.writeFixedLiteral(260)  // length 6
    writer.writeCode(2, length: 5)  // distance code 2 = distance 3
    writer.writeFixedLiteral(256)
    XCTAssertEqual(try Inflate.decompress(writer.bytes), Array("abcabcabc".utf8))
  }

  func testLongOverlappingMatchAndMaximumLength() throws {
    // One literal then length 258 (symbol 285) at distance 1, twice: 517 copies of "x".
    var writer = BitWriter()
    writer.write(1, bits: 1)
    writer.write(1, bits: 2)
    writer.writeFixedLiteral(Int(UInt8(ascii: "x")))
    for _ in 0..<2 {
      writer.writeFixedLiteral(285)
      writer.writeCode(0, length: 5)
    }
    writer.writeFixedLiteral(256)
    XCTAssertEqual(try Inflate.decompress(writer.bytes), [UInt8](repeating: 0x78, count: 517))
  }

  func testStoredBlocksOfManySizes() throws {
    var rng = SplitMix64(seed: 3)
    let data = (0..<70_000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    for blockSize in [1, 100, 65535] {
      let input = Array(data.prefix(blockSize == 1 ? 300 : 70_000))
      XCTAssertEqual(try Inflate.decompress(storedDeflate(input, blockSize: blockSize)), input)
    }
    XCTAssertEqual(try Inflate.decompress(storedDeflate([], blockSize: 10)), [])
  }

  func testBadBlockType() {
    var writer = BitWriter()
    writer.write(1, bits: 1)
    writer.write(3, bits: 2)
    writer.write(0, bits: 13)
    XCTAssertThrowsError(try Inflate.decompress(writer.bytes)) { error in
      XCTAssertTrue("\(error)".contains("block type 3"), "\(error)")
    }
  }

  func testStoredLengthComplementMismatch() {
    XCTAssertThrowsError(try Inflate.decompress([1, 5, 0, 0xFA, 0xFE, 1, 2, 3, 4, 5])) { error in
      XCTAssertTrue("\(error)".contains("NLEN"), "\(error)")
    }
  }

  func testDistanceTooFarBack() {
    var writer = BitWriter()
    writer.write(1, bits: 1)
    writer.write(1, bits: 2)
    writer.writeFixedLiteral(0x41)
    writer.writeFixedLiteral(257)  // length 3
    writer.writeCode(1, length: 5)  // distance 2, but only 1 byte was written
    writer.writeFixedLiteral(256)
    XCTAssertThrowsError(try Inflate.decompress(writer.bytes)) { error in
      XCTAssertEqual(
        error as? ArchiveError,
        .invalidData(
          file: "deflate stream", offset: 2,
          expected: "a distance of at most 1 (bytes written so far)", found: "distance 2"),
        "\(error)")
    }
  }

  func testInvalidFixedSymbols() {
    for (symbol, isDistance) in [(286, false), (287, false), (30, true), (31, true)] {
      var writer = BitWriter()
      writer.write(1, bits: 1)
      writer.write(1, bits: 2)
      writer.writeFixedLiteral(0x41)
      if isDistance {
        writer.writeFixedLiteral(257)
        writer.writeCode(symbol, length: 5)
      } else {
        writer.writeFixedLiteral(symbol)
      }
      writer.writeFixedLiteral(256)
      writer.write(0, bits: 16)
      XCTAssertThrowsError(try Inflate.decompress(writer.bytes), "symbol \(symbol)") { error in
        XCTAssertTrue("\(error)".contains("symbol \(symbol)"), "\(error)")
      }
    }
  }

  /// Writes a dynamic block header with the given code-length-code lengths (in the order of
  /// RFC 1951 §3.2.7) and returns the writer positioned after them.
  func dynamicHeader(literalCount: Int, distanceCount: Int, codeLengthLengths: [Int]) -> BitWriter {
    var writer = BitWriter()
    writer.write(1, bits: 1)
    writer.write(2, bits: 2)
    writer.write(literalCount - 257, bits: 5)
    writer.write(distanceCount - 1, bits: 5)
    writer.write(codeLengthLengths.count - 4, bits: 4)
    for length in codeLengthLengths { writer.write(length, bits: 3) }
    return writer
  }

  func testInvalidCodeLengths() {
    // Over-subscribed code-length code: three codes of length 1.
    var writer = dynamicHeader(
      literalCount: 257, distanceCount: 1, codeLengthLengths: [1, 1, 1, 0])
    writer.write(0, bits: 32)
    XCTAssertThrowsError(try Inflate.decompress(writer.bytes)) { error in
      XCTAssertTrue("\(error)".contains("over-subscribed"), "\(error)")
    }
    // Incomplete code-length code: one code of length 2.
    writer = dynamicHeader(literalCount: 257, distanceCount: 1, codeLengthLengths: [2, 0, 0, 0])
    writer.write(0, bits: 32)
    XCTAssertThrowsError(try Inflate.decompress(writer.bytes)) { error in
      XCTAssertTrue("\(error)".contains("incomplete"), "\(error)")
    }
    // Repeat code 16 with nothing to repeat. Code-length code: symbols 16 and 17, length 1 each
    // (order 16, 17, 18, 0): code 0 = 16, code 1 = 17.
    writer = dynamicHeader(literalCount: 257, distanceCount: 1, codeLengthLengths: [1, 1, 0, 0])
    writer.writeCode(0, length: 1)
    writer.write(0, bits: 32)
    XCTAssertThrowsError(try Inflate.decompress(writer.bytes)) { error in
      XCTAssertTrue("\(error)".contains("previous length"), "\(error)")
    }
    // Zero repeats running past the number of codes (258 lengths): 17 (repeat 10) ×26 = 260.
    writer = dynamicHeader(literalCount: 257, distanceCount: 1, codeLengthLengths: [1, 1, 0, 0])
    for _ in 0..<26 {
      writer.writeCode(1, length: 1)
      writer.write(7, bits: 3)
    }
    writer.write(0, bits: 32)
    XCTAssertThrowsError(try Inflate.decompress(writer.bytes)) { error in
      XCTAssertTrue("\(error)".contains("at most 258 code lengths"), "\(error)")
    }
    // No code for end-of-block: all 258 lengths zero via 18 (11..138 zeros): 138 + 120.
    // Code-length code: 18 and 0 with length 1 (order 16, 17, 18, 0 → [0, 0, 1, 1]).
    writer = dynamicHeader(literalCount: 257, distanceCount: 1, codeLengthLengths: [0, 0, 1, 1])
    writer.writeCode(1, length: 1)  // symbol 0 has code 0, 18 has code 1
    writer.write(127, bits: 7)  // 138 zeros
    writer.writeCode(1, length: 1)
    writer.write(109, bits: 7)  // 138 + 120 = 258 zero lengths
    writer.write(0, bits: 32)
    XCTAssertThrowsError(try Inflate.decompress(writer.bytes)) { error in
      XCTAssertTrue("\(error)".contains("end-of-block"), "\(error)")
    }
    // Too many literal/length codes (HLIT = 31 → 288).
    writer = dynamicHeader(literalCount: 288, distanceCount: 1, codeLengthLengths: [1, 1, 0, 0])
    writer.write(0, bits: 32)
    XCTAssertThrowsError(try Inflate.decompress(writer.bytes)) { error in
      XCTAssertTrue("\(error)".contains("at most 286"), "\(error)")
    }
  }

  func testTruncatedAtEveryLength() throws {
    for file in [
      "text-8000-level9-default.deflate", "text-5000-level6-fixed.deflate",
      "text-1000-level0-default.deflate",
    ] {
      let stream = try fixture("deflate/" + file)
      for length in 0..<stream.count {
        XCTAssertThrowsError(
          try Inflate.decompress(Array(stream.prefix(length))), "\(file) prefix \(length)"
        ) { error in
          guard case .truncated = error as? ArchiveError else {
            return XCTFail("\(file) prefix \(length): \(error)")
          }
        }
      }
    }
  }

  func testRandomCorruptionNeverCrashes() throws {
    let stream = try fixture("deflate/text-8000-level9-default.deflate")
    var rng = SplitMix64(seed: 4)
    var failures = 0
    for _ in 0..<300 {
      var corrupt = stream
      for _ in 0..<3 {
        let index = Int(rng.next() % UInt64(corrupt.count))
        corrupt[index] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
      }
      do { _ = try Inflate.decompress(corrupt) } catch { failures += 1 }
    }
    // Most corruptions are detected by the decoder itself (no CRC here); none may crash.
    XCTAssertGreaterThan(failures, 150)
    // Random garbage as well.
    for size in [1, 2, 10, 100, 1000] {
      for _ in 0..<20 {
        let garbage = (0..<size).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        _ = try? Inflate.decompress(garbage)
      }
    }
  }
}

final class GzipTests: XCTestCase {
  func testFilesMadeByGzip() throws {
    let words = try deflateManifest().words
    let text = generatedData(kind: "text", size: 30000, seed: 9, words: words)
    for name in ["words-1.txt.gz", "words-9.txt.gz"] {
      let bytes = try fixture("tools/" + name)
      XCTAssertEqual(bytes[3] & 0x08, 0x08, "FNAME set by gzip -N")
      XCTAssertTrue(Gzip.isGzip(bytes))
      XCTAssertEqual(try Gzip.decompress(bytes, file: name), text)
    }
    let random = generatedData(kind: "random", size: 1000, seed: 7, words: words)
    XCTAssertEqual(
      try Gzip.decompress(try fixture("tools/two-members.gz"), file: "two-members.gz"),
      Array("hello, world\n".utf8) + random)
  }

  func testHeaderFlags() throws {
    let data = Array("flags".utf8)
    let crc = CRC32.checksum(data)
    // FTEXT | FEXTRA | FNAME | FCOMMENT with a correct FHCRC.
    var header: [UInt8] = [0x1F, 0x8B, 8, 0x1F, 0, 0, 0, 0, 0, 3]
    header += [4, 0, 0x41, 0x42, 2, 0]  // XLEN 4, subfield "AB" of length 0... plus 2 bytes
    header += Array("name.txt".utf8) + [0] + Array("a comment".utf8) + [0]
    let headerCRC = CRC32.checksum(header) & 0xFFFF
    header += [UInt8(headerCRC & 0xFF), UInt8(headerCRC >> 8)]
    var member = header + storedDeflate(data, blockSize: 100)
    for shift in [0, 8, 16, 24] { member.append(UInt8(truncatingIfNeeded: crc >> UInt32(shift))) }
    member += [5, 0, 0, 0]
    XCTAssertEqual(try Gzip.decompress(member, file: "f.gz"), data)
    // Wrong header CRC.
    var bad = member
    bad[header.count - 1] ^= 1
    XCTAssertThrowsError(try Gzip.decompress(bad, file: "f.gz")) { error in
      XCTAssertTrue("\(error)".contains("header CRC16"), "\(error)")
    }
    // Reserved flag bit.
    bad = member
    bad[3] |= 0x20
    XCTAssertThrowsError(try Gzip.decompress(bad, file: "f.gz")) { error in
      XCTAssertTrue("\(error)".contains("reserved flag"), "\(error)")
    }
    // Trailing zero padding is accepted, trailing garbage is not.
    XCTAssertEqual(try Gzip.decompress(member + [0, 0, 0], file: "f.gz"), data)
    XCTAssertThrowsError(try Gzip.decompress(member + [7], file: "f.gz"))
    XCTAssertThrowsError(try Gzip.decompress([], file: "f.gz"))
  }

  func testBadMagicMethodCRCAndSize() throws {
    let data = Array("checksums".utf8)
    let good = storedGzip(data, crc: CRC32.checksum(data))
    XCTAssertEqual(try Gzip.decompress(good, file: "g.gz"), data)

    var bad = good
    bad[0] = 0x1E
    XCTAssertThrowsError(try Gzip.decompress(bad, file: "g.gz")) { error in
      XCTAssertEqual(
        error as? ArchiveError,
        .invalidData(file: "g.gz", offset: 0, expected: "gzip magic 1f 8b", found: "1e 8b"))
    }
    bad = good
    bad[2] = 7
    XCTAssertThrowsError(try Gzip.decompress(bad, file: "g.gz"))

    let crcOffset = good.count - 8
    bad = good
    bad[crcOffset] ^= 0xFF
    XCTAssertThrowsError(try Gzip.decompress(bad, file: "g.gz")) { error in
      guard
        case .checksumMismatch(let file, let offset, let checksum, _, _) = error as? ArchiveError
      else { return XCTFail("\(error)") }
      XCTAssertEqual(file, "g.gz")
      XCTAssertEqual(offset, crcOffset)
      XCTAssertEqual(checksum, "CRC32")
      XCTAssertEqual(
        "\(error)",
        "g.gz: byte \(crcOffset): CRC32 mismatch: expected \(String(format: "0x%08x", CRC32.checksum(data) ^ 0xFF)), found \(String(format: "0x%08x", CRC32.checksum(data)))"
      )
    }
    bad = good
    bad[good.count - 4] ^= 1
    XCTAssertThrowsError(try Gzip.decompress(bad, file: "g.gz")) { error in
      XCTAssertTrue("\(error)".contains("ISIZE"), "\(error)")
    }
    // A corrupt data byte is caught by the CRC.
    bad = good
    bad[16] ^= 0x10
    XCTAssertThrowsError(try Gzip.decompress(bad, file: "g.gz")) { error in
      XCTAssertTrue("\(error)".contains("CRC32 mismatch"), "\(error)")
    }
  }

  func testTruncatedAtEveryLength() throws {
    let bytes = try fixture("tools/two-members.gz")
    for length in 1..<bytes.count {
      let prefix = Array(bytes.prefix(length))
      // Cutting exactly between the two members leaves a valid one-member file.
      if let whole = try? Gzip.decompress(prefix, file: "t.gz") {
        XCTAssertEqual(whole, Array("hello, world\n".utf8), "prefix \(length)")
        continue
      }
      XCTAssertThrowsError(try Gzip.decompress(prefix, file: "t.gz")) { error in
        XCTAssertEqual((error as? ArchiveError)?.file, "t.gz")
      }
    }
  }
}

final class TarTests: XCTestCase {
  func expectedTree(words: [String]) -> [String: [UInt8]] {
    [
      "tree/empty.bin": [],
      "tree/hello.txt": Array("hello, world\n".utf8),
      "tree/sub/block.bin": generatedData(kind: "text", size: 512, seed: 8, words: words),
      "tree/sub/random.bin": generatedData(kind: "random", size: 1000, seed: 7, words: words),
      "tree/" + String(repeating: "d", count: 60) + "/" + String(repeating: "e", count: 60)
        + "/deep.txt": Array("deep\n".utf8),
    ]
  }

  func testUstarMadeByTar() throws {
    let words = try deflateManifest().words
    let archive = try TarArchive.parse(try fixture("tools/tree-ustar.tar"), file: "tree-ustar.tar")
    let entries = Dictionary(
      archive.entries.map { ($0.name, $0.bytes) }, uniquingKeysWith: { a, _ in a })
    XCTAssertEqual(entries, expectedTree(words: words))
    XCTAssertEqual(archive.entries.count, 5)
    XCTAssertEqual(archive.entry(named: "tree/hello.txt")?.bytes, Array("hello, world\n".utf8))
    XCTAssertNil(archive.entry(named: "tree/sub"))
  }

  func testGnuAndPaxLongNames() throws {
    let words = try deflateManifest().words
    var expected = expectedTree(words: words)
    expected["tree/long/" + String(repeating: "f", count: 130) + ".txt"] = Array("long name\n".utf8)
    let gnu = try TarArchive.parse(
      try Gzip.decompress(try fixture("tools/tree-gnu.tar.gz"), file: "tree-gnu.tar.gz"),
      file: "tree-gnu.tar")
    let pax = try TarArchive.parse(try fixture("tools/tree-pax.tar"), file: "tree-pax.tar")
    for archive in [gnu, pax] {
      XCTAssertEqual(
        Dictionary(archive.entries.map { ($0.name, $0.bytes) }, uniquingKeysWith: { a, _ in a }),
        expected)
    }
  }

  func testBadChecksumAndTruncation() throws {
    let tar = try fixture("tools/tree-ustar.tar")
    var bad = tar
    bad[0] ^= 1  // first header's name
    XCTAssertThrowsError(try TarArchive.parse(bad, file: "b.tar")) { error in
      guard case .checksumMismatch(let file, let offset, _, _, _) = error as? ArchiveError else {
        return XCTFail("\(error)")
      }
      XCTAssertEqual(file, "b.tar")
      XCTAssertEqual(offset, 148)
    }
    bad = tar
    bad[124] = UInt8(ascii: "9")  // size field: not octal
    XCTAssertThrowsError(try TarArchive.parse(bad, file: "b.tar"))
    // Every truncation inside a header or an entry's data is an error; a cut at a block
    // boundary after complete entries is a shorter archive.
    for length in stride(from: 1, to: 6000, by: 97) where length % 512 != 0 {
      XCTAssertThrowsError(
        try TarArchive.parse(Array(tar.prefix(length)), file: "t.tar"), "\(length)")
    }
  }
}

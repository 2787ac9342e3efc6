import _TestSupport
import Foundation
import XCTest


/// Regenerates the data of a fixture case exactly as make_fixtures.py does.
func generatedData(kind: String, size: Int, seed: UInt64, words: [String]) -> [UInt8] {
  var rng = SplitMix64(seed: seed)
  var out: [UInt8] = []
  out.reserveCapacity(size + 300)
  switch kind {
  case "random":
    for _ in 0..<size { out.append(UInt8(truncatingIfNeeded: rng.next())) }
  case "text":
    var count = 0
    while out.count < size {
      out += Array(words[Int(rng.next() % 16)].utf8)
      count += 1
      out.append(count % 10 == 0 ? 0x0A : 0x20)
    }
  case "runs":
    while out.count < size {
      let value = UInt8(rng.next() % 4) + 0x41
      out += [UInt8](repeating: value, count: Int(rng.next() % 300) + 1)
    }
  default:
    XCTFail("unknown generator \(kind)")
  }
  return Array(out.prefix(size))
}

/// The folder of committed fixtures beside this file.
let fixturesDirectory = TestFiles.fixtures()

func fixture(_ relativePath: String) throws -> [UInt8] {
  [UInt8](try Data(contentsOf: fixturesDirectory.appendingPathComponent(relativePath)))
}

/// Writes bits least-significant first, as DEFLATE does; Huffman codes go most-significant
/// bit first through `writeCode`.
struct BitWriter {
  var bytes: [UInt8] = []
  var bitCount = 0

  mutating func write(_ value: Int, bits: Int) {
    for bit in 0..<bits {
      if bitCount % 8 == 0 { bytes.append(0) }
      if (value >> bit) & 1 == 1 { bytes[bytes.count - 1] |= UInt8(1 << (bitCount % 8)) }
      bitCount += 1
    }
  }

  mutating func writeCode(_ code: Int, length: Int) {
    for bit in stride(from: length - 1, through: 0, by: -1) { write((code >> bit) & 1, bits: 1) }
  }

  /// A literal or length symbol in the fixed Huffman code.
  mutating func writeFixedLiteral(_ symbol: Int) {
    switch symbol {
    case 0..<144: writeCode(0x30 + symbol, length: 8)
    case 144..<256: writeCode(0x190 + symbol - 144, length: 9)
    case 256..<280: writeCode(symbol - 256, length: 7)
    default: writeCode(0xC0 + symbol - 280, length: 8)
    }
  }
}

/// A temporary folder removed when the test ends.
func makeTemporaryDirectory(_ test: XCTestCase) throws -> URL {
  let url = FileManager.default.temporaryDirectory
    .appendingPathComponent("DatasetsTests-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
  return url
}

/// Wraps `data` in a gzip member whose DEFLATE stream uses stored blocks only.
func storedGzip(
  _ data: [UInt8], blockSize: Int = 65535, crc: UInt32, flags: UInt8 = 0, header extra: [UInt8] = []
) -> [UInt8] {
  var out: [UInt8] = [0x1F, 0x8B, 8, flags, 0, 0, 0, 0, 0, 255] + extra
  out += storedDeflate(data, blockSize: blockSize)
  for shift in [0, 8, 16, 24] { out.append(UInt8(truncatingIfNeeded: crc >> UInt32(shift))) }
  for shift in [0, 8, 16, 24] { out.append(UInt8(truncatingIfNeeded: data.count >> shift)) }
  return out
}

/// A DEFLATE stream of stored blocks of at most `blockSize` bytes.
func storedDeflate(_ data: [UInt8], blockSize: Int) -> [UInt8] {
  var out: [UInt8] = []
  var start = 0
  repeat {
    let length = min(blockSize, data.count - start)
    let isFinal = start + length == data.count
    out.append(isFinal ? 1 : 0)
    out += [
      UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8((~length >> 8) & 0xFF),
    ]
    out += data[start..<(start + length)]
    start += length
  } while start < data.count
  return out
}

/// A gzip member whose DEFLATE stream (fixed Huffman: one literal, then matches of 258 bytes at
/// distance 1) expands to `size` zero bytes: about 1,600 times smaller than its output.
/// Concatenated members make a multi-member gzip file of any expanded size.
func zeroGzipMember(size: Int, crc: UInt32) -> [UInt8] {
  precondition(size >= 1)
  var writer = BitWriter()
  writer.write(1, bits: 1)  // final block
  writer.write(1, bits: 2)  // fixed Huffman
  writer.writeFixedLiteral(0)
  for _ in 0..<((size - 1) / 258) {
    writer.writeFixedLiteral(285)  // length 258
    writer.writeCode(0, length: 5)  // distance 1
  }
  for _ in 0..<((size - 1) % 258) { writer.writeFixedLiteral(0) }
  writer.writeFixedLiteral(256)
  var out: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 255] + writer.bytes
  for shift in [0, 8, 16, 24] { out.append(UInt8(truncatingIfNeeded: crc >> UInt32(shift))) }
  for shift in [0, 8, 16, 24] { out.append(UInt8(truncatingIfNeeded: size >> shift)) }
  return out
}

/// A 512-byte ustar header for a regular file of `size` bytes (checksum filled in).
func tarHeader(name: String, size: Int, type: UInt8 = UInt8(ascii: "0")) -> [UInt8] {
  var header = [UInt8](repeating: 0, count: 512)
  for (index, byte) in name.utf8.prefix(100).enumerated() { header[index] = byte }
  func octal(_ value: Int, at offset: Int, length: Int) {
    let digits = Array(String(value, radix: 8).utf8)
    let padded = [UInt8](repeating: UInt8(ascii: "0"), count: max(0, length - 1 - digits.count)) + digits
    for (index, byte) in padded.suffix(length - 1).enumerated() { header[offset + index] = byte }
  }
  octal(0o644, at: 100, length: 8)
  octal(0, at: 108, length: 8)
  octal(0, at: 116, length: 8)
  octal(size, at: 124, length: 12)
  octal(0, at: 136, length: 12)
  header[156] = type
  for (index, byte) in "ustar\u{0}00".utf8.enumerated() { header[257 + index] = byte }
  for index in 148..<156 { header[index] = 0x20 }
  let sum = header.reduce(0) { $0 + Int($1) }
  let digits = Array(String(sum, radix: 8).utf8)
  let field = [UInt8](repeating: UInt8(ascii: "0"), count: 6 - digits.count) + digits + [0, 0x20]
  for (index, byte) in field.enumerated() { header[148 + index] = byte }
  return header
}

import Basics
import Foundation
import XCTest

/// The three hashes against their standards' test vectors: CRC-32 (ISO-HDLC check value
/// "123456789" → 0xCBF43926), MD5 (RFC 1321 appendix A.5) and SHA-256 (FIPS 180-4 examples and
/// NIST's million-'a' vector), plus lengths around the padding boundary and incremental feeding.
final class HashTests: XCTestCase {
  func testCRC32KnownValues() {
    XCTAssertEqual(CRC32.checksum([UInt8]()), 0)
    XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)), 0xCBF4_3926)
    XCTAssertEqual(
      CRC32.checksum(Array("The quick brown fox jumps over the lazy dog".utf8)), 0x414F_A339)
    XCTAssertEqual(CRC32.checksum([UInt8](repeating: 0, count: 32)), 0x190A_55AD)
    // Every length 0...40 (each tail of the slicing-by-8 loop) against a bit-by-bit reference.
    var rng = SplitMix64(seed: 32)
    let data = (0..<40).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    for length in 0...data.count {
      var reference: UInt32 = 0xFFFF_FFFF
      for byte in data[..<length] {
        reference ^= UInt32(byte)
        for _ in 0..<8 { reference = reference & 1 != 0 ? 0xEDB8_8320 ^ (reference >> 1) : reference >> 1 }
      }
      XCTAssertEqual(CRC32.checksum(data[..<length]), reference ^ 0xFFFF_FFFF, "length \(length)")
    }
  }

  func testCRC32IncrementalEqualsWholeAndNonContiguous() {
    var rng = SplitMix64(seed: 1)
    let data = (0..<1000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    let whole = CRC32.checksum(data)
    for split in [0, 1, 7, 8, 9, 500, 999, 1000] {
      XCTAssertEqual(CRC32.update(CRC32.checksum(data[..<split]), with: data[split...]), whole)
    }
    // A collection without contiguous storage takes the copying path.
    XCTAssertEqual(CRC32.checksum(data.lazy.map { $0 }), whole)
    // The slicing-by-8 loop against a bitwise reference.
    var reference: UInt32 = 0xFFFF_FFFF
    for byte in data {
      reference ^= UInt32(byte)
      for _ in 0..<8 {
        reference = reference & 1 == 1 ? (reference >> 1) ^ 0xEDB8_8320 : reference >> 1
      }
    }
    XCTAssertEqual(whole, ~reference)
  }

  func testMD5KnownValues() {
    // RFC 1321 appendix A.5.
    let cases: [(String, String)] = [
      ("", "d41d8cd98f00b204e9800998ecf8427e"),
      ("a", "0cc175b9c0f1b6a831c399e269772661"),
      ("abc", "900150983cd24fb0d6963f7d28e17f72"),
      ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
      ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
      (
        "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
        "57edf4a22be3c955ac49da2e2107b67a"
      ),
    ]
    for (text, expected) in cases {
      XCTAssertEqual(MD5.hexDigest(Array(text.utf8)), expected, text)
    }
  }

  func testMD5IncrementalAcrossBlockBoundaries() {
    var rng = SplitMix64(seed: 2)
    let data = (0..<300).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    let whole = MD5.hexDigest(data)
    for chunk in [1, 3, 55, 56, 63, 64, 65, 200] {
      var md5 = MD5()
      var start = 0
      while start < data.count {
        md5.update(data[start..<min(start + chunk, data.count)])
        start += chunk
      }
      XCTAssertEqual(md5.hexDigest(), whole, "chunk \(chunk)")
    }
    // Lengths around the padding boundary (55/56/64 bytes) against Python hashlib values.
    XCTAssertEqual(
      MD5.hexDigest([UInt8](repeating: 0x61, count: 55)), "ef1772b6dff9a122358552954ad0df65")
    XCTAssertEqual(
      MD5.hexDigest([UInt8](repeating: 0x61, count: 56)), "3b0c8ac703f828b04c6c197006d17218")
    XCTAssertEqual(
      MD5.hexDigest([UInt8](repeating: 0x61, count: 64)), "014842d480b571495a4a0363793f7367")
  }

  func testSHA256KnownVectors() {
    // FIPS 180-4 examples and the NIST long-message vector.
    XCTAssertEqual(
      SHA256.hash([UInt8]()).hexadecimal, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    XCTAssertEqual(
      SHA256.hash(Array("abc".utf8)).hexadecimal, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    XCTAssertEqual(
      SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)).hexadecimal,
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    // A million 'a', fed in uneven pieces to exercise the buffering.
    var hash = SHA256()
    var fed = 0
    var piece = 1
    while fed < 1_000_000 {
      let count = min(piece, 1_000_000 - fed)
      hash.update([UInt8](repeating: UInt8(ascii: "a"), count: count))
      fed += count
      piece = piece * 3 % 997 + 1
    }
    XCTAssertEqual(hash.finalize().hexadecimal, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    // Lengths around the padding boundary (55, 56, 64 bytes) against values from sha256sum.
    XCTAssertEqual(
      SHA256.hash([UInt8](repeating: 0x61, count: 55)).hexadecimal,
      "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318")
    XCTAssertEqual(
      SHA256.hash([UInt8](repeating: 0x61, count: 56)).hexadecimal,
      "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a")
    XCTAssertEqual(
      SHA256.hash([UInt8](repeating: 0x61, count: 64)).hexadecimal,
      "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb")
  }
}

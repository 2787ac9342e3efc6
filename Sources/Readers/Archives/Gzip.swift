import Basics

/// gzip file decompression (RFC 1952).
///
/// Reads every member of a (possibly multi-member) gzip file: the header flags FTEXT, FHCRC,
/// FEXTRA, FNAME and FCOMMENT are understood (the header CRC16 is verified when present),
/// reserved flag bits are rejected, each member's deflate data is inflated and its CRC32 and
/// ISIZE trailer are verified. Zero bytes after the last member (padding some tools add) are
/// ignored; any other trailing data is an error.
public enum Gzip {
  /// True when `bytes` starts with the gzip magic number 1F 8B.
  public static func isGzip<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
    var iterator = bytes.makeIterator()
    return iterator.next() == 0x1F && iterator.next() == 0x8B
  }

  /// Decompresses a whole gzip file held in memory.
  ///
  /// - Parameters:
  ///   - file: the name used in error messages.
  ///   - limit: the most decompressed bytes accepted, over all members
  ///     (`DecompressionLimit.current` by default).
  /// - Throws: `ArchiveError` naming `file` and the byte offset of the problem; `.tooLarge`
  ///   as soon as the output would pass `limit` (nothing beyond it is ever allocated).
  /// - Complexity: O(n + output size); memory O(min(output size, limit)).
  public static func decompress(
    _ bytes: [UInt8], file: String, limit: Int = DecompressionLimit.current
  ) throws -> [UInt8] {
    try decompress(bytes, file: file, limit: limit, prefix: nil)
  }

  /// The first `count` decompressed bytes of a gzip file (fewer when it holds fewer), without
  /// inflating the rest: for reading a header before deciding how much to read.
  ///
  /// Checksums are verified only for members read to their end.
  /// - Throws: `ArchiveError` for invalid data before that point.
  /// - Complexity: O(count + n) at most.
  public static func decompressedPrefix(_ bytes: [UInt8], file: String, count: Int) throws
    -> [UInt8]
  {
    try decompress(bytes, file: file, limit: max(0, count) + 65_536, prefix: max(0, count))
  }

  private static func decompress(_ bytes: [UInt8], file: String, limit: Int, prefix: Int?) throws
    -> [UInt8]
  {
    try bytes.withUnsafeBufferPointer { input in
      // ISIZE of the last member is a good first guess for the output size (bounded by the
      // largest possible DEFLATE expansion and by `limit`, so a corrupt value cannot force a
      // huge allocation).
      var capacity = input.count * 4
      if input.count >= 18 {
        let n = input.count
        let lastSize =
          Int(input[n - 4]) | Int(input[n - 3]) << 8 | Int(input[n - 2]) << 16 | Int(input[n - 1])
          << 24
        capacity = max(capacity, min(lastSize + 16, input.count * 1100))
      }
      var output = InflateOutput(capacity: capacity, limit: limit)
      defer { output.deallocate() }
      var offset = 0
      var members = 0
      while offset < input.count {
        if members > 0 && input[offset...].allSatisfy({ $0 == 0 }) { break }
        do {
          offset = try member(input, at: offset, file: file, into: &output)
        } catch ArchiveError.tooLarge(_, _, _, _) where prefix != nil {
          break  // more than the prefix asked for: the rest is not needed
        }
        members += 1
        if let prefix, output.count >= prefix { break }
      }
      if members == 0 && output.count == 0 {
        throw ArchiveError.truncated(file: file, offset: 0, expected: "a gzip header (empty file)")
      }
      if let prefix, output.count > prefix {
        return Array(UnsafeBufferPointer(start: output.base, count: prefix))
      }
      return output.array()
    }
  }

  /// Reads one member at `start`; returns the offset after its trailer.
  private static func member(
    _ input: UnsafeBufferPointer<UInt8>, at start: Int, file: String,
    into output: inout InflateOutput
  ) throws -> Int {
    let count = input.count
    func need(_ length: Int, at offset: Int, _ what: String) throws {
      if offset + length > count {
        throw ArchiveError.truncated(file: file, offset: count, expected: what)
      }
    }
    try need(10, at: start, "a 10-byte gzip header")
    if input[start] != 0x1F || input[start + 1] != 0x8B {
      throw ArchiveError.invalidData(
        file: file, offset: start, expected: "gzip magic 1f 8b",
        found: Hex.bytes(input[start..<(start + 2)]))
    }
    if input[start + 2] != 8 {
      throw ArchiveError.invalidData(
        file: file, offset: start + 2, expected: "compression method 8 (deflate)",
        found: "\(input[start + 2])")
    }
    let flags = input[start + 3]
    if flags & 0xE0 != 0 {
      throw ArchiveError.invalidData(
        file: file, offset: start + 3, expected: "reserved flag bits 5-7 clear",
        found: "flags 0x" + String(flags, radix: 16))
    }
    var offset = start + 10
    if flags & 0x04 != 0 {  // FEXTRA
      try need(2, at: offset, "the FEXTRA length")
      let extraLength = Int(input[offset]) | Int(input[offset + 1]) << 8
      try need(2 + extraLength, at: offset, "\(extraLength) bytes of FEXTRA data")
      offset += 2 + extraLength
    }
    for (flag, what) in [(UInt8(0x08), "FNAME"), (UInt8(0x10), "FCOMMENT")] where flags & flag != 0
    {
      while true {
        try need(1, at: offset, "the zero byte ending the \(what) field")
        offset += 1
        if input[offset - 1] == 0 { break }
      }
    }
    if flags & 0x02 != 0 {  // FHCRC: low 16 bits of the CRC32 of the header so far
      try need(2, at: offset, "the header CRC16")
      let stored = UInt32(input[offset]) | UInt32(input[offset + 1]) << 8
      let computed =
        CRC32.update(0, buffer: UnsafeBufferPointer(rebasing: input[start..<offset])) & 0xFFFF
      if stored != computed {
        throw ArchiveError.checksumMismatch(
          file: file, offset: offset, checksum: "header CRC16", expected: Hex.word(computed),
          found: Hex.word(stored))
      }
      offset += 2
    }
    let outputStart = output.count
    do {
      offset = try Inflate.inflateStream(input, from: offset, into: &output)
    } catch ArchiveError.tooLarge(_, _, let limit, let what) {
      throw ArchiveError.tooLarge(file: file, offset: start, limit: limit, what: what)
    } catch let error as ArchiveError {
      throw error.relocated(file: file, base: 0)
    }
    try need(8, at: offset, "the 8-byte gzip trailer (CRC32, ISIZE)")
    let storedCRC = readLE32(input, offset)
    let storedSize = readLE32(input, offset + 4)
    let produced = UnsafeBufferPointer(
      start: output.base + outputStart, count: output.count - outputStart)
    let crc = CRC32.update(0, buffer: produced)
    if crc != storedCRC {
      throw ArchiveError.checksumMismatch(
        file: file, offset: offset, checksum: "CRC32", expected: Hex.word(storedCRC), found: Hex.word(crc)
      )
    }
    let size = UInt32(truncatingIfNeeded: produced.count)
    if size != storedSize {
      throw ArchiveError.checksumMismatch(
        file: file, offset: offset + 4, checksum: "ISIZE (size mod 2^32)",
        expected: "\(storedSize)", found: "\(size)")
    }
    return offset + 8
  }

  private static func readLE32(_ input: UnsafeBufferPointer<UInt8>, _ offset: Int) -> UInt32 {
    UInt32(input[offset]) | UInt32(input[offset + 1]) << 8 | UInt32(input[offset + 2]) << 16
      | UInt32(input[offset + 3]) << 24
  }
}

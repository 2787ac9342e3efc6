/// DEFLATE decompression (RFC 1951): stored, fixed-Huffman and dynamic-Huffman blocks.
///
/// Validation is strict, in the manner of zlib: a stored block's LEN must match its NLEN, block
/// type 3 is rejected, Huffman code lengths must describe a complete prefix code (an incomplete
/// code is accepted only for a single code of length 1, or for a distance code with no codes),
/// literal/length symbols 286–287 and distance symbols 30–31 are rejected, the end-of-block code
/// must exist, a match may not reach before the start of the output, and a stream that ends
/// before its final block is complete is reported as truncated.
///
/// Decoding reads the input through a 64-bit bit buffer and decodes each Huffman symbol with one
/// or two table lookups (a 2^10-entry primary table for literals/lengths, 2^8 for distances,
/// and small second-level tables for longer codes).
public enum Inflate {
  /// Decompresses a raw DEFLATE stream (no zlib or gzip wrapper).
  ///
  /// Bytes after the end of the final block are ignored.
  /// - Parameter limit: the most output bytes accepted (`DecompressionLimit.current` by default).
  /// - Throws: `ArchiveError` (file `"deflate stream"`, offsets into `deflated`) for truncated
  ///   or invalid data, `.tooLarge` when the output would exceed `limit`.
  /// - Complexity: O(n + output size); memory O(min(output size, limit)).
  public static func decompress(_ deflated: [UInt8], limit: Int = DecompressionLimit.current) throws
    -> [UInt8]
  {
    try deflated.withUnsafeBufferPointer { input in
      var output = InflateOutput(capacity: max(1024, input.count * 4), limit: limit)
      defer { output.deallocate() }
      _ = try inflateStream(input, from: 0, into: &output)
      return output.array()
    }
  }

  /// Decompresses one DEFLATE stream starting at `start`, appending to `output`.
  ///
  /// Returns the offset of the first byte after the stream (the final block ends on a bit; the
  /// rest of that byte is padding).
  static func inflateStream(
    _ input: UnsafeBufferPointer<UInt8>, from start: Int, into output: inout InflateOutput
  ) throws -> Int {
    var inflater = Inflater(input: input, position: start, output: output)
    defer { output = inflater.output }
    try inflater.run()
    return inflater.streamEnd()
  }
}

/// A growable byte buffer in unmanaged memory, never larger than `limit`; the owner calls
/// `deallocate()`.
struct InflateOutput {
  var base: UnsafeMutablePointer<UInt8>
  var count: Int
  var capacity: Int
  /// The most bytes the buffer may hold; `reserve` throws beyond it.
  let limit: Int

  init(capacity: Int, limit: Int) {
    self.limit = max(0, limit)
    self.capacity = min(max(capacity, 64), self.limit)
    self.base = UnsafeMutablePointer<UInt8>.allocate(capacity: max(self.capacity, 1))
    self.count = 0
  }

  /// Makes room for at least `extra` more bytes.
  /// - Throws: `ArchiveError.tooLarge` (file `"deflate stream"`) when that passes `limit`.
  mutating func reserve(_ extra: Int) throws(ArchiveError) {
    if count + extra <= capacity { return }
    guard extra <= limit - count else {
      throw .tooLarge(file: "deflate stream", offset: 0, limit: limit, what: "decompressed bytes")
    }
    var newCapacity = max(capacity * 2, 64)
    while newCapacity < count + extra { newCapacity *= 2 }
    newCapacity = min(newCapacity, limit)
    let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
    newBase.update(from: base, count: count)
    base.deallocate()
    base = newBase
    capacity = newCapacity
  }

  func array() -> [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

  func deallocate() { base.deallocate() }
}

// MARK: - Huffman tables

/// Kinds of decoding-table entries.
private enum EntryKind {
  static let invalid: UInt32 = 0
  static let literal: UInt32 = 1
  static let length: UInt32 = 2
  static let endOfBlock: UInt32 = 3
  static let subtable: UInt32 = 4
  static let distance: UInt32 = 5
}

/// A table entry packs: bits 0–15 value (literal byte, length/distance base, or subtable
/// offset), bits 16–19 extra-bit count, bits 20–24 code length in bits (for a subtable pointer:
/// the subtable's index width), bits 28–31 kind.
@inline(__always) private func makeEntry(kind: UInt32, value: Int, extraBits: Int, codeLength: Int)
  -> UInt32
{
  kind << 28 | UInt32(codeLength) << 20 | UInt32(extraBits) << 16 | UInt32(value)
}
@inline(__always) private func entryKind(_ entry: UInt32) -> UInt32 { entry >> 28 }
@inline(__always) private func entryValue(_ entry: UInt32) -> Int { Int(entry & 0xFFFF) }
@inline(__always) private func entryExtra(_ entry: UInt32) -> Int { Int((entry >> 16) & 0xF) }
@inline(__always) private func entryCodeLength(_ entry: UInt32) -> Int { Int((entry >> 20) & 0x1F) }

private let lengthBases: [Int] = [
  3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
  163, 195, 227, 258,
]
private let lengthExtraBits: [Int] = [
  0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
]
private let distanceBases: [Int] = [
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049,
  3073, 4097, 6145, 8193, 12289, 16385, 24577,
]
private let distanceExtraBits: [Int] = [
  0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
]
/// The order in which code-length code lengths are stored (RFC 1951 §3.2.7).
private let codeLengthOrder: [Int] = [
  16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
]

/// What a Huffman alphabet's symbols mean.
private enum Alphabet {
  case literalLength, distance, codeLength

  func entry(symbol: Int, codeLength: Int) -> UInt32 {
    switch self {
    case .literalLength:
      if symbol < 256 {
        return makeEntry(
          kind: EntryKind.literal, value: symbol, extraBits: 0, codeLength: codeLength)
      }
      if symbol == 256 {
        return makeEntry(kind: EntryKind.endOfBlock, value: 0, extraBits: 0, codeLength: codeLength)
      }
      if symbol <= 285 {
        return makeEntry(
          kind: EntryKind.length, value: lengthBases[symbol - 257],
          extraBits: lengthExtraBits[symbol - 257], codeLength: codeLength)
      }
      // Symbols 286 and 287 take part in the fixed code but are invalid in data.
      return makeEntry(kind: EntryKind.invalid, value: symbol, extraBits: 0, codeLength: codeLength)
    case .distance:
      if symbol < 30 {
        return makeEntry(
          kind: EntryKind.distance, value: distanceBases[symbol],
          extraBits: distanceExtraBits[symbol], codeLength: codeLength)
      }
      return makeEntry(kind: EntryKind.invalid, value: symbol, extraBits: 0, codeLength: codeLength)
    case .codeLength:
      return makeEntry(kind: EntryKind.literal, value: symbol, extraBits: 0, codeLength: codeLength)
    }
  }
}

/// A two-level decoding table for one canonical Huffman code.
struct HuffmanTable {
  var entries: [UInt32]
  let primaryBits: Int

  /// Why a list of code lengths does not describe a usable code.
  enum BuildFailure: Error {
    case overSubscribed, incomplete
  }

  /// Builds the table for the canonical code with the given code lengths (0 = unused symbol).
  ///
  /// `allowEmpty`: a code with no symbols at all is accepted (every lookup is then invalid).
  fileprivate init(
    lengths: [UInt8], primaryBits: Int, alphabet: Alphabet, allowEmpty: Bool
  ) throws(BuildFailure) {
    self.primaryBits = primaryBits
    var lengthCounts = [Int](repeating: 0, count: 16)
    for length in lengths { lengthCounts[Int(length)] += 1 }
    lengthCounts[0] = 0
    var left = 1
    var maxLength = 0
    for length in 1...15 {
      left = left << 1 - lengthCounts[length]
      if left < 0 { throw .overSubscribed }
      if lengthCounts[length] > 0 { maxLength = length }
    }
    if left > 0 {
      // zlib's rule: only a single code of length 1 may be incomplete; an empty code is
      // allowed where the caller says so (a block of literals only has no distance codes).
      let isSingleCode = maxLength == 1 && lengthCounts[1] == 1
      let isEmpty = maxLength == 0 && allowEmpty
      if !(isSingleCode || isEmpty) { throw .incomplete }
    }
    var nextCode = [Int](repeating: 0, count: 16)
    var code = 0
    for length in 1...15 {
      code = (code + lengthCounts[length - 1]) << 1
      nextCode[length] = code
    }
    // Reversed codes (DEFLATE sends Huffman codes most-significant bit first, and the bit
    // buffer is read from its least significant bit).
    var reversedCodes = [Int](repeating: 0, count: lengths.count)
    for symbol in 0..<lengths.count where lengths[symbol] > 0 {
      let length = Int(lengths[symbol])
      var value = nextCode[length]
      nextCode[length] += 1
      var reversed = 0
      for _ in 0..<length {
        reversed = reversed << 1 | (value & 1)
        value >>= 1
      }
      reversedCodes[symbol] = reversed
    }
    let primarySize = 1 << primaryBits
    let primaryMask = primarySize - 1
    var subtableBits = [Int](repeating: 0, count: primarySize)
    for symbol in 0..<lengths.count where Int(lengths[symbol]) > primaryBits {
      let prefix = reversedCodes[symbol] & primaryMask
      subtableBits[prefix] = max(subtableBits[prefix], Int(lengths[symbol]) - primaryBits)
    }
    var subtableOffsets = [Int](repeating: 0, count: primarySize)
    var total = primarySize
    for prefix in 0..<primarySize where subtableBits[prefix] > 0 {
      subtableOffsets[prefix] = total
      total += 1 << subtableBits[prefix]
    }
    var entries = [UInt32](repeating: 0, count: total)
    for prefix in 0..<primarySize where subtableBits[prefix] > 0 {
      entries[prefix] = makeEntry(
        kind: EntryKind.subtable, value: subtableOffsets[prefix], extraBits: 0,
        codeLength: subtableBits[prefix])
    }
    for symbol in 0..<lengths.count where lengths[symbol] > 0 {
      let length = Int(lengths[symbol])
      let entry = alphabet.entry(symbol: symbol, codeLength: length)
      let reversed = reversedCodes[symbol]
      if length <= primaryBits {
        var index = reversed
        while index < primarySize {
          entries[index] = entry
          index += 1 << length
        }
      } else {
        let prefix = reversed & primaryMask
        let size = 1 << subtableBits[prefix]
        var index = reversed >> primaryBits
        while index < size {
          entries[subtableOffsets[prefix] + index] = entry
          index += 1 << (length - primaryBits)
        }
      }
    }
    self.entries = entries
  }

  static let fixedLiteralLength: HuffmanTable = {
    var lengths = [UInt8](repeating: 8, count: 288)
    for symbol in 144..<256 { lengths[symbol] = 9 }
    for symbol in 256..<280 { lengths[symbol] = 7 }
    // The fixed code is complete by construction; an empty table would only be returned if the
    // lengths above were edited wrongly, and then every lookup fails cleanly.
    return
      (try? HuffmanTable(
        lengths: lengths, primaryBits: 10, alphabet: .literalLength, allowEmpty: false))
      ?? HuffmanTable(emptyWithPrimaryBits: 10)
  }()

  static let fixedDistance: HuffmanTable = {
    // 32 codes of length 5; symbols 30 and 31 are invalid in data.
    let lengths = [UInt8](repeating: 5, count: 32)
    return
      (try? HuffmanTable(
        lengths: lengths, primaryBits: 8, alphabet: .distance, allowEmpty: false))
      ?? HuffmanTable(emptyWithPrimaryBits: 8)
  }()

  private init(emptyWithPrimaryBits bits: Int) {
    primaryBits = bits
    entries = [UInt32](repeating: 0, count: 1 << bits)
  }
}

// MARK: - The decoder

/// The decoding state: input position, bit buffer and output.
struct Inflater {
  let input: UnsafeBufferPointer<UInt8>
  /// Next input byte not yet in the bit buffer.
  var position: Int
  /// Unconsumed bits, least significant first; bits at and above `bitCount` are zero.
  var bitBuffer: UInt64 = 0
  var bitCount: Int = 0
  var output: InflateOutput

  init(input: UnsafeBufferPointer<UInt8>, position: Int, output: InflateOutput) {
    self.input = input
    self.position = position
    self.output = output
  }

  /// The input offset of the first unconsumed whole byte.
  func streamEnd() -> Int { position - bitCount / 8 }

  /// The input offset of the byte holding the next unconsumed bit (for error messages).
  var bitOffset: Int { position - (bitCount + 7) / 8 }

  private static let file = "deflate stream"

  private func truncated(_ expected: String) -> ArchiveError {
    .truncated(file: Inflater.file, offset: input.count, expected: expected)
  }

  private func invalid(_ expected: String, _ found: String) -> ArchiveError {
    .invalidData(file: Inflater.file, offset: bitOffset, expected: expected, found: found)
  }

  /// Fills the bit buffer to at least 56 bits (at most 63), or with everything left in the input.
  @inline(__always) mutating func refill() {
    if position + 8 <= input.count, let base = input.baseAddress {
      let word = UInt64(
        littleEndian: UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self))
      let bytes = (63 - bitCount) >> 3
      bitBuffer |= word << UInt64(bitCount)
      position += bytes
      bitCount += bytes * 8
      bitBuffer &= (UInt64(1) << UInt64(bitCount)) &- 1
    } else {
      while bitCount <= 55 && position < input.count {
        bitBuffer |= UInt64(input[position]) << UInt64(bitCount)
        position += 1
        bitCount += 8
      }
    }
  }

  /// Removes and returns `count` (≤ 32) bits; the caller has refilled.
  @inline(__always) mutating func take(_ count: Int, _ what: @autoclosure () -> String)
    throws(ArchiveError)
    -> Int
  {
    if count > bitCount { throw truncated(what()) }
    let value = Int(bitBuffer & ((UInt64(1) << UInt64(count)) &- 1))
    bitBuffer >>= UInt64(count)
    bitCount -= count
    return value
  }

  /// Decodes one symbol; the caller has refilled.
  @inline(__always) mutating func decode(
    _ table: UnsafeBufferPointer<UInt32>, primaryBits: Int, _ what: StaticString
  ) throws(ArchiveError) -> UInt32 {
    var entry = table[Int(bitBuffer & ((UInt64(1) << UInt64(primaryBits)) &- 1))]
    if entryKind(entry) == EntryKind.subtable {
      let subtableBits = entryCodeLength(entry)
      let index = Int(
        (bitBuffer >> UInt64(primaryBits)) & ((UInt64(1) << UInt64(subtableBits)) &- 1))
      entry = table[entryValue(entry) + index]
    }
    let length = entryCodeLength(entry)
    if entryKind(entry) == EntryKind.invalid {
      if position >= input.count && (length == 0 || length > bitCount) {
        throw truncated("\(what) code")
      }
      throw invalid(
        "a valid \(what) code",
        length == 0 ? "a bit pattern outside the code" : "symbol \(entryValue(entry))")
    }
    if length > bitCount { throw truncated("\(what) code") }
    bitBuffer >>= UInt64(length)
    bitCount -= length
    return entry
  }

  /// Decodes blocks until the final one.
  mutating func run() throws(ArchiveError) {
    var isFinal = false
    while !isFinal {
      refill()
      isFinal = try take(1, "block header") == 1
      let blockType = try take(2, "block header")
      switch blockType {
      case 0:
        try storedBlock()
      case 1:
        let literalTable = HuffmanTable.fixedLiteralLength
        let distanceTable = HuffmanTable.fixedDistance
        try huffmanBlock(literalTable, distanceTable)
      case 2:
        let (literalTable, distanceTable) = try dynamicTables()
        try huffmanBlock(literalTable, distanceTable)
      default:
        throw invalid("block type 0, 1 or 2", "block type 3")
      }
    }
  }

  private mutating func storedBlock() throws(ArchiveError) {
    // Skip to the byte boundary, then read LEN and NLEN straight from the input.
    bitBuffer >>= UInt64(bitCount & 7)
    bitCount -= bitCount & 7
    position -= bitCount / 8
    bitBuffer = 0
    bitCount = 0
    guard position + 4 <= input.count else { throw truncated("stored block LEN and NLEN") }
    let length = Int(input[position]) | Int(input[position + 1]) << 8
    let complement = Int(input[position + 2]) | Int(input[position + 3]) << 8
    if length != complement ^ 0xFFFF {
      throw .invalidData(
        file: Inflater.file, offset: position,
        expected: "stored block NLEN = ~LEN (\(length ^ 0xFFFF))", found: "\(complement)")
    }
    position += 4
    guard position + length <= input.count else {
      throw truncated("\(length) bytes of stored block data")
    }
    try output.reserve(length)
    if length > 0, let base = input.baseAddress {
      (output.base + output.count).update(from: base + position, count: length)
    }
    output.count += length
    position += length
  }

  private mutating func dynamicTables() throws(ArchiveError) -> (HuffmanTable, HuffmanTable) {
    refill()
    let literalCount = try take(5, "HLIT") + 257
    let distanceCount = try take(5, "HDIST") + 1
    let codeLengthCount = try take(4, "HCLEN") + 4
    if literalCount > 286 {
      throw invalid("at most 286 literal/length codes", "\(literalCount)")
    }
    if distanceCount > 30 {
      throw invalid("at most 30 distance codes", "\(distanceCount)")
    }
    var codeLengthLengths = [UInt8](repeating: 0, count: 19)
    for index in 0..<codeLengthCount {
      refill()
      codeLengthLengths[codeLengthOrder[index]] = UInt8(try take(3, "code length code lengths"))
    }
    let codeLengthTable = try completeTable(codeLengthLengths, primaryBits: 7, alphabet: .codeLength, "code-length code")
    var lengths = [UInt8](repeating: 0, count: literalCount + distanceCount)
    var index = 0
    try codeLengthTable.entries.withUnsafeBufferPointer { table throws(ArchiveError) in
      while index < lengths.count {
        refill()
        let symbol = entryValue(try decode(table, primaryBits: 7, "code length"))
        if symbol < 16 {
          lengths[index] = UInt8(symbol)
          index += 1
          continue
        }
        var repeated: UInt8 = 0
        let repeatCount: Int
        if symbol == 16 {
          if index == 0 { throw invalid("a previous length to repeat", "code 16 at the start") }
          repeated = lengths[index - 1]
          repeatCount = 3 + (try take(2, "repeat count"))
        } else if symbol == 17 {
          repeatCount = 3 + (try take(3, "repeat count"))
        } else {
          repeatCount = 11 + (try take(7, "repeat count"))
        }
        if index + repeatCount > lengths.count {
          throw invalid(
            "at most \(lengths.count) code lengths", "\(index + repeatCount) after a repeat")
        }
        for _ in 0..<repeatCount {
          lengths[index] = repeated
          index += 1
        }
      }
    }
    if lengths[256] == 0 {
      throw invalid("a code for end-of-block (symbol 256)", "length 0")
    }
    let literalTable = try completeTable(
      Array(lengths[0..<literalCount]), primaryBits: 10, alphabet: .literalLength, "literal/length code")
    let distanceTable = try completeTable(
      Array(lengths[literalCount...]), primaryBits: 8, alphabet: .distance, allowEmpty: true, "distance code")
    return (literalTable, distanceTable)
  }

  /// The table of a code the stream defines (`what`, e.g. "distance code"), or an error naming it
  /// when its lengths are over-subscribed or incomplete.
  private func completeTable(
    _ lengths: [UInt8], primaryBits: Int, alphabet: Alphabet, allowEmpty: Bool = false, _ what: String
  ) throws(ArchiveError) -> HuffmanTable {
    do {
      return try HuffmanTable(lengths: lengths, primaryBits: primaryBits, alphabet: alphabet, allowEmpty: allowEmpty)
    } catch {
      let used = lengths.filter { $0 > 0 }.count
      switch error {
      case .overSubscribed: throw invalid("a complete \(what)", "an over-subscribed code (\(used) codes)")
      case .incomplete: throw invalid("a complete \(what)", "an incomplete code (\(used) codes)")
      }
    }
  }

  /// Decodes literal/length and distance codes until end-of-block.
  private mutating func huffmanBlock(_ literalTable: HuffmanTable, _ distanceTable: HuffmanTable)
    throws(ArchiveError)
  {
    let literalBits = literalTable.primaryBits
    let distanceBits = distanceTable.primaryBits
    try literalTable.entries.withUnsafeBufferPointer { literals throws(ArchiveError) in
      try distanceTable.entries.withUnsafeBufferPointer { distances throws(ArchiveError) in
        while true {
          refill()
          let entry = try decode(literals, primaryBits: literalBits, "literal/length")
          let kind = entryKind(entry)
          if kind == EntryKind.literal {
            if output.count == output.capacity { try output.reserve(1) }
            output.base[output.count] = UInt8(truncatingIfNeeded: entryValue(entry))
            output.count += 1
            continue
          }
          if kind == EntryKind.endOfBlock { return }
          let length = entryValue(entry) + (try take(entryExtra(entry), "length extra bits"))
          if bitCount < 32 { refill() }
          let distanceEntry = try decode(distances, primaryBits: distanceBits, "distance")
          if bitCount < 16 { refill() }
          let distance =
            entryValue(distanceEntry) + (try take(entryExtra(distanceEntry), "distance extra bits"))
          if distance > output.count {
            throw invalid(
              "a distance of at most \(output.count) (bytes written so far)", "distance \(distance)"
            )
          }
          try output.reserve(length)
          let destination = output.base + output.count
          let source = destination - distance
          if distance >= length {
            destination.update(from: source, count: length)
          } else {
            for offset in 0..<length { destination[offset] = source[offset] }
          }
          output.count += length
        }
      }
    }
  }
}

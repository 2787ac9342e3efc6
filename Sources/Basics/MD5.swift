import Foundation

/// The MD5 message digest (RFC 1321), used only to check downloaded archives against their
/// published checksums — not for anything security-related.
///
/// Incremental: `var md5 = MD5(); md5.update(part1); md5.update(part2); md5.hexDigest()`.
public struct MD5: Sendable {
  private var state: (UInt32, UInt32, UInt32, UInt32) = (
    0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476
  )
  private var pending: [UInt8] = []
  private var totalBytes: UInt64 = 0

  /// An empty digest state.
  public init() {}

  /// The hexadecimal MD5 of `bytes`: `MD5.hexDigest(Array("abc".utf8))` is
  /// `"900150983cd24fb0d6963f7d28e17f72"`.
  /// - Complexity: O(n).
  public static func hexDigest<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
    var md5 = MD5()
    md5.update(bytes)
    return md5.hexDigest()
  }

  /// Adds `bytes` to the message.
  /// - Complexity: O(n).
  public mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
    if bytes.withContiguousStorageIfAvailable({ update(buffer: $0) }) == nil {
      Array(bytes).withUnsafeBufferPointer { update(buffer: $0) }
    }
  }

  /// Adds the bytes of `buffer` to the message.
  /// - Complexity: O(n).
  public mutating func update(buffer: UnsafeBufferPointer<UInt8>) {
    totalBytes &+= UInt64(buffer.count)
    var index = 0
    if !pending.isEmpty {
      let take = min(64 - pending.count, buffer.count)
      pending.append(contentsOf: buffer[0..<take])
      index = take
      if pending.count == 64 {
        pending.withUnsafeBufferPointer { block in
          if let start = block.baseAddress { processBlock(start) }
        }
        pending.removeAll(keepingCapacity: true)
      }
    }
    guard let base = buffer.baseAddress else { return }
    while index + 64 <= buffer.count {
      processBlock(base + index)
      index += 64
    }
    if index < buffer.count { pending.append(contentsOf: buffer[index...]) }
  }

  /// The 16-byte digest of everything added so far (the state itself is not changed).
  public func digest() -> [UInt8] {
    var copy = self
    let bitLength = totalBytes &* 8
    var padding: [UInt8] = [0x80]
    let afterPad = (Int(totalBytes % 64) + 1) % 64
    padding += [UInt8](repeating: 0, count: (56 - afterPad + 64) % 64)
    for shift in stride(from: 0, to: 64, by: 8) {
      padding.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift)))
    }
    copy.update(padding)
    var result: [UInt8] = []
    for word in [copy.state.0, copy.state.1, copy.state.2, copy.state.3] {
      for shift in stride(from: 0, to: 32, by: 8) {
        result.append(UInt8(truncatingIfNeeded: word >> UInt32(shift)))
      }
    }
    return result
  }

  /// The digest as 32 lowercase hexadecimal digits.
  public func hexDigest() -> String {
    Hex.bytes(digest(), separator: "")
  }

  private static let shifts: [UInt32] = [
    7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
    5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
    4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
    6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
  ]

  /// K[i] = floor(2^32 · |sin(i + 1)|).
  private static let constants: [UInt32] = (0..<64).map {
    UInt32(truncatingIfNeeded: Int64((abs(sin(Double($0 + 1))) * 4_294_967_296.0).rounded(.down)))
  }

  private mutating func processBlock(_ block: UnsafePointer<UInt8>) {
    withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 16) { words in
      processBlock(block, words: words)
    }
  }

  private mutating func processBlock(
    _ block: UnsafePointer<UInt8>, words: UnsafeMutableBufferPointer<UInt32>
  ) {
    for index in 0..<16 {
      words[index] =
        UInt32(block[4 * index]) | UInt32(block[4 * index + 1]) << 8
        | UInt32(block[4 * index + 2]) << 16 | UInt32(block[4 * index + 3]) << 24
    }
    var (a, b, c, d) = state
    for round in 0..<64 {
      var f: UInt32
      var wordIndex: Int
      switch round {
      case 0..<16:
        f = (b & c) | (~b & d)
        wordIndex = round
      case 16..<32:
        f = (d & b) | (~d & c)
        wordIndex = (5 * round + 1) % 16
      case 32..<48:
        f = b ^ c ^ d
        wordIndex = (3 * round + 5) % 16
      default:
        f = c ^ (b | ~d)
        wordIndex = (7 * round) % 16
      }
      f = f &+ a &+ MD5.constants[round] &+ words[wordIndex]
      a = d
      d = c
      c = b
      let shift = MD5.shifts[round]
      b = b &+ ((f << shift) | (f >> (32 - shift)))
    }
    state = (state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d)
  }
}

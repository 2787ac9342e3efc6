/// Lowercase hexadecimal text: digests, checksums and the bytes that error messages quote.
public enum Hex {
  /// Two digits per byte, joined by `separator`: `Hex.bytes([0x1f, 0x8b])` is `"1f 8b"`.
  /// - Complexity: O(number of bytes).
  public static func bytes<Bytes: Sequence>(_ bytes: Bytes, separator: String = " ") -> String
  where Bytes.Element == UInt8 {
    bytes.map { String([digits[Int($0 >> 4)], digits[Int($0 & 15)]]) }.joined(separator: separator)
  }

  /// `0x` and eight digits, most significant first: `Hex.word(0x1c29)` is `"0x00001c29"`.
  public static func word(_ value: UInt32) -> String {
    "0x" + bytes([24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) }, separator: "")
  }

  private static let digits = Array("0123456789abcdef")
}

/// The CRC-32 checksum of gzip, zip and PNG (ISO-HDLC: reflected polynomial 0xEDB88320,
/// initial value and final XOR 0xFFFFFFFF).
///
/// Table driven, eight bytes per step ("slicing by 8") over contiguous storage.
public enum CRC32 {
  /// The CRC-32 of `bytes`.
  ///
  /// `CRC32.checksum(Array("123456789".utf8)) == 0xCBF43926`.
  /// - Complexity: O(n).
  public static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
    update(0, with: bytes)
  }

  /// Continues a checksum: `update(checksum(a), with: b) == checksum(a + b)`.
  ///
  /// Start from 0 for an empty prefix.
  /// - Complexity: O(n).
  public static func update<C: Collection>(_ checksum: UInt32, with bytes: C) -> UInt32
  where C.Element == UInt8 {
    if let result = bytes.withContiguousStorageIfAvailable({ update(checksum, buffer: $0) }) {
      return result
    }
    return Array(bytes).withUnsafeBufferPointer { update(checksum, buffer: $0) }
  }

  /// Continues a checksum over raw memory.
  /// - Complexity: O(n).
  public static func update(_ checksum: UInt32, buffer: UnsafeBufferPointer<UInt8>) -> UInt32 {
    guard let base = buffer.baseAddress, buffer.count > 0 else { return checksum }
    return tables.withUnsafeBufferPointer { table -> UInt32 in
      var crc = ~checksum
      var index = 0
      let count = buffer.count
      while index + 8 <= count {
        let low =
          crc
          ^ (UInt32(base[index]) | UInt32(base[index + 1]) << 8 | UInt32(base[index + 2]) << 16
            | UInt32(base[index + 3]) << 24)
        crc =
          table[7 * 256 + Int(low & 0xFF)] ^ table[6 * 256 + Int((low >> 8) & 0xFF)]
          ^ table[5 * 256 + Int((low >> 16) & 0xFF)] ^ table[4 * 256 + Int(low >> 24)]
          ^ table[3 * 256 + Int(base[index + 4])] ^ table[2 * 256 + Int(base[index + 5])]
          ^ table[1 * 256 + Int(base[index + 6])] ^ table[Int(base[index + 7])]
        index += 8
      }
      while index < count {
        crc = table[Int((crc ^ UInt32(base[index])) & 0xFF)] ^ (crc >> 8)
        index += 1
      }
      return ~crc
    }
  }

  /// Eight 256-entry tables; table k gives the CRC of a byte followed by k zero bytes.
  private static let tables: [UInt32] = {
    var table = [UInt32](repeating: 0, count: 8 * 256)
    for byte in 0..<256 {
      var crc = UInt32(byte)
      for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
      table[byte] = crc
    }
    for slice in 1..<8 {
      for byte in 0..<256 {
        let previous = table[(slice - 1) * 256 + byte]
        table[slice * 256 + byte] = table[Int(previous & 0xFF)] ^ (previous >> 8)
      }
    }
    return table
  }()
}

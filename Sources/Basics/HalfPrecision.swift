/// The one codec between `Float` and the 16-bit formats of checkpoints: IEEE 754 binary16
/// ("half", PyTorch `float16`) and bfloat16.
///
/// Written out bit by bit so every platform gives the same bits (Swift's `Float16` is missing
/// on some targets). The rules:
/// - **Decoding** is exact: every half and bfloat16 value is a `Float`; ±0, subnormals and ±∞
///   keep their sign and value, and a NaN stays a NaN with its sign and payload (shifted into
///   the top of the `Float` significand).
/// - **Encoding** rounds to nearest, ties to even, on the exact binary value. Magnitudes from
///   65,520 (half) up round to ±∞ (65,520 is the tie between 65,504, the largest half, and
///   65,536). Results below the normal range become subnormals (multiples of 2^-24, rounded the
///   same way; magnitudes up to 2^-25 inclusive round to a signed zero). ±∞ stays ±∞.
/// - **NaN** encodes as a quiet NaN with the same sign and the top 9 payload bits kept:
///   `sign | 0x7E00 | payload >> 13` (bfloat16: `sign | 0x7FC0 | payload >> 16`), as the x86
///   F16C and ARM conversion instructions do; a NaN never becomes ∞.
public enum HalfPrecision {
  /// The `Float` exactly equal to the binary16 value with these bits.
  public static func float(halfBits bits: UInt16) -> Float {
    let sign = UInt32(bits & 0x8000) << 16
    let exponent = Int(bits >> 10) & 0x1F
    let mantissa = UInt32(bits & 0x03FF)
    if exponent == 0x1F {
      // Infinity or NaN.
      return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    }
    if exponent == 0 {
      // Zero or subnormal: mantissa × 2^-24, exact in Float.
      let magnitude = Float(mantissa) * (1.0 / 16_777_216.0)
      return sign == 0 ? magnitude : -magnitude
    }
    return Float(bitPattern: sign | (UInt32(exponent - 15 + 127) << 23) | (mantissa << 13))
  }

  /// The binary16 bits nearest to `value` (round to nearest, ties to even; see the type's rules
  /// for overflow, subnormals and NaN).
  public static func halfBits(_ value: Float) -> UInt16 {
    let bits = value.bitPattern
    let sign = UInt16((bits >> 16) & 0x8000)
    let exponent = Int((bits >> 23) & 0xFF)
    let mantissa = bits & 0x007F_FFFF
    if exponent == 0xFF {
      return sign | 0x7C00 | (mantissa != 0 ? 0x0200 | UInt16(mantissa >> 13) : 0)
    }
    let unbiased = exponent - 127
    if unbiased > 15 { return sign | 0x7C00 }
    if unbiased >= -14 {
      // Normal half: keep 10 mantissa bits, round the dropped 13.
      var result = UInt32(unbiased + 15) << 10 | (mantissa >> 13)
      let dropped = mantissa & 0x1FFF
      if dropped > 0x1000 || (dropped == 0x1000 && (result & 1) == 1) { result += 1 }
      return sign | UInt16(result)  // a carry into the exponent rounds up correctly (to ∞ at most)
    }
    if unbiased < -25 { return sign }  // below 2^-25 (Float subnormals included): signed zero
    // Subnormal half: value = m × 2^-24 with m ≤ 1024 (1024 carries into the smallest normal).
    let full = mantissa | 0x0080_0000  // 24-bit significand, value = full × 2^(unbiased-23)
    let shift = UInt32(-unbiased - 14 + 13)  // bits to drop so the unit is 2^-24
    var result = full >> shift
    let remainder = full & ((1 << shift) - 1)
    let halfway = UInt32(1) << (shift - 1)
    if remainder > halfway || (remainder == halfway && (result & 1) == 1) { result += 1 }
    return sign | UInt16(result)
  }

  /// The `Float` exactly equal to the bfloat16 value with these bits.
  public static func float(bfloat16Bits bits: UInt16) -> Float {
    Float(bitPattern: UInt32(bits) << 16)
  }

  /// The bfloat16 bits nearest to `value` (round to nearest, ties to even; overflow rounds to
  /// ±∞; NaN stays a quiet NaN).
  public static func bfloat16Bits(_ value: Float) -> UInt16 {
    let bits = value.bitPattern
    if value.isNaN { return UInt16(bits >> 16) | 0x0040 }
    let rounding = 0x7FFF + ((bits >> 16) & 1)
    return UInt16((bits &+ rounding) >> 16)
  }

  /// Little-endian binary16 bytes of `values` (2 bytes per value).
  /// - Complexity: O(values.count).
  public static func littleEndianHalfBytes(_ values: [Float]) -> [UInt8] {
    var output = [UInt8]()
    output.reserveCapacity(values.count * 2)
    for value in values {
      let half = halfBits(value)
      output.append(UInt8(half & 0xFF))
      output.append(UInt8(half >> 8))
    }
    return output
  }
}

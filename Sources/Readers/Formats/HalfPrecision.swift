// Bit-level conversions between IEEE half / bfloat16 and Float. Written out by hand so they
// behave the same on every platform (Swift's `Float16` is unavailable on some targets).

/// Converts IEEE 754 binary16 bits to the exactly equal `Float` (NaN payloads preserved).
func floatFromHalfBits(_ bits: UInt16) -> Float {
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

/// Converts a `Float` to the nearest IEEE binary16 (round to nearest, ties to even).
func halfBitsFromFloat(_ value: Float) -> UInt16 {
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
    return sign | UInt16(result)  // a carry into the exponent rounds up correctly (to inf at most)
  }
  if unbiased < -25 { return sign }
  // Subnormal half: value = m × 2^-24 with m < 1024.
  let full = mantissa | 0x0080_0000  // 24-bit significand, value = full × 2^(unbiased-23)
  let shift = UInt32(-unbiased - 14 + 13)  // bits to drop so the unit is 2^-24
  var result = full >> shift
  let remainder = full & ((1 << shift) - 1)
  let halfway = UInt32(1) << (shift - 1)
  if remainder > halfway || (remainder == halfway && (result & 1) == 1) { result += 1 }
  return sign | UInt16(result)
}

/// Converts bfloat16 bits to the exactly equal `Float`.
func floatFromBFloat16Bits(_ bits: UInt16) -> Float {
  Float(bitPattern: UInt32(bits) << 16)
}

/// Converts a `Float` to the nearest bfloat16 (round to nearest, ties to even; NaN stays NaN).
func bfloat16BitsFromFloat(_ value: Float) -> UInt16 {
  let bits = value.bitPattern
  if value.isNaN { return UInt16(bits >> 16) | 0x0040 }
  let rounding = 0x7FFF + ((bits >> 16) & 1)
  return UInt16((bits &+ rounding) >> 16)
}

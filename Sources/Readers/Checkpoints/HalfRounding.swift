/// Rounds `Float`s to IEEE binary16 for `--half` model files.
enum HalfRounding {
  /// The binary16 bits nearest to `value` (round to nearest, ties to even; overflow → ±inf,
  /// NaN stays NaN).
  static func bits(_ value: Float) -> UInt16 {
    let bits = value.bitPattern
    let sign = UInt16(truncatingIfNeeded: (bits >> 16) & 0x8000)
    let exponent = Int((bits >> 23) & 0xFF)
    let mantissa = bits & 0x7F_FFFF
    if exponent == 0xFF {
      return sign | 0x7C00 | (mantissa == 0 ? 0 : 0x200)
    }
    let halfExponent = exponent - 127 + 15
    if halfExponent >= 0x1F { return sign | 0x7C00 }
    if halfExponent <= 0 {
      // Subnormal (or zero) half: value = m × 2^-24.
      if halfExponent < -10 { return sign }
      let significand = mantissa | 0x80_0000
      let shift = UInt32(14 - halfExponent)
      var result = significand >> shift
      let remainder = significand & ((1 << shift) - 1)
      let halfway = UInt32(1) << (shift - 1)
      if remainder > halfway || (remainder == halfway && result & 1 == 1) { result += 1 }
      return sign | UInt16(result)
    }
    var result = UInt32(halfExponent) << 10 | mantissa >> 13
    let remainder = mantissa & 0x1FFF
    if remainder > 0x1000 || (remainder == 0x1000 && result & 1 == 1) { result += 1 }
    return sign | UInt16(result)
  }

  /// Little-endian binary16 bytes of `values`.
  static func bytes(_ values: [Float]) -> [UInt8] {
    var output = [UInt8]()
    output.reserveCapacity(values.count * 2)
    for value in values {
      let half = bits(value)
      output.append(UInt8(half & 0xFF))
      output.append(UInt8(half >> 8))
    }
    return output
  }
}

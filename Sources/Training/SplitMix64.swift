import Foundation

/// A small, fast, seedable random number generator (Steele, Lea & Flood 2014, "SplitMix").
///
/// Everything random in training (initialization, shuffles, augmentation, block masks) is drawn
/// from one `SplitMix64`, so a run is reproducible from its seed. The whole state is one
/// `UInt64`, which `--resume` stores. The helpers below use only `next()` and fixed arithmetic
/// (no standard-library sampling whose algorithm could change between Swift versions).
public struct SplitMix64: RandomNumberGenerator, Sendable, Equatable {
  /// The generator's state; `next()` advances it by the golden-ratio increment.
  public var state: UInt64

  /// Creates a generator whose first output depends on `seed` only.
  public init(seed: UInt64) {
    state = seed
  }

  /// The next 64 random bits.
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A uniform double in [0, 1) with 53 random bits.
  public mutating func nextUnitInterval() -> Double {
    Double(next() >> 11) * 0x1.0p-53
  }

  /// A uniform integer in `0..<bound` without modulo bias (rejection sampling); 0 when
  /// `bound <= 1`.
  public mutating func nextInt(below bound: Int) -> Int {
    guard bound > 1 else { return 0 }
    let limit = UInt64(bound)
    // Reject the top partial range so every residue is equally likely.
    let threshold = (0 &- limit) % limit
    while true {
      let value = next()
      if value >= threshold { return Int(value % limit) }
    }
  }

  /// A standard normal sample by the Box–Muller transform (two uniforms per sample; the sine
  /// half is discarded so the state stays a single integer).
  public mutating func nextGaussian() -> Double {
    let u1 = 1 - nextUnitInterval()  // (0, 1]: log stays finite
    let u2 = nextUnitInterval()
    return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
  }

  /// A uniformly random permutation of `0..<count` (Fisher–Yates, drawing from the last
  /// position down).
  /// - Complexity: O(count).
  public mutating func permutation(_ count: Int) -> [Int] {
    var values = Array(0..<max(0, count))
    if values.count < 2 { return values }
    for i in stride(from: values.count - 1, to: 0, by: -1) {
      let j = nextInt(below: i + 1)
      values.swapAt(i, j)
    }
    return values
  }
}

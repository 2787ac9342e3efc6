// Shared helpers for the test targets (not API: the underscore says so, as in swift-numerics'
// _TestSupport). Nothing in the library or the executable depends on this target.

/// SplitMix64 (Steele, Lea & Flood 2014): a tiny seeded generator, so every test sees the same
/// data on every run and platform. The same stream is reproduced by the fixture scripts.
public struct SplitMix64: RandomNumberGenerator, Sendable {
  public private(set) var state: UInt64

  public init(seed: UInt64) { state = seed }

  /// The next 64 random bits.
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A Float uniformly in [low, high), from the top 24 bits.
  public mutating func float(_ low: Float, _ high: Float) -> Float {
    low + (high - low) * Float(next() >> 40) / Float(1 << 24)
  }

  /// A Float uniformly in [-1, 1).
  public mutating func symmetric() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 }

  /// `count` Floats uniformly in [-1, 1).
  public mutating func floats(_ count: Int) -> [Float] { (0..<count).map { _ in symmetric() } }

  /// An Int in `range` (modulo; bias is irrelevant for tests).
  public mutating func int(in range: ClosedRange<Int>) -> Int {
    range.lowerBound + Int(next() % UInt64(range.count))
  }

  /// An Int in 0..<bound (modulo; bias is irrelevant for tests).
  public mutating func int(below bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

// Shared helpers for the test targets (not API: the underscore says so, as in swift-numerics'
// _TestSupport). Nothing in the library or the executable depends on this target.
@_exported import Basics

/// Test-data helpers on the project's one generator, so every test sees the same data on every
/// run and platform. Bounded integers use the generator's one rule (`nextInt(below:)`).
extension SplitMix64 {
  /// A Float uniformly in [low, high), from the top 24 bits.
  public mutating func float(_ low: Float, _ high: Float) -> Float {
    low + (high - low) * Float(next() >> 40) / Float(1 << 24)
  }

  /// A Float uniformly in [-1, 1), from the top 24 bits.
  public mutating func symmetric() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 }

  /// `count` Floats uniformly in [-1, 1).
  public mutating func floats(_ count: Int) -> [Float] { (0..<count).map { _ in symmetric() } }

  /// An Int uniformly in `range`.
  public mutating func int(in range: ClosedRange<Int>) -> Int {
    range.lowerBound + nextInt(below: range.count)
  }

  /// An Int uniformly in `0..<bound`.
  public mutating func int(below bound: Int) -> Int { nextInt(below: bound) }
}

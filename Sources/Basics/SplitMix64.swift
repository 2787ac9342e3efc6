import Foundation

/// The project's one seeded random number generator: SplitMix64 (Steele, Lea & Flood 2014,
/// "Fast splittable pseudorandom number generators"; the reference is Vigna's `splitmix64.c`).
///
/// Everything random — training (initialization, shuffles, augmentation, block masks), random
/// lesions and reorderings, bootstrap resampling, test data — draws from this type, so one seed
/// gives one stream everywhere and a run is reproducible from its seed. The whole state is one
/// `UInt64` (training's `--resume` stores it).
///
/// The helpers use only `next()` and fixed integer arithmetic, never the standard library's
/// sampling (whose algorithm may change between Swift versions):
/// - **Bounded draws** (`nextInt(below:)`, and through it `permutation`, `sample`): for a bound
///   `n > 1`, draw `x = next()` until `x >= 2^64 mod n`, then return `x mod n`. The rejected
///   values are the lowest `2^64 mod n` (fewer than `n`), so each residue has exactly
///   `⌊2^64 / n⌋` accepting values: no modulo bias. A bound of 0 or 1 returns 0 without drawing.
/// - **Unit interval**: the top 53 bits, `Double(next() >> 11) · 2^-53`, in [0, 1).
/// - **Keyed sub-streams**: `init(seed:keys:)` derives an independent stream per key path, so a
///   draw identified by (seed, experiment, k, sample) never depends on which other draws a run
///   makes.
public struct SplitMix64: RandomNumberGenerator, Sendable, Equatable {
  /// The golden-ratio increment added to the state before every output.
  public static let increment: UInt64 = 0x9E37_79B9_7F4A_7C15

  /// The generator's state; `next()` advances it by `increment`.
  public var state: UInt64

  /// Creates a generator whose stream depends on `seed` only (the state starts at `seed`).
  public init(seed: UInt64) {
    state = seed
  }

  /// Creates the sub-stream of `seed` named by `keys`, e.g. `[experiment, k, sample]`.
  ///
  /// The state is derived by mixing, one key at a time:
  /// `s₀ = seed`, `sᵢ₊₁ = mix(sᵢ ⊕ mix(keyᵢ))`, where `mix(x)` is the output SplitMix64 gives
  /// from state `x` (add `increment`, then the finalizer). With no keys this is
  /// `init(seed:)`. `mix` is a bijection, so for a fixed seed and prefix, distinct last keys give
  /// distinct states; the stream for one key path does not depend on any other key path, so
  /// adding or removing other k values or samples never changes a given draw.
  /// - Complexity: O(keys.count).
  public init(seed: UInt64, keys: [UInt64]) {
    var state = seed
    for key in keys {
      state = SplitMix64.mix(state ^ SplitMix64.mix(key))
    }
    self.state = state
  }

  /// The output SplitMix64 produces from state `x`: `x + increment` through the finalizer
  /// (Stafford's variant 13). A bijection of `UInt64`.
  public static func mix(_ x: UInt64) -> UInt64 {
    var z = x &+ increment
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// The next 64 random bits.
  public mutating func next() -> UInt64 {
    let output = SplitMix64.mix(state)
    state &+= SplitMix64.increment
    return output
  }

  /// A uniform double in [0, 1) with 53 random bits (one draw).
  public mutating func nextUnitInterval() -> Double {
    Double(next() >> 11) * 0x1.0p-53
  }

  /// A uniform integer in `0..<bound` without modulo bias; 0 when `bound <= 1`.
  ///
  /// The rule (see the type's documentation): draw `x` until `x >= 2^64 mod bound`, return
  /// `x mod bound`. Expected draws are below 2 for every bound.
  public mutating func nextInt(below bound: Int) -> Int {
    guard bound > 1 else { return 0 }
    let limit = UInt64(bound)
    let threshold = (0 &- limit) % limit  // 2^64 mod limit
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
  /// position down: position `i` swaps with `nextInt(below: i + 1)`).
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

  /// `k` distinct elements of `pool` in the order drawn (a partial Fisher–Yates shuffle from the
  /// front: position `i` swaps with `i + nextInt(below: pool.count - i)`); all of `pool`,
  /// shuffled, when `k >= pool.count`.
  /// - Complexity: O(pool.count).
  public mutating func sample<Element>(_ k: Int, from pool: [Element]) -> [Element] {
    var items = pool
    for i in 0..<max(0, min(k, items.count)) {
      let j = i + nextInt(below: items.count - i)
      items.swapAt(i, j)
    }
    return Array(items.prefix(max(0, k)))
  }
}

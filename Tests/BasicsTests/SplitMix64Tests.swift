import Basics
import XCTest

/// The one seeded generator: reference outputs, the bounded-draw rule and keyed sub-streams.
final class SplitMix64Tests: XCTestCase {
  /// Values from `splitmix64_reference.py` (plain Python, written from Vigna's splitmix64.c).
  func testReferenceOutputsForSeedsZeroAndOne() {
    var zero = SplitMix64(seed: 0)
    XCTAssertEqual(
      (0..<4).map { _ in zero.next() },
      [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F, 0xF88B_B8A8_724C_81EC])
    var one = SplitMix64(seed: 1)
    XCTAssertEqual(
      (0..<4).map { _ in one.next() },
      [0x910A_2DEC_8902_5CC1, 0xBEEB_8DA1_658E_EC67, 0xF893_A2EE_FB32_555E, 0x71C1_8690_EE42_C90B])
    XCTAssertEqual(zero.state, 4 &* SplitMix64.increment)
  }

  func testBoundedDrawsFollowTheDocumentedRule() {
    // Reference: splitmix64_reference.py, seed 0, bound 10.
    var generator = SplitMix64(seed: 0)
    XCTAssertEqual((0..<8).map { _ in generator.nextInt(below: 10) }, [5, 0, 9, 4, 7, 0, 3, 0])
    // The rule itself, against raw draws: reject x < 2^64 mod n, else x mod n.
    for bound in [2, 3, 7, 10, 54, 1 << 40, Int.max] {
      var draws = SplitMix64(seed: UInt64(bound))
      var raw = draws
      for _ in 0..<200 {
        let threshold = (0 &- UInt64(bound)) % UInt64(bound)
        var x = raw.next()
        while x < threshold { x = raw.next() }
        XCTAssertEqual(draws.nextInt(below: bound), Int(x % UInt64(bound)))
      }
      XCTAssertEqual(draws, raw)
    }
    // Bounds 0 and 1 return 0 without drawing.
    var still = SplitMix64(seed: 5)
    XCTAssertEqual(still.nextInt(below: 1), 0)
    XCTAssertEqual(still.nextInt(below: 0), 0)
    XCTAssertEqual(still, SplitMix64(seed: 5))
  }

  func testRejectionHappensForTheLowestValues() {
    // A bound just above 2^63 rejects nearly half of all values: the generator must redraw
    // rather than bias toward small residues.
    let bound = 3 << 61  // 2^64 mod bound = 2^64 − 2·bound = 2^62
    var generator = SplitMix64(seed: 9)
    var raw = generator
    var rejected = 0
    for _ in 0..<1_000 {
      _ = generator.nextInt(below: bound)
      while raw.next() < (1 << 62) { rejected += 1 }
    }
    XCTAssertEqual(generator, raw)
    XCTAssertGreaterThan(rejected, 200)  // 1/4 of draws expected: ≈ 333
  }

  func testUniformIntegersAndGaussianMoments() {
    var generator = SplitMix64(seed: 42)
    var counts = [Int](repeating: 0, count: 7)
    for _ in 0..<70_000 { counts[generator.nextInt(below: 7)] += 1 }
    for count in counts { XCTAssertEqual(Double(count), 10_000, accuracy: 400) }  // ≈ 4.2σ
    let samples = (0..<100_000).map { _ in generator.nextGaussian() }
    let mean = samples.reduce(0, +) / Double(samples.count)
    let variance = samples.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(samples.count)
    XCTAssertEqual(mean, 0, accuracy: 0.015)
    XCTAssertEqual(variance, 1, accuracy: 0.02)
    let unit = (0..<10_000).map { _ in generator.nextUnitInterval() }
    XCTAssertTrue(unit.allSatisfy { $0 >= 0 && $0 < 1 })
  }

  func testPermutationAndSample() {
    var generator = SplitMix64(seed: 3)
    XCTAssertEqual(generator.permutation(10).sorted(), Array(0..<10))
    XCTAssertEqual(generator.permutation(0), [])
    let pool = [10, 20, 30, 40, 50, 60]
    let drawn = generator.sample(4, from: pool)
    XCTAssertEqual(drawn.count, 4)
    XCTAssertEqual(Set(drawn).count, 4)
    XCTAssertTrue(Set(drawn).isSubset(of: pool))
    XCTAssertEqual(generator.sample(9, from: pool).sorted(), pool)
    XCTAssertEqual(generator.sample(0, from: pool), [])
    // The partial Fisher–Yates rule: position i swaps with i + nextInt(below: count − i).
    var a = SplitMix64(seed: 8)
    var b = a
    var items = pool
    for i in 0..<3 { items.swapAt(i, i + b.nextInt(below: items.count - i)) }
    XCTAssertEqual(a.sample(3, from: pool), Array(items.prefix(3)))
    // Every 2-subset of 4 items appears about equally often.
    var counts: [Set<Int>: Int] = [:]
    for _ in 0..<60_000 { counts[Set(generator.sample(2, from: [0, 1, 2, 3])), default: 0] += 1 }
    XCTAssertEqual(counts.count, 6)
    for count in counts.values { XCTAssertEqual(Double(count), 10_000, accuracy: 400) }
  }

  func testKeyedStreamMatchesReferenceAndEmptyKeysIsThePlainSeed() {
    // splitmix64_reference.py: keyed(7, [3, 10, 42]).
    var keyed = SplitMix64(seed: 7, keys: [3, 10, 42])
    XCTAssertEqual(keyed.state, 0x4E4F_4DA6_7BC1_A789)
    XCTAssertEqual(keyed.next(), 0x4EAA_E0BE_E0E1_63F6)
    XCTAssertEqual(keyed.next(), 0xA06A_3E5F_6AF0_6340)
    XCTAssertEqual(SplitMix64(seed: 7, keys: []), SplitMix64(seed: 7))
    var plain = SplitMix64(seed: 0)
    XCTAssertEqual(SplitMix64.mix(0), plain.next())
  }

  func testKeyedDrawsDoNotDependOnOtherKeys() {
    // A study draws sample s at each k from SplitMix64(seed, [experiment, k, s]). The draws for
    // k = 5 must be the same whether the run also covers other k values or not.
    func draws(seed: UInt64, ks: [Int], samples: Int) -> [Int: [[Int]]] {
      var result: [Int: [[Int]]] = [:]
      for k in ks {
        result[k] = (0..<samples).map { sample in
          var generator = SplitMix64(seed: seed, keys: [1, UInt64(k), UInt64(sample)])
          return generator.sample(k, from: Array(1...54))
        }
      }
      return result
    }
    let alone = draws(seed: 0, ks: [5], samples: 10)
    let many = draws(seed: 0, ks: [1, 2, 5, 10, 20], samples: 30)
    XCTAssertEqual(alone[5], Array(many[5]!.prefix(10)))
    // Different key paths give different streams; key order and length matter.
    var states = Set<UInt64>()
    for experiment: UInt64 in 0..<4 {
      for k: UInt64 in 0..<25 {
        for sample: UInt64 in 0..<40 {
          states.insert(SplitMix64(seed: 0, keys: [experiment, k, sample]).state)
        }
      }
    }
    XCTAssertEqual(states.count, 4 * 25 * 40)
    XCTAssertNotEqual(SplitMix64(seed: 0, keys: [1, 2]), SplitMix64(seed: 0, keys: [2, 1]))
    XCTAssertNotEqual(SplitMix64(seed: 0, keys: [0]), SplitMix64(seed: 0, keys: [0, 0]))
    XCTAssertNotEqual(SplitMix64(seed: 0, keys: [3]), SplitMix64(seed: 1, keys: [3]))
  }

  func testAdjacentKeyedStreamsAreUncorrelated() {
    // First outputs of neighbouring samples: each bit should be set about half the time and
    // neighbouring streams should agree on about half of their bits.
    var agreement = 0
    var ones = 0
    let count = 20_000
    for sample in 0..<UInt64(count) {
      var a = SplitMix64(seed: 0, keys: [2, 7, sample])
      var b = SplitMix64(seed: 0, keys: [2, 7, sample + 1])
      let (x, y) = (a.next(), b.next())
      agreement += (~(x ^ y)).nonzeroBitCount
      ones += x.nonzeroBitCount
    }
    let bits = Double(64 * count)
    XCTAssertEqual(Double(agreement) / bits, 0.5, accuracy: 0.005)  // σ ≈ 0.0004
    XCTAssertEqual(Double(ones) / bits, 0.5, accuracy: 0.005)
  }
}

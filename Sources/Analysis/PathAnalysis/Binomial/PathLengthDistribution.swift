import Foundation

/// The exact distribution of path lengths in a residual network of `n` blocks.
///
/// Unravelled, a network of `n` residual blocks is a collection of `2^n` paths; a path of length
/// `k` passes through `k` residual branches and `n − k` skip connections, and there are `C(n, k)`
/// of them, so path lengths follow Binomial(n, 1/2) (Veit et al. 2016, §4.2, Fig. 6a). Every count
/// is kept as an exact `BigUInt`, so shares are exact to double precision even for `n` = 10,000,
/// where `C(n, k)` and `2^n` overflow `Double`.
public struct PathLengthDistribution: Sendable {
  /// The number of residual blocks `n`.
  public let blockCount: Int
  /// `counts[k]` = C(n, k), the number of paths of length `k`, for k = 0…n.
  public let counts: [BigUInt]
  /// `2^n`, the total number of paths.
  public let totalCount: BigUInt
  /// `shares[k]` = C(n, k) / 2^n as a `Double`, for k = 0…n (correctly rounded from the exact ratio;
  /// values below about 1e-308 become subnormal or zero).
  public let shares: [Double]
  /// `log10Counts[k]` = log10 C(n, k), for k = 0…n.
  public let log10Counts: [Double]

  /// The largest `blockCount` accepted: 10,000 blocks (ResNet-1202 has 600).
  ///
  /// Exact counts need memory and printed output quadratic in n (C(n, n/2) alone has about n
  /// bits): n = 10,000 holds about 6 MB of counts and prints 15 MB of digits.
  public static let maximumBlockCount = 10_000

  /// Computes the exact counts for a network of `blockCount` residual blocks.
  ///
  /// Uses C(n, k+1) = C(n, k) · (n − k) / (k + 1), where every division is exact.
  /// - Throws: `PathLengthError.negativeBlockCount` when `blockCount < 0`, `.tooManyBlocks`
  ///   above `maximumBlockCount`.
  /// - Complexity: O(n²/64) word operations; n = 10,000 takes well under a second.
  public init(blockCount: Int) throws {
    guard blockCount >= 0 else { throw PathLengthError.negativeBlockCount(blockCount) }
    guard blockCount <= Self.maximumBlockCount else {
      throw PathLengthError.tooManyBlocks(blockCount, maximum: Self.maximumBlockCount)
    }
    self.blockCount = blockCount
    var counts: [BigUInt] = []
    counts.reserveCapacity(blockCount + 1)
    var current = BigUInt(1)
    counts.append(current)
    if blockCount > 0 {
      for k in 0..<blockCount {
        // Build only the first half; the second half mirrors it.
        if k + 1 > blockCount / 2 { break }
        current.multiply(by: UInt64(blockCount - k))
        current = current.quotientAndRemainder(dividingBy: UInt64(k + 1)).quotient
        counts.append(current)
      }
      while counts.count < blockCount + 1 {
        counts.append(counts[blockCount - counts.count])
      }
    }
    self.counts = counts
    self.totalCount = BigUInt.powerOfTwo(blockCount)
    self.shares = counts.map { $0.doubleValue(dividedByPowerOfTwo: blockCount) }
    self.log10Counts = counts.map(\.log10)
  }

  /// The mean path length, n/2.
  public var meanLength: Double { Double(blockCount) / 2 }

  /// The standard deviation of the path length, √n / 2.
  public var standardDeviation: Double { Double(blockCount).squareRoot() / 2 }

  /// The number of paths of length `k`, C(n, k); zero outside 0…n.
  public func count(ofLength k: Int) -> BigUInt {
    k >= 0 && k <= blockCount ? counts[k] : BigUInt()
  }

  /// The exact number of paths whose length lies in `range` (lengths outside 0…n contribute 0).
  ///
  /// - Complexity: O(range.count · n / 64).
  public func count(in range: ClosedRange<Int>) -> BigUInt {
    let lower = max(range.lowerBound, 0)
    let upper = min(range.upperBound, blockCount)
    var sum = BigUInt()
    if lower <= upper {
      for k in lower...upper { sum += counts[k] }
    }
    return sum
  }

  /// The share of all `2^n` paths whose length lies in `range`, summed exactly then converted.
  ///
  /// For n = 54, `share(of: 19...35)` ≈ 0.980166 and `share(of: 5...17)` ≈ 0.0045367.
  /// - Complexity: O(range.count · n / 64).
  public func share(of range: ClosedRange<Int>) -> Double {
    count(in: range).doubleValue(dividedByPowerOfTwo: blockCount)
  }

  /// The narrowest interval of path lengths holding at least `share` of all paths, centred on n/2.
  ///
  /// Precisely: among all intervals [a, b] ⊆ [0, n] whose exact path count is ≥ `share` · 2^n
  /// (compared exactly, with `share` taken as the binary fraction it is), take those of minimal
  /// width b − a; among them prefer the one whose centre (a + b)/2 is closest to n/2, then the one
  /// holding more paths, then the smaller a. For n = 54 and 0.95 this is 20…34 (share 0.959776).
  /// - Throws: `PathLengthError.invalidShare` unless 0 < share ≤ 1.
  /// - Complexity: O(n²/64) (a two-pointer sweep with exact sums).
  public func narrowestCentralInterval(holding share: Double) throws -> PathLengthInterval {
    guard share > 0, share <= 1 else { throw PathLengthError.invalidShare(share) }
    let threshold = ExactShareThreshold(share: share, totalExponent: blockCount)
    var best: (lower: Int, upper: Int, sum: BigUInt)?
    var sum = BigUInt()
    var upper = -1  // the window is lower...upper, empty when upper < lower
    for lower in 0...blockCount {
      if lower > 0 && upper >= lower - 1 { sum -= counts[lower - 1] }
      if upper < lower - 1 {
        upper = lower - 1
        sum = BigUInt()
      }
      while !threshold.isMet(by: sum) && upper < blockCount {
        upper += 1
        sum += counts[upper]
      }
      guard threshold.isMet(by: sum) else { break }  // no later start can reach the share either
      if let current = best {
        let width = upper - lower
        let bestWidth = current.upper - current.lower
        let offCentre = abs(lower + upper - blockCount)
        let bestOffCentre = abs(current.lower + current.upper - blockCount)
        if width < bestWidth
          || (width == bestWidth
            && (offCentre < bestOffCentre || (offCentre == bestOffCentre && sum > current.sum)))
        {
          best = (lower, upper, sum)
        }
      } else {
        best = (lower, upper, sum)
      }
    }
    // share ≤ 1 means the full range always qualifies, so `best` is set.
    let found = best ?? (0, blockCount, totalCount)
    return PathLengthInterval(
      range: found.lower...found.upper, count: found.sum,
      share: found.sum.doubleValue(dividedByPowerOfTwo: blockCount))
  }
}

/// A range of path lengths with its exact number of paths and its share of all paths.
public struct PathLengthInterval: Equatable, Sendable {
  /// The path lengths, inclusive.
  public let range: ClosedRange<Int>
  /// The exact number of paths with a length in `range`.
  public let count: BigUInt
  /// `count / 2^n`.
  public let share: Double
}

/// Tests `sum ≥ share · 2^totalExponent` exactly, treating `share` as the binary fraction it is.
struct ExactShareThreshold {
  /// `sum << sumShift ≥ bound` is the test.
  private let sumShift: Int
  private let bound: BigUInt

  init(share: Double, totalExponent: Int) {
    // share = significand · 2^(exponent − 52) with an integer 53-bit significand.
    let integerSignificand = UInt64(share.significand * 0x1p52)
    let power = Int(share.exponent) - 52 + totalExponent
    if power >= 0 {
      sumShift = 0
      bound = BigUInt(integerSignificand) << power
    } else {
      sumShift = -power
      bound = BigUInt(integerSignificand)
    }
  }

  func isMet(by sum: BigUInt) -> Bool {
    (sumShift == 0 ? sum : sum << sumShift) >= bound
  }
}

import Foundation

/// How much gradient each path length carries in total: the "effective paths" of Veit et al. 2016.
///
/// Given the mean gradient magnitude `g_k` of a path of length `k` (Fig. 6b), the total gradient
/// carried by all paths of length `k` is `C(n, k) · g_k` (Fig. 6c). The products overflow `Double`
/// for n ≳ 600, so they are formed in log space (`log10 C(n, k) + log10 g_k`) and normalised to sum
/// to 1 by subtracting the largest logarithm first. The paper finds that for ResNet-110 (n = 54)
/// the effective paths are 5–17 blocks long and are only 0.45% of all paths.
public struct EffectivePaths: Sendable {
  /// The exact path-length distribution for the network's block count.
  public let distribution: PathLengthDistribution
  /// `gradientMagnitudes[k]` = g_k for k = 0…n; 0 where no measurement exists.
  public let gradientMagnitudes: [Double]
  /// `log10Totals[k]` = log10 C(n, k) + log10 g_k; `-infinity` where g_k is 0 or missing.
  public let log10Totals: [Double]
  /// `gradientShares[k]` = C(n, k)·g_k / Σ_j C(n, j)·g_j; the shares sum to 1.
  public let gradientShares: [Double]

  /// Combines per-length gradient magnitudes with exact path counts.
  ///
  /// - Parameters:
  ///   - distribution: the path-length distribution of an n-block network.
  ///   - meanGradientMagnitudes: g_k for k = 0…n (n + 1 entries); `nil` or 0 marks a length with
  ///     no measurement, which then carries no gradient.
  /// - Throws: `PathLengthError.magnitudeCountMismatch` for the wrong number of entries,
  ///   `.invalidGradientMagnitude` for a negative, infinite or NaN entry, `.noPositiveGradient`
  ///   when every entry is 0 or missing.
  /// - Complexity: O(n).
  public init(distribution: PathLengthDistribution, meanGradientMagnitudes: [Double?]) throws {
    let n = distribution.blockCount
    guard meanGradientMagnitudes.count == n + 1 else {
      throw PathLengthError.magnitudeCountMismatch(
        expected: n + 1, found: meanGradientMagnitudes.count)
    }
    var magnitudes: [Double] = []
    magnitudes.reserveCapacity(n + 1)
    for (k, value) in meanGradientMagnitudes.enumerated() {
      let magnitude = value ?? 0
      guard magnitude.isFinite, magnitude >= 0 else {
        throw PathLengthError.invalidGradientMagnitude(length: k, value: magnitude)
      }
      magnitudes.append(magnitude)
    }
    let logs = zip(distribution.log10Counts, magnitudes).map { logCount, magnitude in
      magnitude > 0 ? logCount + Foundation.log10(magnitude) : -Double.infinity
    }
    guard let largest = logs.max(), largest.isFinite else {
      throw PathLengthError.noPositiveGradient
    }
    let scaled = logs.map { $0.isFinite ? Foundation.pow(10, $0 - largest) : 0 }
    let total = scaled.reduce(0, +)
    self.distribution = distribution
    self.gradientMagnitudes = magnitudes
    self.log10Totals = logs
    self.gradientShares = scaled.map { $0 / total }
  }

  /// Combines gradient magnitudes keyed by path length with the exact counts for `blockCount`.
  ///
  /// Lengths absent from `meanGradientMagnitudes` carry no gradient.
  /// - Throws: `PathLengthError.negativeBlockCount`, `.lengthOutOfRange` for a key outside 0…n,
  ///   and the errors of `init(distribution:meanGradientMagnitudes:)`.
  public init(blockCount: Int, meanGradientMagnitudes: [Int: Double]) throws {
    let distribution = try PathLengthDistribution(blockCount: blockCount)
    var magnitudes = [Double?](repeating: nil, count: blockCount + 1)
    for (length, value) in meanGradientMagnitudes {
      guard length >= 0, length <= blockCount else {
        throw PathLengthError.lengthOutOfRange(length: length, blockCount: blockCount)
      }
      magnitudes[length] = value
    }
    try self.init(distribution: distribution, meanGradientMagnitudes: magnitudes)
  }

  /// The path length carrying the most gradient (the smallest such length on ties).
  public var mode: Int {
    var best = 0
    for k in gradientShares.indices where gradientShares[k] > gradientShares[best] { best = k }
    return best
  }

  /// The narrowest contiguous range of path lengths carrying at least `share` of the gradient.
  ///
  /// Any position is allowed (not only ranges around the mode). Among ranges of minimal width the
  /// one carrying more gradient wins, then the one starting earlier. Sums are compared with a
  /// relative tolerance of 1e-12 so that `share` = 1 is met despite rounding.
  /// - Throws: `PathLengthError.invalidShare` unless 0 < share ≤ 1.
  /// - Complexity: O(n) (two-pointer sweep) plus the exact path count of the range.
  public func narrowestRange(holding share: Double) throws -> EffectivePathRange {
    guard share > 0, share <= 1 else { throw PathLengthError.invalidShare(share) }
    let n = distribution.blockCount
    let target = share - 1e-12
    var best: (lower: Int, upper: Int, sum: Double)?
    var prefix = [Double](repeating: 0, count: n + 2)
    for k in 0...n { prefix[k + 1] = prefix[k] + gradientShares[k] }
    var upper = 0
    for lower in 0...n {
      upper = max(upper, lower)
      while upper < n && prefix[upper + 1] - prefix[lower] < target { upper += 1 }
      let sum = prefix[upper + 1] - prefix[lower]
      guard sum >= target else { break }
      if let current = best {
        let width = upper - lower
        let bestWidth = current.upper - current.lower
        if width < bestWidth || (width == bestWidth && sum > current.sum) {
          best = (lower, upper, sum)
        }
      } else {
        best = (lower, upper, sum)
      }
    }
    let found = best ?? (0, n, 1)
    let range = found.lower...found.upper
    let pathCount = distribution.count(in: range)
    return EffectivePathRange(
      range: range, gradientShare: found.sum, pathCount: pathCount,
      pathShare: pathCount.doubleValue(dividedByPowerOfTwo: n))
  }
}

/// A range of path lengths with the share of gradient it carries and the share of paths it holds.
public struct EffectivePathRange: Equatable, Sendable {
  /// The path lengths, inclusive.
  public let range: ClosedRange<Int>
  /// The fraction of the total gradient (Σ C(n,k)·g_k) carried by paths with lengths in `range`.
  public let gradientShare: Double
  /// The exact number of paths with lengths in `range`.
  public let pathCount: BigUInt
  /// `pathCount / 2^n`: the fraction of all paths in `range` (0.45% for 5…17 at n = 54).
  public let pathShare: Double
}

/// Invalid input to the path-length mathematics (block counts, shares, gradient magnitudes).
public enum PathLengthError: Error, Equatable, CustomStringConvertible {
  /// A block count was negative.
  case negativeBlockCount(Int)
  /// A block count above `PathLengthDistribution.maximumBlockCount` (exact counts grow as n²).
  case tooManyBlocks(Int, maximum: Int)
  /// A share (fraction of paths or of gradient) was outside (0, 1] or not a number.
  case invalidShare(Double)
  /// A path length was outside `0…blockCount`.
  case lengthOutOfRange(length: Int, blockCount: Int)
  /// A gradient magnitude was negative, infinite or NaN.
  case invalidGradientMagnitude(length: Int, value: Double)
  /// The number of gradient magnitudes did not match `blockCount + 1`.
  case magnitudeCountMismatch(expected: Int, found: Int)
  /// No path length had a positive gradient magnitude, so nothing can be normalised.
  case noPositiveGradient

  /// One human-readable line.
  public var description: String {
    switch self {
    case .negativeBlockCount(let count):
      return "block count must be 0 or more, found \(count)"
    case .tooManyBlocks(let count, let maximum):
      return "block count must be at most \(maximum) (exact path counts need memory and output"
        + " growing as n²), found \(count)"
    case .invalidShare(let share):
      return "share must be in (0, 1], found \(share)"
    case .lengthOutOfRange(let length, let blockCount):
      return "path length \(length) is out of range: valid lengths are 0–\(blockCount)"
    case .invalidGradientMagnitude(let length, let value):
      return "gradient magnitude for path length \(length) must be finite and ≥ 0, found \(value)"
    case .magnitudeCountMismatch(let expected, let found):
      return "expected \(expected) gradient magnitudes (lengths 0…\(expected - 1)), found \(found)"
    case .noPositiveGradient:
      return "no path length has a positive gradient magnitude"
    }
  }
}

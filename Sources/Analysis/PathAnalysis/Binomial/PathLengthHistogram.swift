import Foundation

/// A text histogram of a quantity per path length, for a terminal.
///
/// One bar per path length `k`, or per group of consecutive lengths when there are more lengths
/// than `maximumBars` (a group's value is the sum of its members). Bars are scaled so the largest
/// one is `barWidth` characters; Unicode eighth blocks give sub-character resolution, or `#` when
/// `ascii` is set. Each line reads `label │bar value`, e.g. ` 27 │████████████▋ 0.107`.
public struct PathLengthHistogram: Sendable {
  /// The value for each path length k = 0…(values.count − 1); negative or non-finite values draw
  /// no bar.
  public var values: [Double]
  /// The most bars to draw; lengths are grouped when there are more.
  public var maximumBars: Int
  /// The width in characters of the longest bar.
  public var barWidth: Int
  /// Draw with `#` instead of Unicode block characters.
  public var ascii: Bool
  /// Decimal places of the value printed after each bar.
  public var decimals: Int
  /// Lines (path lengths) to mark with a trailing `*`, e.g. the effective-path range.
  public var highlighted: ClosedRange<Int>?

  /// Creates a histogram of `values` indexed by path length.
  public init(
    values: [Double], maximumBars: Int = 60, barWidth: Int = 50, ascii: Bool = false,
    decimals: Int = 4, highlighted: ClosedRange<Int>? = nil
  ) {
    self.values = values
    self.maximumBars = maximumBars
    self.barWidth = barWidth
    self.ascii = ascii
    self.decimals = decimals
    self.highlighted = highlighted
  }

  /// How many consecutive lengths each bar covers.
  public var groupSize: Int {
    let bars = max(1, maximumBars)
    return max(1, (values.count + bars - 1) / bars)
  }

  /// The rendered lines, one per bar, without line terminators.
  ///
  /// - Complexity: O(values.count + bars · barWidth).
  public func lines() -> [String] {
    guard !values.isEmpty else { return [] }
    let size = groupSize
    var groups: [(label: String, value: Double, marked: Bool)] = []
    var start = 0
    while start < values.count {
      let end = min(start + size, values.count) - 1
      var sum = 0.0
      for k in start...end where values[k].isFinite && values[k] > 0 { sum += values[k] }
      let label = start == end ? "\(start)" : "\(start)–\(end)"
      let marked = highlighted.map { $0.overlaps(start...end) } ?? false
      groups.append((label, sum, marked))
      start = end + 1
    }
    let largest = groups.map(\.value).max() ?? 0
    let labelWidth = groups.map(\.label.count).max() ?? 0
    let width = max(1, barWidth)
    return groups.map { group in
      let padding = String(repeating: " ", count: labelWidth - group.label.count)
      let bar = Self.bar(
        length: largest > 0 ? group.value / largest * Double(width) : 0, ascii: ascii)
      let value = String(format: "%.\(max(0, decimals))f", group.value)
      let line = padding + group.label + " │" + bar + " " + value + (group.marked ? " *" : "")
      return ascii
        ? line.replacingOccurrences(of: "│", with: "|").replacingOccurrences(of: "–", with: "-")
        : line
    }
  }

  /// The histogram as one string with `\n` after every line.
  public func rendered() -> String {
    lines().map { $0 + "\n" }.joined()
  }

  private static let eighths = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]

  private static func bar(length: Double, ascii: Bool) -> String {
    guard length.isFinite, length > 0 else { return "" }
    if ascii { return String(repeating: "#", count: Int(length.rounded())) }
    let totalEighths = Int((length * 8).rounded())
    return String(repeating: "█", count: totalEighths / 8) + eighths[totalEighths % 8]
  }
}

extension PathLengthDistribution {
  /// A histogram of the share of paths per length (Fig. 6a as text).
  public func histogram(maximumBars: Int = 60, barWidth: Int = 50, ascii: Bool = false)
    -> PathLengthHistogram
  {
    PathLengthHistogram(values: shares, maximumBars: maximumBars, barWidth: barWidth, ascii: ascii)
  }
}

extension EffectivePaths {
  /// A histogram of the share of gradient per path length (Fig. 6c as text), marking `range`.
  public func histogram(
    marking range: ClosedRange<Int>? = nil, maximumBars: Int = 60, barWidth: Int = 50,
    ascii: Bool = false
  ) -> PathLengthHistogram {
    PathLengthHistogram(
      values: gradientShares, maximumBars: maximumBars, barWidth: barWidth, ascii: ascii,
      highlighted: range)
  }
}

import Basics
import PathAnalysis
import Report

/// The exact distribution of path lengths of n residual blocks (Veit et al. 2016, §4.2, Fig. 6a):
/// C(n, k) paths of length k, Binomial(n, 1/2).
public struct PathLengths: Sendable {
  public var blockCount: Int
  /// Share of paths the narrowest central interval must hold.
  public var share: Double
  /// A range of lengths whose share to report as well.
  public var range: ClosedRange<Int>?

  public init(blockCount: Int, share: Double = 0.95, range: ClosedRange<Int>? = nil) {
    self.blockCount = blockCount
    self.share = share
    self.range = range
  }

  /// Computes the distribution.
  /// - Throws: `StudyError.lengthOutOfRange` for a range beyond n; `PathLengthError` for a share
  ///   outside (0, 1].
  public func run() throws -> PathLengthsResult {
    if let range, range.upperBound > blockCount || range.lowerBound < 0 {
      throw StudyError.lengthOutOfRange(option: "--range", length: range.upperBound, blockCount: blockCount)
    }
    let distribution = try PathLengthDistribution(blockCount: blockCount)
    return PathLengthsResult(
      experiment: self, distribution: distribution, central: try distribution.narrowestCentralInterval(holding: share))
  }
}

/// The distribution with its central interval.
public struct PathLengthsResult: Sendable {
  public var experiment: PathLengths
  public var distribution: PathLengthDistribution
  public var central: PathLengthInterval

  /// One row per length k = 0…n.
  public var table: ResultTable {
    let n = experiment.blockCount
    var table = ResultTable(columns: [
      .init("path_length_k_blocks", .integer), .init("paths_count", .text), .init("paths_share_fraction", .significant(4)),
      .init("log10_paths_count", .fixed(4)),
    ])
    for k in 0...n {
      table.addRow([
        .integer(k), .text(distribution.counts[k].description), .number(distribution.shares[k]),
        .number(distribution.log10Counts[k]),
      ])
    }
    table.metadata = [
      ("residual_blocks", .integer(n)), ("total_paths", .string(distribution.totalCount.description)),
      ("mean_length_blocks", .number(distribution.meanLength)),
      ("standard_deviation_blocks", .number(distribution.standardDeviation)),
      ("central_interval", .object([
        ("share_asked", .number(experiment.share)), ("first", .integer(central.range.lowerBound)),
        ("last", .integer(central.range.upperBound)), ("share", .number(central.share)),
      ])),
    ]
    table.notes = [
      "blocks n = \(n); paths 2^n = \(distribution.totalCount)",
      "mean length \(NumberFormat.fixed(distribution.meanLength, decimals: 3)), standard deviation \(NumberFormat.fixed(distribution.standardDeviation, decimals: 3))",
      "narrowest central interval with ≥ \(NumberFormat.shortest(experiment.share)) of paths: \(central.range.lowerBound)–\(central.range.upperBound) (share \(NumberFormat.significant(central.share, digits: 4)))",
    ]
    table.textAppendix =
      "\nshare of paths by length (* = central interval)\n"
      + PathLengthHistogram(values: distribution.shares, highlighted: central.range).rendered()
    if let range = experiment.range {
      let share = distribution.share(of: range)
      table.notes.append("share of lengths \(range.lowerBound)–\(range.upperBound): \(NumberFormat.significant(share, digits: 4))")
      table.metadata.append(("range", .object([
        ("first", .integer(range.lowerBound)), ("last", .integer(range.upperBound)), ("share", .number(share)),
      ])))
    }
    return table
  }
}

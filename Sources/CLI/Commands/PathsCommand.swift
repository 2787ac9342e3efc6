import Foundation
import PathAnalysis
import Report

/// `resnet-lesion paths`: the exact path-length distribution of a residual network
/// (Veit et al. 2016, §4.2 and Fig. 6a).
enum PathsCommand: LesionCommand {
  static let spec = CommandSpec(
    name: "paths",
    abstract: "Exact distribution of path lengths (Fig. 6a): C(n, k) paths of length k.",
    discussion:
      "A network of n residual blocks unravels into 2^n paths; the number of length k is C(n, k), so lengths follow Binomial(n, 1/2). Counts are exact big integers for any n; shares and logarithms are computed without overflow.",
    options: [
      .option("blocks", value: "<n>", help: "Number of residual blocks n.", default: "54"),
      .option("range", value: "<a-b>", help: "Also report the share of paths with length in a…b (e.g. 19-35)."),
      .option("share", value: "<p>", help: "Share of paths the narrowest central interval must hold.", default: "0.95"),
      CommonOptions.format, CommonOptions.output,
    ])

  static func run(_ arguments: ParsedArguments, context: CommandContext) throws {
    let n = try arguments.int("blocks", in: 0...100_000) ?? 54
    let share = try arguments.double("share", in: 0...1) ?? 0.95
    let distribution = try PathLengthDistribution(blockCount: n)
    let central = try distribution.narrowestCentralInterval(holding: share)
    var asked: (range: ClosedRange<Int>, share: Double)? = nil
    if let text = try arguments.string("range") {
      let range = try parseRange(text, limit: n)
      asked = (range, distribution.share(of: range))
    }
    let result = CommandResult(
      table: {
        var table = TextTable(columns: [.number("length k"), .text("paths C(n,k)"), .number("share"), .number("log10 count")])
        for k in 0...n {
          table.addRow([
            "\(k)", distribution.counts[k].description, NumberFormat.shortest(distribution.shares[k]),
            NumberFormat.fixed(distribution.log10Counts[k], decimals: 4),
          ])
        }
        var lines = [
          "blocks n = \(n); paths 2^n = \(distribution.totalCount)",
          "mean length \(NumberFormat.fixed(distribution.meanLength, decimals: 3)), standard deviation \(NumberFormat.fixed(distribution.standardDeviation, decimals: 3))",
          "narrowest central interval with ≥ \(NumberFormat.shortest(share)) of paths: \(central.range.lowerBound)–\(central.range.upperBound) (share \(NumberFormat.fixed(central.share, decimals: 6)))",
        ]
        if let asked {
          lines.append("share of lengths \(asked.range.lowerBound)–\(asked.range.upperBound): \(NumberFormat.fixed(asked.share, decimals: 6))")
        }
        table.footer = lines
        let histogram = PathLengthHistogram(values: distribution.shares, highlighted: central.range).rendered()
        return table.rendered() + "\nshare of paths by length (* = central interval)\n" + histogram
      },
      csv: {
        var csv = CSVTable(header: ["length_k", "paths", "share", "log10_paths"])
        for k in 0...n {
          csv.addRow([.integer(k), .text(distribution.counts[k].description), .number(distribution.shares[k]), .number(distribution.log10Counts[k])])
        }
        return csv.rendered()
      },
      json: {
        var summary: [(key: String, value: JSONValue)] = [
          ("blocks", .integer(n)), ("total_paths", .string(distribution.totalCount.description)),
          ("mean_length", .number(distribution.meanLength)), ("standard_deviation", .number(distribution.standardDeviation)),
          ("central_interval", .object([("share_asked", .number(share)), ("first", .integer(central.range.lowerBound)), ("last", .integer(central.range.upperBound)), ("share", .number(central.share))])),
        ]
        if let asked {
          summary.append(("range", .object([("first", .integer(asked.range.lowerBound)), ("last", .integer(asked.range.upperBound)), ("share", .number(asked.share))])))
        }
        let rows: [JSONValue] = (0...n).map { k in
          .object([("length", .integer(k)), ("paths", .string(distribution.counts[k].description)), ("share", .number(distribution.shares[k])), ("log10_paths", .number(distribution.log10Counts[k]))])
        }
        summary.append(("lengths", .array(rows)))
        return .object(summary)
      })
    try result.emit(arguments, context: context)
  }

  /// Parses "a-b" (or a single "k") into a range within 0…limit.
  static func parseRange(_ text: String, limit: Int) throws -> ClosedRange<Int> {
    let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard (1...2).contains(parts.count), let first = parts.first!, let last = parts.last!, first <= last else {
      throw CommandLineError.invalidValue(option: "--range", value: text, expected: "a range a-b with a ≤ b, e.g. 19-35")
    }
    guard first >= 0, last <= limit else {
      throw CommandLineError.invalidValue(option: "--range", value: text, expected: "lengths within 0–\(limit)")
    }
    return first...last
  }
}

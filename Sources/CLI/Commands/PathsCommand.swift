import Basics
import Checkpoints
import Datasets
import Engine
import Foundation
import Lesion
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
      .flag("gradients", help: "Measure gradient magnitude per path length on a model (Fig. 6b, 6c)."),
      .option("blocks", value: "<n>", help: "Number of residual blocks n (without --model).", default: "54"),
      .option("range", value: "<a-b>", help: "Also report the share of paths with length in a…b (e.g. 19-35)."),
      .option("share", value: "<p>", help: "Share of paths the narrowest central interval must hold.", default: "0.95"),
      .option("samples", value: "<n>", help: "With --gradients: random branch sets (and fresh batches) per length.", default: "10"),
      .option("seed", value: "<n>", help: "With --gradients: seed of batches and branch sets.", default: "0"),
      .option("at", value: "<where>", help: "With --gradients: measure at the first block's input (block) or the image (image).", default: "block"),
      .option("mode", value: "<mode>", help: "With --gradients: single-path (chosen blocks through their branch only, as the paper) or subsets.", default: "single-path"),
      .option("lengths", value: "<list>", help: "With --gradients: path lengths to measure (default 0…n)."),
      .option("gradient-share", value: "<p>", help: "With --gradients: share of the total gradient the effective-path range must hold.", default: "0.9"),
    ] + ModelArguments.all() + DataArguments.all.map { $0.name == "split" ? trainSplit : ($0.name == "batch-size" ? gradientBatch : $0) } + [
      CommonOptions.format, CommonOptions.output, CommonOptions.quiet,
    ])

  static let trainSplit = OptionSpec.option("split", value: "<split>", help: "train or test.", default: "train")
  static let gradientBatch = OptionSpec.option("batch-size", value: "<n>", help: "With --gradients: images per batch.", default: "32")

  static func run(_ arguments: ParsedArguments, context: CommandContext) throws {
    if try arguments.flag("gradients") {
      try runGradients(arguments, context: context)
      return
    }
    var n = try arguments.int("blocks", in: 0...100_000) ?? 54
    if try arguments.wasGiven("model") {
      n = try ModelArguments.load(arguments).network.blocks.filter(\.isResidual).count
    }
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

  /// `paths --gradients`: gradient magnitude per path length and effective paths (Fig. 6b, 6c).
  static func runGradients(_ arguments: ParsedArguments, context: CommandContext) throws {
    let model = try ModelArguments.load(arguments)
    let dataset = try DataArguments.load(arguments)
    let network = model.network
    let n = network.blocks.filter(\.isResidual).count
    let configuration = PathGradientConfiguration(
      samples: try arguments.int("samples", in: 1...1_000_000) ?? 10,
      batchSize: try arguments.int("batch-size", in: 1...100_000) ?? 32,
      seed: UInt64(try arguments.int("seed", in: 0...Int.max) ?? 0),
      location: try arguments.choice("at", as: GradientLocation.self) ?? .block,
      lengths: try arguments.integerList("lengths", in: 0...n),
      mode: try arguments.choice("mode", as: PathGradientMode.self) ?? .singlePath)
    let share = try arguments.double("gradient-share", in: 0...1) ?? 0.9
    let quiet = try arguments.flag("quiet")
    let measurement = try PathGradientMeasurement(
      network: network, dataset: dataset, mean: model.metadata.normalizationMean, std: model.metadata.normalizationStd)
    let backwards = PathGradientMeasurement.backwardCount(blockCount: n, configuration: configuration)
    if !quiet {
      context.writeError(
        "cost: \(configuration.samples) forward passes of \(configuration.batchSize) images and \(backwards) restricted backward passes (through k of \(n) branches each, about k/n of a full backward)\n")
    }
    let reporter = ProgressReporter(total: backwards, unit: "backward passes", quiet: quiet, interval: 10)
    let result = try measurement.measure(configuration) { reporter.advance(by: $0) }
    reporter.finish()
    let effective = try result.effectivePaths()
    let range = try effective.narrowestRange(holding: share)
    let distribution = effective.distribution
    let settings =
      "\(configuration.mode.rawValue) paths, gradient at the \(configuration.location == .block ? "first block's input" : "image"), \(configuration.samples) samples of \(configuration.batchSize) \(dataset.name) images per length, seed \(configuration.seed)"
    let output = CommandResult(
      table: {
        var table = TextTable(columns: [.number("length k"), .number("mean |grad|"), .number("std"), .number("samples"), .number("log10 total"), .number("share of total")])
        for point in result.points {
          table.addRow([
            "\(point.length)", NumberFormat.shortest(point.mean), NumberFormat.shortest(point.standardDeviation), "\(point.count)",
            NumberFormat.fixed(effective.log10Totals[point.length], decimals: 4), NumberFormat.fixed(effective.gradientShares[point.length], decimals: 6),
          ])
        }
        table.footer = [
          "model \(model.file.lastPathComponent) (\(model.familyDescription)), \(n) residual blocks",
          settings,
          "effective paths: lengths \(range.range.lowerBound)–\(range.range.upperBound) carry \(NumberFormat.fixed(100 * range.gradientShare, decimals: 1))% of the total gradient and are \(NumberFormat.shortest(100 * range.pathShare))% of all paths; mode \(effective.mode)",
          "(Veit et al. 2016, ResNet-110 on CIFAR-10: 5–17 blocks, 0.45% of all paths)",
        ]
        let histogram = PathLengthHistogram(values: effective.gradientShares, highlighted: range.range).rendered()
        return table.rendered() + "\nshare of total gradient by path length (* = effective paths)\n" + histogram
      },
      csv: {
        var csv = CSVTable(header: ["length_k", "paths", "gradient_l2_mean", "gradient_l2_std", "samples", "log10_total_gradient", "total_gradient_share"])
        for point in result.points {
          csv.addRow([
            .integer(point.length), .text(distribution.counts[point.length].description), .number(point.mean), .number(point.standardDeviation),
            .integer(point.count), .number(effective.log10Totals[point.length]), .number(effective.gradientShares[point.length]),
          ])
        }
        return csv.rendered()
      },
      json: {
        .object([
          ("model", .string(model.file.lastPathComponent)), ("blocks", .integer(n)), ("data", .string(dataset.name)),
          ("mode", .string(configuration.mode.rawValue)), ("location", .string(configuration.location.rawValue)),
          ("samples", .integer(configuration.samples)), ("batch_size", .integer(configuration.batchSize)),
          ("seed", .integer(Int(configuration.seed))), ("tool_version", .string(LesionProgram.version)),
          ("effective_paths", .object([
            ("share_asked", .number(share)), ("first", .integer(range.range.lowerBound)), ("last", .integer(range.range.upperBound)),
            ("gradient_share", .number(range.gradientShare)), ("path_share", .number(range.pathShare)), ("mode", .integer(effective.mode)),
          ])),
          ("lengths", .array(result.points.map { point in
            .object([
              ("length", .integer(point.length)), ("gradient_l2_mean", .number(point.mean)), ("gradient_l2_std", .number(point.standardDeviation)),
              ("samples", .integer(point.count)), ("log10_total_gradient", .number(effective.log10Totals[point.length])),
              ("total_gradient_share", .number(effective.gradientShares[point.length])),
            ])
          })),
        ])
      })
    try output.emit(arguments, context: context)
  }
}

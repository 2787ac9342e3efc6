import Basics
import Checkpoints
import Foundation
import PathAnalysis
import Report
import Studies

/// `resnet-lesion paths`: the exact path-length distribution of a residual network
/// (Veit et al. 2016, §4.2 and Fig. 6a), or with `--gradients` the gradient per path length
/// (Figs. 6b, 6c).
enum PathsCommand: LesionCommand {
  static let spec = CommandSpec(
    name: "paths",
    abstract: "Path lengths (Fig. 6a): C(n, k) paths of length k; with --gradients, gradient per length (Figs. 6b, 6c).",
    discussion:
      "A network of n residual blocks unravels into 2^n paths; the number of length k is C(n, k), so lengths follow Binomial(n, 1/2). Counts are exact big integers; shares and logarithms are computed without overflow. With --gradients, measures on a model the L2 norm of the gradient that flows through paths of each length, and the effective paths: the narrowest range of lengths carrying --gradient-share of the total gradient (over the measured lengths only when --lengths is given). --gradients measures on the training split unless --split test is given.",
    options: [
      .flag("gradients", help: "Measure gradient magnitude per path length on a model (Fig. 6b, 6c)."),
      .option("block-count", value: "<n>", help: "Number of residual blocks n (without --model), 0 to 10,000.", default: "54").aliased("blocks"),
      .option("range", value: "<a-b>", help: "Also report the share of paths with length in a…b (e.g. 19-35)."),
      .option("share", value: "<p>", help: "Share of paths the narrowest central interval must hold, in (0, 1].", default: "0.95"),
      .option("gradient-samples", value: "<n>", help: "With --gradients: random branch sets (and fresh batches) per length.", default: "10").aliased("samples"),
      .option("seed", value: "<n>", help: "With --gradients: seed of batches and branch sets.", default: "0"),
      .option("at", value: "<where>", help: "With --gradients: measure at the first block's input (block) or the image (image).", default: "block"),
      .option("gradient-mode", value: "<mode>", help: "With --gradients: single-path (chosen blocks through their branch only, as the paper) or subsets.", default: "single-path").aliased("mode"),
      .option("lengths", value: "<list>", help: "With --gradients: path lengths to measure (default 0…n)."),
      .option("gradient-share", value: "<p>", help: "With --gradients: share of the total gradient the effective-path range must hold.", default: "0.9"),
    ] + ModelArguments.all() + DataArguments.all.map { $0.name == "split" ? trainSplit : ($0.name == "batch-size" ? gradientBatch : $0) }
      + ShardedRun.options + [CommonOptions.format, CommonOptions.output, CommonOptions.quiet],
    examples: [
      "paths --block-count 54 --range 19-35",
      "paths --model resnet110 --format csv --output paths.csv",
      "paths --gradients --gradient-samples 20 --lengths 0-20 --output gradients.json",
    ])

  static let trainSplit = OptionSpec.option("split", value: "<split>", help: "train or test.", default: "train")
  static let gradientBatch = OptionSpec.option("gradient-batch", value: "<n>", help: "With --gradients: images per batch.", default: "32").aliased("batch-size")

  static func run(_ arguments: ParsedArguments, context: CommandContext) throws {
    let run = try ShardedRun(arguments, context: context)
    if try arguments.flag("gradients") { return try runGradients(arguments, run: run) }
    if try ["shard", "journal"].contains(where: { try arguments.wasGiven($0) }) {
      throw ShardingError.invalidCombination(option: "--shard/--journal", reason: "apply to 'paths --gradients' only: the exact distribution is computed at once")
    }
    let share = try shareValue(arguments, "share", default: 0.95)
    var n = try arguments.int("block-count", in: 0...PathLengthDistribution.maximumBlockCount) ?? 54
    let rangeText = try arguments.string("range")
    if try arguments.wasGiven("model") {
      n = try ModelArguments.load(arguments).network.blocks.filter(\.isResidual).count
    }
    let range = try rangeText.map { try parseRange($0, limit: n) }
    var table = try PathLengths(blockCount: n, share: share, range: range).run().table
    table.metadata = Provenance.tool + table.metadata + [("equivalent_command", .string(Provenance.equivalentCommand(arguments)))]
    try run.output.emit(table, context: context)
  }

  /// A share in (0, 1]: 0 holds no path, so it is a usage error like any value outside.
  static func shareValue(_ arguments: ParsedArguments, _ name: String, default value: Double) throws -> Double {
    let share = try arguments.double(name, in: 0...1) ?? value
    guard share > 0 else {
      throw CommandLineError.invalidValue(option: "--" + name, value: try arguments.string(name) ?? "0", expected: "a share in (0, 1]")
    }
    return share
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
  static func runGradients(_ arguments: ParsedArguments, run: ShardedRun) throws {
    let share = try shareValue(arguments, "gradient-share", default: 0.9)
    let samples = try arguments.int("gradient-samples", in: 1...1_000_000) ?? 10
    let batchSize = try arguments.int("gradient-batch", in: 1...100_000) ?? 32
    let seed = UInt64(try arguments.int("seed", in: 0...Int.max) ?? 0)
    let location = try arguments.choice("at", as: GradientLocation.self) ?? .block
    let mode = try arguments.choice("gradient-mode", as: PathGradientMode.self) ?? .singlePath
    let lengths = try arguments.integerList("lengths", in: 0...100_000)
    let study = try run.study()
    let experiment = PathGradients(
      configuration: PathGradientConfiguration(
        samples: samples, batchSize: batchSize, seed: seed, location: location, lengths: lengths, mode: mode),
      share: share)
    try run.emit(study, measuringShard: { _ = try experiment.measure(on: study) }) {
      var table = try experiment.run(on: study).table
      table.notes.append("(Veit et al. 2016, ResNet-110 on CIFAR-10: 5–17 blocks, 0.45% of all paths)")
      return table
    }
  }
}

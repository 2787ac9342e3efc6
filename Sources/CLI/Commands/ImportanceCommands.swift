import Basics
import Foundation
import Report
import Studies

/// `resnet-lesion rank`: per block, the lesion's paired change in loss and error, Block
/// Influence, a first-order estimate and Shapley values, with Spearman correlations.
enum RankCommand: LesionCommand {
  static let spec = CommandSpec(
    name: "rank",
    abstract: "Rank blocks by lesion change, Block Influence, first-order estimate and Shapley value.",
    discussion:
      "On the selected (calibration) images: per deletable block, the change in error (95% Newcombe paired interval, exact McNemar p) and in mean loss (95% paired t interval) when the block alone is deleted; Block Influence (1 − mean cosine similarity of the block's output with and without its branch, per position); the first-order estimate of the loss change (gradient at the block output · change of the output); Shapley values of the blocks for the loss over --permutations random deletion orders, with standard errors. Notes give the top blocks by each measure and the Spearman correlations between measures.",
    options: StudyArguments.options([
      .option("permutations", value: "<n>", help: "Random deletion orders for the Shapley values: 0 skips them, else at least 2.", default: "20"),
      .option("seed", value: "<n>", help: "Seed of the deletion orders (each keyed by seed and index).", default: "0"),
    ]),
    examples: [
      "rank --limit 200 --permutations 20", "rank --model resnet56.th --data cifar-10-batches-bin --per-class 20 --output rank.csv",
      "rank --limit 200 --shard 0/4 --journal rank-0.journal --output rank-0.json",
    ])

  static func run(_ arguments: ParsedArguments, context: CommandContext) throws {
    let run = try ShardedRun(arguments, context: context)
    let permutations = try DrawArguments.permutations(arguments) ?? 20
    let seed = try DrawArguments.seed(arguments)
    let study = try run.study()
    let experiment = BlockRanking(permutations: permutations, seed: UInt64(seed))
    try run.emit(study, measuringShard: { try experiment.measure(on: study) }, result: { try experiment.run(on: study).table })
  }
}

/// `resnet-lesion prune`: greedy pruning and pruning in the order of each static measure.
enum PruneCommand: LesionCommand {
  static let spec = CommandSpec(
    name: "prune",
    abstract: "Remove blocks one at a time: greedily and in the order of each importance measure.",
    discussion:
      "On the selected (calibration) images: greedy pruning removes, at each step, the block whose removal gives the lowest mean loss given the blocks already removed (re-measured after each removal); the static orders remove blocks with the smallest single-deletion loss change, Block Influence or first-order estimate first; --random-orders random orders give the baseline of Fig. 5a. One row per method and number removed: error and mean loss. With --shard, each curve is one configuration: the greedy curve is sequential (each removal needs the previous one's choice on every image) and goes whole to shard 0; a shard drawing a static-order curve measures every block first.",
    options: StudyArguments.options([
      .option("steps", value: "<n>", help: "Greedy removals (default: every deletable block)."),
      .option("random-orders", value: "<n>", help: "Random removal orders for the baseline.", default: "3"),
      .option("seed", value: "<n>", help: "Seed of the random orders.", default: "0"),
    ]),
    examples: [
      "prune --limit 200 --steps 20", "prune --random-orders 5 --seed 1 --output prune.json",
      "prune --limit 200 --shard 1/4 --output prune-1.json",
    ])

  static func run(_ arguments: ParsedArguments, context: CommandContext) throws {
    let run = try ShardedRun(arguments, context: context)
    let steps = try arguments.int("steps", in: 0...100_000)
    let orders = try arguments.int("random-orders", in: 0...10_000) ?? 3
    let seed = try DrawArguments.seed(arguments)
    let study = try run.study()
    let experiment = BlockPruning(steps: steps, randomOrders: orders, seed: UInt64(seed))
    try run.emit(study, measuringShard: { try experiment.measure(on: study) }, result: { try experiment.run(on: study).table })
  }
}

/// `resnet-lesion interactions`: every pair of blocks deleted, and how far the damage departs
/// from the sum of the single deletions.
enum InteractionsCommand: LesionCommand {
  static let spec = CommandSpec(
    name: "interactions",
    abstract: "Delete every pair of blocks: interaction Δ(a,b) − Δ(a) − Δ(b) with paired intervals.",
    discussion:
      "On the selected (calibration) images: the loss and error with each pair of blocks deleted (pairs with the same first block share activations), the interaction L(a,b) − L(a) − L(b) + L(intact) per image with its 95% t interval, and the error interaction. Notes give the share of pairs whose interval contains zero: all pairs, within each stage, across stages, with and near downsampling blocks.",
    options: StudyArguments.options([
      .option("blocks", short: "b", value: "<list>", help: "Blocks to pair (default: every deletable block), e.g. 1-18."),
      .option("heatmap", value: "<file.svg>", help: "Also draw the loss interactions as a blocks × blocks heatmap SVG (dots: 95% interval excludes zero)."),
    ]),
    examples: [
      "interactions --limit 100 --blocks 1-18", "interactions --limit 100 --output pairs.csv --heatmap pairs.svg",
    ])

  static func run(_ arguments: ParsedArguments, context: CommandContext) throws {
    let run = try ShardedRun(arguments, context: context)
    let heatmap = try OutputTarget.file(arguments, "heatmap")
    if heatmap != nil && run.isShard {
      throw ShardingError.invalidCombination(option: "--heatmap", reason: "applies to an unsharded run only (a shard writes a part file)")
    }
    let blocks = try arguments.blockList("blocks")?.blocks
    let study = try run.study()
    let experiment = BlockInteractions(blocks: blocks)
    try run.emit(study, measuringShard: { _ = try experiment.measure(on: study) }) {
      let result = try experiment.run(on: study)
      if let heatmap { try result.heatmap.write(to: heatmap) }
      return result.table
    }
  }
}

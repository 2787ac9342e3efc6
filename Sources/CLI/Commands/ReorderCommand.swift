import Basics
import Engine
import Foundation
import Report
import Statistics
import Studies

/// `resnet-lesion reorder`: run blocks in another order (Veit et al. 2016, Fig. 5b).
enum ReorderCommand: LesionCommand {
  static let spec = CommandSpec(
    name: "reorder",
    abstract: "Swap shape-compatible blocks at random and measure error against Kendall τ (Fig. 5b).",
    discussion:
      "Each draw starts from the original order and applies K random swaps of two blocks with the same input and output shapes (within a stage; downsampling blocks never move). Reports each order's Kendall τ against the original order and its error compared with the intact network on the same images. --order gives one explicit permutation instead; --summary prints the mean error per number of swaps with its 95% interval over draws.",
    options: StudyArguments.options([
      .option("swaps", value: "<list>", help: "Numbers of random swaps per order, e.g. 5 or 1-20.", default: "5"),
      .option("order", value: "<list>", help: "An explicit order of all blocks, e.g. 1,3,2,4,…"),
      .flag("summary", help: "One row per number of swaps (mean error and its 95% interval) instead of one per order."),
    ] + DrawArguments.options(defaultSamples: "10")),
    examples: [
      "reorder --swaps 1-10 --samples 20 --summary",
      "reorder --order 2,1,3-54 --format json",
    ])

  static func run(_ arguments: ParsedArguments, context: CommandContext) throws {
    let run = try ShardedRun(arguments, context: context)
    let orders: Reordering.Orders
    if let text = try arguments.string("order") {
      orders = .given(try BlockList(parsing: text, option: "--order").blocks)
    } else {
      orders = .randomSwaps(
        counts: try arguments.integerList("swaps", in: 0...100_000) ?? [5], draws: try DrawArguments.drawCount(arguments),
        seed: try DrawArguments.seed(arguments))
    }
    let summary = try arguments.flag("summary")
    let study = try run.study()
    let result = try Reordering(orders, option: try arguments.wasGiven("order") ? "--order" : "--swaps").run(on: study)
    try run.emit(summary ? result.table : result.ordersTable, study: study)
  }
}

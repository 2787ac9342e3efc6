import Basics
import Engine
import Foundation
import Report
import Statistics
import Studies

/// `resnet-lesion drop`: delete residual blocks at test time and measure what changes
/// (Veit et al. 2016, §4.1, Figs. 3 and 5a).
enum DropCommand: LesionCommand {
  static let spec = CommandSpec(
    name: "drop",
    abstract: "Delete residual blocks at test time and measure the error (Figs. 3, 5a).",
    discussion:
      "Evaluates the intact network and the network with the given residual blocks deleted: a deleted block keeps its shortcut and loses its residual branch. Each lesion is compared with the intact network on the same images: error with its 95% Wilson interval, the change in error with its 95% Newcombe paired interval and the exact McNemar p-value, the mean loss change with its paired t interval, and agreement of predictions. With --deleted K, deletes K blocks chosen at random, --samples times (one row per draw; several counts like 1,5,10 are allowed).",
    options: StudyArguments.options([
      .option("blocks", short: "b", value: "<list>", help: "Blocks to delete: 1-based numbers as 'info' prints them, lists and ranges (5,9 or 10-18)."),
      .option("stage", value: "<n>", help: "Delete every block of this stage (1-based)."),
      .option("deleted", value: "<list>", help: "Numbers of blocks to delete at random, e.g. 3 or 1,5,10 (see --samples, --seed).").aliased("random"),
      .option("per-image", value: "<path>", help: "With --blocks or --stage: also write a CSV with one row per image: label, intact and lesioned prediction and loss."),
    ] + DrawArguments.options(defaultSamples: "10")),
    examples: [
      "drop --blocks 5,9",
      "drop --model resnet56.th --data cifar-10-batches-bin --stage 2 --output stage2.csv",
      "drop --deleted 10 --samples 20 --seed 1 --format json",
      "drop --blocks 28 --per-image images.csv --output drop.csv",
    ])

  static func run(_ arguments: ParsedArguments, context: CommandContext) throws {
    let run = try ShardedRun(arguments, context: context)
    let given = try ["blocks", "stage", "deleted"].filter { try arguments.wasGiven($0) }
    guard given.count == 1 else {
      throw CommandLineError.invalidValue(
        option: given.isEmpty ? "--blocks" : "--" + given[1], value: given.isEmpty ? "" : (try arguments.string(given[1]) ?? ""),
        expected: "exactly one of --blocks, --stage or --deleted")
    }
    let perImage = try OutputTarget.file(arguments, "per-image")
    if perImage != nil && given[0] == "deleted" {
      throw CommandLineError.invalidValue(
        option: "--per-image", value: try arguments.string("per-image") ?? "", expected: "--blocks or --stage (not --deleted)")
    }
    if perImage != nil && run.isShard {
      throw ShardingError.invalidCombination(option: "--per-image", reason: "applies to an unsharded run only (a shard writes a part file)")
    }
    let blocks = try arguments.blockList("blocks")?.blocks
    let stage = try arguments.int("stage", in: 1...Int.max)
    let ks = try arguments.integerList("deleted", in: 0...100_000)
    let draws = try DrawArguments.drawCount(arguments)
    let seed = try DrawArguments.seed(arguments)
    let study = try run.study()
    let provenance = try Provenance.metadata(study, arguments: arguments)
    var table: ResultTable
    if let ks {
      let result = try RandomDeletion(counts: ks, draws: draws, seed: seed, option: "--deleted").run(on: study)
      table = result.drawsTable
      table.notes += result.table.notes
      for point in result.points {
        let mean = point.errorMean
        table.notes.append(
          "\(point.point) random blocks deleted, \(point.draws.count) draws: mean error \(NumberFormat.fixed(mean.mean, decimals: 4)) (95% \(NumberFormat.fixed(mean.lower, decimals: 4))–\(NumberFormat.fixed(mean.upper, decimals: 4))); intact \(NumberFormat.fixed(result.intact.error, decimals: 4))")
      }
    } else {
      var set = blocks ?? []
      if let stage {
        let stages = Set(study.network.blocks.map(\.stage))
        guard stages.contains(stage) else {
          throw StudyError.stageOutOfRange(option: "--stage", stage: stage, stageCount: stages.max() ?? 0)
        }
        set = study.network.blocks.filter { $0.stage == stage && $0.isDeletable }.map(\.number)
      }
      let result = try BlockDeletion(blockSets: [set], option: given[0] == "stage" ? "--stage" : "--blocks").run(on: study)
      table = result.table
      if let perImage {
        var csv = result.perImage.table.csv()
        csv.comments = Provenance.commentLines(provenance)
        try csv.write(to: perImage)
      }
    }
    try run.emit(table, study: study, provenance: provenance)
  }
}

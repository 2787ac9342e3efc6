import Basics
import Engine
import Foundation
import Report
import Statistics
import Studies

/// `resnet-lesion sweep`: every block deleted alone (Veit et al. 2016, Fig. 3), or random
/// k-deletions for a range of k (Fig. 5a).
enum SweepCommand: LesionCommand {
  static let spec = CommandSpec(
    name: "sweep",
    abstract: "Delete every block alone (Fig. 3), or k random blocks for each k (Fig. 5a).",
    discussion:
      "Without --deleted: one row per block with the error after deleting that block alone and its paired comparison with the intact network (Newcombe interval for the change, exact McNemar p), downsampling blocks marked, the intact network as block 0. Layers of plain networks that change shape cannot be deleted and have empty cells. With --deleted 1-20: for each k, random sets of k deleted blocks; the mean error over draws with its 95% t interval (--samples auto draws until the half-width is at most --precision). Draw j of k is the same whatever other k are asked.",
    options: StudyArguments.options([
      .option("deleted", value: "<list>", help: "Numbers of randomly deleted blocks, e.g. 1-20 or 1,5,10.").aliased("random"),
    ] + DrawArguments.options(defaultSamples: "10")),
    examples: [
      "sweep --output sweep.csv",
      "sweep --deleted 1-10 --samples auto --precision 0.02",
      "sweep --model resnet56.th --data cifar-10-batches-bin --limit 1000 --format json",
      "sweep --shard 0/4 --journal part-0.journal --output part-0.json",
    ])

  static func run(_ arguments: ParsedArguments, context: CommandContext) throws {
    let run = try ShardedRun(arguments, context: context)
    let ks = try arguments.integerList("deleted", in: 0...100_000)
    let draws = try DrawArguments.drawCount(arguments)
    let seed = try DrawArguments.seed(arguments)
    let study = try run.study()
    let table: ResultTable
    if let ks {
      let experiment = RandomDeletion(counts: ks, draws: draws, seed: seed, option: "--deleted")
      try experiment.check(study.network)
      table = try experiment.run(on: study).table
    } else {
      table = try SingleDeletionSweep().run(on: study).table
    }
    try run.emit(table, study: study)
  }
}

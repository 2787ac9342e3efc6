import Basics
import Engine
import Foundation
import Lesion
import Report
import Statistics

/// `resnet-lesion drop`: delete residual blocks at test time and measure what changes
/// (Veit et al. 2016, §4.1, Figs. 3 and 5a).
enum DropCommand: LesionCommand {
  static let spec = CommandSpec(
    name: "drop",
    abstract: "Delete residual blocks at test time and measure the error (Figs. 3, 5a).",
    discussion:
      "Evaluates the intact network and the network with the given residual blocks deleted: a deleted block keeps its shortcut and loses its residual branch. Reports test error with its 95% Wilson interval, the change against the intact network, mean cross-entropy loss, and agreement of predictions with the intact network. With --random K, deletes K blocks chosen at random, --samples times. Without --model/--data: the bundled resnet110 on the MNIST-5k test split.",
    options: ModelArguments.all() + DataArguments.all + [
      .option("blocks", short: "b", value: "<list>", help: "Blocks to delete: 1-based numbers as 'info' prints them, lists and ranges (5,9 or 10-18)."),
      .option("stage", value: "<n>", help: "Delete every block of this stage (1-based)."),
      .option("random", value: "<k>", help: "Delete k blocks chosen at random (see --samples, --seed)."),
      .option("samples", value: "<n>", help: "Random sets to draw with --random.", default: "10"),
      .option("seed", value: "<n>", help: "Seed of the random sets.", default: "0"),
      CommonOptions.format, CommonOptions.output, CommonOptions.quiet,
    ])

  static func run(_ arguments: ParsedArguments, context: CommandContext) throws {
    let given = try ["blocks", "stage", "random"].filter { try arguments.wasGiven($0) }
    guard given.count == 1 else {
      throw CommandLineError.invalidValue(
        option: given.isEmpty ? "--blocks" : "--" + given[1], value: given.isEmpty ? "" : (try arguments.string(given[1]) ?? ""),
        expected: "exactly one of --blocks, --stage or --random")
    }
    let samples = try arguments.int("samples", in: 1...1_000_000) ?? 10
    let seed = try arguments.int("seed", in: 0...Int.max) ?? 0
    let study = try LesionStudy(arguments, context: context)
    let network = study.network
    var plans: [LesionPlan]
    var random: Int? = nil
    if let list = try arguments.blockList("blocks") {
      try study.validateDeletion(list.blocks, option: "--blocks")
      plans = [LesionPlan(deleted: Set(list.blocks))]
    } else if let stage = try arguments.int("stage", in: 1...Int.max) {
      let stages = Set(network.blocks.map(\.stage))
      guard stages.contains(stage) else {
        throw CommandLineError.invalidValue(option: "--stage", value: "\(stage)", expected: "a stage in 1–\(stages.max() ?? 0)")
      }
      let blocks = network.blocks.filter { $0.stage == stage && $0.isDeletable }.map(\.number)
      plans = [LesionPlan(deleted: Set(blocks))]
    } else {
      let k = try arguments.int("random", in: 0...network.blockCount) ?? 0
      var generator = SplitMix64(seed: UInt64(seed))
      plans = try RandomLesions.deletionPlans(network: network, k: k, samples: samples, generator: &generator)
      random = k
    }
    let (intact, results) = try study.evaluate(plans)
    func name(_ plan: LesionPlan) -> String {
      "delete " + BlockList(blocks: plan.deleted.sorted()).description
    }
    let result = CommandResult(
      table: {
        var table = TextTable(columns: [.text("network")] + LesionFormat.columns)
        table.addRow(["intact"] + LesionFormat.cells(intact, intact))
        for r in results { table.addRow([name(r.plan)] + LesionFormat.cells(r, intact)) }
        table.footer = [study.description]
        if let k = random {
          let s = Summary(results.map(\.error))
          table.footer.append(
            "\(k) random blocks deleted, \(results.count) samples (seed \(seed)): error mean \(LesionFormat.percent(s.mean))%, std \(LesionFormat.percent(s.standardDeviation)), min \(LesionFormat.percent(s.minimum))%, max \(LesionFormat.percent(s.maximum))%")
        }
        return table.rendered()
      },
      csv: {
        var csv = CSVTable(header: ["network", "deleted_blocks"] + LesionFormat.csvHeader)
        csv.addRow([.text("intact"), .text("")] + LesionFormat.csv(intact, intact))
        for r in results {
          csv.addRow([.text("lesioned"), .text(r.plan.deleted.sorted().map(String.init).joined(separator: " "))] + LesionFormat.csv(r, intact))
        }
        return csv.rendered()
      },
      json: {
        var object = study.json
        object.append(("intact", .object(LesionFormat.json(intact, intact))))
        object.append(("lesions", .array(results.map { r in
          .object([("deleted_blocks", .array(r.plan.deleted.sorted().map { .integer($0) }))] + LesionFormat.json(r, intact))
        })))
        if let k = random {
          let s = Summary(results.map(\.error))
          object.append(("random", .object([
            ("k", .integer(k)), ("samples", .integer(samples)), ("seed", .integer(seed)), ("error_mean", .number(s.mean)),
            ("error_std", .number(s.standardDeviation)), ("error_min", .number(s.minimum)), ("error_max", .number(s.maximum)),
          ])))
        }
        return .object(object)
      })
    try result.emit(arguments, context: context)
  }
}

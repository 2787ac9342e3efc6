import Basics
import Engine
import Foundation
import Lesion
import Report
import Statistics

/// `resnet-lesion sweep`: every block deleted alone (Veit et al. 2016, Fig. 3), or random
/// k-deletions for a range of k (Fig. 5a).
enum SweepCommand: LesionCommand {
  static let spec = CommandSpec(
    name: "sweep",
    abstract: "Delete every block alone (Fig. 3), or k random blocks for each k (Fig. 5a).",
    discussion:
      "Without --random: one row per block with the error after deleting that block alone, downsampling blocks marked, the intact network as the reference row. Works for plain networks too (layers that change shape cannot be deleted and are reported as such). With --random 1-20: for each k, --samples random sets of k deleted blocks; mean, standard deviation, minimum and maximum error. Activations before the first changed block are computed once per batch and shared.",
    options: ModelArguments.all() + DataArguments.all + [
      .option("random", value: "<list>", help: "Numbers of randomly deleted blocks, e.g. 1-20 or 1,5,10."),
      .option("samples", value: "<n>", help: "Random sets per k with --random.", default: "10"),
      .option("seed", value: "<n>", help: "Seed of the random sets.", default: "0"),
      CommonOptions.format, CommonOptions.output, CommonOptions.quiet,
    ])

  static func run(_ arguments: ParsedArguments, context: CommandContext) throws {
    let study = try LesionStudy(arguments, context: context)
    let network = study.network
    if let ks = try arguments.integerList("random", in: 0...network.blockCount) {
      let samples = try arguments.int("samples", in: 1...1_000_000) ?? 10
      let seed = try arguments.int("seed", in: 0...Int.max) ?? 0
      try randomSweep(study: study, ks: ks, samples: samples, seed: seed, arguments: arguments, context: context)
      return
    }
    let deletable = network.blocks.filter(\.isDeletable)
    let plans = deletable.map { LesionPlan(deleted: [$0.number]) }
    let (intact, results) = try study.evaluate(plans)
    let byNumber = Dictionary(uniqueKeysWithValues: zip(deletable.map(\.number), results))
    let result = CommandResult(
      table: {
        var table = TextTable(columns: [.number("block"), .text("name"), .number("stage"), .text("downsampling")] + LesionFormat.columns)
        table.addRow(["–", "intact", "", ""] + LesionFormat.cells(intact, intact))
        for block in network.blocks {
          let head = ["\(block.number)", block.name, "\(block.stage)", block.isDownsampling ? "yes" : ""]
          if let r = byNumber[block.number] {
            table.addRow(head + LesionFormat.cells(r, intact))
          } else {
            table.addRow(head + ["not deletable", "", "", "", "", ""])
          }
        }
        let worst = results.max { $0.error < $1.error }
        table.footer = [study.description]
        if let worst, let number = worst.plan.deleted.first {
          table.footer.append("largest change: block \(number) (\(LesionFormat.change(worst, intact)) points)")
        }
        return table.rendered()
      },
      csv: {
        var csv = CSVTable(header: ["block", "name", "stage", "downsampling", "deletable"] + LesionFormat.csvHeader)
        csv.addRow([.integer(0), .text("intact"), .text(""), .text(""), .text("")] + LesionFormat.csv(intact, intact))
        for block in network.blocks {
          let head: [CSVValue] = [.integer(block.number), .text(block.name), .integer(block.stage), .integer(block.isDownsampling ? 1 : 0)]
          if let r = byNumber[block.number] {
            csv.addRow(head + [.integer(1)] + LesionFormat.csv(r, intact))
          } else {
            csv.addRow(head + [.integer(0)] + Array(repeating: CSVValue.missing, count: LesionFormat.csvHeader.count))
          }
        }
        return csv.rendered()
      },
      json: {
        var object = study.json
        object.append(("intact", .object(LesionFormat.json(intact, intact))))
        object.append(("blocks", .array(network.blocks.map { block in
          var entry: [(key: String, value: JSONValue)] = [
            ("block", .integer(block.number)), ("name", .string(block.name)), ("stage", .integer(block.stage)),
            ("downsampling", .bool(block.isDownsampling)), ("deletable", .bool(byNumber[block.number] != nil)),
          ]
          if let r = byNumber[block.number] { entry += LesionFormat.json(r, intact) }
          return .object(entry)
        })))
        return .object(object)
      })
    try result.emit(arguments, context: context)
  }

  /// For each k, `samples` random sets of k deleted blocks.
  static func randomSweep(study: LesionStudy, ks: [Int], samples: Int, seed: Int, arguments: ParsedArguments, context: CommandContext) throws {
    var generator = SplitMix64(seed: UInt64(seed))
    var plans: [LesionPlan] = []
    for k in ks {
      plans += try RandomLesions.deletionPlans(network: study.network, k: k, samples: samples, generator: &generator)
    }
    let (intact, results) = try study.evaluate(plans)
    let groups: [(k: Int, summary: Summary)] = ks.enumerated().map { index, k in
      (k, Summary(results[(index * samples)..<((index + 1) * samples)].map(\.error)))
    }
    let result = CommandResult(
      table: {
        var table = TextTable(columns: [.number("deleted k"), .number("samples"), .number("mean error %"), .number("std"), .number("min %"), .number("max %")])
        table.addRow(["0", "1", LesionFormat.percent(intact.error), "", "", ""])
        for g in groups {
          table.addRow([
            "\(g.k)", "\(g.summary.count)", LesionFormat.percent(g.summary.mean), LesionFormat.percent(g.summary.standardDeviation),
            LesionFormat.percent(g.summary.minimum), LesionFormat.percent(g.summary.maximum),
          ])
        }
        table.footer = [study.description, "seed \(seed); intact error \(LesionFormat.percent(intact.error))% (95% \(LesionFormat.interval(intact)))"]
        return table.rendered()
      },
      csv: {
        var csv = CSVTable(header: ["deleted_blocks_k", "samples", "error_mean", "error_std", "error_min", "error_max"])
        csv.addRow([.integer(0), .integer(1)] + [intact.error, 0, intact.error, intact.error].map { .number($0, .fixed(decimals: 6)) })
        for g in groups {
          csv.addRow([.integer(g.k), .integer(g.summary.count)] + [g.summary.mean, g.summary.standardDeviation, g.summary.minimum, g.summary.maximum].map { .number($0, .fixed(decimals: 6)) })
        }
        return csv.rendered()
      },
      json: {
        var object = study.json
        object += [("seed", .integer(seed)), ("samples", .integer(samples)), ("intact", .object(LesionFormat.json(intact, intact)))]
        object.append(("random", .array(groups.map { g in
          .object([
            ("k", .integer(g.k)), ("error_mean", .number(g.summary.mean)), ("error_std", .number(g.summary.standardDeviation)),
            ("error_min", .number(g.summary.minimum)), ("error_max", .number(g.summary.maximum)),
          ])
        })))
        object.append(("samples_detail", .array(results.map { r in
          .object([("deleted_blocks", .array(r.plan.deleted.sorted().map { .integer($0) })), ("error", .number(r.error))])
        })))
        return .object(object)
      })
    try result.emit(arguments, context: context)
  }
}

import Basics
import Engine
import Foundation
import Lesion
import Report
import Statistics

/// `resnet-lesion reorder`: run blocks in another order (Veit et al. 2016, Fig. 5b).
enum ReorderCommand: LesionCommand {
  static let spec = CommandSpec(
    name: "reorder",
    abstract: "Swap shape-compatible blocks at random and measure error against Kendall τ (Fig. 5b).",
    discussion:
      "Each sample starts from the original order and applies K random swaps of two blocks with the same input and output shapes (within a stage; downsampling blocks never move). Reports for each resulting order its Kendall τ against the original order and its error. --order gives one explicit permutation instead.",
    options: ModelArguments.all() + DataArguments.all + [
      .option("swaps", value: "<list>", help: "Numbers of random swaps per order, e.g. 5 or 1-20.", default: "5"),
      .option("samples", value: "<n>", help: "Random orders per number of swaps.", default: "10"),
      .option("seed", value: "<n>", help: "Seed of the random swaps.", default: "0"),
      .option("order", value: "<list>", help: "An explicit order of all blocks, e.g. 1,3,2,4,…"),
      CommonOptions.format, CommonOptions.output, CommonOptions.quiet,
    ])

  static func run(_ arguments: ParsedArguments, context: CommandContext) throws {
    let study = try LesionStudy(arguments, context: context)
    let network = study.network
    var plans: [LesionPlan] = []
    var swapsOf: [Int] = []
    let seed = try arguments.int("seed", in: 0...Int.max) ?? 0
    if let text = try arguments.string("order") {
      let order = try BlockList(parsing: text, option: "--order")
      try order.validate(blockCount: network.blockCount)
      let plan = LesionPlan(order: order.blocks)
      do {
        _ = try network.applying(plan)
      } catch let error as EngineError {
        throw CommandLineError.invalidValue(option: "--order", value: text, expected: "a permutation that keeps shapes: \(error)")
      }
      plans = [plan]
      swapsOf = [-1]
    } else {
      let swaps = try arguments.integerList("swaps", in: 0...100_000) ?? [5]
      let samples = try arguments.int("samples", in: 1...1_000_000) ?? 10
      var generator = SplitMix64(seed: UInt64(seed))
      for k in swaps {
        plans += try RandomLesions.reorderingPlans(network: network, swaps: k, samples: samples, generator: &generator)
        swapsOf += Array(repeating: k, count: samples)
      }
    }
    let (intact, results) = try study.evaluate(plans)
    let taus = plans.map { kendallTau($0.order ?? network.blocks.map(\.number)) }
    let result = CommandResult(
      table: {
        var table = TextTable(columns: [.number("swaps"), .number("Kendall τ")] + LesionFormat.columns)
        table.addRow(["0", "1.0000"] + LesionFormat.cells(intact, intact))
        for (i, r) in results.enumerated() {
          table.addRow([swapsOf[i] < 0 ? "given" : "\(swapsOf[i])", NumberFormat.fixed(taus[i], decimals: 4)] + LesionFormat.cells(r, intact))
        }
        table.footer = [study.description, "seed \(seed)"]
        return table.rendered()
      },
      csv: {
        var csv = CSVTable(header: ["swaps", "kendall_tau", "order"] + LesionFormat.csvHeader)
        csv.addRow([.integer(0), .number(1, .fixed(decimals: 6)), .text(network.blocks.map { "\($0.number)" }.joined(separator: " "))] + LesionFormat.csv(intact, intact))
        for (i, r) in results.enumerated() {
          csv.addRow([.integer(swapsOf[i]), .number(taus[i], .fixed(decimals: 6)), .text((r.plan.order ?? []).map(String.init).joined(separator: " "))] + LesionFormat.csv(r, intact))
        }
        return csv.rendered()
      },
      json: {
        var object = study.json
        object += [("seed", .integer(seed)), ("intact", .object(LesionFormat.json(intact, intact)))]
        object.append(("orders", .array(results.enumerated().map { i, r in
          .object([("swaps", .integer(swapsOf[i])), ("kendall_tau", .number(taus[i])), ("order", .array((r.plan.order ?? []).map { .integer($0) }))] + LesionFormat.json(r, intact))
        })))
        return .object(object)
      })
    try result.emit(arguments, context: context)
  }
}

import Engine
import Lesion
import Report

/// Every deletable block deleted alone (Veit et al. 2016, Fig. 3): one lesion per block.
public struct SingleDeletionSweep: Sendable {
  public init() {}

  /// Runs the sweep over every deletable block.
  public func run(on study: Study) throws -> SingleDeletionResult {
    let network = study.network
    let deletable = study.owned(network.blocks.filter(\.isDeletable).map(\.number))
    let (intact, lesions) = try study.evaluate(deletable.map { LesionPlan(deleted: [$0]) }, task: "single deletions")
    let comparisons = lesions.map { LesionComparison($0, intact: intact) }
    return SingleDeletionResult(
      blocks: network.blocks.map(SingleDeletionResult.Block.init), intact: LesionComparison(intact, intact),
      byBlock: Dictionary(uniqueKeysWithValues: zip(deletable, comparisons)))
  }
}

/// The result of a single-deletion sweep: the intact network and each deletable block's lesion.
public struct SingleDeletionResult: Sendable {
  /// What the rows say about a block.
  public struct Block: Sendable {
    public var number: Int
    public var name: String
    public var stage: Int
    public var isDownsampling: Bool

    init(_ block: ResidualBlock) {
      number = block.number
      name = block.name
      stage = block.stage
      isDownsampling = block.isDownsampling
    }
  }

  /// Every block of the network, in order.
  public var blocks: [Block]
  public var intact: LesionComparison
  /// The lesion of each deletable block, by block number.
  public var byBlock: [Int: LesionComparison]

  /// The block whose deletion raises the error most (the lower number on ties).
  public var worst: (block: Block, comparison: LesionComparison)? {
    guard let (number, comparison) = byBlock.max(by: { ($0.value.error, -$0.key) < ($1.value.error, -$1.key) })
    else { return nil }
    return (blocks[number - 1], comparison)
  }

  /// Block 0 is the intact network; blocks that cannot be deleted have empty measurements.
  public var table: ResultTable {
    var table = ResultTable(
      columns: [
        .init("block", .integer), .init("name", .text), .init("stage", .integer), .init("downsampling", .integer),
        .init("deletable", .integer),
      ] + LesionComparison.columns)
    table.addRow([.integer(0), .text("intact"), .missing, .missing, .missing] + intact.cells)
    for block in blocks {
      let head: [ResultTable.Value] = [
        .integer(block.number), .text(block.name), .integer(block.stage), .integer(block.isDownsampling ? 1 : 0),
      ]
      if let comparison = byBlock[block.number] {
        table.addRow(head + [.integer(1)] + comparison.cells)
      } else {
        table.addRow(head + [.integer(0)])
      }
    }
    table.notes = [LesionComparison.methodNote]
    if let worst {
      table.notes.append(
        "largest change: block \(worst.block.number) (\(worst.block.name)), error change \(NumberFormat.fixed(worst.comparison.errorChange.errorChange, decimals: 4)) (95% \(NumberFormat.fixed(worst.comparison.errorChange.lower, decimals: 4)) to \(NumberFormat.fixed(worst.comparison.errorChange.upper, decimals: 4)), McNemar p \(NumberFormat.significant(worst.comparison.errorChange.mcNemarExactP, digits: 3)))")
    }
    return table
  }
}

import Engine
import Lesion
import Report

/// Deleting given sets of blocks at test time (Veit et al. 2016, §4.1): each set is one lesion,
/// scored against the intact network on the same images.
public struct BlockDeletion: Sendable {
  /// The block sets to delete, one lesion each (1-based numbers).
  public var blockSets: [[Int]]
  /// The option the blocks came from, for error messages.
  public var option: String

  public init(blockSets: [[Int]], option: String = "--blocks") {
    self.blockSets = blockSets
    self.option = option
  }

  /// Runs the experiment.
  ///
  /// A shard splits the images, not the lesions (one lesion is one configuration and cannot be
  /// split otherwise): it evaluates the intact network and every lesion on its contiguous range
  /// of whole batches (`ShardSpec.imageRange`), records the range in the evaluation store, and
  /// returns the result on those images only; `merge` joins the ranges in image order.
  /// - Throws: `StudyError` for a block out of range, repeated or not deletable.
  public func run(on study: Study) throws -> BlockDeletionResult {
    for set in blockSets { try study.checkDeletable(set, option: option) }
    let plans = blockSets.map { LesionPlan(deleted: Set($0)) }
    var evaluated = study
    if let shard = study.shard {
      let range = shard.imageRange(images: study.dataset.count, batchSize: study.batchSize)
      study.evaluations?.imageRange = range
      evaluated.shard = nil
      evaluated.dataset = try study.dataset.subset(Array(range))
      if range.isEmpty {
        let empty = LesionResult(plan: .intact)
        return BlockDeletionResult(
          intact: LesionComparison(empty, empty), lesions: [], perImage: PerImageResults(labels: [], intact: empty, lesions: []))
      }
    }
    let (intact, lesions) = try evaluated.evaluate(plans, task: "block deletion")
    return BlockDeletionResult(
      intact: LesionComparison(intact, intact), lesions: lesions.map { LesionComparison($0, intact: intact) },
      perImage: PerImageResults(labels: evaluated.dataset.labels, intact: intact, lesions: lesions))
  }
}

/// Each image's label, and its prediction and loss under the intact network and each lesion, for
/// researchers who run their own tests on the paired outcomes.
public struct PerImageResults: Sendable {
  public var labels: [Int]
  public var intact: LesionResult
  public var lesions: [LesionResult]

  /// One row per lesion and image (image = 0-based position in the evaluated selection): the
  /// deleted blocks, the label, and the intact and lesioned prediction and loss.
  /// - Complexity: O(lesions × images).
  public var table: ResultTable {
    var table = ResultTable(columns: [
      .init("deleted_blocks", .text), .init("image", .integer), .init("label", .integer),
      .init("intact_prediction", .integer), .init("intact_loss_nats", .significant(6)),
      .init("lesioned_prediction", .integer), .init("lesioned_loss_nats", .significant(6)),
    ])
    for lesion in lesions {
      let blocks = ResultTable.Value.integers(lesion.plan.deleted.sorted())
      for image in labels.indices {
        table.addRow([
          blocks, .integer(image), .integer(labels[image]), .integer(intact.predictions[image]),
          .number(intact.losses[image]), .integer(lesion.predictions[image]), .number(lesion.losses[image]),
        ])
      }
    }
    table.notes = ["image: 0-based position in the evaluated selection (after --offset, --limit, --per-class); losses: cross-entropy, natural log"]
    return table
  }
}

extension LesionComparison {
  /// The intact network compared with itself (change 0, p = 1): the reference row.
  init(_ intact: LesionResult, _ same: LesionResult) { self.init(intact, intact: same) }

  /// The deleted blocks, sorted.
  public var deletedBlocks: [Int] { result.plan.deleted.sorted() }
}

/// The intact network and each lesion with paired statistics.
public struct BlockDeletionResult: Sendable {
  public var intact: LesionComparison
  public var lesions: [LesionComparison]
  /// Per image: label, intact and lesioned predictions and losses.
  public var perImage: PerImageResults

  /// One row for the intact network, then one per lesion.
  public var table: ResultTable {
    var table = ResultTable(
      columns: [.init("network", .text), .init("deleted_blocks", .text)] + LesionComparison.columns)
    table.addRow([.text("intact"), .integers([])] + intact.cells)
    for lesion in lesions { table.addRow([.text("lesioned"), .integers(lesion.deletedBlocks)] + lesion.cells) }
    table.notes = [LesionComparison.methodNote]
    return table
  }
}

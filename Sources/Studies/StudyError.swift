import Basics
import Foundation

/// A study asked for something the model cannot do: the user's request is at fault, so the
/// command line exits with status 64 (`UsageError`). Each case names the option and the valid range.
public enum StudyError: UsageError, Equatable, CustomStringConvertible {
  /// A block number outside 1…blockCount.
  case blockOutOfRange(option: String, block: Int, blockCount: Int)
  /// The same block twice in one list.
  case duplicateBlock(option: String, block: Int)
  /// A block that cannot be deleted (a plain layer that changes shape).
  case notDeletable(option: String, block: Int, reason: String)
  /// A stage number the network does not have.
  case stageOutOfRange(option: String, stage: Int, stageCount: Int)
  /// More random deletions than deletable blocks.
  case tooManyDeletions(option: String, k: Int, deletable: Int)
  /// An order that is not a permutation of the blocks, or that breaks shapes.
  case impossibleOrder(option: String, reason: String)
  /// Random swaps asked of a network without two blocks of the same shape.
  case nothingToSwap(option: String)
  /// Path lengths beyond the network's residual blocks.
  case lengthOutOfRange(option: String, length: Int, blockCount: Int)
  /// A data selection that leaves no image (`--offset` at or beyond the data).
  case emptySelection(option: String, value: Int, available: Int)

  public var description: String {
    switch self {
    case .blockOutOfRange(let option, let block, let count):
      return Self.blockOutOfRangeMessage(block: block, option: option, blockCount: count)
    case .duplicateBlock(let option, let block):
      return "block \(block) appears twice in '\(option)'"
    case .notDeletable(let option, let block, let reason):
      return "block \(block) in '\(option)' cannot be deleted: \(reason)"
    case .stageOutOfRange(let option, let stage, let count):
      return "stage \(stage) in '\(option)' is out of range: valid stages are 1–\(count)"
    case .tooManyDeletions(let option, let k, let deletable):
      return "cannot delete \(k) random blocks ('\(option)'): the network has \(deletable) deletable blocks"
    case .impossibleOrder(let option, let reason):
      return "invalid order for '\(option)': \(reason)"
    case .nothingToSwap(let option):
      return "'\(option)' needs two blocks of the same shape to swap, and the network has none"
    case .lengthOutOfRange(let option, let length, let count):
      return "path length \(length) in '\(option)' is out of range: valid lengths are 0–\(count)"
    case .emptySelection(let option, let value, let available):
      return "'\(option) \(value)' leaves no image: the data has \(available)"
    }
  }
}

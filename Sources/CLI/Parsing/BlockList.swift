import Foundation

/// A user's list of residual blocks, numbered from 1: `"5,9"`, `"10-18"`, `"1,3-5,9"`.
///
/// Parsing checks the form (no empty items, numbers ≥ 1, ranges not reversed, no duplicates);
/// checking against a network happens later in `validate(blockCount:)`, once the model is loaded.
/// Blocks keep the order in which they were written.
public struct BlockList: Equatable, Sendable, CustomStringConvertible {
  /// The block numbers (1-based), in the order written, without duplicates.
  public let blocks: [Int]
  /// The option the list came from (e.g. `--blocks`), for error messages.
  public let option: String?

  /// Wraps already-known block numbers.
  public init(blocks: [Int], option: String? = nil) {
    self.blocks = blocks
    self.option = option
  }

  /// Parses a list such as `1,3-5,9` (spaces around items are ignored).
  ///
  /// - Throws: `CommandLineError.invalidBlockList` naming the problem: an empty list or item, a
  ///   non-number, a block below 1, a reversed range, or a duplicate block.
  /// - Complexity: O(number of blocks listed).
  public init(parsing text: String, option: String? = nil) throws {
    do {
      self.init(blocks: try IntegerList.parse(text, minimum: 1), option: option)
    } catch let problem as BlockListProblem {
      throw CommandLineError.invalidBlockList(option: option, text: text, problem: problem)
    }
  }

  /// Checks every block against a network of `blockCount` blocks.
  ///
  /// - Throws: `CommandLineError.blockOutOfRange` for the first block above `blockCount`, naming
  ///   the valid range (`1–54`).
  public func validate(blockCount: Int) throws {
    if let block = blocks.first(where: { $0 > blockCount || $0 < 1 }) {
      throw CommandLineError.blockOutOfRange(option: option, block: block, blockCount: blockCount)
    }
  }

  /// The blocks as 0-based indices, in the order written.
  public var zeroBasedIndices: [Int] { blocks.map { $0 - 1 } }

  /// The blocks in the compact written form, ascending with runs as ranges: `1,3-5,9`.
  public var description: String {
    let sorted = blocks.sorted()
    var parts: [String] = []
    var index = 0
    while index < sorted.count {
      var end = index
      while end + 1 < sorted.count && sorted[end + 1] == sorted[end] + 1 { end += 1 }
      parts.append(end > index ? "\(sorted[index])-\(sorted[end])" : "\(sorted[index])")
      index = end + 1
    }
    return parts.joined(separator: ",")
  }

  /// Two lists are equal when they name the same blocks in the same order.
  public static func == (lhs: BlockList, rhs: BlockList) -> Bool { lhs.blocks == rhs.blocks }
}

/// Parses comma-separated integers and inclusive ranges (`0-20`, `1,2,4,8`).
enum IntegerList {
  /// The listed integers in order.
  ///
  /// - Throws: `BlockListProblem`.
  static func parse(_ text: String, minimum: Int, allowingRepeats: Bool = false) throws -> [Int] {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    guard !trimmed.isEmpty else { throw BlockListProblem.empty }
    var values: [Int] = []
    var seen = Set<Int>()
    for (offset, rawItem) in trimmed.split(separator: ",", omittingEmptySubsequences: false)
      .enumerated()
    {
      let item = rawItem.trimmingCharacters(in: .whitespaces)
      guard !item.isEmpty else { throw BlockListProblem.emptyItem(position: offset + 1) }
      let bounds = item.split(separator: "-", omittingEmptySubsequences: false).map {
        $0.trimmingCharacters(in: .whitespaces)
      }
      func number(_ text: String) throws -> Int {
        guard !text.isEmpty, text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber),
          let value = Int(text)
        else {
          // A leading "-" splits into an empty first bound: report negatives clearly.
          throw BlockListProblem.notANumber(item)
        }
        return value
      }
      let low: Int
      let high: Int
      switch bounds.count {
      case 1:
        low = try number(bounds[0])
        high = low
      case 2 where bounds[0].isEmpty:
        // "-3": a negative number.
        let value = try number(bounds[1])
        throw BlockListProblem.belowMinimum(-value, minimum: minimum)
      case 2:
        low = try number(bounds[0])
        high = try number(bounds[1])
      default:
        throw BlockListProblem.notANumber(item)
      }
      guard low >= minimum else { throw BlockListProblem.belowMinimum(low, minimum: minimum) }
      guard high >= low else { throw BlockListProblem.reversedRange(low, high) }
      guard high - low <= 1_000_000 else { throw BlockListProblem.notANumber(item) }
      for value in low...high {
        guard seen.insert(value).inserted || allowingRepeats else { throw BlockListProblem.duplicate(value) }
        values.append(value)
      }
    }
    return values
  }
}

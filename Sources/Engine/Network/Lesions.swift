/// A lesion of Veit et al. 2016: which blocks run, in which order, and which lose their branch.
///
/// Block numbers are 1-based in the original network's forward order, as `info` prints them.
public struct LesionPlan: Hashable, Sendable, Codable, CustomStringConvertible {
  /// Execution order as block numbers (a permutation of 1…n), or nil for the original order.
  public var order: [Int]?
  /// Blocks whose residual branch is deleted (plain blocks are skipped entirely).
  public var deleted: Set<Int>

  public init(order: [Int]? = nil, deleted: Set<Int> = []) {
    self.order = order
    self.deleted = deleted
  }

  /// The intact network.
  public static let intact = LesionPlan()

  public var description: String {
    var parts: [String] = []
    if !deleted.isEmpty { parts.append("delete " + deleted.sorted().map(String.init).joined(separator: ",")) }
    if let order { parts.append("order " + order.map(String.init).joined(separator: ",")) }
    return parts.isEmpty ? "intact" : parts.joined(separator: "; ")
  }
}

extension Network {
  /// The network with the residual branches of `numbers` deleted (plain blocks removed).
  ///
  /// A deleted residual block keeps its shortcut and whatever follows the addition, so a deleted
  /// downsampling block still subsamples (option A) or projects (option B).
  /// - Throws: `EngineError.blockOutOfRange` (with the valid range) for a number that is not a
  ///   block, `.invalidOrder` for a repeated number, `.undeletableBlock` for a plain block whose
  ///   input and output shapes differ.
  /// - Complexity: O(n) in the number of blocks.
  public func deletingBlocks(_ numbers: some Sequence<Int>) throws -> Network {
    var seen = Set<Int>()
    var result = self
    for number in numbers {
      guard seen.insert(number).inserted else {
        throw EngineError.invalidOrder("block \(number) is listed twice")
      }
      guard let position = result.blocks.firstIndex(where: { $0.number == number }) else {
        throw EngineError.blockOutOfRange(number: number, blockCount: configuration.blockCount)
      }
      let block = result.blocks[position]
      if block.isResidual {
        result.blocks[position].isBranchDeleted = true
      } else {
        guard block.inputShape == block.outputShape else {
          throw EngineError.undeletableBlock(
            block: number, name: block.name, input: block.inputShape, output: block.outputShape)
        }
        result.blocks.remove(at: position)
      }
    }
    return result
  }

  /// The network with its blocks run in `order` (block numbers, a permutation of the blocks).
  ///
  /// - Throws: `EngineError.invalidOrder` if `order` is not a permutation of the block numbers,
  ///   `.incompatibleBlock` naming the first block that would receive a feature map of the wrong
  ///   shape.
  public func reorderingBlocks(_ order: [Int]) throws -> Network {
    let numbers = blocks.map(\.number)
    guard order.count == numbers.count, Set(order) == Set(numbers) else {
      let missing = Set(numbers).subtracting(order).sorted()
      let extra = Set(order).subtracting(numbers).sorted()
      var problems: [String] = []
      if order.count != Set(order).count { problems.append("repeated blocks") }
      if !missing.isEmpty { problems.append("missing blocks \(missing.map(String.init).joined(separator: ","))") }
      if !extra.isEmpty { problems.append("blocks \(extra.map(String.init).joined(separator: ",")) do not exist (valid 1–\(configuration.blockCount))") }
      throw EngineError.invalidOrder(
        "need a permutation of the \(numbers.count) blocks: " + problems.joined(separator: "; "))
    }
    let byNumber = Dictionary(uniqueKeysWithValues: blocks.map { ($0.number, $0) })
    var result = self
    result.blocks = order.map { byNumber[$0]! }
    try result.validateBlockShapes()
    return result
  }

  /// Applies a plan: first the order, then the deletions.
  public func applying(_ plan: LesionPlan) throws -> Network {
    var result = self
    if let order = plan.order { result = try result.reorderingBlocks(order) }
    return try result.deletingBlocks(plan.deleted.sorted())
  }

  /// Checks that every block receives the feature-map shape it was built for.
  /// - Throws: `EngineError.incompatibleBlock` naming the first block that does not.
  public func validateBlockShapes() throws {
    var shape = stemOutputShape
    for block in blocks {
      guard block.inputShape == shape else {
        throw EngineError.incompatibleBlock(
          block: block.number, name: block.name, expected: block.inputShape, found: shape)
      }
      shape = block.outputShape
    }
    let expected = head.isEmpty ? classifier.inputCount : shape.channels
    guard shape.channels == classifier.inputCount, expected == classifier.inputCount else {
      throw EngineError.shapeMismatch(
        what: classifier.name, expected: "\(classifier.inputCount) channels", found: "\(shape)")
    }
  }
}

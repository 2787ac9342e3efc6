/// Errors the engine throws for networks, plans and tensors that do not fit together.
///
/// Every case names the layer or block involved and the expected and found values, so that the
/// one-line description is enough to fix the input.
public enum EngineError: Error, Equatable, CustomStringConvertible {
  /// A tensor's shape does not fit where it is used (`what` names the layer or parameter).
  case shapeMismatch(what: String, expected: String, found: String)
  /// A block number outside the network (`number` is 1-based, as users give it).
  case blockOutOfRange(number: Int, blockCount: Int)
  /// A plan whose order is not a permutation of the blocks.
  case invalidOrder(String)
  /// A plan that cannot run: `block` (1-based) receives a feature map it cannot take.
  case incompatibleBlock(block: Int, name: String, expected: FeatureShape, found: FeatureShape)
  /// A plain (shortcut-free) block whose input and output shapes differ cannot be deleted.
  case undeletableBlock(block: Int, name: String, input: FeatureShape, output: FeatureShape)
  /// Parameters given to `loadStateDictionary` that the network lacks, or lacks them.
  case stateDictionaryMismatch(missing: [String], unexpected: [String])
  /// Labels outside `0..<classCount`.
  case labelOutOfRange(index: Int, label: Int, classCount: Int)
  /// A configuration that cannot build a network.
  case invalidConfiguration(String)

  public var description: String {
    switch self {
    case .shapeMismatch(let what, let expected, let found):
      return "\(what): expected \(expected), found \(found)"
    case .blockOutOfRange(let number, let blockCount):
      return "block \(number) is out of range: valid blocks are 1–\(blockCount)"
    case .invalidOrder(let message):
      return "invalid block order: \(message)"
    case .incompatibleBlock(let block, let name, let expected, let found):
      return "block \(block) (\(name)) takes \(expected) feature maps but would receive \(found)"
    case .undeletableBlock(let block, let name, let input, let output):
      return "block \(block) (\(name)) has no shortcut and maps \(input) to \(output): deleting it would break the shapes"
    case .stateDictionaryMismatch(let missing, let unexpected):
      var parts: [String] = []
      if !missing.isEmpty { parts.append("missing keys: " + Self.list(missing)) }
      if !unexpected.isEmpty { parts.append("unexpected keys: " + Self.list(unexpected)) }
      return "parameters do not fit the architecture (" + parts.joined(separator: "; ") + ")"
    case .labelOutOfRange(let index, let label, let classCount):
      return "label \(label) of example \(index) is outside the model's \(classCount) classes (0–\(classCount - 1))"
    case .invalidConfiguration(let message):
      return "invalid network configuration: \(message)"
    }
  }

  private static func list(_ keys: [String]) -> String {
    let shown = keys.prefix(8).joined(separator: ", ")
    return keys.count > 8 ? shown + ", … (\(keys.count) in all)" : shown
  }
}

/// A residual network: stem → ordered array of residual blocks → head → classifier.
///
/// Residual blocks are an array so that the lesions of Veit et al. 2016 are value operations:
/// `deletingBlocks(_:)` and `reorderingBlocks(_:)` return new networks (see `Lesions.swift`).
/// Every block keeps its original 1-based `number`, the numbering users and figures use.
public struct Network: Sendable, Equatable {
  public var configuration: NetworkConfiguration
  /// Layers before the first block, e.g. conv-BN-ReLU (N, C, H, W) → (N, width₁, H, W).
  public var stem: [Layer]
  /// The residual blocks in execution order.
  public var blocks: [ResidualBlock]
  /// Layers after the last block and before pooling (pre-activation nets: final BN-ReLU).
  public var head: [Layer]
  /// Global average pooling then this layer gives the logits (N, classCount).
  public var classifier: Linear

  /// The shape of one input image.
  public var inputShape: FeatureShape { configuration.inputShape }
  public var classCount: Int { classifier.outputCount }
  /// Blocks in the network (after deletions of plain blocks, fewer than the original).
  public var blockCount: Int { blocks.count }

  /// Total trainable parameters.
  public var parameterCount: Int {
    stem.reduce(0) { $0 + $1.parameterCount } + blocks.reduce(0) { $0 + $1.parameterCount }
      + head.reduce(0) { $0 + $1.parameterCount } + classifier.parameterCount
  }

  /// Multiply-accumulates per image of the whole forward pass (convolutions and classifier).
  public var multiplyAccumulates: Int {
    var total = 0
    var shape = inputShape
    for layer in stem {
      total += layer.multiplyAccumulates(for: shape)
      shape = (try? layer.outputShape(for: shape)) ?? shape
    }
    for block in blocks where !block.isBranchDeleted { total += block.multiplyAccumulates }
    return total + classifier.parameterCount - classifier.outputCount
  }

  /// The shape entering the first block.
  public var stemOutputShape: FeatureShape {
    (try? stem.outputShape(for: inputShape)) ?? inputShape
  }
}

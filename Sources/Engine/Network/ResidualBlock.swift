/// How a block's input reaches its output besides the residual branch.
public enum Shortcut: Sendable, Equatable {
  /// y = x (shapes must agree).
  case identity
  /// Option A of He et al. 2016: keep every `stride`-th row and column, pad zero channels
  /// (`before` in front, `after` behind). No parameters.
  case subsampleAndPad(stride: Int, before: Int, after: Int)
  /// Option B: a 1×1 convolution (and usually batch norm), PyTorch's `downsample` / `shortcut`;
  /// timm's average-pool shortcuts (`avg_down`) start with an `averagePool` layer.
  /// In pre-activation blocks it takes the pre-activated input; with no layers it is the identity
  /// of the pre-activated input (fb.resnet.torch's 'both_preact' blocks with equal shapes).
  case projection([Layer])
  /// No shortcut: a plain layer (VGG-style). Deleting such a block passes its input through.
  case none
}

/// One residual block: y = post(shortcut(x) + scale · branch(pre(x))).
///
/// - Post-activation blocks (He et al. 2016a): `preActivation` is empty and `activationAfterAddition`
///   is true (ReLU after the sum).
/// - Pre-activation blocks (He et al. 2016b): `preActivation` = [BN, ReLU] feeds the branch, and a
///   projection shortcut too (kuangliu's `PreActBlock`); identity shortcuts take x itself.
/// - Pre-activation bottlenecks (He et al. 2016b, the ImageNet ResNet-200 of the lesion paper's
///   Fig. 4): the same pre-activation, branch BN-ReLU-conv1×1 → BN-ReLU-conv3×3 (stride) →
///   conv1×1 to 4× width; kuangliu's `PreActBottleneck`, timm's `PreActBottleneck`.
///
/// Deleting a pre-activation block whose shortcut is a projection keeps [BN, ReLU] and the
/// projection: y = projection(ReLU(BN(x))). That is what skipping the residual branch means in the
/// reference code: timm's `resnetv2` computes `shortcut = downsample(norm1(x))` before the branch,
/// kuangliu's blocks `shortcut(relu(bn1(x)))`, and fb.resnet.torch's `preresnet.lua` puts the
/// BN-ReLU of such ('both_preact') blocks before the `ConcatTable` of branch and shortcut. Deleting
/// a block with an identity shortcut gives y = x, with no normalization or activation.
/// - Plain blocks (`shortcut == .none`): y = branch(x); no addition.
///
/// Deleting a residual block replaces the branch output with zero; what follows the addition
/// still applies (Veit et al. 2016, §4.1).
public struct ResidualBlock: Sendable, Equatable {
  /// The PyTorch module prefix, e.g. `layer2.0`.
  public var name: String
  /// 1-based stage number.
  public var stage: Int
  public var preActivation: [Layer]
  public var branch: [Layer]
  public var shortcut: Shortcut
  public var activationAfterAddition: Bool
  /// Multiplies the branch output (stochastic depth's test-time survival probability; 1 otherwise).
  public var branchScale: Float
  /// The block's 1-based number in the original network's forward order (kept when reordered).
  public var number: Int = 0
  /// True when a lesion deleted this block's branch (its shortcut and post-activation remain).
  public var isBranchDeleted: Bool = false
  /// Shape of the block's input and output.
  public var inputShape: FeatureShape
  public var outputShape: FeatureShape

  public init(
    name: String, stage: Int, preActivation: [Layer] = [], branch: [Layer], shortcut: Shortcut,
    activationAfterAddition: Bool, branchScale: Float = 1, inputShape: FeatureShape
  ) throws {
    self.name = name
    self.stage = stage
    self.preActivation = preActivation
    self.branch = branch
    self.shortcut = shortcut
    self.activationAfterAddition = activationAfterAddition
    self.branchScale = branchScale
    self.inputShape = inputShape
    let branchOutput = try branch.outputShape(for: preActivation.outputShape(for: inputShape))
    self.outputShape = branchOutput
    let shortcutOutput: FeatureShape
    switch shortcut {
    case .identity, .none: shortcutOutput = inputShape
    case .subsampleAndPad(let stride, let before, let after):
      shortcutOutput = FeatureShape(
        channels: inputShape.channels + before + after,
        height: (inputShape.height + stride - 1) / stride,
        width: (inputShape.width + stride - 1) / stride)
    case .projection(let layers):
      shortcutOutput = try layers.outputShape(for: preActivation.outputShape(for: inputShape))
    }
    if shortcut != .none && shortcutOutput != branchOutput {
      throw EngineError.shapeMismatch(
        what: "\(name) shortcut", expected: "\(branchOutput) (the branch output)",
        found: "\(shortcutOutput)")
    }
  }

  /// True for blocks with a shortcut (deleting them keeps the shortcut path).
  public var isResidual: Bool { shortcut != .none }

  /// True when the block changes the feature-map shape (a stage transition).
  public var isDownsampling: Bool { inputShape != outputShape }

  /// True when the shortcut takes the pre-activated input (pre-activation projection blocks).
  var shortcutUsesPreActivation: Bool {
    if case .projection = shortcut { return !preActivation.isEmpty }
    return false
  }

  /// Whether the forward pass runs the block's tail (last batch norm, addition, ReLU) in one pass:
  /// an active branch ending in a batch norm, unscaled, with an identity or subsample-and-pad
  /// shortcut. Such a block's output can also be recomputed from its input and the batch norm's
  /// recorded input (`Network.recomputeBlockOutput`).
  var fusesTail: Bool {
    guard !isBranchDeleted, branchScale == 1, case .batchNorm = branch.last else { return false }
    switch shortcut {
    case .identity, .subsampleAndPad: return true
    case .none, .projection: return false
    }
  }

  /// Whether deleting the block leaves a runnable network.
  public var isDeletable: Bool { isResidual || inputShape == outputShape }

  /// A short description of the shortcut for tables: "identity", "option A", "projection",
  /// "average pool + projection", "none".
  public var shortcutKind: String {
    switch shortcut {
    case .identity: return "identity"
    case .subsampleAndPad: return "option A"
    case .projection(let layers):
      if case .averagePool = layers.first { return "average pool + projection" }
      return layers.isEmpty ? "identity (pre-activated)" : "projection"
    case .none: return "none"
    }
  }

  /// Parameters in the block (weights, biases, γ and β).
  public var parameterCount: Int {
    var total = (preActivation + branch).reduce(0) { $0 + $1.parameterCount }
    if case .projection(let layers) = shortcut { total += layers.reduce(0) { $0 + $1.parameterCount } }
    return total
  }

  /// Multiply-accumulates per image of the branch and the shortcut.
  public var multiplyAccumulates: Int {
    var total = 0
    var shape = inputShape
    for layer in preActivation + branch {
      total += layer.multiplyAccumulates(for: shape)
      shape = (try? layer.outputShape(for: shape)) ?? shape
    }
    if case .projection(let layers) = shortcut {
      var shape = inputShape
      for layer in layers {
        total += layer.multiplyAccumulates(for: shape)
        shape = (try? layer.outputShape(for: shape)) ?? shape
      }
    }
    return total
  }
}

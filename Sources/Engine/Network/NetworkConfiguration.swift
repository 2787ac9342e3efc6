/// The network families the engine builds, each as stem → ordered residual blocks → head.
public enum NetworkFamily: String, Codable, Sendable, CaseIterable {
  /// CIFAR ResNets (He et al. 2016a): 3×3 stem, stages of basic blocks, option A or B shortcuts.
  case cifarResNet = "cifar-resnet"
  /// Pre-activation CIFAR ResNets (He et al. 2016b): BN-ReLU-conv branches, final BN-ReLU.
  case preActivationResNet = "preact-resnet"
  /// torchvision ImageNet ResNets: 7×7 stride-2 stem, max pool, basic or bottleneck blocks.
  case imageNetResNet = "imagenet-resnet"
  /// The CIFAR ResNet layout without shortcuts (He et al.'s plain baseline).
  case plainCIFAR = "plain-cifar"
  /// A VGG-style stack of conv-BN-ReLU layers; each layer is a block.
  case vgg = "vgg"
}

/// Everything needed to build a network's layers (not its weights).
///
/// Parameter names follow the PyTorch code each family comes from: akamaster's `resnet.py` for
/// CIFAR option A (`linear` head), chenyaofo's / torchvision's for option B and ImageNet (`fc`,
/// `downsample.0/1`), kuangliu's `PreActResNet` (`shortcut.0`, final `bn`), and our own for VGG
/// (`layers.{i}.conv`, `layers.{i}.bn`).
public struct NetworkConfiguration: Codable, Sendable, Equatable {
  public enum ShortcutOption: String, Codable, Sendable {
    /// Zero-padding, parameter-free (He et al.'s option A).
    case a = "A"
    /// 1×1 convolution projection where the shape changes (option B).
    case b = "B"
  }

  public var family: NetworkFamily
  public var inputChannels: Int
  public var inputHeight: Int
  public var inputWidth: Int
  public var classCount: Int
  /// Output channels of each stage's blocks (for bottlenecks: the inner width; outputs are 4×).
  public var stageWidths: [Int]
  public var blocksPerStage: [Int]
  public var shortcut: ShortcutOption
  public var bottleneck: Bool
  /// Module name of the classifier: `linear` (akamaster, kuangliu, ours) or `fc` (torchvision).
  public var classifierName: String
  /// Module name of projection shortcuts: `downsample` (torchvision) or `shortcut` (akamaster, kuangliu).
  public var projectionName: String
  /// Whether projection shortcuts have batch norm (torchvision, akamaster: yes; kuangliu preact: no).
  public var projectionHasBatchNorm: Bool
  /// Pre-activation nets only: final BN-ReLU before pooling (He et al. 2016b; kuangliu omits it).
  public var finalNormalization: Bool
  /// Stochastic depth: branch output scale per block at test time (survival probabilities), or nil.
  public var branchScales: [Float]?

  public init(
    family: NetworkFamily, inputChannels: Int, inputHeight: Int, inputWidth: Int, classCount: Int,
    stageWidths: [Int], blocksPerStage: [Int], shortcut: ShortcutOption = .a,
    bottleneck: Bool = false, classifierName: String? = nil, projectionName: String? = nil,
    projectionHasBatchNorm: Bool? = nil, finalNormalization: Bool = true,
    branchScales: [Float]? = nil
  ) {
    self.family = family
    self.inputChannels = inputChannels
    self.inputHeight = inputHeight
    self.inputWidth = inputWidth
    self.classCount = classCount
    self.stageWidths = stageWidths
    self.blocksPerStage = blocksPerStage
    self.shortcut = shortcut
    self.bottleneck = bottleneck
    let torchvisionNames = family == .imageNetResNet || (family == .cifarResNet && shortcut == .b)
    self.classifierName = classifierName ?? (torchvisionNames ? "fc" : "linear")
    self.projectionName = projectionName ?? (torchvisionNames ? "downsample" : "shortcut")
    self.projectionHasBatchNorm = projectionHasBatchNorm ?? (family != .preActivationResNet)
    self.finalNormalization = finalNormalization
    self.branchScales = branchScales
  }

  /// The CIFAR ResNet of depth 6n+2 (ResNet-20, 32, 44, 56, 110, 1202 for n = 3, 5, 7, 9, 18, 200).
  public static func cifarResNet(
    depth: Int, inputChannels: Int = 3, inputSize: Int = 32, classCount: Int = 10,
    widths: [Int] = [16, 32, 64], shortcut: ShortcutOption = .a
  ) throws -> NetworkConfiguration {
    guard depth >= 8, (depth - 2) % 6 == 0 else {
      throw EngineError.invalidConfiguration("CIFAR ResNet depth must be 6n+2 with n ≥ 1, got \(depth)")
    }
    let n = (depth - 2) / 6
    return NetworkConfiguration(
      family: .cifarResNet, inputChannels: inputChannels, inputHeight: inputSize,
      inputWidth: inputSize, classCount: classCount, stageWidths: widths,
      blocksPerStage: Array(repeating: n, count: widths.count), shortcut: shortcut)
  }

  /// The input shape of one image.
  public var inputShape: FeatureShape {
    FeatureShape(channels: inputChannels, height: inputHeight, width: inputWidth)
  }

  /// Total residual blocks (layers, for VGG).
  public var blockCount: Int { blocksPerStage.reduce(0, +) }
}

extension Network {
  /// Builds a network with PyTorch's initial parameter values: zero convolution filters, identity
  /// batch norms, zero classifier. Load trained weights with `loadStateDictionary` or initialize
  /// them for training.
  /// - Throws: `EngineError.invalidConfiguration` or `.shapeMismatch` when the layout cannot work
  ///   (e.g. an input too small for the number of stride-2 stages).
  public init(_ configuration: NetworkConfiguration) throws {
    let c = configuration
    guard c.inputChannels > 0, c.inputHeight > 0, c.inputWidth > 0, c.classCount > 0 else {
      throw EngineError.invalidConfiguration("input shape and class count must be positive")
    }
    guard !c.stageWidths.isEmpty, c.stageWidths.count == c.blocksPerStage.count,
      c.stageWidths.allSatisfy({ $0 > 0 }), c.blocksPerStage.allSatisfy({ $0 > 0 })
    else {
      throw EngineError.invalidConfiguration(
        "need one positive width and block count per stage, got widths \(c.stageWidths) and blocks \(c.blocksPerStage)")
    }
    if let scales = c.branchScales, scales.count != c.blockCount {
      throw EngineError.invalidConfiguration(
        "\(scales.count) branch scales given for \(c.blockCount) blocks")
    }
    var stem: [Layer] = []
    var head: [Layer] = []
    var blocks: [ResidualBlock] = []
    let input = c.inputShape
    func conv(_ name: String, _ inC: Int, _ outC: Int, _ k: Int, _ stride: Int, _ pad: Int) -> Layer {
      .convolution(
        Convolution2D(
          name: name, inputChannels: inC, outputChannels: outC, kernelSize: k, stride: stride,
          padding: pad))
    }
    func bn(_ name: String, _ channels: Int) -> Layer { .batchNorm(BatchNorm(name: name, channels: channels)) }

    var channels: Int
    switch c.family {
    case .cifarResNet, .plainCIFAR, .vgg:
      stem = [conv("conv1", c.inputChannels, c.stageWidths[0], 3, 1, 1), bn("bn1", c.stageWidths[0]), .relu]
      channels = c.stageWidths[0]
    case .preActivationResNet:
      stem = [conv("conv1", c.inputChannels, c.stageWidths[0], 3, 1, 1)]
      channels = c.stageWidths[0]
    case .imageNetResNet:
      stem = [
        conv("conv1", c.inputChannels, c.stageWidths[0], 7, 2, 3), bn("bn1", c.stageWidths[0]), .relu,
        .maxPool(MaxPool(kernelSize: 3, stride: 2, padding: 1)),
      ]
      channels = c.stageWidths[0]
    }
    var shape = try stem.outputShape(for: input)
    var number = 0
    for (stageIndex, width) in c.stageWidths.enumerated() {
      for b in 0..<c.blocksPerStage[stageIndex] {
        number += 1
        let stride = (stageIndex > 0 && b == 0) ? 2 : 1
        let scale = c.branchScales?[number - 1] ?? 1
        let block: ResidualBlock
        switch c.family {
        case .vgg:
          let name = "layers.\(number - 1)"
          block = try ResidualBlock(
            name: name, stage: stageIndex + 1,
            branch: [conv(name + ".conv", channels, width, 3, stride, 1), bn(name + ".bn", width), .relu],
            shortcut: .none, activationAfterAddition: false, inputShape: shape)
          channels = width
        case .cifarResNet, .plainCIFAR:
          let name = "layer\(stageIndex + 1).\(b)"
          let branch: [Layer] = [
            conv(name + ".conv1", channels, width, 3, stride, 1), bn(name + ".bn1", width), .relu,
            conv(name + ".conv2", width, width, 3, 1, 1), bn(name + ".bn2", width),
          ]
          var shortcut = Shortcut.identity
          if c.family == .plainCIFAR {
            block = try ResidualBlock(
              name: name, stage: stageIndex + 1, branch: branch + [.relu], shortcut: .none,
              activationAfterAddition: false, inputShape: shape)
          } else {
            if stride != 1 || channels != width {
              switch c.shortcut {
              case .a:
                guard width >= channels else {
                  throw EngineError.invalidConfiguration(
                    "option-A shortcut cannot shrink channels (\(channels) → \(width)) in \(name)")
                }
                let extra = width - channels
                shortcut = .subsampleAndPad(stride: stride, before: extra / 2, after: extra - extra / 2)
              case .b:
                shortcut = .projection(
                  [conv("\(name).\(c.projectionName).0", channels, width, 1, stride, 0)]
                    + (c.projectionHasBatchNorm ? [bn("\(name).\(c.projectionName).1", width)] : []))
              }
            }
            block = try ResidualBlock(
              name: name, stage: stageIndex + 1, branch: branch, shortcut: shortcut,
              activationAfterAddition: true, branchScale: scale, inputShape: shape)
          }
          channels = width
        case .preActivationResNet:
          let name = "layer\(stageIndex + 1).\(b)"
          var shortcut = Shortcut.identity
          if stride != 1 || channels != width {
            shortcut = .projection(
              [conv("\(name).\(c.projectionName).0", channels, width, 1, stride, 0)]
                + (c.projectionHasBatchNorm ? [bn("\(name).\(c.projectionName).1", width)] : []))
          }
          block = try ResidualBlock(
            name: name, stage: stageIndex + 1, preActivation: [bn(name + ".bn1", channels), .relu],
            branch: [
              conv(name + ".conv1", channels, width, 3, stride, 1), bn(name + ".bn2", width), .relu,
              conv(name + ".conv2", width, width, 3, 1, 1),
            ], shortcut: shortcut, activationAfterAddition: false, branchScale: scale, inputShape: shape)
          channels = width
        case .imageNetResNet:
          let name = "layer\(stageIndex + 1).\(b)"
          let outWidth = c.bottleneck ? width * 4 : width
          let branch: [Layer]
          if c.bottleneck {
            branch = [
              conv(name + ".conv1", channels, width, 1, 1, 0), bn(name + ".bn1", width), .relu,
              conv(name + ".conv2", width, width, 3, stride, 1), bn(name + ".bn2", width), .relu,
              conv(name + ".conv3", width, outWidth, 1, 1, 0), bn(name + ".bn3", outWidth),
            ]
          } else {
            branch = [
              conv(name + ".conv1", channels, width, 3, stride, 1), bn(name + ".bn1", width), .relu,
              conv(name + ".conv2", width, width, 3, 1, 1), bn(name + ".bn2", width),
            ]
          }
          var shortcut = Shortcut.identity
          if stride != 1 || channels != outWidth {
            shortcut = .projection([
              conv("\(name).\(c.projectionName).0", channels, outWidth, 1, stride, 0),
              bn("\(name).\(c.projectionName).1", outWidth),
            ])
          }
          block = try ResidualBlock(
            name: name, stage: stageIndex + 1, branch: branch, shortcut: shortcut,
            activationAfterAddition: true, branchScale: scale, inputShape: shape)
          channels = outWidth
        }
        var numbered = block
        numbered.number = number
        blocks.append(numbered)
        shape = block.outputShape
      }
    }
    if c.family == .preActivationResNet && c.finalNormalization {
      head = [bn("bn", channels), .relu]
    }
    self.configuration = configuration
    self.stem = stem
    self.blocks = blocks
    self.head = head
    self.classifier = Linear(name: c.classifierName, inputCount: channels, outputCount: c.classCount)
  }
}

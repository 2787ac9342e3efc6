/// The network families the engine builds, each as stem → ordered residual blocks → head.
public enum NetworkFamily: String, Codable, Sendable, CaseIterable {
  /// CIFAR ResNets (He et al. 2016a): 3×3 stem, stages of basic blocks, option A or B shortcuts.
  case cifarResNet = "cifar-resnet"
  /// Pre-activation CIFAR ResNets (He et al. 2016b): BN-ReLU-conv branches, final BN-ReLU.
  case preActivationResNet = "preact-resnet"
  /// torchvision ImageNet ResNets: 7×7 stride-2 stem, max pool, basic or bottleneck blocks.
  case imageNetResNet = "imagenet-resnet"
  /// Pre-activation ImageNet ResNets (He et al. 2016b; timm's `resnetv2`): 7×7 stride-2 stem
  /// convolution and max pool without normalization, pre-activation basic or bottleneck blocks
  /// whose projection shortcuts take the pre-activated input, final BN-ReLU.
  case preActivationImageNetResNet = "preact-imagenet-resnet"
  /// The CIFAR ResNet layout without shortcuts (He et al.'s plain baseline).
  case plainCIFAR = "plain-cifar"
  /// A VGG-style stack of conv-BN-ReLU layers (or conv-ReLU with conv biases, see
  /// `NetworkConfiguration.batchNormalization`); each layer is a block.
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
  /// Parameter names of another library (Hugging Face transformers, timm `resnetv2`), or nil
  /// for the family's classic names.
  public var naming: ParameterNaming?
  /// ImageNet-style stems: output channels of the stem convolutions. nil or one width: a single
  /// 7×7 stride-2 convolution (nil: as wide as stage 1). Three widths: timm's deep stem of three
  /// 3×3 convolutions (`conv1.0`, `conv1.3`, `conv1.6`, stride 2 first; `resnet50c`/`resnet50d`).
  public var stemWidths: [Int]?
  /// Pre-activation ImageNet nets only: the stem is conv-BN-ReLU-max pool and the first block has
  /// no pre-activation of its own (fb.resnet.torch's `preresnet.lua`, whose first block is
  /// 'no_preact'); nil or false: timm's stem without normalization.
  public var stemNormalization: Bool?
  /// Pre-activation nets only: the first block of each stage applies its BN-ReLU before splitting
  /// into branch and shortcut (fb.resnet.torch's 'both_preact'), so an identity shortcut there
  /// takes the pre-activated input (`Shortcut.projection([])`); nil or false: it takes x itself.
  public var sharedPreActivation: Bool?
  /// VGG only: nil or true for conv-BN-ReLU layers (convolutions without bias, stem `conv1`-`bn1`);
  /// false for conv-ReLU layers whose convolutions have biases and no batch norm anywhere, as in
  /// the paper's 15-layer VGG-style network (Veit et al. 2016, §4.1; Simonyan & Zisserman 2015).
  public var batchNormalization: Bool?
  /// ImageNet-style nets only: projection shortcuts average-pool first (2×2, stride 2, ceil mode,
  /// padding not counted; nothing in stride-1 blocks) and then apply a stride-1 1×1 convolution,
  /// timm's `avg_down=True` (`resnet50d`, `resnetv2_50d`; He et al. 2019, "Bag of Tricks", ResNet-D).
  /// Classic names put the convolution and batch norm at `downsample.1/2` (`downsample.0` is the
  /// pool); timm `resnetv2` names stay `downsample.conv/norm`. nil or false: strided 1×1 projections.
  public var averagePoolShortcuts: Bool?
  /// CIFAR option-A shortcuts only: where the zero channels go. nil or false: half before and half
  /// after the input's channels (akamaster's `F.pad(…, (0, 0, 0, 0, planes//4, planes//4))`); true:
  /// all after them (fb.resnet.torch's `Concat(2)[Identity, MulConstant(0)]`).
  public var zeroChannelsAfterInput: Bool?
  /// The first block of the first stage has stride 2 as well (transformers'
  /// `downsample_in_first_stage`); nil or false: the first stage keeps the stem's resolution.
  public var stridedFirstStage: Bool?
  /// Post-activation ImageNet bottlenecks only: the stride sits in the first 1×1 convolution
  /// instead of the 3×3 (transformers' `downsample_in_bottleneck`, the layout of He et al.'s
  /// original Caffe models); nil or false: in the 3×3 (torchvision's "ResNet v1.5").
  public var strideInFirstConvolution: Bool?

  public init(
    family: NetworkFamily, inputChannels: Int, inputHeight: Int, inputWidth: Int, classCount: Int,
    stageWidths: [Int], blocksPerStage: [Int], shortcut: ShortcutOption = .a,
    bottleneck: Bool = false, classifierName: String? = nil, projectionName: String? = nil,
    projectionHasBatchNorm: Bool? = nil, finalNormalization: Bool = true,
    branchScales: [Float]? = nil, naming: ParameterNaming? = nil, stemWidths: [Int]? = nil,
    stemNormalization: Bool? = nil, sharedPreActivation: Bool? = nil, batchNormalization: Bool? = nil,
    averagePoolShortcuts: Bool? = nil, zeroChannelsAfterInput: Bool? = nil, stridedFirstStage: Bool? = nil,
    strideInFirstConvolution: Bool? = nil
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
    self.projectionHasBatchNorm =
      projectionHasBatchNorm ?? (family != .preActivationResNet && family != .preActivationImageNetResNet)
    self.finalNormalization = finalNormalization
    self.branchScales = branchScales
    self.naming = naming
    self.stemWidths = stemWidths
    self.stemNormalization = stemNormalization
    self.sharedPreActivation = sharedPreActivation
    self.batchNormalization = batchNormalization
    self.averagePoolShortcuts = averagePoolShortcuts
    self.zeroChannelsAfterInput = zeroChannelsAfterInput
    self.stridedFirstStage = stridedFirstStage
    self.strideInFirstConvolution = strideInFirstConvolution
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

  /// The module name of block `index` (0-based) of stage `stage` (0-based), which is block
  /// `number` (1-based) overall: `layer{stage+1}.{index}`, or `layers.{number-1}` for VGG.
  public func blockName(stage: Int, index: Int, number: Int) -> String {
    family == .vgg
      ? "layers.\(number - 1)"
      : LayerNames(naming: naming, projectionName: projectionName, averagePoolShortcut: averagePoolShortcuts == true)
        .block(stage: stage, index: index)
  }

  /// Upper bounds on what a configuration may ask for, checked before anything is allocated.
  ///
  /// The defaults admit every network of the supported families up to several times the size
  /// of ResNet-152 at 224×224 (60 M parameters, 11.5 G multiply-accumulates) or ResNet-1202 on
  /// CIFAR (19 M parameters, 600 blocks).
  public struct Limits: Sendable, Equatable {
    /// Input height and width, each.
    public var inputSide: Int
    /// Input channels, stage widths and classes, each.
    public var channels: Int
    /// Classes.
    public var classCount: Int
    /// Stages.
    public var stageCount: Int
    /// Blocks in all stages together.
    public var blockCount: Int
    /// Parameters (float32 each), bounded from above before the layers exist.
    public var parameters: Int
    /// Multiply-accumulates per image, bounded from above.
    public var multiplyAccumulates: Int

    public init(
      inputSide: Int = 8192, channels: Int = 65_536, classCount: Int = 1 << 20,
      stageCount: Int = 64, blockCount: Int = 20_000, parameters: Int = 1 << 28,
      multiplyAccumulates: Int = 1 << 48
    ) {
      self.inputSide = inputSide
      self.channels = channels
      self.classCount = classCount
      self.stageCount = stageCount
      self.blockCount = blockCount
      self.parameters = parameters
      self.multiplyAccumulates = multiplyAccumulates
    }

    /// The limits `Network.init` applies: 2^28 parameters (1 GiB of float32), 2^48 MACs.
    public static let `default` = Limits()
  }

  /// Checks every count and size against `limits` with arithmetic that cannot overflow, and
  /// returns upper bounds on the parameters and multiply-accumulates per image.
  ///
  /// The bounds hold for every family: per block, 9·c·w + 9·w² + w·o + c·o weights plus
  /// batch norms, for input channels c, width w and output width o (4w for bottlenecks); a
  /// layer's multiply-accumulates are at most its weights times the input's H·W.
  /// - Throws: `EngineError.invalidConfiguration` naming the first value out of range.
  /// - Complexity: O(stages), independent of the values.
  @discardableResult
  public func validate(limits: Limits = .default) throws -> (
    parameters: Int, multiplyAccumulates: Int
  ) {
    func check(_ name: String, _ value: Int, _ range: ClosedRange<Int>) throws {
      guard range.contains(value) else {
        throw EngineError.invalidConfiguration(
          "\(name) must be in \(range.lowerBound)...\(range.upperBound), got \(value)")
      }
    }
    try check("input channels", inputChannels, 1...limits.channels)
    let side = min(limits.inputSide, 1 << 31)
    try check("input height", inputHeight, 1...side)
    try check("input width", inputWidth, 1...side)
    try check("class count", classCount, 1...min(limits.classCount, limits.parameters))
    try check("number of stages", stageWidths.count, 1...limits.stageCount)
    guard stageWidths.count == blocksPerStage.count else {
      throw EngineError.invalidConfiguration(
        "need one width and one block count per stage, got \(stageWidths.count) widths and "
          + "\(blocksPerStage.count) block counts")
    }
    var blocks = 0
    for (stage, (width, count)) in zip(stageWidths, blocksPerStage).enumerated() {
      try check("stage \(stage + 1) width", width, 1...limits.channels)
      try check("stage \(stage + 1) block count", count, 1...limits.blockCount)
      blocks += count
      try check("total block count", blocks, 1...limits.blockCount)
    }
    if let scales = branchScales {
      guard scales.count == blocks else {
        throw EngineError.invalidConfiguration("\(scales.count) branch scales given for \(blocks) blocks")
      }
      guard scales.allSatisfy({ $0.isFinite }) else {
        throw EngineError.invalidConfiguration("branch scales must be finite numbers")
      }
    }
    // Checked arithmetic: any overflow or any partial sum past the limit stops at once.
    let cap = min(limits.parameters, 1 << 56)
    func product(_ factors: Int...) throws -> Int {
      var result = 1
      for factor in factors {
        let (value, overflow) = result.multipliedReportingOverflow(by: factor)
        guard !overflow, value <= cap else { throw tooMany() }
        result = value
      }
      return result
    }
    func tooMany() -> EngineError {
      .invalidConfiguration(
        "the configuration needs more than \(cap) parameters (widths \(stageWidths), "
          + "blocks \(blocksPerStage), \(classCount) classes)")
    }
    // The stem: one 7×7 (or 3×3) convolution per stem width, each with a batch norm.
    let stem = stemWidths ?? [stageWidths[0]]
    try check("number of stem widths", stem.count, 1...8)
    var total = 0
    var previous = inputChannels
    for width in stem {
      try check("stem width", width, 1...limits.channels)
      total += try product(49, previous, width) + 8 * width
      previous = width
    }
    var channels = previous
    for (width, count) in zip(stageWidths, blocksPerStage) {
      let output = bottleneck ? 4 * width : width
      let first =
        try product(9, channels, width) + product(9, width, width) + product(width, output)
        + product(channels, output) + 8 * (channels + width + output)
      let rest =
        try product(9, output, width) + product(9, width, width) + product(width, output)
        + product(output, output) + 8 * (output + width + output)
      total += try first + product(count - 1, rest)
      guard total <= cap else { throw tooMany() }
      channels = output
    }
    total += try 4 * channels + product(channels + 1, classCount)
    guard total <= cap else { throw tooMany() }
    let (positions, _) = inputHeight.multipliedReportingOverflow(by: inputWidth)  // both ≤ 2^31
    let (macs, overflow) = total.multipliedReportingOverflow(by: positions)
    guard !overflow, macs <= limits.multiplyAccumulates else {
      throw EngineError.invalidConfiguration(
        "the configuration may need more than \(limits.multiplyAccumulates) multiply-accumulates "
          + "per image (input \(inputHeight)×\(inputWidth), \(total) parameters)")
    }
    return (total, macs)
  }
}

extension Network {
  /// Builds a network with PyTorch's initial parameter values: zero convolution filters, identity
  /// batch norms, zero classifier. Load trained weights with `loadStateDictionary` or initialize
  /// them for training.
  /// - Throws: `EngineError.invalidConfiguration` or `.shapeMismatch` when the layout cannot work
  ///   (e.g. an input too small for the number of stride-2 stages).
  /// - Parameter limits: bounds checked before any layer is allocated (`validate(limits:)`).
  public init(_ configuration: NetworkConfiguration, limits: NetworkConfiguration.Limits = .default)
    throws
  {
    let c = configuration
    try c.validate(limits: limits)
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
    /// A 3×3 padding-1 convolution with bias (VGG without batch norm).
    func biasedConv(_ name: String, _ inC: Int, _ outC: Int, stride: Int = 1) -> Layer {
      .convolution(
        Convolution2D(
          name: name, inputChannels: inC, outputChannels: outC, kernelSize: 3, stride: stride, padding: 1,
          hasBias: true))
    }

    let names = LayerNames(
      naming: c.naming, projectionName: c.projectionName, averagePoolShortcut: c.averagePoolShortcuts == true)
    /// An ImageNet-style projection shortcut: a strided 1×1 convolution, or with average-pool
    /// shortcuts a 2×2 ceil-mode average pool (when strided) and a stride-1 1×1 convolution.
    func projectionLayers(_ name: String, _ inC: Int, _ outC: Int, _ stride: Int, batchNorm: Bool) -> [Layer] {
      let averagePool = c.averagePoolShortcuts == true
      let pool: [Layer] = averagePool && stride > 1 ? [.averagePool(AveragePool(kernelSize: 2, stride: stride))] : []
      return pool + [conv(names.projectionConvolution(name), inC, outC, 1, averagePool ? 1 : stride, 0)]
        + (batchNorm ? [bn(names.projectionNormalization(name), outC)] : [])
    }
    if let widths = c.stemWidths {
      let imageNet = c.family == .imageNetResNet || c.family == .preActivationImageNetResNet
      let deepStem =
        (c.family == .imageNetResNet && c.naming == nil)
        || (c.family == .preActivationImageNetResNet && c.naming == .timmResNetV2)
      guard imageNet, widths.allSatisfy({ $0 > 0 }), widths.count == 1 || (widths.count == 3 && deepStem)
      else {
        throw EngineError.invalidConfiguration(
          "stem widths \(widths) need an ImageNet-style family and one positive width (or three for a deep post-activation stem)")
      }
    }
    if c.strideInFirstConvolution == true && !(c.family == .imageNetResNet && c.bottleneck) {
      throw EngineError.invalidConfiguration(
        "a stride in the first 1×1 convolution needs post-activation ImageNet bottlenecks, not \(c.family.rawValue)")
    }
    /// The convolutions of an ImageNet stem: one 7×7 stride-2 convolution (`widths` = [C]), or a
    /// deep stem of three 3×3 convolutions (the first strided), conv-BN-ReLU twice and a third
    /// convolution, named by `deepNames` (conv, norm, conv, norm, conv).
    func imageNetStemConvolutions(_ widths: [Int], deepNames: [String]) -> [Layer] {
      guard widths.count == 3 else { return [conv(names.stemConvolution, c.inputChannels, widths[0], 7, 2, 3)] }
      return [
        conv(deepNames[0], c.inputChannels, widths[0], 3, 2, 1), bn(deepNames[1], widths[0]), .relu,
        conv(deepNames[2], widths[0], widths[1], 3, 1, 1), bn(deepNames[3], widths[1]), .relu,
        conv(deepNames[4], widths[1], widths[2], 3, 1, 1),
      ]
    }
    let maxPool = Layer.maxPool(MaxPool(kernelSize: 3, stride: 2, padding: 1))
    var channels: Int
    switch c.family {
    case .vgg where c.batchNormalization == false:
      stem = [biasedConv("conv1", c.inputChannels, c.stageWidths[0]), .relu]
      channels = c.stageWidths[0]
    case .cifarResNet, .plainCIFAR, .vgg:
      stem = [conv("conv1", c.inputChannels, c.stageWidths[0], 3, 1, 1), bn("bn1", c.stageWidths[0]), .relu]
      channels = c.stageWidths[0]
    case .preActivationResNet:
      stem = [conv("conv1", c.inputChannels, c.stageWidths[0], 3, 1, 1)]
      channels = c.stageWidths[0]
    case .imageNetResNet:
      let widths = c.stemWidths ?? [c.stageWidths[0]]
      channels = widths[widths.count - 1]
      stem = imageNetStemConvolutions(widths, deepNames: ["conv1.0", "conv1.1", "conv1.3", "conv1.4", "conv1.6"])
      stem += [bn(names.stemNormalization, channels), .relu, maxPool]
    case .preActivationImageNetResNet:
      let widths = c.stemWidths ?? [c.stageWidths[0]]
      channels = widths[widths.count - 1]
      // timm resnetv2's deep stem ends in its third convolution, without normalization.
      stem = imageNetStemConvolutions(widths, deepNames: ["stem.conv1", "stem.norm1", "stem.conv2", "stem.norm2", "stem.conv3"])
      if c.stemNormalization == true { stem += [bn(names.stemNormalization, channels), .relu] }
      stem.append(maxPool)
    }
    var shape = try stem.outputShape(for: input)
    var number = 0
    for (stageIndex, width) in c.stageWidths.enumerated() {
      for b in 0..<c.blocksPerStage[stageIndex] {
        number += 1
        let stride = ((stageIndex > 0 || c.stridedFirstStage == true) && b == 0) ? 2 : 1
        let scale = c.branchScales?[number - 1] ?? 1
        let block: ResidualBlock
        switch c.family {
        case .vgg:
          let name = "layers.\(number - 1)"
          let branch: [Layer] =
            c.batchNormalization == false
            ? [biasedConv(name + ".conv", channels, width, stride: stride), .relu]
            : [conv(name + ".conv", channels, width, 3, stride, 1), bn(name + ".bn", width), .relu]
          block = try ResidualBlock(
            name: name, stage: stageIndex + 1, branch: branch, shortcut: .none, activationAfterAddition: false,
            inputShape: shape)
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
                let before = c.zeroChannelsAfterInput == true ? 0 : extra / 2
                shortcut = .subsampleAndPad(stride: stride, before: before, after: extra - before)
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
        case .preActivationResNet, .preActivationImageNetResNet:
          // Pre-activation basic (BN-ReLU-conv3×3 twice) or bottleneck (BN-ReLU-conv1×1,
          // BN-ReLU-conv3×3 with the stride, BN-ReLU-conv1×1 to 4× width) blocks; see ResidualBlock.
          let name = names.block(stage: stageIndex, index: b)
          let outWidth = c.bottleneck ? width * 4 : width
          let branch: [Layer]
          if c.bottleneck {
            branch = [
              conv(names.convolution(name, 1), channels, width, 1, 1, 0), bn(names.normalization(name, 2), width),
              .relu, conv(names.convolution(name, 2), width, width, 3, stride, 1),
              bn(names.normalization(name, 3), width), .relu,
              conv(names.convolution(name, 3), width, outWidth, 1, 1, 0),
            ]
          } else {
            branch = [
              conv(names.convolution(name, 1), channels, width, 3, stride, 1), bn(names.normalization(name, 2), width),
              .relu, conv(names.convolution(name, 2), width, width, 3, 1, 1),
            ]
          }
          var shortcut = Shortcut.identity
          if stride != 1 || channels != outWidth {
            shortcut = .projection(
              projectionLayers(name, channels, outWidth, stride, batchNorm: c.projectionHasBatchNorm))
          }
          // After a BN-ReLU stem the first block has no pre-activation ('no_preact').
          let ownPreActivation = !(c.stemNormalization == true && number == 1)
          if c.sharedPreActivation == true && b == 0 && ownPreActivation && shortcut == .identity {
            shortcut = .projection([])
          }
          block = try ResidualBlock(
            name: name, stage: stageIndex + 1,
            preActivation: ownPreActivation ? [bn(names.normalization(name, 1), channels), .relu] : [],
            branch: branch,
            shortcut: shortcut, activationAfterAddition: false, branchScale: scale, inputShape: shape)
          channels = outWidth
        case .imageNetResNet:
          let name = names.block(stage: stageIndex, index: b)
          let outWidth = c.bottleneck ? width * 4 : width
          let (conv1, conv2, conv3) = (names.convolution(name, 1), names.convolution(name, 2), names.convolution(name, 3))
          let (bn1, bn2, bn3) = (names.normalization(name, 1), names.normalization(name, 2), names.normalization(name, 3))
          let branch: [Layer]
          if c.bottleneck {
            let firstStride = c.strideInFirstConvolution == true ? stride : 1
            branch = [
              conv(conv1, channels, width, 1, firstStride, 0), bn(bn1, width), .relu,
              conv(conv2, width, width, 3, stride / firstStride, 1), bn(bn2, width), .relu,
              conv(conv3, width, outWidth, 1, 1, 0), bn(bn3, outWidth),
            ]
          } else {
            branch = [
              conv(conv1, channels, width, 3, stride, 1), bn(bn1, width), .relu,
              conv(conv2, width, width, 3, 1, 1), bn(bn2, width),
            ]
          }
          var shortcut = Shortcut.identity
          if stride != 1 || channels != outWidth {
            shortcut = .projection(projectionLayers(name, channels, outWidth, stride, batchNorm: true))
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
    let preActivation = c.family == .preActivationResNet || c.family == .preActivationImageNetResNet
    if preActivation && c.finalNormalization {
      head = [bn(names.finalNormalization, channels), .relu]
    }
    self.configuration = configuration
    self.stem = stem
    self.blocks = blocks
    self.head = head
    self.classifier = Linear(name: c.classifierName, inputCount: channels, outputCount: c.classCount)
  }
}

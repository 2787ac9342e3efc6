import Engine

/// An architecture recognised from a state dictionary's tensor names and shapes.
public struct InferredArchitecture: Equatable, Sendable {
  /// The configuration to build (input size: the default for the family or the one asked for).
  public var configuration: NetworkConfiguration
  /// A human-readable family, e.g. "akamaster CIFAR ResNet-20 (option A)".
  public var familyDescription: String
  /// The statistics the family's reference code trains with.
  public var defaultMean: [Float]
  /// See `defaultMean`.
  public var defaultStd: [Float]
  /// Why these are the defaults, e.g. "akamaster's trainer normalizes with ImageNet statistics".
  public var defaultReason: String
}

/// Recognises the supported checkpoint families from names and shapes alone (state-dict names of akamaster/pytorch_resnet_cifar10, chenyaofo/pytorch-cifar-models, torchvision.models.resnet, kuangliu/pytorch-cifar, transformers and timm).
///
/// | family | recognised by |
/// |---|---|
/// | akamaster CIFAR ResNet (option A) | 3×3 `conv1`, top-level `bn1`, no shortcut keys, `linear` head |
/// | akamaster CIFAR ResNet (option B) | as above with `layerL.0.shortcut.0/1` |
/// | chenyaofo CIFAR ResNet (option B) | 3×3 `conv1`, `layerL.0.downsample.0/1`, `fc` head |
/// | torchvision ResNet-18…152 | 7×7 `conv1`; bottleneck when `layer1.0.conv3` exists |
/// | kuangliu pre-activation ResNet | 3×3 `conv1` without top-level `bn1`; `layerL.b.bn1` has the block's input channels; 1×1 `shortcut.0` without batch norm; optional final `bn`; bottleneck when `layer1.0.conv3` exists |
/// | timm ResNets | torchvision names; deep 3×3 stems as `conv1.0/3/6` (see `ArchitectureInference+Hub.swift`) |
/// | transformers, timm `resnetv2` | see `ArchitectureInference+Hub.swift` |
///
/// Stages are `layer1…layerS` and blocks per stage are counted from `layerL.b` prefixes, so
/// narrower, shallower or deeper variants load too. Plain CIFAR nets share akamaster's option-A
/// key names and cannot be told apart; they (and VGG-style nets) need resnet-lesion metadata.
public enum ArchitectureInference {
  /// Infers the configuration of a state dictionary given as key → PyTorch shape.
  ///
  /// - Parameters:
  ///   - shapes: every tensor's shape (`num_batches_tracked` entries are ignored).
  ///   - file: the file name, for errors.
  ///   - inputSize: input height and width; default 224 for ImageNet-style stems, else 32.
  /// - Throws: `CheckpointError.unknownArchitecture`, `.metadataRequired` (VGG-style keys),
  ///   `.unsupportedArchitecture` (e.g. CIFAR ResNets with bottleneck blocks).
  ///   - layerType: transformers' `layer_type` from `config.json`, checked against the weights.
  public static func infer(
    shapes: [String: [Int]], file: String, inputSize: Int? = nil, layerType: String? = nil
  ) throws -> InferredArchitecture {
    let names = shapes.keys.filter { !$0.hasSuffix("num_batches_tracked") }
    if names.contains(where: { $0.hasPrefix("layers.") && $0.contains(".conv.") }) {
      throw CheckpointError.metadataRequired(file: file, family: "VGG-style network (layers.N.conv)")
    }
    if shapes["resnet.embedder.embedder.convolution.weight"] != nil {
      return try inferTransformers(
        shapes: shapes, names: names, file: file, inputSize: inputSize, layerType: layerType)
    }
    if names.contains(where: { $0.hasPrefix("stem.") }) && shapes["stages.0.blocks.0.conv1.weight"] != nil {
      return try inferTimmResNetV2(shapes: shapes, names: names, file: file, inputSize: inputSize)
    }
    // timm's average-pool shortcuts (`avg_down`): downsample.0 is the pool (no parameters), the
    // 1×1 convolution and batch norm are downsample.1/2.
    let averagePoolShortcuts = names.contains { $0.hasPrefix("layer") && $0.contains(".downsample.2.") }
    let deepStem = try deepStemWidths(shapes, file: file)
    if let deepStem, let bn = shapes["bn1.weight"], bn != [deepStem.widths[2]] {
      throw CheckpointError.shapeMismatch(file: file, key: "bn1.weight", expected: [deepStem.widths[2]], found: bn)
    }
    guard let stem = deepStem.map({ [$0.widths[2], $0.inputChannels, 7, 7] }) ?? shapes["conv1.weight"] else {
      throw CheckpointError.unknownArchitecture(
        file: file, reason: "no 'conv1.weight' (the stem convolution); found keys " + preview(names))
    }
    guard stem.count == 4, stem[2] == stem[3], stem.allSatisfy({ $0 > 0 }) else {
      throw CheckpointError.unknownArchitecture(
        file: file, reason: "'conv1.weight' has shape \(stem), expected [out, in, k, k]")
    }
    let classifierName: String
    if shapes["fc.weight"] != nil {
      classifierName = "fc"
    } else if shapes["linear.weight"] != nil {
      classifierName = "linear"
    } else {
      throw CheckpointError.unknownArchitecture(
        file: file, reason: "no classifier: expected 'fc.weight' or 'linear.weight'")
    }
    guard let classifier = shapes[classifierName + ".weight"], classifier.count == 2,
      classifier[0] > 0
    else {
      throw CheckpointError.unknownArchitecture(
        file: file,
        reason:
          "'\(classifierName).weight' has shape \(shapes[classifierName + ".weight"] ?? []), expected [classes, features]"
      )
    }
    let blocksPerStage = try countBlocks(names, file: file)
    let bottleneck = shapes["layer1.0.conv3.weight"] != nil
    var widths: [Int] = []
    for stage in 1...blocksPerStage.count {
      let key = "layer\(stage).0.conv1.weight"
      guard let shape = shapes[key], shape.count == 4, shape[0] > 0 else {
        throw CheckpointError.unknownArchitecture(
          file: file, reason: "stage \(stage) has no 4-D '\(key)'")
      }
      widths.append(shape[0])
    }
    let inputChannels = stem[1]
    let stemWidth = stem[0]
    let classCount = classifier[0]
    let kernel = stem[2]
    let hasProjection = { (name: String) in
      names.contains { $0.contains(".\(name).0.") }
    }
    let projectionBatchNorm = { (name: String) in
      names.contains { $0.contains(".\(name).1.") }
    }

    var configuration: NetworkConfiguration
    var description: String
    var defaults: (mean: [Float], std: [Float], reason: String)
    switch kernel {
    case 7 where shapes["bn.weight"] != nil && shapes["bn1.weight"] != nil:
      // fb.resnet.torch's pre-activation ImageNet ResNets (read from .t7): BN-ReLU stem, a first
      // block without pre-activation, final BN-ReLU.
      configuration = NetworkConfiguration(
        family: .preActivationImageNetResNet, inputChannels: inputChannels, inputHeight: inputSize ?? 224,
        inputWidth: inputSize ?? 224, classCount: classCount, stageWidths: widths,
        blocksPerStage: blocksPerStage, shortcut: .b, bottleneck: bottleneck, classifierName: classifierName,
        projectionName: "shortcut", projectionHasBatchNorm: projectionBatchNorm("shortcut"),
        finalNormalization: true, stemWidths: stemWidth == widths[0] ? nil : [stemWidth], stemNormalization: true)
      description =
        "pre-activation ImageNet ResNet-\((bottleneck ? 3 : 2) * blocksPerStage.reduce(0, +) + 2)"
        + (bottleneck ? " (bottleneck)" : "") + widthNote(widths, standard: [64, 128, 256, 512])
      defaults = (
        NormalizationPreset.imagenet.mean, NormalizationPreset.imagenet.std,
        "ImageNet models use ImageNet statistics"
      )
    case 7:
      if averagePoolShortcuts && hasProjection("downsample") {
        throw CheckpointError.unknownArchitecture(
          file: file,
          reason: "both 'downsample.0' weights (a strided projection) and 'downsample.2' (timm's average-pool shortcut) occur")
      }
      guard !hasProjection("shortcut") else {
        throw CheckpointError.unknownArchitecture(
          file: file, reason: "a 7×7 stem with 'shortcut' projections matches no supported family")
      }
      configuration = NetworkConfiguration(
        family: .imageNetResNet, inputChannels: inputChannels, inputHeight: inputSize ?? 224,
        inputWidth: inputSize ?? 224, classCount: classCount, stageWidths: widths,
        blocksPerStage: blocksPerStage, shortcut: .b, bottleneck: bottleneck,
        classifierName: classifierName, projectionName: "downsample", projectionHasBatchNorm: true,
        stemWidths: deepStem?.widths ?? (stemWidth == widths[0] ? nil : [stemWidth]),
        averagePoolShortcuts: averagePoolShortcuts ? true : nil)
      let blocks = blocksPerStage.reduce(0, +)
      let depth = (bottleneck ? 3 : 2) * blocks + 2
      description =
        (deepStem == nil && !averagePoolShortcuts
          ? "torchvision ResNet-\(depth)"
          : "timm ResNet-\(depth)" + (deepStem == nil ? "" : " with a deep stem")
            + (averagePoolShortcuts ? " and average-pool shortcuts" : ""))
        + (bottleneck ? " (bottleneck)" : "")
        + widthNote(widths, standard: [64, 128, 256, 512])
      defaults = (
        NormalizationPreset.imagenet.mean, NormalizationPreset.imagenet.std,
        "torchvision ImageNet models use ImageNet statistics"
      )
    case 3:
      if averagePoolShortcuts {
        throw CheckpointError.unsupportedArchitecture(
          file: file, reason: "average-pool shortcuts ('downsample.2') after a 3×3 'conv1' stem match no supported family")
      }
      let hasStemNorm = shapes["bn1.weight"] != nil
      let depth = (bottleneck ? 3 : 2) * blocksPerStage.reduce(0, +) + 2
      if !hasStemNorm && shapes["layer1.0.bn1.weight"] != nil {
        configuration = NetworkConfiguration(
          family: .preActivationResNet, inputChannels: inputChannels,
          inputHeight: inputSize ?? 32, inputWidth: inputSize ?? 32, classCount: classCount,
          stageWidths: widths, blocksPerStage: blocksPerStage, shortcut: .b, bottleneck: bottleneck,
          classifierName: classifierName, projectionName: "shortcut",
          projectionHasBatchNorm: projectionBatchNorm("shortcut"),
          finalNormalization: shapes["bn.weight"] != nil)
        description =
          "kuangliu pre-activation ResNet-\(depth)" + (bottleneck ? " (bottleneck)" : "")
          + widthNote(widths, standard: [64, 128, 256, 512])
          + (configuration.finalNormalization ? " (final BN)" : "")
        defaults = (
          NormalizationPreset.cifar10.mean, NormalizationPreset.cifar10.std,
          "pre-activation CIFAR scripts use the popular CIFAR-10 statistics"
        )
      } else if hasStemNorm {
        guard !bottleneck else {
          throw CheckpointError.unsupportedArchitecture(
            file: file, reason: "CIFAR ResNets with bottleneck blocks (layer1.0.conv3) are not supported")
        }
        let projection = hasProjection("downsample") ? "downsample" : hasProjection("shortcut") ? "shortcut" : nil
        configuration = NetworkConfiguration(
          family: .cifarResNet, inputChannels: inputChannels, inputHeight: inputSize ?? 32,
          inputWidth: inputSize ?? 32, classCount: classCount, stageWidths: widths,
          blocksPerStage: blocksPerStage, shortcut: projection == nil ? .a : .b,
          classifierName: classifierName, projectionName: projection ?? "shortcut",
          projectionHasBatchNorm: projection.map(projectionBatchNorm) ?? true)
        let option = projection == nil ? "option A" : "option B"
        let note = widthNote(widths, standard: [16, 32, 64])
        switch (classifierName, projection) {
        case ("fc", "downsample"):
          description = "chenyaofo CIFAR ResNet-\(depth) (\(option))" + note
          if classCount == 100 {
            defaults = (
              [0.507, 0.4865, 0.4409], [0.2673, 0.2564, 0.2761],
              "chenyaofo's CIFAR-100 models use its CIFAR-100 statistics"
            )
          } else {
            defaults = (
              NormalizationPreset.cifar10.mean, NormalizationPreset.cifar10.std,
              "chenyaofo's CIFAR-10 models use the popular CIFAR-10 statistics"
            )
          }
        case ("linear", _):
          description = "akamaster CIFAR ResNet-\(depth) (\(option))" + note
          defaults = (
            NormalizationPreset.imagenet.mean, NormalizationPreset.imagenet.std,
            "akamaster's trainer normalizes CIFAR with ImageNet statistics"
          )
        default:
          description = "CIFAR ResNet-\(depth) (\(option), \(classifierName) head)" + note
          defaults = (
            NormalizationPreset.cifar10.mean, NormalizationPreset.cifar10.std,
            "CIFAR ResNets commonly use the popular CIFAR-10 statistics"
          )
        }
      } else {
        throw CheckpointError.unknownArchitecture(
          file: file,
          reason:
            "a 3×3 stem with neither a stem 'bn1.weight' (post-activation) nor 'layer1.0.bn1.weight' (pre-activation)")
      }
    default:
      throw CheckpointError.unknownArchitecture(
        file: file, reason: "stem kernel \(kernel)×\(kernel); expected 3×3 (CIFAR) or 7×7 (ImageNet)")
    }
    guard stemWidth == widths[0] || configuration.family == .imageNetResNet
      || configuration.family == .preActivationImageNetResNet
    else {
      throw CheckpointError.unsupportedArchitecture(
        file: file,
        reason:
          "the stem 'conv1' has \(stemWidth) output channels but stage 1 blocks are \(widths[0]) wide; the engine needs them equal"
      )
    }
    if inputChannels != 3 {
      // Presets are RGB: fall back to MNIST for one channel, no normalization otherwise.
      if inputChannels == 1 {
        defaults = (
          NormalizationPreset.mnist.mean, NormalizationPreset.mnist.std,
          "single-channel input: MNIST statistics"
        )
      } else {
        defaults = ([0], [1], "\(inputChannels)-channel input: no normalization")
      }
    }
    return InferredArchitecture(
      configuration: configuration, familyDescription: description, defaultMean: defaults.mean,
      defaultStd: defaults.std, defaultReason: defaults.reason)
  }

  /// Blocks per stage from `layerL.b.` prefixes; stages 1…S and blocks 0…n−1 must be complete.
  static func countBlocks(_ names: [String], file: String) throws -> [Int] {
    var blocks: [Int: Set<Int>] = [:]
    for name in names where name.hasPrefix("layer") {
      let parts = name.dropFirst("layer".count).split(separator: ".", maxSplits: 2)
      guard parts.count == 3, let stage = Int(parts[0]), let block = Int(parts[1]) else { continue }
      blocks[stage, default: []].insert(block)
    }
    guard !blocks.isEmpty else {
      throw CheckpointError.unknownArchitecture(
        file: file, reason: "no residual stages (keys like 'layer1.0.conv1.weight')")
    }
    return try completeBlockCounts(blocks, firstStage: 1, stages: "residual stages", stagePrefix: "layer", file: file)
  }

  /// The number of blocks of each stage, from the block numbers found under each stage number:
  /// stages must be numbered `firstStage`, `firstStage + 1`, … and each stage's blocks 0…n−1.
  /// - Throws: `CheckpointError.unknownArchitecture` naming the first gap, with `stages` naming
  ///   the stages and `stagePrefix` + number one stage ("layer2").
  static func completeBlockCounts(
    _ blocks: [Int: Set<Int>], firstStage: Int, stages stagesName: String, stagePrefix: String, file: String
  ) throws -> [Int] {
    let stages = blocks.keys.sorted()
    guard stages == Array(firstStage..<(firstStage + stages.count)) else {
      throw CheckpointError.unknownArchitecture(
        file: file, reason: "\(stagesName) \(stages) are not numbered \(firstStage)…\(firstStage + stages.count - 1)")
    }
    return try stages.map { stage in
      let numbers = blocks[stage, default: []].sorted()
      guard numbers == Array(0..<numbers.count) else {
        throw CheckpointError.unknownArchitecture(
          file: file, reason: "blocks of \(stagePrefix)\(stage) are \(numbers), expected 0…\(numbers.count - 1)")
      }
      return numbers.count
    }
  }

  /// A description of a configuration written by resnet-lesion, e.g. "CIFAR ResNet-110 (option A)".
  public static func describe(_ configuration: NetworkConfiguration) -> String {
    let c = configuration
    let blocks = c.blockCount
    var text: String
    switch c.family {
    case .cifarResNet:
      text =
        "CIFAR ResNet-\(2 * blocks + 2) (option \(c.shortcut.rawValue)"
        + (c.shortcut == .a && c.zeroChannelsAfterInput == true ? ", zero channels after the input)" : ")")
        + widthNote(c.stageWidths, standard: [16, 32, 64])
    case .preActivationResNet:
      text =
        "pre-activation ResNet-\((c.bottleneck ? 3 : 2) * blocks + 2)" + (c.bottleneck ? " (bottleneck)" : "")
        + widthNote(c.stageWidths, standard: [16, 32, 64])
    case .preActivationImageNetResNet:
      text =
        "pre-activation ImageNet ResNet-\((c.bottleneck ? 3 : 2) * blocks + 2)" + (c.bottleneck ? " (bottleneck)" : "")
        + widthNote(c.stageWidths, standard: [64, 128, 256, 512])
    case .imageNetResNet:
      text =
        "ImageNet ResNet-\((c.bottleneck ? 3 : 2) * blocks + 2)" + (c.bottleneck ? " (bottleneck)" : "")
        + (c.averagePoolShortcuts == true ? " with average-pool shortcuts" : "")
        + (c.strideInFirstConvolution == true ? ", stride in the first 1×1 convolution" : "")
        + (c.stridedFirstStage == true ? ", strided first stage" : "")
        + widthNote(c.stageWidths, standard: [64, 128, 256, 512])
    case .plainCIFAR:
      text =
        "plain CIFAR network, \(2 * blocks + 2) layers (no shortcuts)"
        + widthNote(c.stageWidths, standard: [16, 32, 64])
    case .vgg:
      text =
        "VGG-style network, \(blocks + 2) layers" + widthNote(c.stageWidths, standard: [])
        + (c.batchNormalization == false ? ", no batch norm" : "")
    }
    if c.branchScales != nil { text += ", stochastic depth" }
    return text
  }

  static func widthNote(_ widths: [Int], standard: [Int]) -> String {
    widths == standard ? "" : ", widths " + widths.map(String.init).joined(separator: "/")
  }

  private static func preview(_ names: [String]) -> String {
    let sorted = names.sorted()
    let shown = sorted.prefix(5).joined(separator: ", ")
    return sorted.isEmpty ? "none" : sorted.count > 5 ? shown + ", …" : shown
  }
}

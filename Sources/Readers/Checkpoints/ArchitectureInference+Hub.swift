import Engine

/// Recognition of the ResNets published on the Hugging Face hub: transformers'
/// `ResNetForImageClassification`, timm's pre-activation `resnetv2` and timm's deep-stem
/// ResNets (`resnet50c` and kin).
///
/// | family | recognised by |
/// |---|---|
/// | transformers ResNet | `resnet.embedder.embedder.convolution.weight`; bottleneck when `….layers.0.layer.2` exists |
/// | timm `resnetv2` | `stem.conv.weight` (7×7) or `stem.conv1/2/3.weight` (deep stem, average-pool shortcuts) and `stages.0.blocks.0.norm1.weight`; bottleneck when `conv3` exists |
/// | timm deep stem | `conv1.0/3/6.weight` (3×3) and `bn1`, otherwise torchvision names |
/// | timm average-pool shortcuts | `layerL.b.downsample.1/2` (the pool `downsample.0` has no parameters) |
extension ArchitectureInference {
  /// Infers transformers' `ResNetForImageClassification` (basic or bottleneck layers).
  /// - Throws: `CheckpointError.unknownArchitecture` for incomplete or inconsistent keys.
  static func inferTransformers(
    shapes: [String: [Int]], names: [String], file: String, inputSize: Int?, layerType: String?
  ) throws -> InferredArchitecture {
    let stem = try squareFilter(shapes, "resnet.embedder.embedder.convolution.weight", file: file)
    guard stem[2] == 7 else {
      throw CheckpointError.unknownArchitecture(
        file: file, reason: "the embedder convolution is \(stem[2])×\(stem[2]), expected 7×7")
    }
    let classifier = try classifierShape(shapes, "classifier.1.weight", file: file)
    let blocksPerStage = try countIndexedBlocks(
      names, prefix: "resnet.encoder.stages.", infix: "layers.", file: file)
    let bottleneck = shapes["resnet.encoder.stages.0.layers.0.layer.2.convolution.weight"] != nil
    if let layerType, layerType != (bottleneck ? "bottleneck" : "basic") {
      throw CheckpointError.unknownArchitecture(
        file: file,
        reason: "config.json says layer_type \"\(layerType)\" but the weights have \(bottleneck ? "bottleneck" : "basic") layers")
    }
    var widths: [Int] = []
    for stage in blocksPerStage.indices {
      let key = "resnet.encoder.stages.\(stage).layers.0.layer.0.convolution.weight"
      widths.append(try squareFilter(shapes, key, file: file)[0])
    }
    let configuration = NetworkConfiguration(
      family: .imageNetResNet, inputChannels: stem[1], inputHeight: inputSize ?? 224,
      inputWidth: inputSize ?? 224, classCount: classifier[0], stageWidths: widths,
      blocksPerStage: blocksPerStage, shortcut: .b, bottleneck: bottleneck,
      classifierName: "classifier.1", projectionHasBatchNorm: true, naming: .transformers,
      stemWidths: stem[0] == widths[0] ? nil : [stem[0]])
    let depth = (bottleneck ? 3 : 2) * blocksPerStage.reduce(0, +) + 2
    return InferredArchitecture(
      configuration: configuration,
      familyDescription: "transformers ResNet-\(depth)" + (bottleneck ? " (bottleneck)" : "")
        + widthNote(widths, standard: [64, 128, 256, 512]),
      defaultMean: NormalizationPreset.imagenet.mean, defaultStd: NormalizationPreset.imagenet.std,
      defaultReason: "transformers' ResNet image processor normalizes with ImageNet statistics")
  }

  /// Infers timm's pre-activation `ResNetV2` with batch norm: the 7×7 stem
  /// (`resnetv2_18/34/50/101/152`) or the deep (or tiered) 3×3 stem `stem.conv1/2/3` with
  /// average-pool shortcuts (`resnetv2_18d/34d/50d/101d/152d`, `resnetv2_50t`).
  ///
  /// A `resnetv2` average-pool shortcut (`DownsampleAvg`) and a strided one (`DownsampleConv`)
  /// have the same keys and shapes (`downsample.conv`, 1×1); every timm 1.0 `resnetv2` model with
  /// a deep stem has average-pool shortcuts and every one with the 7×7 stem strided ones, so the
  /// stem decides.
  /// - Throws: `CheckpointError.unsupportedArchitecture` for normalizations other than batch norm,
  ///   `.unknownArchitecture` for incomplete keys.
  static func inferTimmResNetV2(
    shapes: [String: [Int]], names: [String], file: String, inputSize: Int?
  ) throws -> InferredArchitecture {
    let stem: [Int]
    var deepStem: [Int]? = nil
    if shapes["stem.conv.weight"] == nil && shapes["stem.conv1.weight"] != nil {
      let first = try squareFilter(shapes, "stem.conv1.weight", file: file)
      let second = try squareFilter(shapes, "stem.conv2.weight", file: file)
      let third = try squareFilter(shapes, "stem.conv3.weight", file: file)
      guard first[2] == 3, second[2] == 3, third[2] == 3, second[1] == first[0], third[1] == second[0] else {
        throw CheckpointError.unknownArchitecture(
          file: file,
          reason: "deep stem stem.conv1/2/3 shapes \(first), \(second), \(third) do not chain as 3×3 convolutions")
      }
      stem = [third[0], first[1], 3, 3]
      deepStem = [first[0], second[0], third[0]]
    } else {
      stem = try squareFilter(shapes, "stem.conv.weight", file: file)
      guard stem[2] == 7 else {
        throw CheckpointError.unknownArchitecture(
          file: file, reason: "'stem.conv.weight' is \(stem[2])×\(stem[2]), expected 7×7")
      }
    }
    guard shapes["stages.0.blocks.0.norm1.running_mean"] != nil else {
      throw CheckpointError.unsupportedArchitecture(
        file: file,
        reason: "resnetv2 normalization without running statistics (group norm, BiT's std-conv models) is not supported; batch-norm models are")
    }
    guard let head = shapes["head.fc.weight"], head.count == 4 || head.count == 2, head[0] > 0,
      head.count == 2 || (head[2] == 1 && head[3] == 1)
    else {
      throw CheckpointError.unknownArchitecture(
        file: file,
        reason: "'head.fc.weight' has shape \(shapes["head.fc.weight"].map { "\($0)" } ?? "nothing"), expected [classes, features, 1, 1]")
    }
    let blocksPerStage = try countIndexedBlocks(names, prefix: "stages.", infix: "blocks.", file: file)
    let bottleneck = shapes["stages.0.blocks.0.conv3.weight"] != nil
    var widths: [Int] = []
    for stage in blocksPerStage.indices {
      widths.append(try squareFilter(shapes, "stages.\(stage).blocks.0.conv1.weight", file: file)[0])
    }
    let configuration = NetworkConfiguration(
      family: .preActivationImageNetResNet, inputChannels: stem[1], inputHeight: inputSize ?? 224,
      inputWidth: inputSize ?? 224, classCount: head[0], stageWidths: widths,
      blocksPerStage: blocksPerStage, shortcut: .b, bottleneck: bottleneck, classifierName: "head.fc",
      projectionHasBatchNorm: names.contains { $0.contains(".downsample.norm.") },
      finalNormalization: true, naming: .timmResNetV2,
      stemWidths: deepStem ?? (stem[0] == widths[0] ? nil : [stem[0]]),
      averagePoolShortcuts: deepStem == nil ? nil : true)
    let depth = (bottleneck ? 3 : 2) * blocksPerStage.reduce(0, +) + 2
    return InferredArchitecture(
      configuration: configuration,
      familyDescription: "timm pre-activation ResNetV2-\(depth)" + (bottleneck ? " (bottleneck)" : "")
        + (deepStem == nil ? "" : " with a deep stem and average-pool shortcuts")
        + widthNote(widths, standard: bottleneck ? [64, 128, 256, 512] : [64, 128, 256, 512]),
      defaultMean: NormalizationPreset.imagenet.mean, defaultStd: NormalizationPreset.imagenet.std,
      defaultReason: "timm's resnetv2 batch-norm models use ImageNet statistics")
  }

  /// The stem widths of timm's deep 3×3 stem (`conv1.0`, `conv1.3`, `conv1.6`), or nil.
  /// - Throws: `CheckpointError.unknownArchitecture` for an incomplete deep stem.
  static func deepStemWidths(_ shapes: [String: [Int]], file: String) throws -> (inputChannels: Int, widths: [Int])? {
    guard shapes["conv1.0.weight"] != nil else { return nil }
    let first = try squareFilter(shapes, "conv1.0.weight", file: file)
    let second = try squareFilter(shapes, "conv1.3.weight", file: file)
    let third = try squareFilter(shapes, "conv1.6.weight", file: file)
    guard first[2] == 3, second[2] == 3, third[2] == 3, second[1] == first[0], third[1] == second[0] else {
      throw CheckpointError.unknownArchitecture(
        file: file, reason: "deep stem conv1.0/3/6 shapes \(first), \(second), \(third) do not chain as 3×3 convolutions")
    }
    return (first[1], [first[0], second[0], third[0]])
  }

  /// A 4-D square convolution filter's shape [out, in, k, k].
  static func squareFilter(_ shapes: [String: [Int]], _ key: String, file: String) throws -> [Int] {
    guard let shape = shapes[key] else {
      throw CheckpointError.unknownArchitecture(file: file, reason: "no '\(key)'")
    }
    guard shape.count == 4, shape[2] == shape[3], shape.allSatisfy({ $0 > 0 }) else {
      throw CheckpointError.unknownArchitecture(
        file: file, reason: "'\(key)' has shape \(shape), expected [out, in, k, k]")
    }
    return shape
  }

  /// A classifier weight's shape [classes, features].
  static func classifierShape(_ shapes: [String: [Int]], _ key: String, file: String) throws -> [Int] {
    guard let shape = shapes[key], shape.count == 2, shape.allSatisfy({ $0 > 0 }) else {
      throw CheckpointError.unknownArchitecture(
        file: file,
        reason: "'\(key)' has shape \(shapes[key].map { "\($0)" } ?? "nothing"), expected [classes, features]")
    }
    return shape
  }

  /// Blocks per stage from keys `{prefix}{s}.{infix}{b}.…` with 0-based, complete numbering.
  /// - Throws: `CheckpointError.unknownArchitecture` for gaps.
  static func countIndexedBlocks(_ names: [String], prefix: String, infix: String, file: String) throws -> [Int] {
    var blocks: [Int: Set<Int>] = [:]
    for name in names where name.hasPrefix(prefix) {
      let rest = name.dropFirst(prefix.count)
      guard let dot = rest.firstIndex(of: "."), let stage = Int(rest[..<dot]) else { continue }
      let tail = rest[rest.index(after: dot)...]
      guard tail.hasPrefix(infix) else { continue }
      let blockPart = tail.dropFirst(infix.count).prefix { $0 != "." }
      guard let block = Int(blockPart) else { continue }
      blocks[stage, default: []].insert(block)
    }
    guard !blocks.isEmpty else {
      throw CheckpointError.unknownArchitecture(
        file: file, reason: "no residual stages (keys like '\(prefix)0.\(infix)0.…')")
    }
    return try completeBlockCounts(blocks, firstStage: 0, stages: "stages", stagePrefix: prefix, file: file)
  }
}

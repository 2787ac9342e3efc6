import Basics
import Engine
import Foundation
import TensorFormats

/// Turns a tensor archive into a `LoadedModel`: architecture from metadata or inference,
/// parameters checked key by key and shape by shape, normalization chosen and fitted.
enum ModelAssembly {
  /// Builds the model held by `archive` (read from `url`).
  ///
  /// Normalization precedence: an explicit override, then the file's metadata, then the
  /// family default.
  /// - Parameter limits: bounds on the network the file may ask for (checked before building).
  /// - Throws: `CheckpointError`.
  /// - Parameter hub: the hub `config.json` found beside the weights (class names, timm's
  ///   statistics), used only for checkpoints without resnet-lesion metadata.
  static func assemble(
    _ archive: TensorArchive, file url: URL, normalization: NormalizationOverride?,
    inputSize: Int?, hub: HubConfig? = nil, limits: NetworkConfiguration.Limits = .default
  ) throws -> LoadedModel {
    let file = url.path
    let metadata = archive.metadata
    var configuration: NetworkConfiguration
    let description: String
    let fromMetadata: Bool
    var recorded: (mean: [Float], std: [Float])?
    var defaults: (mean: [Float], std: [Float], reason: String)
    var classNames: [String] = []
    var provenance: [String: String] = [:]

    if archive.format == .safetensors, metadata[ModelFileKeys.format] == ModelFileKeys.formatName {
      fromMetadata = true
      let version = metadata[ModelFileKeys.formatVersion]
      guard version == ModelFileKeys.currentVersion else {
        throw CheckpointError.invalidMetadata(
          file: file, key: ModelFileKeys.formatVersion,
          expected: "\"\(ModelFileKeys.currentVersion)\" (a newer resnet-lesion may have written this file)",
          found: version.map { "\"\($0)\"" } ?? "nothing")
      }
      guard let architecture = metadata[ModelFileKeys.architecture] else {
        throw CheckpointError.metadataRequired(file: file, family: "resnet-lesion model file without 'architecture'")
      }
      do {
        configuration = try JSONDecoder().decode(
          NetworkConfiguration.self, from: Data(architecture.utf8))
      } catch {
        throw CheckpointError.invalidMetadata(
          file: file, key: ModelFileKeys.architecture,
          expected: "a JSON network configuration", found: "\(String(architecture.prefix(80))) (\(error))")
      }
      description = "resnet-lesion " + ArchitectureInference.describe(configuration)
      switch (metadata[ModelFileKeys.mean], metadata[ModelFileKeys.std]) {
      case (nil, nil):
        break
      case (let meanText?, let stdText?):
        guard let mean = JSONValue.metadataFloats(parsing: meanText) else {
          throw CheckpointError.invalidMetadata(
            file: file, key: ModelFileKeys.mean, expected: "a JSON array of numbers", found: meanText)
        }
        guard let std = JSONValue.metadataFloats(parsing: stdText) else {
          throw CheckpointError.invalidMetadata(
            file: file, key: ModelFileKeys.std, expected: "a JSON array of numbers", found: stdText)
        }
        recorded = (mean, std)
      default:
        throw CheckpointError.invalidMetadata(
          file: file, key: metadata[ModelFileKeys.mean] == nil ? ModelFileKeys.mean : ModelFileKeys.std,
          expected: "both normalization_mean and normalization_std", found: "only one of them")
      }
      if let text = metadata[ModelFileKeys.classNames] {
        guard let names = JSONValue.metadataStrings(parsing: text) else {
          throw CheckpointError.invalidMetadata(
            file: file, key: ModelFileKeys.classNames, expected: "a JSON array of strings",
            found: String(text.prefix(80)))
        }
        guard names.isEmpty || names.count == configuration.classCount else {
          throw CheckpointError.invalidMetadata(
            file: file, key: ModelFileKeys.classNames,
            expected: "\(configuration.classCount) names (one per class) or none",
            found: "\(names.count) names")
        }
        classNames = names
      }
      if let text = metadata[ModelFileKeys.provenance] {
        guard let object = JSONValue.metadataObject(parsing: text) else {
          throw CheckpointError.invalidMetadata(
            file: file, key: ModelFileKeys.provenance, expected: "a JSON object",
            found: String(text.prefix(80)))
        }
        provenance = object
      }
      defaults = familyDefault(configuration)
    } else {
      fromMetadata = false
      var shapes: [String: [Int]] = [:]
      for entry in archive.tensors where shapes[entry.name] == nil {
        shapes[entry.name] = entry.tensor.shape
      }
      let inferred = try ArchitectureInference.infer(
        shapes: shapes, file: file, inputSize: inputSize,
        layerType: hub?.origin == .transformers ? hub?.layerType : nil)
      configuration = inferred.configuration
      if archive.metadata[Torch7Network.sharedPreActivationKey] == "true" {
        configuration.sharedPreActivation = true
      }
      if archive.metadata[Torch7Network.zeroChannelsAfterInputKey] == "true" {
        guard configuration.family == .cifarResNet, configuration.shortcut == .a else {
          throw CheckpointError.unsupportedArchitecture(
            file: file,
            reason: "option-A (zero-padding) shortcuts are supported in CIFAR ResNets only, this is a \(configuration.family.rawValue)")
        }
        configuration.zeroChannelsAfterInput = true
      }
      var notes = ""
      if let hub, hub.origin == .transformers, configuration.naming == .transformers {
        // transformers ignores downsample_in_bottleneck for basic layers.
        if hub.downsampleInBottleneck && configuration.bottleneck {
          configuration.strideInFirstConvolution = true
          notes += ", stride in the first 1×1 convolution"
        }
        if hub.downsampleInFirstStage {
          configuration.stridedFirstStage = true
          notes += ", strided first stage"
        }
      }
      description =
        archive.format == .torch7
        ? "fb.resnet.torch " + ArchitectureInference.describe(configuration) : inferred.familyDescription + notes
      defaults = (inferred.defaultMean, inferred.defaultStd, inferred.defaultReason)
      provenance = metadata
      provenance["source_format"] = archive.format.rawValue
      if let hub {
        if !hub.classNames.isEmpty {
          guard hub.classNames.count == configuration.classCount else {
            throw CheckpointError.invalidMetadata(
              file: hub.file, key: hub.origin == .transformers ? "id2label" : "label_names",
              expected: "\(configuration.classCount) names (one per class)", found: "\(hub.classNames.count) names")
          }
          classNames = hub.classNames
        }
        if let mean = hub.mean, let std = hub.std { recorded = (mean, std) }
        provenance["hub_config"] = hub.origin.rawValue + (hub.architecture.map { " " + $0 } ?? "")
      }
    }

    if let inputSize {
      guard inputSize > 0 else {
        throw CheckpointError.unsupportedArchitecture(
          file: file, reason: "input size must be positive, got \(inputSize)")
      }
      configuration.inputHeight = inputSize
      configuration.inputWidth = inputSize
    }
    var network: Network
    do {
      try configuration.validate(limits: limits)
      if fromMetadata { try checkAgainstTensors(configuration, archive, file: file) }
      network = try Network(configuration, limits: limits)
    } catch let error as CheckpointError {
      throw error
    } catch {
      throw CheckpointError.unsupportedArchitecture(file: file, reason: "\(error)")
    }
    try load(archive, into: &network, file: file)

    let chosen: (mean: [Float], std: [Float], source: NormalizationSource, what: String)
    if let normalization {
      chosen = (normalization.values.mean, normalization.values.std, .flag, "the given statistics")
    } else if let recorded {
      chosen = (recorded.mean, recorded.std, .metadata, "the file's metadata")
    } else {
      chosen = (defaults.mean, defaults.std, .familyDefault(defaults.reason), "the family default")
    }
    let fitted = try NormalizationFitting.fit(
      mean: chosen.mean, std: chosen.std, channels: configuration.inputChannels, what: chosen.what)
    return LoadedModel(
      network: network,
      metadata: ModelMetadata(
        normalizationMean: fitted.mean, normalizationStd: fitted.std,
        normalizationSource: chosen.source, classNames: classNames, provenance: provenance),
      file: url, format: archive.format, familyDescription: description,
      architectureFromMetadata: fromMetadata)
  }

  /// The default statistics for a configuration read from our own metadata (used only when
  /// the file lacks normalization entries).
  static func familyDefault(_ configuration: NetworkConfiguration) -> (
    mean: [Float], std: [Float], reason: String
  ) {
    switch configuration.inputChannels {
    case 1:
      return (NormalizationPreset.mnist.mean, NormalizationPreset.mnist.std, "single-channel input: MNIST statistics")
    case 3:
      if configuration.family == .imageNetResNet || configuration.family == .preActivationImageNetResNet {
        return (
          NormalizationPreset.imagenet.mean, NormalizationPreset.imagenet.std,
          "ImageNet-style network: ImageNet statistics"
        )
      }
      return (
        NormalizationPreset.cifar10.mean, NormalizationPreset.cifar10.std,
        "CIFAR-style network: the popular CIFAR-10 statistics"
      )
    default:
      return ([0], [1], "\(configuration.inputChannels)-channel input: no normalization")
    }
  }

  /// Checks metadata against the tensors before a network is built, so that the allocation is
  /// bounded by what the file holds: every block the metadata counts has tensors under its
  /// name, every stage's convolutions have its width as output channels, the stem convolution
  /// has the input channels and the classifier the class count.
  /// - Throws: `CheckpointError.invalidMetadata` naming the first disagreement.
  /// - Complexity: O(tensors + blocks).
  static func checkAgainstTensors(
    _ configuration: NetworkConfiguration, _ archive: TensorArchive, file: String
  ) throws {
    let key = ModelFileKeys.architecture
    // Every dot-separated prefix of every tensor name, with the shapes found under it.
    var shapesByBlock: [String: [[Int]]] = [:]
    var shapes: [String: [Int]] = [:]
    for entry in archive.tensors {
      shapes[entry.name] = entry.tensor.shape
      var prefix = ""
      for part in entry.name.split(separator: ".").dropLast() {
        prefix += prefix.isEmpty ? String(part) : "." + part
        shapesByBlock[prefix, default: []].append(entry.tensor.shape)
      }
    }
    if configuration.stemWidths == nil, configuration.naming == nil,
      let stem = shapes["conv1.weight"], stem.count == 4,
      stem[0] != configuration.stageWidths[0] || stem[1] != configuration.inputChannels
    {
      throw CheckpointError.invalidMetadata(
        file: file, key: key,
        expected: "stage 1 width \(stem[0]) and \(stem[1]) input channels (tensor conv1.weight \(stem))",
        found: "width \(configuration.stageWidths[0]), \(configuration.inputChannels) input channels")
    }
    if let classifier = shapes[configuration.classifierName + ".weight"], classifier.count == 2,
      classifier[0] != configuration.classCount
    {
      throw CheckpointError.invalidMetadata(
        file: file, key: key,
        expected: "\(classifier[0]) classes (tensor \(configuration.classifierName).weight \(classifier))",
        found: "\(configuration.classCount) classes")
    }
    var number = 0
    for (stage, (width, count)) in zip(configuration.stageWidths, configuration.blocksPerStage)
      .enumerated()
    {
      for index in 0..<count {
        number += 1
        let name = configuration.blockName(stage: stage, index: index, number: number)
        guard let blockShapes = shapesByBlock[name] else {
          throw CheckpointError.invalidMetadata(
            file: file, key: key, expected: "tensors named \(name).* for block \(number)",
            found: "none (the metadata counts \(configuration.blocksPerStage) blocks per stage)")
        }
        let outputs = Set(blockShapes.filter { $0.count == 4 }.map { $0[0] })
        guard outputs.isEmpty || outputs.contains(width) || outputs.contains(4 * width) else {
          throw CheckpointError.invalidMetadata(
            file: file, key: key,
            expected: "stage \(stage + 1) width "
              + outputs.sorted().map(String.init).joined(separator: " or ")
              + " (output channels of \(name)'s convolutions)",
            found: "\(width)")
        }
      }
    }
  }

  /// Checks every key and shape against the network, then loads the parameters.
  /// - Throws: `CheckpointError.keyMismatch` listing missing and unexpected keys,
  ///   `.shapeMismatch` naming the first tensor whose shape differs.
  static func load(_ archive: TensorArchive, into network: inout Network, file: String) throws {
    let expected = network.stateDictionaryShapes
    let expectedNames = Set(expected.map(\.name))
    let given = archive.names.filter { !$0.hasSuffix("num_batches_tracked") }
    let givenNames = Set(given)
    let missing = expected.map(\.name).filter { !givenNames.contains($0) }
    var unexpected: [String] = []
    var reported = Set<String>()
    for name in given where !expectedNames.contains(name) && reported.insert(name).inserted {
      unexpected.append(name)
    }
    guard missing.isEmpty, unexpected.isEmpty else {
      throw CheckpointError.keyMismatch(file: file, missing: missing, unexpected: unexpected)
    }
    var tensors: [String: Tensor] = [:]
    for (name, shape) in expected {
      guard let raw = archive[name] else { continue }
      // timm's resnetv2 classifier is a 1×1 convolution: [classes, features, 1, 1].
      let isPointwiseClassifier =
        name == network.classifier.name + ".weight" && raw.shape == shape + [1, 1]
      guard raw.shape == shape || isPointwiseClassifier else {
        throw CheckpointError.shapeMismatch(file: file, key: name, expected: shape, found: raw.shape)
      }
      guard raw.dtype.isFloatingPoint else {
        throw CheckpointError.unreadable(
          file: file, reason: "tensor '\(name)' has dtype \(raw.dtype.rawValue), expected a floating-point type")
      }
      let scalars = raw.floats()
      try ParameterValues.check(scalars, key: name, file: file)
      do {
        tensors[name] = try Tensor.validated(shape: shape, scalars: scalars, what: name)
      } catch {
        throw CheckpointError.unreadable(file: file, reason: "\(error)")
      }
    }
    do {
      try network.loadStateDictionary(tensors)
    } catch let error as EngineError {
      if case .stateDictionaryMismatch(let missing, let unexpected) = error {
        throw CheckpointError.keyMismatch(file: file, missing: missing, unexpected: unexpected)
      }
      throw CheckpointError.unsupportedArchitecture(file: file, reason: "\(error)")
    }
  }
}

/// The values a trained network can hold, checked wherever parameters are read (model files and
/// training resume states).
public enum ParameterValues {
  /// Refuses values no trained network holds: NaN or infinite parameters and statistics, and
  /// negative running variances (which would make batch norm divide by a NaN square root).
  /// - Throws: `CheckpointError.invalidParameterValue` naming the tensor and element.
  /// - Complexity: O(scalars.count).
  public static func check(_ scalars: [Float], key: String, file: String) throws {
    if let index = scalars.firstIndex(where: { !$0.isFinite }) {
      throw CheckpointError.invalidParameterValue(
        file: file, key: key, element: index, value: scalars[index],
        expected: "a finite number (weights, biases and batch-norm statistics must be finite)")
    }
    if key.hasSuffix(".running_var"), let index = scalars.firstIndex(where: { $0 < 0 }) {
      throw CheckpointError.invalidParameterValue(
        file: file, key: key, element: index, value: scalars[index],
        expected: "a running variance ≥ 0")
    }
  }
}

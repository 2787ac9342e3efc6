import Basics
import Engine
import Foundation
import TensorFormats

/// A network loaded from a file, with everything needed to feed it images.
public struct LoadedModel: Sendable {
  /// The network with its trained parameters (intact: no lesion applied).
  public var network: Network
  /// Normalization (fitted to the input channels), class names and provenance.
  public var metadata: ModelMetadata
  /// The file the model came from.
  public var file: URL
  /// The container format of the file.
  public var format: TensorArchive.Format
  /// A human-readable family, e.g. "akamaster CIFAR ResNet-20 (option A)".
  public var familyDescription: String
  /// True when the architecture came from resnet-lesion metadata, false when it was inferred
  /// from tensor names and shapes.
  public var architectureFromMetadata: Bool
}

/// resnet-lesion model files: safetensors whose `__metadata__` describes the whole model.
///
/// Metadata (all values are strings, JSON where structured): `format` = `resnet-lesion-model`,
/// `format_version` = `1`, `architecture` (the `NetworkConfiguration` as JSON),
/// `normalization_mean`, `normalization_std` (JSON arrays), `class_names` (JSON array),
/// `provenance` (JSON object). Tensors are `network.stateDictionary()`: PyTorch keys and
/// layouts, float32 (float16 with `half`), so PyTorch's `safetensors.torch.load_file` followed by
/// `load_state_dict` reproduces the model.
public enum ModelFile {
  /// Writes `network` and `metadata` to `url` atomically.
  ///
  /// - Parameter half: store tensors as float16 (half the size; values rounded to nearest).
  /// - Throws: `CheckpointError.invalidMetadata` when the statistics or class names do not fit
  ///   the network, `.unsupportedArchitecture` for a lesioned network (save the intact one),
  ///   `SafeTensorsError` when the file cannot be written.
  /// - Complexity: O(parameters).
  public static func write(
    _ network: Network, metadata: ModelMetadata, to url: URL, half: Bool = false
  ) throws {
    let configuration = network.configuration
    let numbers = network.blocks.map(\.number)
    guard numbers == Array(1...max(1, configuration.blockCount)),
      !network.blocks.contains(where: \.isBranchDeleted)
    else {
      throw CheckpointError.unsupportedArchitecture(
        file: url.path,
        reason:
          "a lesioned network (deleted or reordered blocks) cannot be saved; save the intact network and record the lesion separately"
      )
    }
    _ = try NormalizationFitting.fit(
      mean: metadata.normalizationMean, std: metadata.normalizationStd,
      channels: configuration.inputChannels, what: "the metadata to write")
    if !metadata.classNames.isEmpty && metadata.classNames.count != network.classCount {
      throw CheckpointError.invalidMetadata(
        file: url.path, key: ModelFileKeys.classNames,
        expected: "\(network.classCount) names (one per class) or none",
        found: "\(metadata.classNames.count) names")
    }
    let tensors = network.stateDictionary().map { entry -> (name: String, tensor: RawTensor) in
      if half {
        return (
          entry.name,
          RawTensor(
            dtype: .float16, shape: entry.tensor.shape,
            bytes: HalfPrecision.littleEndianHalfBytes(entry.tensor.scalars))
        )
      }
      return (entry.name, RawTensor(floats: entry.tensor.scalars, shape: entry.tensor.shape))
    }
    try SafeTensors.write(tensors, metadata: metadataEntries(configuration, metadata), to: url)
  }

  /// The `__metadata__` dictionary written for a configuration and metadata.
  static func metadataEntries(_ configuration: NetworkConfiguration, _ metadata: ModelMetadata)
    -> [String: String]
  {
    [
      ModelFileKeys.format: ModelFileKeys.formatName,
      ModelFileKeys.formatVersion: ModelFileKeys.currentVersion,
      ModelFileKeys.architecture: architectureJSON(configuration),
      ModelFileKeys.mean: JSONValue.metadataFloats(metadata.normalizationMean),
      ModelFileKeys.std: JSONValue.metadataFloats(metadata.normalizationStd),
      ModelFileKeys.classNames: JSONValue.metadataStrings(metadata.classNames),
      ModelFileKeys.provenance: JSONValue.metadataObject(metadata.provenance),
    ]
  }

  /// The configuration as compact JSON with sorted keys.
  static func architectureJSON(_ configuration: NetworkConfiguration) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(configuration), let text = String(data: data, encoding: .utf8)
    else { return "{}" }
    return text
  }

  /// Loads a model file: a resnet-lesion safetensors file (architecture from its metadata), or
  /// any checkpoint `TensorFile` reads (architecture inferred, see `ArchitectureInference`).
  ///
  /// A Hugging Face hub folder (transformers' `save_pretrained`, timm's `push_to_hub`), or its
  /// `config.json`, loads its `model.safetensors` or `pytorch_model.bin`; the `config.json` (also
  /// one beside a weights file given directly) supplies class names and, for timm, statistics.
  ///
  /// - Parameters:
  ///   - normalization: statistics that override the file's metadata and the family default.
  ///   - inputSize: input height and width, overriding the metadata (default 32 for CIFAR-style
  ///     families, 224 for ImageNet-style ones when inferred).
  /// - Throws: `CheckpointError`.
  /// - Complexity: O(file size + parameters).
  public static func load(
    _ url: URL, normalization: NormalizationOverride? = nil, inputSize: Int? = nil
  ) throws -> LoadedModel {
    let (weights, configURL) = try HubConfig.locate(url)
    var hub: HubConfig? = nil
    if let configURL {
      do {
        hub = try HubConfig.read(configURL)
      } catch CheckpointError.unreadable(let file, let reason) {
        // A config.json that is no hub ResNet config only matters when it was named.
        if weights != url { throw CheckpointError.unreadable(file: file, reason: reason) }
      }
    }
    let archive: TensorArchive
    do {
      archive = try TensorFile.read(contentsOf: weights)
    } catch {
      throw CheckpointError.unreadable(file: weights.path, reason: "\(error)")
    }
    return try ModelAssembly.assemble(
      archive, file: weights, normalization: normalization, inputSize: inputSize, hub: hub)
  }
}

import Basics
import Engine
import TensorFormats

/// What a model file records besides the architecture and the weights: input normalization,
/// class names and provenance.
///
/// In a resnet-lesion model file these are `__metadata__` entries (JSON text in strings):
/// `normalization_mean`, `normalization_std` (arrays), `class_names` (array of strings) and
/// `provenance` (an object: training command, seed, epochs, test error, wall time, tool version…).
public struct ModelMetadata: Equatable, Sendable {
  /// Per-channel mean subtracted from pixels / 255 (one value per input channel once loaded).
  public var normalizationMean: [Float]
  /// Per-channel standard deviation dividing pixels / 255 − mean.
  public var normalizationStd: [Float]
  /// Where the statistics came from (filled in by the loaders; `.metadata` when writing).
  public var normalizationSource: NormalizationSource
  /// Class names in label order; empty when unknown.
  public var classNames: [String]
  /// Free-form facts about how the model was made (key → text); empty when unknown.
  public var provenance: [String: String]

  /// Creates metadata from explicit statistics.
  public init(
    normalizationMean: [Float], normalizationStd: [Float],
    normalizationSource: NormalizationSource = .metadata, classNames: [String] = [],
    provenance: [String: String] = [:]
  ) {
    self.normalizationMean = normalizationMean
    self.normalizationStd = normalizationStd
    self.normalizationSource = normalizationSource
    self.classNames = classNames
    self.provenance = provenance
  }

  /// Creates metadata from a named preset (e.g. `.cifar10`).
  public init(
    preset: NormalizationPreset, classNames: [String] = [], provenance: [String: String] = [:]
  ) {
    self.init(
      normalizationMean: preset.mean, normalizationStd: preset.std, normalizationSource: .metadata,
      classNames: classNames, provenance: provenance)
  }

  /// The provenance as a compact JSON object with sorted keys.
  public var provenanceJSON: String { JSONValue.metadataObject(provenance) }
}

/// The `__metadata__` keys and values of a resnet-lesion model file.
enum ModelFileKeys {
  static let format = "format"
  static let formatVersion = "format_version"
  static let architecture = "architecture"
  static let mean = "normalization_mean"
  static let std = "normalization_std"
  static let classNames = "class_names"
  static let provenance = "provenance"

  /// The value of `format` in our files.
  static let formatName = "resnet-lesion-model"
  /// The only `format_version` written and read.
  static let currentVersion = "1"
}

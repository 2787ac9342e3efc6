/// Why a model file or checkpoint could not become a network.
///
/// Every case names the file and, where there is one, the key, the expected and the found
/// value, so that the one-line `description` is enough to fix the input.
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
  /// The file could not be read or parsed as a tensor file (the reader's message is kept).
  case unreadable(file: String, reason: String)
  /// A bundled model name whose file does not exist (yet).
  case bundledModelMissing(name: String, path: String)
  /// No `notebooks-data` folder was found for a bundled model name.
  case dataFolderNotFound(name: String, searched: [String])
  /// The tensor names and shapes match no supported architecture.
  case unknownArchitecture(file: String, reason: String)
  /// A family whose layout cannot be inferred from names and shapes (plain CIFAR, VGG) came
  /// without the metadata that describes it.
  case metadataRequired(file: String, family: String)
  /// A `__metadata__` entry of a resnet-lesion model file is missing or malformed.
  case invalidMetadata(file: String, key: String, expected: String, found: String)
  /// Parameters the architecture needs are missing from the file, or the file has extra ones.
  case keyMismatch(file: String, missing: [String], unexpected: [String])
  /// A tensor's shape differs from the shape the architecture needs.
  case shapeMismatch(file: String, key: String, expected: [Int], found: [Int])
  /// The inferred architecture cannot be built (e.g. a layout the engine does not support).
  case unsupportedArchitecture(file: String, reason: String)
  /// Normalization statistics that do not fit the model's input channels.
  case invalidNormalization(expected: String, found: String)
  /// A parameter or batch-norm statistic that no trained network holds: NaN, ±infinity, or a
  /// negative running variance (`element` is the flat index in the tensor).
  case invalidParameterValue(file: String, key: String, element: Int, value: Float, expected: String)

  /// One human-readable line.
  public var description: String {
    switch self {
    case .unreadable(let file, let reason):
      return "cannot read model \(file): \(reason)"
    case .invalidParameterValue(let file, let key, let element, let value, let expected):
      return "\(file): tensor '\(key)' element \(element) is \(value): expected \(expected)"
    case .bundledModelMissing(let name, let path):
      return
        "bundled model '\(name)' is not available: \(path) does not exist (train it first, or give a checkpoint path with --model)"
    case .dataFolderNotFound(let name, let searched):
      return
        "bundled model '\(name)' needs the notebooks-data folder, which was not found (searched: \(searched.joined(separator: ", ")); set RESNET_LESION_DATA)"
    case .unknownArchitecture(let file, let reason):
      return "\(file): cannot infer the architecture: \(reason)"
    case .metadataRequired(let file, let family):
      return
        "\(file): looks like a \(family), whose layout cannot be inferred from tensor names and shapes; it needs the resnet-lesion metadata (architecture) that the tool writes into its model files"
    case .invalidMetadata(let file, let key, let expected, let found):
      return "\(file): metadata '\(key)': expected \(expected), found \(found)"
    case .keyMismatch(let file, let missing, let unexpected):
      var parts: [String] = []
      if !missing.isEmpty { parts.append("missing keys: " + Self.list(missing)) }
      if !unexpected.isEmpty { parts.append("unexpected keys: " + Self.list(unexpected)) }
      return "\(file): parameters do not fit the architecture (" + parts.joined(separator: "; ") + ")"
    case .shapeMismatch(let file, let key, let expected, let found):
      return "\(file): tensor '\(key)' has shape \(found), expected \(expected)"
    case .unsupportedArchitecture(let file, let reason):
      return "\(file): unsupported architecture: \(reason)"
    case .invalidNormalization(let expected, let found):
      return "invalid normalization: expected \(expected), found \(found)"
    }
  }

  private static func list(_ keys: [String]) -> String {
    let shown = keys.prefix(8).joined(separator: ", ")
    return keys.count > 8 ? shown + ", … (\(keys.count) in all)" : shown
  }
}

import Basics
import Engine
import Foundation
import TensorFormats

/// Loads a model named on the command line: a bundled name or a path.
///
/// Bundled names are the models trained for the paper's figures and stored in the repository's
/// `notebooks-data/models/<name>.safetensors`. Any other text is a path to a safetensors,
/// torch zip or legacy torch file.
public enum ModelLoader {
  /// The bundled model loaded when no model is named.
  public static let defaultBundledName = "resnet110"
  /// Every bundled model name.
  public static let bundledNames = [
    "resnet110", "resnet110-stochastic-depth", "resnet110-short-paths", "plain",
  ]

  /// Loads `pathOrBundledName` (nil: the default bundled model).
  ///
  /// - Parameters:
  ///   - normalization: statistics overriding the file's metadata and the family default.
  ///   - inputSize: input height and width overriding the metadata or the family default.
  /// - Throws: `CheckpointError` (`.bundledModelMissing` with the expected path when a bundled
  ///   model has not been trained yet).
  public static func load(
    _ pathOrBundledName: String?, normalization: NormalizationOverride?, inputSize: Int? = nil
  ) throws -> LoadedModel {
    let url = try resolve(pathOrBundledName)
    let model = try ModelFile.load(url, normalization: normalization, inputSize: inputSize)
    let name = pathOrBundledName ?? defaultBundledName
    let isPath = FileManager.default.fileExists(atPath: NSString(string: name).expandingTildeInPath)
    if bundledNames.contains(name), !isPath, !model.architectureFromMetadata {
      // A bundled file without our metadata could be misread (plain nets look like option A).
      throw CheckpointError.metadataRequired(file: url.path, family: "bundled model '\(name)'")
    }
    return model
  }

  /// The file a model argument names.
  ///
  /// An existing path wins over a bundled name of the same spelling.
  /// - Throws: `CheckpointError.bundledModelMissing`, `.dataFolderNotFound`, or `.unreadable`
  ///   for a path that does not exist.
  public static func resolve(_ pathOrBundledName: String?) throws -> URL {
    let name = pathOrBundledName ?? defaultBundledName
    let expanded = NSString(string: name).expandingTildeInPath
    if FileManager.default.fileExists(atPath: expanded) {
      return URL(fileURLWithPath: expanded).standardizedFileURL
    }
    guard bundledNames.contains(name) else {
      throw CheckpointError.unreadable(
        file: name,
        reason: "no such file (bundled models: \(bundledNames.joined(separator: ", ")))")
    }
    let folder: URL
    do {
      folder = try BundledData.directory()
    } catch let error as BundledDataNotFound {
      throw CheckpointError.dataFolderNotFound(name: name, searched: error.searched)
    }
    let url = folder.appendingPathComponent("models").appendingPathComponent(name + ".safetensors")
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw CheckpointError.bundledModelMissing(name: name, path: url.path)
    }
    return url
  }
}

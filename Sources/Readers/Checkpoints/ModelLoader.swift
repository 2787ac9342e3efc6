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
    let folder = try dataDirectory(for: name)
    let url = folder.appendingPathComponent("models").appendingPathComponent(name + ".safetensors")
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw CheckpointError.bundledModelMissing(name: name, path: url.path)
    }
    return url
  }

  /// The repository's `notebooks-data` folder: `$RESNET_LESION_DATA`, else the first
  /// `notebooks-data` walking up from the current directory, else from the executable's folder.
  /// - Throws: `CheckpointError.dataFolderNotFound` listing where it looked.
  public static func dataDirectory(
    for name: String,
    environment: [String: String] = ProcessInfo.processInfo.environment,
    currentDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
    executable: URL? = Bundle.main.executableURL
  ) throws -> URL {
    if let path = environment["RESNET_LESION_DATA"], !path.isEmpty {
      guard isDirectory(path) else {
        throw CheckpointError.dataFolderNotFound(
          name: name, searched: ["RESNET_LESION_DATA=\(path) (not a folder)"])
      }
      return URL(fileURLWithPath: path)
    }
    var starts = [currentDirectory.standardizedFileURL]
    if let executable { starts.append(executable.resolvingSymlinksInPath().deletingLastPathComponent()) }
    var searched: [String] = []
    for start in starts {
      var folder = start
      while true {
        let candidate = folder.appendingPathComponent("notebooks-data")
        if isDirectory(candidate.path) { return candidate }
        let parent = folder.deletingLastPathComponent()
        if parent.path == folder.path || folder.path == "/" { break }
        folder = parent
      }
      searched.append("\(start.path) and its parents")
    }
    throw CheckpointError.dataFolderNotFound(name: name, searched: searched)
  }

  private static func isDirectory(_ path: String) -> Bool {
    var flag: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &flag) && flag.boolValue
  }
}

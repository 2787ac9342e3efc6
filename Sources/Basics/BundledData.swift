import Foundation

/// No `notebooks-data` folder was found; `searched` lists where the search looked.
public struct BundledDataNotFound: Error, Equatable, CustomStringConvertible {
  /// The places searched, e.g. `RESNET_LESION_DATA=/x (not a folder)` or `/work and its parents`.
  public let searched: [String]

  /// Creates the error for the places searched.
  public init(searched: [String]) { self.searched = searched }

  /// One line naming the places searched and the variable that overrides the search.
  public var description: String {
    "no \(BundledData.folderName) folder found (set \(BundledData.environmentVariable)); searched: "
      + searched.joined(separator: "; ")
  }
}

/// The one locator of the repository's bundled data, models and figures (`notebooks-data/`).
///
/// The folder is, in order: the path in `$RESNET_LESION_DATA` when that variable is set and not
/// empty (it must then be an existing folder; there is no fallback, so a typo is reported rather
/// than silently ignored); else the first `notebooks-data` folder found walking up from the
/// current directory; else the first walking up from the executable's folder (so
/// `.build/release/resnet-lesion` finds the checkout's data when run from anywhere).
public enum BundledData {
  /// The environment variable that names the folder explicitly.
  public static let environmentVariable = "RESNET_LESION_DATA"
  /// The folder name searched for.
  public static let folderName = "notebooks-data"

  /// The folder for this process (its environment, current directory and executable).
  /// - Throws: `BundledDataNotFound` listing the places searched.
  public static func directory() throws -> URL {
    try directory(
      environment: ProcessInfo.processInfo.environment,
      currentDirectory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
      executable: Bundle.main.executableURL)
  }

  /// The same search with explicit inputs (for tests and callers with their own context).
  /// - Throws: `BundledDataNotFound` listing the places searched.
  /// - Complexity: O(depth of the two starting folders) file-system lookups.
  public static func directory(
    environment: [String: String], currentDirectory: URL, executable: URL?
  ) throws -> URL {
    if let path = environment[environmentVariable], !path.isEmpty {
      guard isDirectory(path) else {
        throw BundledDataNotFound(searched: ["\(environmentVariable)=\(path) (not a folder)"])
      }
      return URL(fileURLWithPath: path)
    }
    var searched: [String] = []
    var starts = [currentDirectory.standardizedFileURL]
    if let executable {
      starts.append(executable.resolvingSymlinksInPath().deletingLastPathComponent())
    }
    for start in starts {
      var folder = start
      while true {
        let candidate = folder.appendingPathComponent(folderName)
        if isDirectory(candidate.path) { return candidate }
        let parent = folder.deletingLastPathComponent()
        if parent.path == folder.path || folder.path == "/" { break }
        folder = parent
      }
      searched.append("\(start.path) and its parents")
    }
    throw BundledDataNotFound(searched: searched)
  }

  private static func isDirectory(_ path: String) -> Bool {
    var flag: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &flag) && flag.boolValue
  }
}

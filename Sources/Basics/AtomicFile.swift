import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A failure while writing an output file.
public enum AtomicFileError: Error, Equatable, CustomStringConvertible {
  /// The parent folder could not be created.
  case cannotCreateFolder(path: String, reason: String)
  /// The temporary file could not be written.
  case cannotWrite(path: String, reason: String)
  /// The temporary file could not be renamed onto the destination.
  case cannotRename(from: String, to: String, reason: String)

  /// One human-readable line.
  public var description: String {
    switch self {
    case .cannotCreateFolder(let path, let reason):
      return "cannot create folder \(path): \(reason)"
    case .cannotWrite(let path, let reason):
      return "cannot write \(path): \(reason)"
    case .cannotRename(let from, let to, let reason):
      return "cannot rename \(from) to \(to): \(reason)"
    }
  }
}

/// Writes files so that readers never see a half-written file.
///
/// The bytes go to a temporary file in the destination's folder (same file system), which is then
/// renamed onto the destination with `rename(2)`, an atomic replacement. Parent folders are
/// created as needed. On failure the temporary file is removed and the destination is untouched.
public enum AtomicFile {
  /// Writes `data` to `url` atomically.
  ///
  /// - Throws: `AtomicFileError`.
  public static func write(_ data: Data, to url: URL) throws {
    let destination = url.standardizedFileURL
    let folder = destination.deletingLastPathComponent()
    do {
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    } catch {
      throw AtomicFileError.cannotCreateFolder(path: folder.path, reason: reason(error))
    }
    let temporary = folder.appendingPathComponent(
      ".\(destination.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    do {
      try data.write(to: temporary)
    } catch {
      try? FileManager.default.removeItem(at: temporary)
      throw AtomicFileError.cannotWrite(path: destination.path, reason: reason(error))
    }
    if rename(temporary.path, destination.path) != 0 {
      let message = String(cString: strerror(errno))
      try? FileManager.default.removeItem(at: temporary)
      throw AtomicFileError.cannotRename(
        from: temporary.path, to: destination.path, reason: message)
    }
  }

  /// Writes `bytes` to `url` atomically.
  ///
  /// - Throws: `AtomicFileError`.
  public static func write(_ bytes: [UInt8], to url: URL) throws {
    try write(Data(bytes), to: url)
  }

  /// Writes `text` as UTF-8 to `url` atomically.
  ///
  /// - Throws: `AtomicFileError`.
  public static func write(_ text: String, to url: URL) throws {
    try write(Data(text.utf8), to: url)
  }

  private static func reason(_ error: Error) -> String {
    let nsError = error as NSError
    if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError {
      return underlying.localizedDescription
    }
    return nsError.localizedDescription
  }
}

import Foundation

#if canImport(Basics)
  import Basics  // the fuzz script (Tests/Fuzz) compiles Sources/Basics into this module instead
#endif

/// Reads a whole file into memory; a failure is thrown as the reading format's own error,
/// `failure(file, "cannot read: REASON")` (e.g. `SafeTensorsError.fileAccess`).
func readFileBytes<Failure: Error>(
  _ url: URL, orThrow failure: (_ file: String, _ message: String) -> Failure
) throws -> [UInt8] {
  try RegularFile.read(url) { file, reason in failure(file, "cannot read: \(reason)") }
}

/// A failure to read or write a file, carried inside each format's error type.
public struct FileAccessError: Error, Equatable {
  /// The path as given.
  public var path: String
  /// The reason in plain language, e.g. "is a folder, not a file".
  public var message: String
}

/// Opening input files: only regular files are read, with plain-language reasons otherwise.
public enum RegularFile {
  /// Why `path` cannot be read as a regular file, or nil when it can be (or does not exist:
  /// the read then reports that).
  ///
  /// A folder, a device (`/dev/zero` would never end), a named pipe (reading could block
  /// forever) or a socket is refused before it is opened.
  public static func problem(atPath path: String) -> String? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    switch info.st_mode & S_IFMT {
    case S_IFREG: return nil
    case S_IFDIR: return "is a folder, not a file"
    case S_IFCHR, S_IFBLK: return "is a device, not a regular file"
    case S_IFIFO: return "is a named pipe (FIFO), not a regular file"
    case S_IFSOCK: return "is a socket, not a regular file"
    default: return "is not a regular file"
    }
  }

  /// Reads the whole regular file at `url`.
  /// - Throws: `FileAccessError` with a plain-language message (missing file, no permission,
  ///   folder, device, FIFO).
  public static func read(_ url: URL) throws -> [UInt8] {
    let path = url.path
    if let problem = problem(atPath: path) {
      throw FileAccessError(path: path, message: problem)
    }
    do {
      return [UInt8](try Data(contentsOf: url))
    } catch {
      let reason: String
      if !FileManager.default.fileExists(atPath: path) {
        reason = "no such file"
      } else if !FileManager.default.isReadableFile(atPath: path) {
        reason = "permission denied"
      } else {
        reason = error.localizedDescription
      }
      throw FileAccessError(path: path, message: reason)
    }
  }

  /// Reads the whole regular file at `url`; a failure is thrown as `failure(path, reason)`, the
  /// reading format's own error (e.g. `DatasetError.fileAccess`).
  public static func read<Failure: Error>(
    _ url: URL, orThrow failure: (_ file: String, _ message: String) -> Failure
  ) throws -> [UInt8] {
    do {
      return try read(url)
    } catch let error as FileAccessError {
      throw failure(error.path, error.message)
    }
  }
}

/// Writes `bytes` to `url` atomically with the shared `AtomicFile` (a temporary file in the same
/// folder, then `rename(2)`); a failure is thrown as the writing format's own error,
/// `failure(file, reason)` (e.g. `NumPyError.fileAccess`).
func writeFileAtomically<Failure: Error>(
  _ bytes: [UInt8], to url: URL, orThrow failure: (_ file: String, _ message: String) -> Failure
) throws {
  do {
    try AtomicFile.write(bytes, to: url)
  } catch let error as AtomicFileError {
    throw failure(url.path, error.description)
  }
}

/// Bounds-checked little-endian reads from a byte array; `nil` when out of range.
extension Array where Element == UInt8 {
  func le16(at offset: Int) -> UInt16? {
    guard offset >= 0, offset <= count - 2 else { return nil }
    return UInt16(self[offset]) | UInt16(self[offset + 1]) << 8
  }

  func le32(at offset: Int) -> UInt32? {
    guard offset >= 0, offset <= count - 4 else { return nil }
    var value: UInt32 = 0
    for i in (0..<4).reversed() { value = value << 8 | UInt32(self[offset + i]) }
    return value
  }

  func le64(at offset: Int) -> UInt64? {
    guard offset >= 0, offset <= count - 8 else { return nil }
    var value: UInt64 = 0
    for i in (0..<8).reversed() { value = value << 8 | UInt64(self[offset + i]) }
    return value
  }

  /// True if the bytes at `offset` equal `prefix`.
  func matches(_ prefix: [UInt8], at offset: Int) -> Bool {
    guard offset >= 0, offset <= count - prefix.count else { return false }
    for i in 0..<prefix.count where self[offset + i] != prefix[i] { return false }
    return true
  }
}

/// The first bytes of a buffer as hex, for "found" fields of errors.
func hexPrefix<Bytes: Collection>(_ bytes: Bytes, count: Int = 8) -> String
where Bytes.Element == UInt8 {
  bytes.isEmpty ? "an empty file" : Hex.bytes(bytes.prefix(count))
}

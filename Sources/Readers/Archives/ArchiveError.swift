import Basics

/// An error found while reading a compressed stream or an archive.
///
/// Every case names the file (or stream) and the byte offset where the problem was found, so
/// that `description` reads as one line such as
/// `cifar-10-binary.tar.gz: byte 1834: CRC32 mismatch: expected 0x1c291ca3, found 0x00000000`.
public enum ArchiveError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The data ended before a complete structure was read.
  case truncated(file: String, offset: Int, expected: String)
  /// A field holds a value the format does not allow.
  case invalidData(file: String, offset: Int, expected: String, found: String)
  /// A stored checksum or size does not match the data.
  case checksumMismatch(
    file: String, offset: Int, checksum: String, expected: String, found: String)
  /// An archive does not contain the requested entry.
  case entryNotFound(file: String, name: String)
  /// The data would grow past a size limit (`what` says what was counted).
  case tooLarge(file: String, offset: Int, limit: Int, what: String)

  /// The file or stream name the error refers to.
  public var file: String {
    switch self {
    case .truncated(let file, _, _), .invalidData(let file, _, _, _),
      .checksumMismatch(let file, _, _, _, _), .entryNotFound(let file, _),
      .tooLarge(let file, _, _, _):
      return file
    }
  }

  /// A single human-readable line.
  public var description: String {
    switch self {
    case .truncated(let file, let offset, let expected):
      return InputProblem.truncated(file: file, offset: offset, expected: expected)
    case .invalidData(let file, let offset, let expected, let found):
      return InputProblem.invalid(file: file, offset: offset, expected: expected, found: found)
    case .checksumMismatch(let file, let offset, let checksum, let expected, let found):
      return InputProblem.at(file: file, offset: offset, "\(checksum) mismatch: expected \(expected), found \(found)")
    case .entryNotFound(let file, let name):
      return "\(file): no entry named \"\(name)\""
    case .tooLarge(let file, let offset, let limit, let what):
      return InputProblem.at(
        file: file, offset: offset,
        "more than \(limit) \(what) (the limit; raise it with \(DecompressionLimit.environmentVariable)=<megabytes> if the file is trusted)")
    }
  }

  /// The same error reported against another file name with offsets shifted by `base`.
  func relocated(file newFile: String, base: Int) -> ArchiveError {
    switch self {
    case .truncated(_, let offset, let expected):
      return .truncated(file: newFile, offset: offset + base, expected: expected)
    case .invalidData(_, let offset, let expected, let found):
      return .invalidData(file: newFile, offset: offset + base, expected: expected, found: found)
    case .checksumMismatch(_, let offset, let checksum, let expected, let found):
      return .checksumMismatch(
        file: newFile, offset: offset + base, checksum: checksum, expected: expected, found: found)
    case .entryNotFound(_, let name):
      return .entryNotFound(file: newFile, name: name)
    case .tooLarge(_, let offset, let limit, let what):
      return .tooLarge(file: newFile, offset: offset + base, limit: limit, what: what)
    }
  }
}

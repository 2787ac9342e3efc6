import Foundation

#if canImport(Basics)
  import Basics  // the fuzz script (Tests/Fuzz) compiles Sources/Basics into this module instead
#endif

/// Reads a whole file into memory; the error message names the file and the OS reason.
func readFileBytes(_ url: URL) throws -> [UInt8] {
  do {
    return [UInt8](try Data(contentsOf: url))
  } catch {
    throw FileAccessError(path: url.path, message: "cannot read: \(error.localizedDescription)")
  }
}

/// A failure to read or write a file, carried inside each format's error type.
struct FileAccessError: Error {
  var path: String
  var message: String
}

/// Writes `bytes` to `url` atomically with the shared `AtomicFile` (a temporary file in the same
/// folder, then `rename(2)`), reporting failures as this module's `FileAccessError`.
func writeFileAtomically(_ bytes: [UInt8], to url: URL) throws {
  do {
    try AtomicFile.write(bytes, to: url)
  } catch let error as AtomicFileError {
    throw FileAccessError(path: url.path, message: error.description)
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
  let shown = bytes.prefix(count).map { byte -> String in
    let hex = String(byte, radix: 16)
    return hex.count == 1 ? "0" + hex : hex
  }
  return shown.isEmpty ? "an empty file" : shown.joined(separator: " ")
}

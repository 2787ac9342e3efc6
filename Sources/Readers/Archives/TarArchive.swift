import Basics

/// The regular files of a tar archive (POSIX ustar, with GNU and pax long names).
///
/// Understood: ustar headers (name with the 155-byte prefix), old-style V7 and GNU headers,
/// numeric fields in octal or GNU base-256, GNU long names (type `L`), pax extended headers
/// (type `x`, `path` and `size` records; global `g` headers are skipped). Every header's
/// checksum is verified. Directories, links and other special entries are skipped. The archive
/// ends at the first all-zero block (or at the end of the data on a block boundary).
public struct TarArchive: Sendable {
  /// One regular file: its path inside the archive and its contents.
  public struct Entry: Sendable, Equatable {
    /// The path as stored, e.g. `cifar-10-batches-bin/data_batch_1.bin`.
    public var name: String
    /// The file's bytes.
    public var bytes: [UInt8]
  }

  /// The regular files, in archive order.
  public var entries: [Entry]

  /// The file named `name` (a leading `./` in stored names is ignored), if present; the last
  /// one when a name repeats, as `tar` extracts it.
  /// - Complexity: O(entries.count).
  public func entry(named name: String) -> Entry? {
    entries.last { $0.name == name || ($0.name.hasPrefix("./") && $0.name.dropFirst(2) == name) }
  }

  /// Parses a tar archive held in memory.
  ///
  /// - Parameter file: the name used in error messages.
  /// - Throws: `ArchiveError` for a bad header checksum, a malformed numeric field, or data
  ///   that ends inside a header or an entry.
  /// - Complexity: O(n).
  public static func parse(_ bytes: [UInt8], file: String) throws -> TarArchive {
    var entries: [Entry] = []
    var offset = 0
    var pendingName: String?
    var pendingSize: Int?
    while offset < bytes.count {
      guard offset + 512 <= bytes.count else {
        throw ArchiveError.truncated(
          file: file, offset: bytes.count, expected: "a 512-byte tar header at byte \(offset)")
      }
      let header = bytes[offset..<(offset + 512)]
      if header.allSatisfy({ $0 == 0 }) { break }
      try verifyChecksum(header, file: file, offset: offset)
      let typeFlag = header[offset + 156]
      var size = try number(header, at: 124, length: 12, field: "size", file: file)
      if let override = pendingSize { size = override }
      let dataStart = offset + 512
      guard size <= bytes.count - dataStart else {
        throw ArchiveError.truncated(
          file: file, offset: bytes.count,
          expected: "\(size) bytes of data for the entry at byte \(offset)")
      }
      let data = bytes[dataStart..<(dataStart + size)]
      offset = dataStart + (size + 511) / 512 * 512
      guard offset <= bytes.count else {
        throw ArchiveError.truncated(
          file: file, offset: bytes.count,
          expected: "the padding to byte \(offset) after the entry at byte \(dataStart - 512)")
      }
      switch typeFlag {
      case UInt8(ascii: "L"):  // GNU long name for the next entry
        pendingName = cString(data)
        continue
      case UInt8(ascii: "x"):  // pax extended header for the next entry
        let records = try paxRecords(data, file: file, offset: dataStart)
        if let path = records["path"] { pendingName = path }
        if let sizeText = records["size"] {
          guard let value = Int(sizeText), value >= 0 else {
            throw ArchiveError.invalidData(
              file: file, offset: dataStart, expected: "a decimal pax size", found: sizeText)
          }
          pendingSize = value
        }
        continue
      case UInt8(ascii: "g"):  // pax global header: nothing we need
        continue
      default:
        break
      }
      let name = pendingName ?? headerName(header)
      pendingName = nil
      pendingSize = nil
      if typeFlag == UInt8(ascii: "0") || typeFlag == 0 || typeFlag == UInt8(ascii: "7") {
        entries.append(Entry(name: name, bytes: Array(data)))
      }
    }
    return TarArchive(entries: entries)
  }

  private static func verifyChecksum(_ header: ArraySlice<UInt8>, file: String, offset: Int) throws
  {
    let stored = try number(header, at: 148, length: 8, field: "checksum", file: file)
    var unsigned = 0
    var signed = 0
    for (index, byte) in zip(0..<512, header) {
      let value = (148..<156).contains(index) ? 0x20 : byte
      unsigned += Int(value)
      signed += Int(Int8(bitPattern: value))
    }
    // Some old tar programs summed signed chars; accept either.
    if stored != unsigned && stored != signed {
      throw ArchiveError.checksumMismatch(
        file: file, offset: offset + 148, checksum: "tar header checksum",
        expected: "\(stored)", found: "\(unsigned)")
    }
  }

  /// Reads an octal (NUL/space terminated) or GNU base-256 numeric field.
  private static func number(
    _ header: ArraySlice<UInt8>, at field: Int, length: Int, field name: String, file: String
  ) throws -> Int {
    let start = header.startIndex + field
    let bytes = header[start..<(start + length)]
    if let first = bytes.first, first & 0x80 != 0 {
      // Base-256: the remaining bits are a big-endian two's-complement number.
      guard first & 0x40 == 0 else {
        throw ArchiveError.invalidData(
          file: file, offset: start, expected: "a non-negative \(name)", found: "a negative number")
      }
      var value = Int(first & 0x3F)
      for byte in bytes.dropFirst() {
        guard value < (Int.max >> 8) else {
          throw ArchiveError.invalidData(
            file: file, offset: start, expected: "a \(name) that fits in 63 bits",
            found: Hex.bytes(bytes))
        }
        value = value << 8 | Int(byte)
      }
      return value
    }
    var value = 0
    var seenDigit = false
    var ended = false
    for byte in bytes {
      if byte == 0 || byte == 0x20 {
        if seenDigit { ended = true }
        continue
      }
      guard !ended, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "7"), value < (Int.max >> 3)
      else {
        throw ArchiveError.invalidData(
          file: file, offset: start, expected: "an octal \(name) field",
          found: "\"\(printable(bytes))\"")
      }
      seenDigit = true
      value = value << 3 | Int(byte - UInt8(ascii: "0"))
    }
    return value
  }

  private static func headerName(_ header: ArraySlice<UInt8>) -> String {
    let start = header.startIndex
    let name = cString(header[start..<(start + 100)])
    let magic = header[(start + 257)..<(start + 263)]
    if Array(magic) == Array("ustar\0".utf8) {
      let prefix = cString(header[(start + 345)..<(start + 500)])
      if !prefix.isEmpty { return prefix + "/" + name }
    }
    return name
  }

  /// Parses pax records `"<length> <key>=<value>\n"`.
  private static func paxRecords(_ data: ArraySlice<UInt8>, file: String, offset: Int) throws
    -> [String: String]
  {
    var records: [String: String] = [:]
    var index = data.startIndex
    while index < data.endIndex {
      if data[index] == 0 { break }
      guard let space = data[index...].firstIndex(of: 0x20),
        let length = Int(String(decoding: data[index..<space], as: UTF8.self)), length > 0,
        length <= data.endIndex - index, index + length > space + 1, data[index + length - 1] == 0x0A
      else {
        throw ArchiveError.invalidData(
          file: file, offset: offset + (index - data.startIndex),
          expected: "a pax record \"<length> <key>=<value>\\n\"",
          found: "\"\(printable(data[index..<min(index + 20, data.endIndex)]))\"")
      }
      let record = data[(space + 1)..<(index + length - 1)]
      if let equals = record.firstIndex(of: UInt8(ascii: "=")) {
        let key = String(decoding: record[record.startIndex..<equals], as: UTF8.self)
        records[key] = String(decoding: record[(equals + 1)...], as: UTF8.self)
      }
      index += length
    }
    return records
  }

  private static func cString(_ bytes: ArraySlice<UInt8>) -> String {
    let end = bytes.firstIndex(of: 0) ?? bytes.endIndex
    return String(decoding: bytes[bytes.startIndex..<end], as: UTF8.self)
  }

  private static func printable(_ bytes: ArraySlice<UInt8>) -> String {
    String(bytes.map { (0x20..<0x7F).contains($0) ? Character(UnicodeScalar($0)) : "?" })
  }
}

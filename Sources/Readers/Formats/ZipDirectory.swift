/// The stored (uncompressed) entries of a zip archive, located through the central directory.
///
/// Enough of PKWARE APPNOTE for `torch.save` archives: classic and ZIP64 end records, ZIP64
/// extra fields, and data offsets taken from the local headers (torch pads them with an
/// `FB` extra field to 64-byte alignment).
struct ZipDirectory {
  struct Entry {
    var name: String
    var method: Int
    var flags: Int
    var crc32: UInt32
    var dataStart: Int
    var size: Int
    /// Where this entry's central-directory header starts.
    var centralHeaderOffset: Int
  }

  /// Entries in central-directory order.
  var entries: [Entry] = []
  private var byName: [String: Int] = [:]

  /// The entry with this exact name.
  func entry(named name: String) -> Entry? {
    byName[name].map { entries[$0] }
  }

  /// Parses the central directory and every local header.
  /// - Throws: `TorchFileError.invalidZip` / `.truncated` naming the offset.
  init(bytes: [UInt8], file: String) throws {
    func invalid(_ offset: Int, _ expected: String, _ found: String) -> TorchFileError {
      .invalidZip(file: file, offset: offset, expected: expected, found: found)
    }
    // Classic end-of-central-directory record: scan back over at most a 64 KiB comment.
    let eocdSignature: [UInt8] = [0x50, 0x4B, 0x05, 0x06]
    var eocd = -1
    var candidate = bytes.count - 22
    let lowest = max(0, bytes.count - 22 - 0xFFFF)
    while candidate >= lowest {
      if bytes.matches(eocdSignature, at: candidate),
        let commentLength = bytes.le16(at: candidate + 20),
        candidate + 22 + Int(commentLength) == bytes.count
      {
        eocd = candidate
        break
      }
      candidate -= 1
    }
    guard eocd >= 0 else {
      throw invalid(max(0, bytes.count - 22), "an end-of-central-directory record", "none (truncated or not a zip)")
    }
    guard let diskNumber = bytes.le16(at: eocd + 4), let entriesOnDisk = bytes.le16(at: eocd + 8),
      let totalEntries16 = bytes.le16(at: eocd + 10), let cdSize32 = bytes.le32(at: eocd + 12),
      let cdOffset32 = bytes.le32(at: eocd + 16)
    else { throw invalid(eocd, "a complete end record", "truncated record") }
    var entryCount = UInt64(totalEntries16)
    var cdSize = UInt64(cdSize32)
    var cdOffset = UInt64(cdOffset32)
    _ = entriesOnDisk
    guard diskNumber == 0 || diskNumber == 0xFFFF else {
      throw invalid(eocd + 4, "a single-disk archive", "disk \(diskNumber)")
    }
    // ZIP64 locator right before the classic record.
    let locator = eocd - 20
    if bytes.matches([0x50, 0x4B, 0x06, 0x07], at: locator) {
      guard let zip64Offset64 = bytes.le64(at: locator + 8), zip64Offset64 <= UInt64(locator)
      else { throw invalid(locator + 8, "a ZIP64 end record offset inside the file", "out of range") }
      let zip64 = Int(zip64Offset64)
      guard bytes.matches([0x50, 0x4B, 0x06, 0x06], at: zip64),
        let count64 = bytes.le64(at: zip64 + 32), let size64 = bytes.le64(at: zip64 + 40),
        let offset64 = bytes.le64(at: zip64 + 48)
      else { throw invalid(zip64, "a ZIP64 end-of-central-directory record", hexPrefix(bytes[zip64...], count: 4)) }
      entryCount = count64
      cdSize = size64
      cdOffset = offset64
    } else if totalEntries16 == 0xFFFF || cdSize32 == 0xFFFF_FFFF || cdOffset32 == 0xFFFF_FFFF {
      throw invalid(max(0, locator), "a ZIP64 locator", "none")
    }
    guard cdOffset <= UInt64(bytes.count), cdSize <= UInt64(bytes.count) - cdOffset else {
      throw invalid(eocd + 16, "a central directory inside the file", "offset \(cdOffset), size \(cdSize)")
    }
    // Every central entry takes at least 46 bytes.
    guard entryCount <= cdSize / 46 else {
      throw invalid(eocd + 10, "at most \(cdSize / 46) entries for the directory size", "\(entryCount)")
    }
    var cursor = Int(cdOffset)
    let cdEnd = Int(cdOffset + cdSize)
    for _ in 0..<Int(entryCount) {
      guard cursor + 46 <= cdEnd, bytes.matches([0x50, 0x4B, 0x01, 0x02], at: cursor),
        let flags = bytes.le16(at: cursor + 8), let method = bytes.le16(at: cursor + 10),
        let crc = bytes.le32(at: cursor + 16), let compressed32 = bytes.le32(at: cursor + 20),
        let uncompressed32 = bytes.le32(at: cursor + 24), let nameLength = bytes.le16(at: cursor + 28),
        let extraLength = bytes.le16(at: cursor + 30), let commentLength = bytes.le16(at: cursor + 32),
        let localOffset32 = bytes.le32(at: cursor + 42)
      else {
        throw invalid(
          cursor, "a central directory entry 'PK\\1\\2'", hexPrefix(bytes[min(cursor, bytes.count)...], count: 4))
      }
      let nameStart = cursor + 46
      let extraStart = nameStart + Int(nameLength)
      let next = extraStart + Int(extraLength) + Int(commentLength)
      guard next <= cdEnd else { throw invalid(cursor, "an entry inside the central directory", "entry past its end") }
      guard let name = String(validating: bytes[nameStart..<extraStart], as: UTF8.self) else {
        throw invalid(nameStart, "a UTF-8 entry name", "invalid UTF-8")
      }
      var compressed = UInt64(compressed32)
      var uncompressed = UInt64(uncompressed32)
      var localOffset = UInt64(localOffset32)
      // ZIP64 extended information: present fields follow the order below.
      var extra = extraStart
      let extraEnd = extraStart + Int(extraLength)
      while extra + 4 <= extraEnd {
        guard let id = bytes.le16(at: extra), let length = bytes.le16(at: extra + 2) else { break }
        let body = extra + 4
        guard body + Int(length) <= extraEnd else {
          throw invalid(extra, "an extra field inside its entry", "length \(length)")
        }
        if id == 0x0001 {
          var field = body
          func next64() throws -> UInt64 {
            guard field + 8 <= body + Int(length), let value = bytes.le64(at: field) else {
              throw invalid(field, "a ZIP64 size or offset", "a short ZIP64 extra field")
            }
            field += 8
            return value
          }
          if uncompressed32 == 0xFFFF_FFFF { uncompressed = try next64() }
          if compressed32 == 0xFFFF_FFFF { compressed = try next64() }
          if localOffset32 == 0xFFFF_FFFF { localOffset = try next64() }
        }
        extra = body + Int(length)
      }
      // Local header: its own name and extra lengths give the data offset.
      guard localOffset <= UInt64(bytes.count) else {
        throw invalid(cursor + 42, "a local header inside the file", "offset \(localOffset)")
      }
      let local = Int(localOffset)
      guard bytes.matches([0x50, 0x4B, 0x03, 0x04], at: local),
        let localNameLength = bytes.le16(at: local + 26), let localExtraLength = bytes.le16(at: local + 28)
      else { throw invalid(local, "a local header 'PK\\3\\4' for \"\(name)\"", hexPrefix(bytes[local...], count: 4)) }
      let localNameStart = local + 30
      let dataStart = localNameStart + Int(localNameLength) + Int(localExtraLength)
      guard dataStart <= bytes.count,
        Array(bytes[localNameStart..<(localNameStart + Int(localNameLength))]) == Array(name.utf8)
      else { throw invalid(localNameStart, "the local name \"\(name)\"", "a different or truncated name") }
      guard compressed <= UInt64(bytes.count - dataStart) else {
        throw TorchFileError.truncated(
          file: file, offset: dataStart, expected: "\(compressed) bytes of record \"\(name)\"")
      }
      if method == 0 && compressed != uncompressed {
        throw invalid(cursor + 20, "equal sizes for stored record \"\(name)\"", "\(compressed) and \(uncompressed)")
      }
      if byName[name] == nil { byName[name] = entries.count }
      entries.append(
        Entry(
          name: name, method: Int(method), flags: Int(flags), crc32: crc, dataStart: dataStart,
          size: Int(compressed), centralHeaderOffset: cursor))
      cursor = next
    }
  }
}

import Basics
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// An append-only file of finished evaluations that lets a killed run resume (`--journal FILE`).
///
/// Layout: the 8-byte magic `RLJRNL01`, then records, each a little-endian UInt32 payload length,
/// the payload (compact UTF-8 JSON) and the little-endian CRC-32 of the payload. The first record
/// is the run's header (its identity and shard); every later one is an `EvaluationRecord`. Each
/// append is written, then `fsync`ed before the run goes on, so after a kill at any moment the file
/// holds every finished record and at most one torn record at the end.
///
/// Opening reads every intact record, truncates a torn or corrupt tail (a short length, payload or
/// checksum, or a checksum mismatch), checks the header against this run's, and locks the file
/// (`flock`) so two processes never append to one journal.
public final class Journal {
  /// The journal file.
  public let url: URL
  /// The evaluation records the file held when opened, in order.
  public private(set) var records: [JSONValue] = []
  /// Bytes of a torn or corrupt tail that opening removed (0 when the file was whole).
  public private(set) var droppedBytes = 0
  private let descriptor: Int32

  static let magic = Array("RLJRNL01".utf8)
  /// The largest record accepted when reading (a bigger length means a corrupt file).
  static let maximumRecord = 1 << 30

  /// Opens (or creates) the journal at `url` for a run whose header is `header`.
  /// - Throws: `ShardingError.journalMismatch` when the journal's header differs from `header`
  ///   (naming the first differing key), `ShardFileError` when the file is not a journal, is
  ///   locked by another process, or cannot be read or written.
  public init(url: URL, header: JSONValue) throws {
    self.url = url
    let path = url.path
    descriptor = open(path, O_RDWR | O_CREAT, 0o644)
    guard descriptor >= 0 else { throw ShardFileError.unreadable(file: path, reason: String(cString: strerror(errno))) }
    do {
      guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
        throw ShardFileError.unreadable(file: path, reason: "another process is using this journal")
      }
      let bytes = try [UInt8](Data(contentsOf: url))
      let (headerRecord, evaluations, validLength) = Self.parse(bytes)
      if let headerRecord {
        if let key = RunIdentity.firstDifference(headerRecord, header) {
          throw ShardingError.journalMismatch(
            file: path, key: key, journal: RunIdentity.value(at: key, in: headerRecord),
            run: RunIdentity.value(at: key, in: header))
        }
      } else if !bytes.isEmpty && !Self.magic.starts(with: bytes.prefix(Self.magic.count)) {
        throw ShardFileError.invalid(file: path, key: "magic", expected: "a resnet-lesion journal (RLJRNL01)", found: "other bytes")
      }
      droppedBytes = bytes.count - validLength
      records = evaluations
      if headerRecord == nil {
        // Empty, or torn before the header was complete: start over.
        try truncate(to: 0)
        try write(Self.magic)
        try append(header)
      } else if droppedBytes > 0 {
        try truncate(to: validLength)
      }
      guard lseek(descriptor, 0, SEEK_END) >= 0 else { throw failure() }
    } catch {
      close(descriptor)
      throw error
    }
  }

  deinit { close(descriptor) }

  /// Appends `record` durably: one write of length, payload and checksum, then `fsync`.
  /// - Throws: `ShardFileError.unreadable` when the write or sync fails.
  public func append(_ record: JSONValue) throws {
    try write(Self.frame(Array(record.encoded(pretty: false).utf8)))
    guard fsync(descriptor) == 0 else { throw failure() }
  }

  /// `payload` framed as a record: length, payload, CRC-32.
  static func frame(_ payload: [UInt8]) -> [UInt8] {
    var bytes = [UInt8]()
    bytes.reserveCapacity(payload.count + 8)
    withUnsafeBytes(of: UInt32(payload.count).littleEndian) { bytes.append(contentsOf: $0) }
    bytes += payload
    withUnsafeBytes(of: CRC32.checksum(payload).littleEndian) { bytes.append(contentsOf: $0) }
    return bytes
  }

  /// Reads the header and the evaluation records of a journal's bytes, stopping at the first
  /// torn or corrupt record; returns how many leading bytes are intact.
  /// - Complexity: O(bytes.count).
  static func parse(_ bytes: [UInt8]) -> (header: JSONValue?, records: [JSONValue], validLength: Int) {
    guard bytes.count >= magic.count, Array(bytes[0..<magic.count]) == magic else { return (nil, [], 0) }
    var offset = magic.count
    var header: JSONValue?
    var records: [JSONValue] = []
    func word(at position: Int) -> Int {
      Int(bytes[position]) | Int(bytes[position + 1]) << 8 | Int(bytes[position + 2]) << 16 | Int(bytes[position + 3]) << 24
    }
    while bytes.count - offset >= 4 {
      let length = word(at: offset)
      guard length <= maximumRecord, bytes.count - offset - 4 >= length + 4 else { break }
      let payload = bytes[(offset + 4)..<(offset + 4 + length)]
      guard UInt32(word(at: offset + 4 + length)) == CRC32.checksum(payload),
        let value = try? JSONValue.parse(payload, limits: .init(maximumBytes: maximumRecord))
      else { break }
      if header == nil { header = value } else { records.append(value) }
      offset += length + 8
    }
    return header == nil ? (nil, [], 0) : (header, records, offset)
  }

  private func write(_ bytes: [UInt8]) throws {
    var written = 0
    while written < bytes.count {
      let n = bytes[written...].withUnsafeBytes { systemWrite(descriptor, $0.baseAddress, $0.count) }
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { throw failure() }
      written += n
    }
  }

  private func truncate(to length: Int) throws {
    guard ftruncate(descriptor, off_t(length)) == 0, fsync(descriptor) == 0 else { throw failure() }
  }

  private func failure() -> ShardFileError { .unreadable(file: url.path, reason: String(cString: strerror(errno))) }
}

/// `write(2)`, named apart from `Journal.write`.
private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
  #if canImport(Glibc)
    return Glibc.write(descriptor, buffer, count)
  #else
    return Darwin.write(descriptor, buffer, count)
  #endif
}

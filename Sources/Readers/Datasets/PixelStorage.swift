import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The bytes of a data set's images: an array in memory, or a private temporary file read one
/// image at a time.
///
/// Tensor files (CIFAR, MNIST, `.npy`) are small and stay in memory. An image folder can be any
/// size (ImageNet's validation set is 7.5 GB as uint8 at 224×224), so `ImageFolder.load` spools
/// the decoded images into a temporary file that is unlinked as soon as it is created: it
/// disappears when the process ends, however it ends, and memory holds only the image being
/// read. Reads use `pread(2)`, which is safe from many threads at once; the operating system's
/// page cache keeps a file that fits in memory there.
public final class PixelStorage: @unchecked Sendable {
  private enum Backing {
    case memory([UInt8])
    /// An open descriptor of an unlinked file holding `count` bytes.
    case file(descriptor: Int32, count: Int)
  }

  private let backing: Backing

  /// Bytes held in memory.
  public init(_ bytes: [UInt8]) {
    backing = .memory(bytes)
  }

  private init(descriptor: Int32, count: Int) {
    backing = .file(descriptor: descriptor, count: count)
  }

  deinit {
    if case .file(let descriptor, _) = backing { close(descriptor) }
  }

  /// The number of bytes.
  public var count: Int {
    switch backing {
    case .memory(let bytes): return bytes.count
    case .file(_, let count): return count
    }
  }

  /// Whether the bytes live in a temporary file rather than in memory.
  public var isFileBacked: Bool {
    if case .file = backing { return true }
    return false
  }

  /// All bytes as an array (a copy of the whole file when file-backed).
  /// - Complexity: O(1) in memory (copy on write), O(count) from a file.
  public func array() -> [UInt8] {
    switch backing {
    case .memory(let bytes):
      return bytes
    case .file:
      return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
        read(0..<count, into: UnsafeMutableRawBufferPointer(buffer))
        initialized = count
      }
    }
  }

  /// Calls `body` with the bytes in `range` (`range` must lie within `0..<count`).
  ///
  /// In memory the buffer points into the array; from a file the bytes are read into a buffer
  /// that lives for the call.
  public func withBytes<R>(
    in range: Range<Int>, _ body: (UnsafeBufferPointer<UInt8>) throws -> R
  ) rethrows -> R {
    precondition(range.lowerBound >= 0 && range.upperBound <= count, "bytes \(range) outside 0..<\(count)")
    switch backing {
    case .memory(let bytes):
      return try bytes.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[range])) }
    case .file:
      let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, range.count), alignment: 16)
      defer { buffer.deallocate() }
      read(range, into: buffer)
      return try body(UnsafeBufferPointer(start: buffer.bindMemory(to: UInt8.self).baseAddress, count: range.count))
    }
  }

  /// Reads `range` of the file into `buffer`.
  ///
  /// The file is this process's own unlinked spool, complete before the storage was created, so
  /// a failing read is an I/O fault of the machine (a failing disk), reported by stopping.
  private func read(_ range: Range<Int>, into buffer: UnsafeMutableRawBufferPointer) {
    guard case .file(let descriptor, _) = backing else { return }
    var done = 0
    while done < range.count {
      let got = pread(descriptor, buffer.baseAddress! + done, range.count - done, off_t(range.lowerBound + done))
      if got < 0 && errno == EINTR { continue }
      guard got > 0 else {
        fatalError("image spool: read of bytes \(range) failed: \(String(cString: strerror(errno)))")
      }
      done += got
    }
  }

  /// Collects bytes appended in order into a temporary file, then hands them over as storage.
  ///
  /// Appends are buffered (4 MiB); `finish()` flushes and returns the storage. The file is
  /// created with `mkstemp(3)` in `folder` (the temporary folder by default) and unlinked at once.
  public final class Spool {
    private var descriptor: Int32
    private var buffer: [UInt8] = []
    private var written = 0
    private let path: String
    private static let bufferSize = 4 << 20

    /// Creates the unlinked file.
    /// - Throws: `DatasetError.fileAccess` when the folder is not writable.
    public init(folder: URL = FileManager.default.temporaryDirectory) throws {
      var template = Array(folder.appendingPathComponent("resnet-lesion-images-XXXXXX").path.utf8CString)
      let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
      path = String(cString: template.map { UInt8(bitPattern: $0) } + [0])
      guard descriptor >= 0 else {
        throw DatasetError.fileAccess(
          file: folder.path, message: "cannot create a temporary file for decoded images: \(String(cString: strerror(errno)))")
      }
      unlink(path)
      self.descriptor = descriptor
      buffer.reserveCapacity(Self.bufferSize)
    }

    deinit {
      if descriptor >= 0 { close(descriptor) }
    }

    /// Bytes appended so far.
    public var count: Int { written + buffer.count }

    /// Appends `bytes`.
    /// - Throws: `DatasetError.fileAccess` when the disk is full or the write fails.
    public func append(_ bytes: UnsafeBufferPointer<UInt8>) throws {
      buffer.append(contentsOf: bytes)
      if buffer.count >= Self.bufferSize { try flush() }
    }

    /// Flushes the buffer and returns the file as storage; the spool must not be used afterwards.
    /// - Throws: `DatasetError.fileAccess` when the last write fails.
    public func finish() throws -> PixelStorage {
      try flush()
      let storage = PixelStorage(descriptor: descriptor, count: written)
      descriptor = -1
      return storage
    }

    private func flush() throws {
      var done = 0
      while done < buffer.count {
        let got = buffer.withUnsafeBytes { write(descriptor, $0.baseAddress! + done, $0.count - done) }
        if got < 0 && errno == EINTR { continue }
        guard got > 0 else {
          throw DatasetError.fileAccess(
            file: path, message: "cannot write decoded images (\(written + done) bytes written): \(String(cString: strerror(errno)))")
        }
        done += got
      }
      written += buffer.count
      buffer.removeAll(keepingCapacity: true)
    }
  }
}

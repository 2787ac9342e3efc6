import Archives
import Basics
import Dispatch
import Foundation

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// A file to download: where from, what to call it, and how to check it.
public struct RemoteFile: Sendable, Equatable {
  /// The address to fetch.
  public var url: URL
  /// The file name in the cache folder.
  public var fileName: String
  /// The expected MD5 digest, 32 lowercase hexadecimal digits.
  public var md5: String
  /// The expected size in bytes, when known.
  public var size: Int?

  /// Describes a remote file.
  public init(url: URL, fileName: String, md5: String, size: Int? = nil) {
    self.url = url
    self.fileName = fileName
    self.md5 = md5.lowercased()
    self.size = size
  }
}

/// How far a download has got.
public struct DownloadProgress: Sendable, Equatable {
  /// The file being downloaded.
  public var fileName: String
  /// Bytes on disk so far, including any resumed part.
  public var receivedBytes: Int
  /// The full size, when known from the catalogue or the server.
  public var totalBytes: Int?
}

/// Why a download failed.
public enum DownloadError: Error, CustomStringConvertible, Equatable {
  /// The name is not in `DatasetDownloader.catalog`.
  case unknownDataset(name: String, known: [String])
  /// The server answered with an unusable HTTP status.
  case httpStatus(url: String, status: Int)
  /// The connection failed or was cut (the partial file is kept for resuming).
  case transport(url: String, message: String)
  /// The server resumed at a different byte than requested.
  case badContentRange(url: String, expected: String, found: String)
  /// The downloaded size differs from the catalogue's.
  case sizeMismatch(file: String, expected: Int, found: Int)
  /// The downloaded bytes have the wrong MD5 digest (the partial file is deleted).
  case md5Mismatch(file: String, expected: String, found: String)
  /// A file in the cache folder could not be read, written or renamed.
  case fileAccess(file: String, message: String)

  /// One human-readable line.
  public var description: String {
    switch self {
    case .unknownDataset(let name, let known):
      return "\(name): no such download: expected one of \(known.joined(separator: ", "))"
    case .httpStatus(let url, let status):
      return "\(url): HTTP status \(status)"
    case .transport(let url, let message):
      return "\(url): download interrupted: \(message) (run again to resume)"
    case .badContentRange(let url, let expected, let found):
      return "\(url): expected Content-Range \(expected), found \(found)"
    case .sizeMismatch(let file, let expected, let found):
      return "\(file): expected \(expected) bytes, found \(found)"
    case .md5Mismatch(let file, let expected, let found):
      return "\(file): MD5 mismatch: expected \(expected), found \(found) (the file was deleted)"
    case .fileAccess(let file, let message):
      return "\(file): \(message)"
    }
  }
}

/// Downloads the official CIFAR-10, CIFAR-100 and MNIST archives into a cache folder.
///
/// Each file is written to `<name>.part`, resumed with an HTTP `Range` request when a partial
/// file exists, checked against its size and MD5, then renamed into place (an atomic
/// `rename(2)` in the same folder). A file already present with the right MD5 is not fetched.
public enum DatasetDownloader {
  /// The downloadable data sets (URLs and MD5s as published by the data sets' authors and torchvision's dataset classes).
  public static let catalog: [String: [RemoteFile]] = {
    func remote(_ address: String, _ md5: String, _ size: Int?) -> RemoteFile? {
      guard let url = URL(string: address) else { return nil }
      return RemoteFile(url: url, fileName: url.lastPathComponent, md5: md5, size: size)
    }
    let mnistBase = "https://ossci-datasets.s3.amazonaws.com/mnist/"
    return [
      "cifar10": [
        remote(
          "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
          "c32a1d4ab5d03f1284b67883e8d87530", 170_052_171)
      ].compactMap { $0 },
      "cifar100": [
        remote(
          "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz",
          "03b5dce01913d631647c71ecec9e9cb8", 168_513_733)
      ].compactMap { $0 },
      "mnist": [
        remote(mnistBase + "train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873", nil),
        remote(mnistBase + "train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432", nil),
        remote(mnistBase + "t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3", nil),
        remote(mnistBase + "t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c", nil),
      ].compactMap { $0 },
    ]
  }()

  /// Downloads every file of the data set `name` ("cifar10", "cifar100", "mnist") into
  /// `cache` (created if needed) and returns their paths.
  ///
  /// The result can be given to `DatasetLoader.load`: the CIFAR `.tar.gz` path, or for MNIST
  /// the cache folder.
  /// - Throws: `DownloadError`.
  public static func fetch(
    _ name: String, into cache: URL, progress: (@Sendable (DownloadProgress) -> Void)? = nil
  ) throws -> [URL] {
    guard let files = catalog[name.lowercased()] else {
      throw DownloadError.unknownDataset(name: name, known: catalog.keys.sorted())
    }
    return try files.map { try download($0, into: cache, progress: progress) }
  }

  /// Downloads one file into `directory`, resuming a `.part` file, verifying and renaming it.
  ///
  /// - Parameter timeout: seconds without any data before the transfer is abandoned.
  /// - Throws: `DownloadError`.
  public static func download(
    _ file: RemoteFile, into directory: URL, timeout: TimeInterval = 60,
    progress: (@Sendable (DownloadProgress) -> Void)? = nil
  ) throws -> URL {
    let fileManager = FileManager.default
    do {
      try fileManager.createDirectory(at: directory, withIntermediateDirectories: true)
    } catch {
      throw DownloadError.fileAccess(
        file: directory.path, message: "cannot create: \(error.localizedDescription)")
    }
    let destination = directory.appendingPathComponent(file.fileName)
    let part = directory.appendingPathComponent(file.fileName + ".part")
    if fileManager.fileExists(atPath: destination.path) {
      if (try? verify(destination, against: file)) != nil { return destination }
      try? fileManager.removeItem(at: destination)
    }
    var existing = fileSize(part) ?? 0
    if let size = file.size, existing > size {
      try? fileManager.removeItem(at: part)
      existing = 0
    }
    if file.size == nil || existing < (file.size ?? 0) {
      do {
        try transfer(file, to: part, resumingAt: existing, timeout: timeout, progress: progress)
      } catch {
        // Keep a partial file to resume, but no empty one (an offline attempt leaves nothing).
        if (fileSize(part) ?? 0) == 0 { try? fileManager.removeItem(at: part) }
        throw error
      }
    }
    do {
      try verify(part, against: file)
    } catch let error as DownloadError {
      try? fileManager.removeItem(at: part)
      throw error
    }
    if rename(part.path, destination.path) != 0 {
      throw DownloadError.fileAccess(
        file: destination.path, message: "cannot rename \(part.lastPathComponent): errno \(errno)")
    }
    return destination
  }

  /// Checks size and MD5, reading the file in 4 MiB pieces.
  static func verify(_ url: URL, against file: RemoteFile) throws {
    let found = fileSize(url) ?? 0
    if let size = file.size, found != size {
      throw DownloadError.sizeMismatch(file: url.path, expected: size, found: found)
    }
    guard let handle = try? FileHandle(forReadingFrom: url) else {
      throw DownloadError.fileAccess(file: url.path, message: "cannot open for reading")
    }
    defer { try? handle.close() }
    var md5 = MD5()
    while true {
      let chunk: Data
      do {
        chunk = try handle.read(upToCount: 4 << 20) ?? Data()
      } catch {
        throw DownloadError.fileAccess(file: url.path, message: error.localizedDescription)
      }
      if chunk.isEmpty { break }
      chunk.withUnsafeBytes { md5.update(buffer: $0.bindMemory(to: UInt8.self)) }
    }
    let digest = md5.hexDigest()
    if digest != file.md5 {
      throw DownloadError.md5Mismatch(file: url.path, expected: file.md5, found: digest)
    }
  }

  static func fileSize(_ url: URL) -> Int? {
    guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path),
      let size = attributes[.size] as? NSNumber
    else { return nil }
    return size.intValue
  }

  /// Runs one HTTP GET (with `Range` when resuming) and appends the body to `part`.
  private static func transfer(
    _ file: RemoteFile, to part: URL, resumingAt offset: Int, timeout: TimeInterval,
    progress: (@Sendable (DownloadProgress) -> Void)?
  ) throws {
    if !FileManager.default.fileExists(atPath: part.path) {
      guard FileManager.default.createFile(atPath: part.path, contents: nil) else {
        throw DownloadError.fileAccess(file: part.path, message: "cannot create")
      }
    }
    guard let handle = try? FileHandle(forWritingTo: part) else {
      throw DownloadError.fileAccess(file: part.path, message: "cannot open for writing")
    }
    defer { try? handle.close() }
    var request = URLRequest(url: file.url)
    request.timeoutInterval = timeout
    if offset > 0 { request.setValue("bytes=\(offset)-", forHTTPHeaderField: "Range") }
    let receiver = DownloadReceiver(
      handle: handle, file: file, offset: offset, progress: progress)
    let configuration = URLSessionConfiguration.ephemeral
    configuration.timeoutIntervalForRequest = timeout
    let session = URLSession(configuration: configuration, delegate: receiver, delegateQueue: nil)
    session.dataTask(with: request).resume()
    receiver.finished.wait()
    session.finishTasksAndInvalidate()
    if let error = receiver.failure { throw error }
  }
}

/// Receives one transfer's response and body on URLSession's queue.
private final class DownloadReceiver: NSObject, URLSessionDataDelegate, @unchecked Sendable {
  let handle: FileHandle
  let file: RemoteFile
  let progress: (@Sendable (DownloadProgress) -> Void)?
  let finished = DispatchSemaphore(value: 0)
  // Touched only from the session's serial delegate queue until `finished` is signalled.
  var received: Int
  var total: Int?
  var failure: DownloadError?

  init(
    handle: FileHandle, file: RemoteFile, offset: Int,
    progress: (@Sendable (DownloadProgress) -> Void)?
  ) {
    self.handle = handle
    self.file = file
    self.received = offset
    self.total = file.size
    self.progress = progress
  }

  func urlSession(
    _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
  ) {
    let address = file.url.absoluteString
    guard let http = response as? HTTPURLResponse else {
      failure = .transport(url: address, message: "not an HTTP response")
      return completionHandler(.cancel)
    }
    do {
      switch http.statusCode {
      case 206 where received > 0:
        let range = http.value(forHTTPHeaderField: "Content-Range") ?? "(none)"
        guard range.hasPrefix("bytes \(received)-") else {
          failure = .badContentRange(url: address, expected: "bytes \(received)-…", found: range)
          return completionHandler(.cancel)
        }
        if let slash = range.lastIndex(of: "/"), let size = Int(range[range.index(after: slash)...])
        {
          total = size
        }
        try handle.seekToEnd()
      case 200:
        // A full response: start the part file again (the server ignored Range, or none was sent).
        try handle.truncate(atOffset: 0)
        received = 0
        if total == nil, http.expectedContentLength > 0 { total = Int(http.expectedContentLength) }
      default:
        failure = .httpStatus(url: address, status: http.statusCode)
        return completionHandler(.cancel)
      }
    } catch {
      failure = .fileAccess(file: file.fileName + ".part", message: error.localizedDescription)
      return completionHandler(.cancel)
    }
    progress?(DownloadProgress(fileName: file.fileName, receivedBytes: received, totalBytes: total))
    completionHandler(.allow)
  }

  func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
    guard failure == nil else { return }
    do {
      try handle.write(contentsOf: data)
    } catch {
      failure = .fileAccess(file: file.fileName + ".part", message: error.localizedDescription)
      dataTask.cancel()
      return
    }
    received += data.count
    progress?(DownloadProgress(fileName: file.fileName, receivedBytes: received, totalBytes: total))
  }

  func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
    if let error, failure == nil {
      failure = .transport(url: file.url.absoluteString, message: error.localizedDescription)
    }
    finished.signal()
  }
}

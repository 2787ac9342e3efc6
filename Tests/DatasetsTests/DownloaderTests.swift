import _TestSupport
import Archives
import Foundation
import XCTest

@testable import Datasets

final class DownloaderTests: XCTestCase {
  var server: LoopbackHTTPServer?

  override func tearDown() {
    server?.stop()
    server = nil
  }

  func startServer(_ files: [String: [UInt8]]) throws -> LoopbackHTTPServer {
    let server = try LoopbackHTTPServer()
    server.files = files
    self.server = server
    return server
  }

  final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [DownloadProgress] = []
    func append(_ value: DownloadProgress) { lock.withLock { values.append(value) } }
    var all: [DownloadProgress] { lock.withLock { values } }
  }

  func testDownloadVerifyAndLoadATinyCIFARArchive() throws {
    let archive = try fixture("cifar/cifar-10-binary.tar.gz")
    let server = try startServer(["/data/cifar-10-binary.tar.gz": archive])
    let cache = try makeTemporaryDirectory(self).appendingPathComponent("cache")
    let remote = RemoteFile(
      url: server.url("/data/cifar-10-binary.tar.gz"), fileName: "cifar-10-binary.tar.gz",
      md5: MD5.hexDigest(archive), size: archive.count)
    let log = ProgressLog()
    let path = try DatasetDownloader.download(remote, into: cache, progress: { log.append($0) })
    XCTAssertEqual(path.lastPathComponent, "cifar-10-binary.tar.gz")
    XCTAssertEqual([UInt8](try Data(contentsOf: path)), archive)
    XCTAssertFalse(FileManager.default.fileExists(atPath: path.path + ".part"))
    XCTAssertEqual(
      log.all.last,
      DownloadProgress(
        fileName: remote.fileName, receivedBytes: archive.count, totalBytes: archive.count))
    XCTAssertEqual(log.all.map(\.receivedBytes), log.all.map(\.receivedBytes).sorted())
    XCTAssertEqual(server.requests, [.init(path: "/data/cifar-10-binary.tar.gz", range: nil)])
    // The downloaded archive loads.
    XCTAssertEqual(try DatasetLoader.load(path.path, split: .test).labels, [5, 6, 7])
    // A second call finds the verified file and makes no request.
    _ = try DatasetDownloader.download(remote, into: cache)
    XCTAssertEqual(server.requests.count, 1)
  }

  func testResumeAfterACutConnection() throws {
    var rng = SplitMix64(seed: 21)
    let body = (0..<50_000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    let server = try startServer(["/f.bin": body])
    let cache = try makeTemporaryDirectory(self)
    let remote = RemoteFile(
      url: server.url("/f.bin"), fileName: "f.bin", md5: MD5.hexDigest(body), size: body.count)
    server.cutAfterBytes = 20_000
    XCTAssertThrowsError(try DatasetDownloader.download(remote, into: cache, timeout: 10)) {
      error in
      guard case .transport = error as? DownloadError else { return XCTFail("\(error)") }
    }
    let partSize = DatasetDownloader.fileSize(cache.appendingPathComponent("f.bin.part")) ?? -1
    XCTAssertGreaterThan(partSize, 0)
    XCTAssertLessThanOrEqual(partSize, 20_000)
    server.cutAfterBytes = nil
    let path = try DatasetDownloader.download(remote, into: cache, timeout: 10)
    XCTAssertEqual([UInt8](try Data(contentsOf: path)), body)
    XCTAssertEqual(server.requests.map(\.range), [nil, "bytes=\(partSize)-"])
  }

  func testServerIgnoringRangeRestartsTheFile() throws {
    let body = Array("0123456789abcdef".utf8)
    let server = try startServer(["/g.bin": body])
    server.ignoresRange = true
    let cache = try makeTemporaryDirectory(self)
    try Data(Array(body.prefix(5))).write(to: cache.appendingPathComponent("g.bin.part"))
    let remote = RemoteFile(
      url: server.url("/g.bin"), fileName: "g.bin", md5: MD5.hexDigest(body), size: nil)
    let path = try DatasetDownloader.download(remote, into: cache)
    XCTAssertEqual([UInt8](try Data(contentsOf: path)), body)
    XCTAssertEqual(server.requests.map(\.range), ["bytes=5-"])
  }

  func testChecksumMismatchAndHTTPErrors() throws {
    let body = Array("payload".utf8)
    let server = try startServer(["/h.bin": body])
    let cache = try makeTemporaryDirectory(self)
    let wrong = RemoteFile(
      url: server.url("/h.bin"), fileName: "h.bin", md5: String(repeating: "0", count: 32))
    XCTAssertThrowsError(try DatasetDownloader.download(wrong, into: cache)) { error in
      XCTAssertEqual(
        error as? DownloadError,
        .md5Mismatch(
          file: cache.appendingPathComponent("h.bin.part").path, expected: wrong.md5,
          found: MD5.hexDigest(body)))
    }
    XCTAssertFalse(
      FileManager.default.fileExists(atPath: cache.appendingPathComponent("h.bin.part").path))
    XCTAssertFalse(
      FileManager.default.fileExists(atPath: cache.appendingPathComponent("h.bin").path))
    let wrongSize = RemoteFile(
      url: server.url("/h.bin"), fileName: "h.bin", md5: MD5.hexDigest(body), size: 8)
    XCTAssertThrowsError(try DatasetDownloader.download(wrongSize, into: cache)) { error in
      XCTAssertEqual(
        error as? DownloadError,
        .sizeMismatch(file: cache.appendingPathComponent("h.bin.part").path, expected: 8, found: 7))
    }
    let missing = RemoteFile(
      url: server.url("/missing"), fileName: "m.bin", md5: MD5.hexDigest(body))
    XCTAssertThrowsError(try DatasetDownloader.download(missing, into: cache)) { error in
      XCTAssertEqual(
        error as? DownloadError, .httpStatus(url: missing.url.absoluteString, status: 404))
    }
    XCTAssertThrowsError(try DatasetDownloader.fetch("imagenet", into: cache)) { error in
      XCTAssertEqual(
        error as? DownloadError,
        .unknownDataset(name: "imagenet", known: ["cifar10", "cifar100", "mnist"]))
    }
  }

  func testCatalogue() {
    XCTAssertEqual(
      DatasetDownloader.catalog["cifar10"]?.first?.md5, "c32a1d4ab5d03f1284b67883e8d87530")
    XCTAssertEqual(DatasetDownloader.catalog["cifar100"]?.first?.size, 168_513_733)
    XCTAssertEqual(
      DatasetDownloader.catalog["mnist"]?.map(\.fileName),
      [
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
      ])
  }
}

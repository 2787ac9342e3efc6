import Basics
import Foundation
import TensorFormats
import XCTest

@testable import Archives
@testable import Datasets

/// Regressions for issue 12: decompression bombs, tar arithmetic, record limits, non-finite
/// pixels, and files that are not regular files. Big inputs are generated here, small on disk.
final class HostileArchiveTests: XCTestCase {
  /// 1 MiB of zeros as one gzip member (7 KB).
  static let megabyteMember: [UInt8] = {
    let zeros = [UInt8](repeating: 0, count: 1 << 20)
    let crc = zeros.withUnsafeBufferPointer { CRC32.update(0, buffer: $0) }
    return zeroGzipMember(size: 1 << 20, crc: crc)
  }()

  func testZeroMemberIsValidGzip() throws {
    let output = try Gzip.decompress(Self.megabyteMember, file: "m.gz", limit: 1 << 20)
    XCTAssertEqual(output.count, 1 << 20)
    XCTAssertTrue(output.allSatisfy { $0 == 0 })
    XCTAssertLessThan(Self.megabyteMember.count, 8_000)
  }

  func testGzipStopsAtTheLimit() {
    // Eight members: 8 MiB expanded, refused at 2 MiB.
    let bomb = Array([[UInt8]](repeating: Self.megabyteMember, count: 8).joined())
    XCTAssertThrowsError(try Gzip.decompress(bomb, file: "bomb.gz", limit: 2 << 20)) { error in
      guard case .tooLarge(let file, _, let limit, _) = error as? ArchiveError else {
        return XCTFail("\(error)")
      }
      XCTAssertEqual(file, "bomb.gz")
      XCTAssertEqual(limit, 2 << 20)
      XCTAssertTrue("\(error)".contains(DecompressionLimit.environmentVariable), "\(error)")
    }
    // Exactly at the limit is accepted.
    XCTAssertEqual(try Gzip.decompress(bomb, file: "bomb.gz", limit: 8 << 20).count, 8 << 20)
  }

  func testRawInflateStopsAtTheLimit() {
    let member = Self.megabyteMember
    let deflate = Array(member[10..<(member.count - 8)])
    XCTAssertThrowsError(try Inflate.decompress(deflate, limit: 1000)) { error in
      guard case .tooLarge = error as? ArchiveError else { return XCTFail("\(error)") }
    }
    XCTAssertEqual(try Inflate.decompress(deflate, limit: 1 << 20).count, 1 << 20)
    // Tiny limits hold exactly, below the buffer's minimum size too.
    for limit in [0, 1, 2, 63, 64, 65] {
      let stored = storedDeflate([UInt8](repeating: 7, count: limit + 1), blockSize: 65535)
      XCTAssertThrowsError(try Inflate.decompress(stored, limit: limit), "\(limit)")
      XCTAssertEqual(try Inflate.decompress(Array(stored), limit: limit + 1).count, limit + 1)
      var fixed = BitWriter()
      fixed.write(1, bits: 1)
      fixed.write(1, bits: 2)
      for _ in 0...limit { fixed.writeFixedLiteral(65) }
      fixed.writeFixedLiteral(256)
      XCTAssertThrowsError(try Inflate.decompress(fixed.bytes, limit: limit), "literals \(limit)")
      XCTAssertEqual(try Inflate.decompress(fixed.bytes, limit: limit + 1).count, limit + 1)
    }
  }

  func testPrefixReadsOnlyWhatIsAsked() throws {
    let bomb = Array([[UInt8]](repeating: Self.megabyteMember, count: 64).joined())
    let prefix = try Gzip.decompressedPrefix(bomb, file: "bomb.gz", count: 100)
    XCTAssertEqual(prefix, [UInt8](repeating: 0, count: 100))
    let short = try Gzip.decompressedPrefix(
      storedGzip([1, 2, 3], crc: [UInt8]([1, 2, 3]).withUnsafeBufferPointer { CRC32.update(0, buffer: $0) }),
      file: "s.gz", count: 100)
    XCTAssertEqual(short, [1, 2, 3])
  }

  func testLimitFromTheEnvironment() {
    let variable = DecompressionLimit.environmentVariable
    XCTAssertEqual(DecompressionLimit.bytes(environment: [:]), 256 << 20)
    XCTAssertEqual(DecompressionLimit.bytes(environment: [variable: "1024"]), 1 << 30)
    XCTAssertEqual(DecompressionLimit.bytes(environment: [variable: "0"]), 256 << 20)
    XCTAssertEqual(DecompressionLimit.bytes(environment: [variable: "lots"]), 256 << 20)
  }

  /// The pax record length 9223372036854775807 used to trap on `index + length`.
  func testPaxRecordLengthOverflow() {
    for text in ["9223372036854775807 path=x\n", "9223372036854775806 a=b\n", "-5 a=b\n", "2 \n"] {
      let records = Array(text.utf8)
      let padded = records + [UInt8](repeating: 0, count: (512 - records.count % 512) % 512)
      let tar =
        tarHeader(name: "pax", size: records.count, type: UInt8(ascii: "x")) + padded
        + tarHeader(name: "f", size: 0) + [UInt8](repeating: 0, count: 1024)
      XCTAssertThrowsError(try TarArchive.parse(tar, file: "t.tar"), text) { error in
        guard case .invalidData(_, let offset, _, _) = error as? ArchiveError else {
          return XCTFail("\(error)")
        }
        XCTAssertEqual(offset, 512)
      }
    }
  }

  func testHugeTarMemberSizeIsTruncationNotAllocation() {
    var header = tarHeader(name: "cifar-10-batches-bin/test_batch.bin", size: 0)
    // GNU base-256 size 2^62, checksum recomputed.
    header[124] = 0x80
    for index in 125..<136 { header[index] = 0 }
    header[128] = 0x40
    for index in 148..<156 { header[index] = 0x20 }
    let sum = header.reduce(0) { $0 + Int($1) }
    let digits = Array(String(sum, radix: 8).utf8)
    let field = [UInt8](repeating: UInt8(ascii: "0"), count: 6 - digits.count) + digits + [0, 0x20]
    for (index, byte) in field.enumerated() { header[148 + index] = byte }
    XCTAssertThrowsError(try TarArchive.parse(header + [0, 0, 0], file: "t.tar")) { error in
      guard case .truncated = error as? ArchiveError else { return XCTFail("\(error)") }
    }
  }
}

final class HostileDatasetTests: XCTestCase {
  func idxHeader(magic: UInt32, sizes: [UInt32]) -> [UInt8] {
    ([magic] + sizes).flatMap { value in (0..<4).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
  }

  func crc(_ bytes: [UInt8]) -> UInt32 { bytes.withUnsafeBufferPointer { CRC32.update(0, buffer: $0) } }

  /// A gzipped IDX file whose header declares 60,000 28×28 images but whose data inflates far
  /// beyond that: refused after the declared size, not after the whole stream.
  func testGzippedIDXIsInflatedOnlyToItsDeclaredSize() throws {
    let header = idxHeader(magic: 0x803, sizes: [4, 28, 28])
    let bomb =
      storedGzip(header, crc: crc(header))
      + Array([[UInt8]](repeating: HostileArchiveTests.megabyteMember, count: 16).joined())
    XCTAssertThrowsError(
      try MNIST.parseIDX(bomb, file: "i.gz", dimensions: 3, magic: 0x803, limit: 64 << 20)
    ) { error in
      guard case .countMismatch(let file, let expected, _, _) = error as? DatasetError else {
        return XCTFail("\(error)")
      }
      XCTAssertEqual(file, "i.gz")
      XCTAssertEqual(expected, 16 + 4 * 784)
    }
    // With a record limit the same file gives its first images.
    let first = try MNIST.parseIDX(
      bomb, file: "i.gz", dimensions: 3, magic: 0x803, maximumRecords: 2, limit: 64 << 20)
    XCTAssertEqual(first.shape, [2, 28, 28])
    XCTAssertEqual(first.declaredRecords, 4)
    XCTAssertEqual(first.data.count, 2 * 784)
  }

  func testIDXDeclaringMoreThanTheLimitIsRefusedBeforeInflating() {
    let header = idxHeader(magic: 0x803, sizes: [1_000_000, 28, 28])
    let file = storedGzip(header, crc: crc(header))
    XCTAssertThrowsError(
      try MNIST.parseIDX(file, file: "i.gz", dimensions: 3, magic: 0x803, limit: 1 << 20)
    ) { error in
      guard case .archive(.tooLarge(_, _, let limit, _)) = error as? DatasetError else {
        return XCTFail("\(error)")
      }
      XCTAssertEqual(limit, 1 << 20)
    }
  }

  func testMaximumImagesStopsEarly() throws {
    let folder = try makeTemporaryDirectory(self)
    var records: [UInt8] = []
    for index in 0..<5 { records += [UInt8(index)] + [UInt8](repeating: UInt8(index), count: 3072) }
    let url = folder.appendingPathComponent("cifar-10-test.bin")
    try Data(records).write(to: url)
    let two = try DatasetLoader.load(url.path, split: .test, maximumImages: 2)
    XCTAssertEqual(two.labels, [0, 1])
    XCTAssertEqual(two.pixels.count, 2 * 3072)
    let all = try DatasetLoader.load(url.path, split: .test)
    XCTAssertEqual(all.count, 5)
  }

  func testNonFinitePixelsAreRefusedByEveryPath() throws {
    let folder = try makeTemporaryDirectory(self)
    let labels = folder.appendingPathComponent("labels.npy")
    try NumPyArray.write(RawTensor(int64s: [0, 1], shape: [2]), to: labels)
    for value in [Float.nan, .infinity, -.infinity] {
      let images = folder.appendingPathComponent("images.npy")
      var pixels = [Float](repeating: 0.5, count: 2 * 4 * 4)
      pixels[5] = value
      try NumPyArray.write(RawTensor(floats: pixels, shape: [2, 1, 4, 4]), to: images)
      XCTAssertThrowsError(
        try DatasetLoader.load(images.path, split: .test, labels: labels.path)
      ) { error in
        guard case .nonFinitePixel(let file, let index, let found) = error as? DatasetError else {
          return XCTFail("\(error)")
        }
        XCTAssertEqual(file, images.path)
        XCTAssertEqual(index, 5)
        XCTAssertEqual(found.isNaN, value.isNaN)
        XCTAssertFalse(found.isFinite)
      }
      // The model-input path (`predict`) refuses the same element.
      XCTAssertThrowsError(try InputArray.read(contentsOf: images)) { error in
        guard case .nonFinitePixel(_, let index, _) = error as? DatasetError else {
          return XCTFail("\(error)")
        }
        XCTAssertEqual(index, 5)
      }
    }
  }

  func testFoldersDevicesAndFIFOsHavePlainMessages() throws {
    let folder = try makeTemporaryDirectory(self)
    XCTAssertEqual(RegularFile.problem(atPath: folder.path), "is a folder, not a file")
    XCTAssertEqual(RegularFile.problem(atPath: "/dev/zero"), "is a device, not a regular file")
    let fifo = folder.appendingPathComponent("pipe")
    XCTAssertEqual(mkfifo(fifo.path, 0o600), 0)
    XCTAssertEqual(RegularFile.problem(atPath: fifo.path), "is a named pipe (FIFO), not a regular file")
    XCTAssertNil(RegularFile.problem(atPath: folder.appendingPathComponent("missing").path))
    // Reading a FIFO must fail at once instead of blocking.
    XCTAssertThrowsError(try RegularFile.read(fifo)) { error in
      XCTAssertEqual((error as? FileAccessError)?.message, "is a named pipe (FIFO), not a regular file")
    }
    XCTAssertThrowsError(try DatasetLoader.load("/dev/zero", split: .test)) { error in
      XCTAssertTrue("\(error)".contains("/dev/zero"), "\(error)")
    }
    let bin = folder.appendingPathComponent("data.bin")
    XCTAssertEqual(mkfifo(bin.path, 0o600), 0)
    XCTAssertThrowsError(try DatasetLoader.load(bin.path, split: .test)) { error in
      XCTAssertEqual(
        error as? DatasetError,
        .fileAccess(file: bin.path, message: "is a named pipe (FIFO), not a regular file"))
    }
  }

  /// An image folder's files and labels file are read only when they are regular files: a named
  /// pipe called `x.png` or `labels.txt` is refused with the reason (before, Foundation's read
  /// failed with "You don't have permission", which is not why).
  func testImageFolderRefusesNamedPipesWithTheReason() throws {
    let folder = try makeTemporaryDirectory(self)
    let image = folder.appendingPathComponent("digit.png")
    XCTAssertEqual(mkfifo(image.path, 0o600), 0)
    XCTAssertThrowsError(try ImageStream.decode(image.path, options: ImageFolderOptions())) { error in
      XCTAssertEqual(
        error as? DatasetError, .fileAccess(file: image.path, message: "is a named pipe (FIFO), not a regular file"))
    }
    let labels = folder.appendingPathComponent("labels.txt")
    XCTAssertEqual(mkfifo(labels.path, 0o600), 0)
    XCTAssertThrowsError(try ImageFolder.labelledFolder(folder, labels: labels)) { error in
      XCTAssertEqual(
        error as? DatasetError, .fileAccess(file: labels.path, message: "is a named pipe (FIFO), not a regular file"))
    }
  }
}

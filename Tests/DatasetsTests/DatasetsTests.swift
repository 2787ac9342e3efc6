import _TestSupport
import Archives
import Foundation
import TensorFormats
import XCTest

@testable import Datasets

/// The repository's notebooks-data folder, located from this file.
let repositoryDataDirectory = TestFiles.notebooksData()

/// Pixels of the tiny CIFAR fixtures: 3,072 SplitMix64 bytes from `seed`.
func cifarPixels(seed: UInt64) -> [UInt8] {
  generatedData(kind: "random", size: 3072, seed: seed, words: [])
}

final class BundledMNISTTests: XCTestCase {
  override func setUp() {
    // `swift test` may run from another folder; point the search at this repository.
    setenv("RESNET_LESION_DATA", repositoryDataDirectory.path, 1)
  }

  func testLoadsBothSplits() throws {
    let train = try DatasetLoader.load("mnist-5k", split: .train)
    let test = try DatasetLoader.load("mnist-5k", split: .test)
    XCTAssertEqual(train.name, "mnist-5k/train")
    XCTAssertEqual(test.name, "mnist-5k/test")
    XCTAssertEqual([train.count, test.count], [4000, 1000])
    XCTAssertEqual([train.channels, train.height, train.width], [1, 28, 28])
    XCTAssertEqual(train.pixels.count, 4000 * 784)
    XCTAssertEqual(train.classNames, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"])
    XCTAssertEqual(train.classCounts(), [Int](repeating: 400, count: 10))
    XCTAssertEqual(test.classCounts(), [Int](repeating: 100, count: 10))
    XCTAssertEqual(train.labels, train.labels.sorted(), "class-sorted")
    // Values computed with numpy from the same files.
    XCTAssertEqual(train.pixels[0..<784].reduce(0) { $0 + Int($1) }, 31095)
    XCTAssertEqual(test.pixels[(999 * 784)...].reduce(0) { $0 + Int($1) }, 33540)
    XCTAssertEqual(test.pixels[123 * 784 + 14 * 28 + 14], 252)
    let (mean, std) = train.pixelStatistics()
    XCTAssertEqual(mean[0], 0.13085988895558223, accuracy: 1e-12)
    XCTAssertEqual(std[0], 0.3080155648353562, accuracy: 1e-12)
    let testStatistics = test.pixelStatistics()
    XCTAssertEqual(testStatistics.mean[0], 0.13315859343737496, accuracy: 1e-12)
    XCTAssertEqual(testStatistics.std[0], 0.3106732075184989, accuracy: 1e-12)
  }

  func testWithoutNotebooksData() throws {
    let missing = try makeTemporaryDirectory(self).appendingPathComponent("missing")
    setenv("RESNET_LESION_DATA", missing.path, 1)
    defer { setenv("RESNET_LESION_DATA", repositoryDataDirectory.path, 1) }
    XCTAssertThrowsError(try DatasetLoader.load("mnist-5k", split: .test)) { error in
      guard case .bundledDataNotFound = error as? DatasetError else { return XCTFail("\(error)") }
    }
    XCTAssertThrowsError(try DatasetLoader.load("cifar10", split: .test)) { error in
      guard case .unrecognizedSource(let source, _) = error as? DatasetError else {
        return XCTFail("\(error)")
      }
      XCTAssertEqual(source, "cifar10")
    }
  }

  func testUnknownSourceNamesTheBundledSets() {
    XCTAssertThrowsError(try DatasetLoader.load("mnist-6k", split: .test)) { error in
      XCTAssertTrue("\(error)".contains("mnist-5k"), "\(error)")
    }
  }
}

final class CIFARTests: XCTestCase {
  /// Expected labels and pixel seeds of the tiny CIFAR-10 fixture (see make_fixtures.py).
  func expectedCIFAR10(split: DatasetSplit) -> (labels: [Int], pixels: [UInt8]) {
    let batches = split == .train ? Array(0..<5) : [5]
    var labels: [Int] = []
    var pixels: [UInt8] = []
    for batch in batches {
      for record in 0..<3 {
        labels.append((record + batch) % 10)
        pixels += cifarPixels(seed: UInt64(100 * batch + record))
      }
    }
    return (labels, pixels)
  }

  let cifar10Names = [
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
  ]

  func testCIFAR10ArchiveFolderAndFile() throws {
    let archive = fixturesDirectory.appendingPathComponent("cifar/cifar-10-binary.tar.gz")
    let root = try makeTemporaryDirectory(self)
    // Extract with our own reader, as `tar xzf` would.
    let tar = try TarArchive.parse(
      try Gzip.decompress(try fixture("cifar/cifar-10-binary.tar.gz"), file: "a"), file: "a")
    XCTAssertEqual(tar.entries.count, 7)
    try FileManager.default.createDirectory(
      at: root.appendingPathComponent("cifar-10-batches-bin"), withIntermediateDirectories: true)
    for entry in tar.entries {
      try Data(entry.bytes).write(to: root.appendingPathComponent(entry.name))
    }
    let folder = root.appendingPathComponent("cifar-10-batches-bin")
    for split in DatasetSplit.allCases {
      let expected = expectedCIFAR10(split: split)
      let fromArchive = try DatasetLoader.load(archive.path, split: split)
      let fromFolder = try DatasetLoader.load(folder.path, split: split)
      let fromParent = try DatasetLoader.load(root.path, split: split)
      for dataset in [fromArchive, fromFolder, fromParent] {
        XCTAssertEqual(dataset.labels, expected.labels)
        XCTAssertTrue(dataset.pixels == expected.pixels)
        XCTAssertEqual([dataset.channels, dataset.height, dataset.width], [3, 32, 32])
        XCTAssertEqual(dataset.classNames, cifar10Names)
      }
      XCTAssertEqual(fromArchive.name, "\(archive.path) (\(split.rawValue))")
    }
    let single = try DatasetLoader.load(
      folder.appendingPathComponent("test_batch.bin").path, split: .train)
    XCTAssertEqual(single.labels, [5, 6, 7])
    XCTAssertEqual(single.classNames, cifar10Names)
    XCTAssertTrue(single.pixels == expectedCIFAR10(split: .test).pixels)
  }

  func testCIFAR100ArchiveAndFolder() throws {
    let archive = fixturesDirectory.appendingPathComponent("cifar/cifar-100-binary.tar.gz")
    let tar = try TarArchive.parse(
      try Gzip.decompress(try fixture("cifar/cifar-100-binary.tar.gz"), file: "a"), file: "a")
    let root = try makeTemporaryDirectory(self)
    let folder = root.appendingPathComponent("cifar-100-binary")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for entry in tar.entries {
      try Data(entry.bytes).write(to: root.appendingPathComponent(entry.name))
    }
    for (batch, split) in [(0, DatasetSplit.train), (1, .test)] {
      let labels = (0..<3).map { (7 * $0 + batch) % 100 }
      let pixels = (0..<3).flatMap { cifarPixels(seed: UInt64(500 + 100 * batch + $0)) }
      for dataset in [
        try DatasetLoader.load(archive.path, split: split),
        try DatasetLoader.load(folder.path, split: split),
      ] {
        XCTAssertEqual(dataset.labels, labels)
        XCTAssertTrue(dataset.pixels == pixels)
        XCTAssertEqual(dataset.classCount, 100)
        XCTAssertEqual(dataset.classNames[7], "class07")
      }
    }
    // A plain folder with train.bin/test.bin and no name files: the length decides.
    let plain = root.appendingPathComponent("plain")
    try FileManager.default.createDirectory(at: plain, withIntermediateDirectories: true)
    for name in ["train.bin", "test.bin"] {
      try FileManager.default.copyItem(
        at: folder.appendingPathComponent(name), to: plain.appendingPathComponent(name))
    }
    let byLength = try DatasetLoader.load(plain.path, split: .train)
    XCTAssertEqual(byLength.labels, [0, 7, 14])
    XCTAssertEqual(byLength.classNames.first, "apple")
    // Without the name files the standard names are used, and the folder name tells CIFAR-100.
    try FileManager.default.removeItem(at: folder.appendingPathComponent("fine_label_names.txt"))
    try FileManager.default.removeItem(at: folder.appendingPathComponent("coarse_label_names.txt"))
    let standard = try DatasetLoader.load(folder.path, split: .test)
    XCTAssertEqual(standard.classNames.count, 100)
    XCTAssertEqual(standard.classNames.first, "apple")
    XCTAssertEqual(standard.classNames.last, "worm")
    XCTAssertEqual(Set(standard.classNames).count, 100)
    XCTAssertEqual(standard.labels, [1, 8, 15])
  }

  func testStandardCIFAR100Names() {
    XCTAssertEqual(CIFAR.cifar100ClassNames.count, 100)
    XCTAssertEqual(CIFAR.cifar100ClassNames, CIFAR.cifar100ClassNames.sorted())
  }

  func testWrongRecordSizeAndBadLabels() throws {
    let root = try makeTemporaryDirectory(self)
    let folder = root.appendingPathComponent("cifar-10-batches-bin")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let file = folder.appendingPathComponent("test_batch.bin")
    var record = [UInt8](repeating: 0, count: 3073)
    try Data(record + record + [1, 2, 3]).write(to: file)
    XCTAssertThrowsError(try DatasetLoader.load(folder.path, split: .test)) { error in
      XCTAssertEqual(
        error as? DatasetError,
        .recordSize(file: file.path, length: 6149, recordSize: 3073, format: "CIFAR-10"))
      XCTAssertEqual(
        "\(error)",
        "\(file.path): length 6149 is not a multiple of the 3073-byte CIFAR-10 record (2 records and 3 bytes left over)"
      )
    }
    record[0] = 10
    try Data(record + record).write(to: file)
    XCTAssertThrowsError(try DatasetLoader.load(folder.path, split: .test)) { error in
      XCTAssertEqual(
        error as? DatasetError,
        .labelOutOfRange(file: file.path, record: 0, label: 10, classCount: 10))
    }
    // Train files missing.
    XCTAssertThrowsError(try DatasetLoader.load(folder.path, split: .train)) { error in
      XCTAssertTrue(
        "\(error)".contains("data_batch_1.bin") || "\(error)".contains("train.bin"), "\(error)")
    }
    // A lone .bin whose length fits neither record size.
    let lone = root.appendingPathComponent("lone.bin")
    try Data([UInt8](repeating: 0, count: 100)).write(to: lone)
    XCTAssertThrowsError(try DatasetLoader.load(lone.path, split: .test))
  }

  func testCorruptAndTruncatedArchive() throws {
    let root = try makeTemporaryDirectory(self)
    let good = try fixture("cifar/cifar-10-binary.tar.gz")
    var corrupt = good
    corrupt[good.count / 2] ^= 0x55
    let corruptURL = root.appendingPathComponent("corrupt-cifar-10-binary.tar.gz")
    try Data(corrupt).write(to: corruptURL)
    XCTAssertThrowsError(try DatasetLoader.load(corruptURL.path, split: .test)) { error in
      guard case .archive(let archiveError) = error as? DatasetError else {
        return XCTFail("\(error)")
      }
      XCTAssertEqual(archiveError.file, corruptURL.path)
    }
    let truncatedURL = root.appendingPathComponent("truncated.tar.gz")
    try Data(good.prefix(good.count - 100)).write(to: truncatedURL)
    XCTAssertThrowsError(try DatasetLoader.load(truncatedURL.path, split: .test)) { error in
      guard case .archive(.truncated(let file, _, _)) = error as? DatasetError else {
        return XCTFail("\(error)")
      }
      XCTAssertEqual(file, truncatedURL.path)
    }
  }
}

final class MNISTFileTests: XCTestCase {
  func idx(magic: UInt32, sizes: [Int], data: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    for value in [Int(magic)] + sizes {
      out += [
        UInt8(value >> 24 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF),
        UInt8(value & 0xFF),
      ]
    }
    return out + data
  }

  func write(_ bytes: [UInt8], _ url: URL, gzip: Bool) throws {
    try Data(gzip ? storedGzip(bytes, blockSize: 1000, crc: CRC32.checksum(bytes)) : bytes).write(
      to: url)
  }

  func testPlainAndGzippedFolders() throws {
    var rng = SplitMix64(seed: 11)
    let pixels = (0..<(5 * 6 * 4)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    let labels: [UInt8] = [3, 1, 4, 1, 5]
    for gzip in [false, true] {
      let folder = try makeTemporaryDirectory(self)
      let suffix = gzip ? ".gz" : ""
      try write(
        idx(magic: 0x803, sizes: [5, 6, 4], data: pixels),
        folder.appendingPathComponent("t10k-images-idx3-ubyte" + suffix), gzip: gzip)
      try write(
        idx(magic: 0x801, sizes: [5], data: labels),
        folder.appendingPathComponent("t10k-labels-idx1-ubyte" + suffix), gzip: gzip)
      let dataset = try DatasetLoader.load(folder.path, split: .test)
      XCTAssertEqual([dataset.channels, dataset.height, dataset.width], [1, 6, 4])
      XCTAssertEqual(dataset.pixels, pixels)
      XCTAssertEqual(dataset.labels, [3, 1, 4, 1, 5])
      XCTAssertEqual(dataset.classCounts(), [0, 2, 0, 1, 1, 1, 0, 0, 0, 0])
      // The images file alone finds its labels.
      let single = try DatasetLoader.load(
        folder.appendingPathComponent("t10k-images-idx3-ubyte" + suffix).path, split: .train)
      XCTAssertEqual(single.labels, dataset.labels)
      XCTAssertThrowsError(try DatasetLoader.load(folder.path, split: .train))
    }
  }

  func testBadFiles() throws {
    let folder = try makeTemporaryDirectory(self)
    let images = folder.appendingPathComponent("train-images-idx3-ubyte")
    let labels = folder.appendingPathComponent("train-labels-idx1-ubyte")
    let pixels = [UInt8](repeating: 7, count: 2 * 3 * 3)
    func expectError(_ check: (DatasetError) -> Void) {
      XCTAssertThrowsError(try DatasetLoader.load(folder.path, split: .train)) { error in
        guard let error = error as? DatasetError else { return XCTFail("\(error)") }
        check(error)
      }
    }
    try write(idx(magic: 0x801, sizes: [2], data: [0, 9]), labels, gzip: false)
    // Wrong magic: a labels file where images are expected, then a float type code.
    try write(idx(magic: 0x801, sizes: [2], data: [0, 9]), images, gzip: false)
    expectError { error in
      XCTAssertEqual(
        error,
        .invalidHeader(
          file: images.path, offset: 0,
          expected: "IDX magic 0x00000803 (uint8 images, 3 dimension(s))",
          found: "0x00000801"))
    }
    try write(idx(magic: 0xD03, sizes: [2, 3, 3], data: pixels), images, gzip: false)
    expectError {
      XCTAssertEqual(
        $0,
        .invalidHeader(
          file: images.path, offset: 0,
          expected: "IDX magic 0x00000803 (uint8 images, 3 dimension(s))", found: "0x00000d03"))
    }
    // Truncated data and trailing data.
    try write(
      idx(magic: 0x803, sizes: [2, 3, 3], data: Array(pixels.dropLast())), images, gzip: false)
    expectError { error in
      guard case .truncated(let file, let offset, _) = error else { return XCTFail("\(error)") }
      XCTAssertEqual(file, images.path)
      XCTAssertEqual(offset, 16 + 17)
    }
    try write(idx(magic: 0x803, sizes: [2, 3, 3], data: pixels + [0]), images, gzip: false)
    expectError { error in
      guard case .countMismatch = error else { return XCTFail("\(error)") }
    }
    // Huge declared sizes do not overflow.
    try write(
      idx(magic: 0x803, sizes: [0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF], data: pixels), images,
      gzip: false)
    expectError { error in
      guard case .truncated = error else { return XCTFail("\(error)") }
    }
    // Count mismatch between images and labels, then a label out of range.
    try write(
      idx(magic: 0x803, sizes: [1, 3, 3], data: Array(pixels.prefix(9))), images, gzip: false)
    expectError {
      XCTAssertEqual(
        $0,
        .countMismatch(
          file: labels.path, expected: 1, found: 2, what: "labels (one per image in \(images.path))"
        ))
    }
    try write(idx(magic: 0x803, sizes: [2, 3, 3], data: pixels), images, gzip: false)
    try write(idx(magic: 0x801, sizes: [2], data: [0, 10]), labels, gzip: false)
    expectError {
      XCTAssertEqual($0, .labelOutOfRange(file: labels.path, record: 1, label: 10, classCount: 10))
    }
    // A corrupt gzip.
    try write(idx(magic: 0x801, sizes: [2], data: [0, 1]), labels, gzip: false)
    var gz = storedGzip(idx(magic: 0x803, sizes: [2, 3, 3], data: pixels), crc: 0)
    gz[3] = 0
    try Data(gz).write(to: images)
    expectError { error in
      guard case .archive(.checksumMismatch(let file, _, let checksum, _, _)) = error else {
        return XCTFail("\(error)")
      }
      XCTAssertEqual(file, images.path)
      XCTAssertEqual(checksum, "CRC32")
    }
  }
}

final class NumPyImageTests: XCTestCase {
  /// A version 1.0 `.npy` file.
  func npy(descr: String, shape: [Int], data: [UInt8]) -> [UInt8] {
    let shapeText =
      shape.count == 1
      ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
    while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    let length = header.utf8.count
    return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xFF), UInt8(length >> 8)]
      + Array(header.utf8) + data
  }

  func int64Bytes(_ values: [Int]) -> [UInt8] {
    values.flatMap { value in (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
  }

  func testLayoutsAndDTypes() throws {
    let folder = try makeTemporaryDirectory(self)
    // 2 images, 3 channels, 2×4: value = 100·image + 10·channel + position (CHW reference).
    var chw: [UInt8] = []
    var hwc = [UInt8](repeating: 0, count: 2 * 3 * 8)
    for image in 0..<2 {
      for channel in 0..<3 {
        for position in 0..<8 {
          let value = UInt8(100 * image + 10 * channel + position)
          chw.append(value)
          hwc[image * 24 + position * 3 + channel] = value
        }
      }
    }
    let labels = int64Bytes([4, 2])
    try Data(npy(descr: "<i8", shape: [2], data: labels)).write(
      to: folder.appendingPathComponent("test_labels.npy"))
    try Data(npy(descr: "|u1", shape: [2, 3, 2, 4], data: chw)).write(
      to: folder.appendingPathComponent("test_images.npy"))
    try Data(npy(descr: "|u1", shape: [2, 2, 4, 3], data: hwc)).write(
      to: folder.appendingPathComponent("hwc.npy"))
    let floats = chw.flatMap { byte -> [UInt8] in
      let bits = (Float(byte) / 255).bitPattern
      return (0..<4).map { UInt8(truncatingIfNeeded: bits >> (8 * $0)) }
    }
    try Data(npy(descr: "<f4", shape: [2, 3, 2, 4], data: floats)).write(
      to: folder.appendingPathComponent("float.npy"))
    let labelsPath = folder.appendingPathComponent("test_labels.npy").path

    let nchw = try DatasetLoader.load(
      folder.appendingPathComponent("test_images.npy").path, split: .test)
    let nhwc = try DatasetLoader.load(
      folder.appendingPathComponent("hwc.npy").path, split: .test, labels: labelsPath)
    let float = try DatasetLoader.load(
      folder.appendingPathComponent("float.npy").path, split: .test, labels: labelsPath)
    for dataset in [nchw, nhwc, float] {
      XCTAssertEqual(
        [dataset.count, dataset.channels, dataset.height, dataset.width], [2, 3, 2, 4])
      XCTAssertEqual(dataset.pixels, chw)
      XCTAssertEqual(dataset.labels, [4, 2])
      XCTAssertEqual(dataset.classNames, ["0", "1", "2", "3", "4"])
    }
    // Ambiguous: channel-sized axes on both sides.
    try Data(npy(descr: "|u1", shape: [1, 3, 2, 3], data: [UInt8](repeating: 1, count: 18))).write(
      to: folder.appendingPathComponent("amb.npy"))
    let oneLabel = folder.appendingPathComponent("one.npy")
    try Data(npy(descr: "<i8", shape: [1], data: int64Bytes([0]))).write(to: oneLabel)
    XCTAssertThrowsError(
      try DatasetLoader.load(
        folder.appendingPathComponent("amb.npy").path, split: .test, labels: oneLabel.path)
    ) { error in
      XCTAssertEqual(
        error as? DatasetError,
        .ambiguousLayout(file: folder.appendingPathComponent("amb.npy").path, shape: [1, 3, 2, 3]))
    }
    let forced = try DatasetLoader.load(
      folder.appendingPathComponent("amb.npy").path, split: .test, labels: oneLabel.path,
      layout: .nhwc)
    XCTAssertEqual([forced.channels, forced.height, forced.width], [3, 3, 2])
    // Grayscale (N, H, W).
    try Data(npy(descr: "|u1", shape: [1, 2, 3], data: [1, 2, 3, 4, 5, 6])).write(
      to: folder.appendingPathComponent("gray.npy"))
    let gray = try DatasetLoader.load(
      folder.appendingPathComponent("gray.npy").path, split: .test, labels: oneLabel.path)
    XCTAssertEqual([gray.channels, gray.height, gray.width], [1, 2, 3])
  }

  func testBadArrays() throws {
    let folder = try makeTemporaryDirectory(self)
    let images = folder.appendingPathComponent("images.npy")
    let labels = folder.appendingPathComponent("labels.npy")
    try Data(npy(descr: "|u1", shape: [2, 1, 2, 2], data: [UInt8](repeating: 0, count: 8))).write(
      to: images)
    // No labels file anywhere.
    XCTAssertThrowsError(try DatasetLoader.load(images.path, split: .test))
    // Count mismatch (found beside as labels.npy), negative label, float labels.
    try Data(npy(descr: "<i8", shape: [3], data: int64Bytes([0, 1, 2]))).write(to: labels)
    XCTAssertThrowsError(try DatasetLoader.load(images.path, split: .test)) { error in
      XCTAssertEqual(
        error as? DatasetError,
        .countMismatch(
          file: labels.path, expected: 2, found: 3, what: "labels (one per image in \(images.path))"
        ))
    }
    try Data(npy(descr: "<i8", shape: [2], data: int64Bytes([0, -1]))).write(to: labels)
    XCTAssertThrowsError(try DatasetLoader.load(images.path, split: .test)) { error in
      guard case .labelOutOfRange(_, 1, -1, _) = error as? DatasetError else {
        return XCTFail("\(error)")
      }
    }
    try Data(npy(descr: "<f4", shape: [2], data: [UInt8](repeating: 0, count: 8))).write(to: labels)
    XCTAssertThrowsError(try DatasetLoader.load(images.path, split: .test))
    // Float pixels out of [0, 1].
    try Data(npy(descr: "<i8", shape: [2], data: int64Bytes([0, 1]))).write(to: labels)
    let bits = Float(2).bitPattern
    let two = (0..<4).map { UInt8(truncatingIfNeeded: bits >> (8 * $0)) }
    try Data(
      npy(
        descr: "<f4", shape: [2, 1, 1, 2],
        data: [0, 0, 0, 0] + two + [UInt8](repeating: 0, count: 8))
    )
    .write(to: images)
    XCTAssertThrowsError(try DatasetLoader.load(images.path, split: .test)) { error in
      XCTAssertEqual(
        error as? DatasetError, .pixelOutOfRange(file: images.path, index: 1, value: 2))
    }
    // Not an npy at all.
    try Data([1, 2, 3]).write(to: images)
    XCTAssertThrowsError(try DatasetLoader.load(images.path, split: .test)) { error in
      guard case .numpy = error as? DatasetError else { return XCTFail("\(error)") }
    }
  }
}

final class ImageDatasetTests: XCTestCase {
  func makeDataset(count: Int, channels: Int, height: Int, width: Int, seed: UInt64) -> ImageDataset
  {
    var rng = SplitMix64(seed: seed)
    let pixels = (0..<(count * channels * height * width)).map { _ in
      UInt8(truncatingIfNeeded: rng.next())
    }
    let labels = (0..<count).map { _ in Int(rng.next() % 3) }
    return ImageDataset(
      name: "random", channels: channels, height: height, width: width, pixels: pixels,
      labels: labels, classNames: ["a", "b", "c"])
  }

  func testSubsetAndSelecting() throws {
    let dataset = ImageDataset(
      name: "d", channels: 1, height: 1, width: 2, pixels: (0..<16).map(UInt8.init),
      labels: [0, 1, 0, 2, 1, 0, 2, 2], classNames: ["a", "b", "c"])
    let subset = try dataset.subset([3, 0, 3])
    XCTAssertEqual(subset.pixels, [6, 7, 0, 1, 6, 7])
    XCTAssertEqual(subset.labels, [2, 0, 2])
    XCTAssertEqual(try dataset.selecting(offset: 0, limit: nil, perClass: 1).labels, [0, 1, 2])
    XCTAssertEqual(
      try dataset.selecting(offset: 0, limit: nil, perClass: 1).pixels, [0, 1, 2, 3, 6, 7])
    XCTAssertEqual(try dataset.selecting(offset: 2, limit: nil, perClass: 1).labels, [0, 2, 1])
    XCTAssertEqual(try dataset.selecting(offset: 1, limit: 3, perClass: nil).labels, [1, 0, 2])
    XCTAssertEqual(try dataset.selecting(offset: 0, limit: 4, perClass: 2).labels, [0, 1, 0, 2])
    XCTAssertEqual(try dataset.selecting(offset: 8, limit: nil, perClass: nil).count, 0)
    XCTAssertEqual(dataset.classCounts(), [3, 2, 3])
    XCTAssertThrowsError(try dataset.selecting(offset: 9, limit: nil, perClass: nil)) { error in
      XCTAssertEqual(
        error as? DatasetError,
        .invalidArgument(name: "offset", expected: "a value in 0...8", found: "9"))
    }
    XCTAssertThrowsError(try dataset.selecting(offset: -1, limit: nil, perClass: nil))
    XCTAssertThrowsError(try dataset.selecting(offset: 0, limit: -1, perClass: nil))
    XCTAssertThrowsError(try dataset.selecting(offset: 0, limit: nil, perClass: -2))
  }

  func testPixelStatisticsAgainstDoubleReference() {
    let dataset = makeDataset(count: 7, channels: 3, height: 5, width: 3, seed: 12)
    let (mean, std) = dataset.pixelStatistics()
    let plane = 15
    for channel in 0..<3 {
      var values: [Double] = []
      for image in 0..<7 {
        let start = (image * 3 + channel) * plane
        values += dataset.pixels[start..<(start + plane)].map { Double($0) / 255 }
      }
      let referenceMean = values.reduce(0, +) / Double(values.count)
      let referenceVariance =
        values.map { ($0 - referenceMean) * ($0 - referenceMean) }.reduce(0, +)
        / Double(values.count)
      XCTAssertEqual(mean[channel], referenceMean, accuracy: 1e-12)
      XCTAssertEqual(std[channel], referenceVariance.squareRoot(), accuracy: 1e-12)
    }
    let empty = ImageDataset(
      name: "e", channels: 2, height: 1, width: 1, pixels: [], labels: [], classNames: [])
    XCTAssertEqual(empty.pixelStatistics().mean, [0, 0])
  }

  func testWriteBatchChannelsLast() {
    for (channels, height, width) in [(3, 5, 7), (1, 4, 4), (2, 1, 3)] {
      let dataset = makeDataset(
        count: 6, channels: channels, height: height, width: width, seed: UInt64(13 + channels))
      let mean = (0..<channels).map { Float($0) * 0.1 + 0.4 }
      let std = (0..<channels).map { Float($0) * 0.05 + 0.2 }
      let indices = [5, 0, 3]
      let size = channels * height * width
      var output = [Float](repeating: .nan, count: indices.count * size + 2)
      output.withUnsafeMutableBufferPointer { buffer in
        dataset.writeBatch(indices: indices, mean: mean, std: std, into: buffer)
      }
      for (i, index) in indices.enumerated() {
        for y in 0..<height {
          for x in 0..<width {
            for c in 0..<channels {
              let pixel = dataset.pixels[((index * channels + c) * height + y) * width + x]
              let expected = (Double(pixel) / 255 - Double(mean[c])) / Double(std[c])
              let got = output[((i * height + y) * width + x) * channels + c]
              XCTAssertEqual(Double(got), expected, accuracy: 1e-5 * max(1, abs(expected)))
            }
          }
        }
      }
      XCTAssertTrue(output[indices.count * size].isNaN, "nothing written past the batch")
    }
  }
}

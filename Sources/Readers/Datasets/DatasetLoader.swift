import Archives
import Basics
import Foundation
import TensorFormats

/// Which half of a data set.
public enum DatasetSplit: String, Sendable, CaseIterable {
  /// The training images (CIFAR data_batch_1…5 / train.bin, MNIST train-*).
  case train
  /// The test images (CIFAR test_batch / test.bin, MNIST t10k-*).
  case test
}

/// Loads image classification data sets from CIFAR binaries, MNIST IDX files, .npy arrays and image folders.
public enum DatasetLoader {
  /// Loads the `split` images of `source`.
  ///
  /// `source` is a bundled name ("mnist-5k") or a path:
  /// - a CIFAR-10/100 `.bin` file (`split` is then ignored; the variant is taken from the class
  ///   name files beside it, the path, or the length);
  /// - an extracted CIFAR folder (`cifar-10-batches-bin`: train = `data_batch_1…5.bin` or
  ///   `train.bin`, test = `test_batch.bin` or `test.bin`; `cifar-100-binary`: `train.bin`,
  ///   `test.bin`), or a folder containing one;
  /// - the official `cifar-10-binary.tar.gz` / `cifar-100-binary.tar.gz`, read in memory;
  /// - a folder of MNIST IDX files (`train-images-idx3-ubyte[.gz]`, …), or one images IDX file
  ///   whose labels file sits beside it;
  /// - an images `.npy` with `labels` given, or found beside it (`…images…` → `…labels…`,
  ///   `<stem>_labels.npy`, `labels.npy`).
  /// - a folder of JPEG/PNG images: class subfolders (torchvision's `ImageFolder`), or any
  ///   folder with a text `labels` file of `filename label` lines (`ImageFolder`), decoded and
  ///   transformed as `images` says.
  /// `split` is ignored when `source` is a single `.bin`, IDX or `.npy` file or an image folder.
  /// CIFAR class names come from `batches.meta.txt` / `fine_label_names.txt` when present;
  /// CIFAR-100 uses the fine labels. MNIST and NumPy classes are named "0", "1", ….
  ///
  /// Compressed data is inflated at most to `DecompressionLimit.current` bytes (an MNIST IDX
  /// file only to what its header declares). With `maximumImages`, only the first that many
  /// images are kept and a gzipped MNIST IDX file is inflated only as far as they need (pass
  /// `offset + limit` of the selection that follows, when it has no per-class quota).
  /// - Throws: `DatasetError` naming the file and the problem.
  public static func load(
    _ source: String, split: DatasetSplit, labels: String? = nil, layout: NumPyLayout? = nil,
    images: ImageFolderOptions = ImageFolderOptions(), maximumImages: Int? = nil
  ) throws -> ImageDataset {
    let fileManager = FileManager.default
    var isDirectory: ObjCBool = false
    if !fileManager.fileExists(atPath: source, isDirectory: &isDirectory) {
      let isBareName = !source.isEmpty && !source.contains("/") && !source.hasPrefix(".")
      if isBareName {
        let directory: URL
        do {
          directory = try BundledData.directory()
        } catch let error as BundledDataNotFound {
          // Without notebooks-data, a bundled name gets the search report; other names are
          // simply unknown.
          if bundledDataSets.contains(source) {
            throw DatasetError.bundledDataNotFound(searched: error.searched)
          }
          throw DatasetError.unrecognizedSource(
            source: source,
            expected: "an existing path (no notebooks-data folder found for bundled data sets)")
        }
        let bundled = directory.appendingPathComponent(source)
        if fileManager.fileExists(atPath: bundled.path) {
          var dataset = try load(
            bundled.path, split: split, labels: labels, layout: layout, images: images,
            maximumImages: maximumImages)
          dataset.name = "\(source)/\(split.rawValue)"
          return dataset
        }
      }
      throw DatasetError.unrecognizedSource(
        source: source,
        expected:
          "a bundled data set (\(bundledNames().joined(separator: ", "))) or an existing path")
    }
    let url = URL(fileURLWithPath: source)
    if isDirectory.boolValue {
      if let labels, !labels.lowercased().hasSuffix(".npy") {
        return try ImageFolder.load(url, labels: URL(fileURLWithPath: labels), options: images).0
      }
      return try loadFolder(url, split: split, images: images, maximumImages: maximumImages)
    }
    let name = url.lastPathComponent.lowercased()
    if name.hasSuffix(".npy") {
      let labelsURL: URL
      if let labels {
        labelsURL = URL(fileURLWithPath: labels)
      } else if let found = NumPyImages.labelCandidates(for: url).first(where: {
        $0.path != url.path && fileManager.fileExists(atPath: $0.path)
      }) {
        labelsURL = found
      } else {
        throw DatasetError.unrecognizedSource(
          source: source,
          expected: "a labels .npy (give it with --labels, or name it "
            + NumPyImages.labelCandidates(for: url).map(\.lastPathComponent).joined(separator: ", ")
            + ")")
      }
      return try NumPyImages.load(images: url, labels: labelsURL, layout: layout)
        .prefix(maximumImages)
    }
    if name.hasSuffix(".tar.gz") || name.hasSuffix(".tgz") || name.hasSuffix(".tar") {
      return try loadCIFARArchive(url, split: split, maximumImages: maximumImages)
    }
    if name.contains("idx3-ubyte") || name.contains("idx1-ubyte") {
      return try loadMNISTFile(url, maximumImages: maximumImages)
    }
    if name.hasSuffix(".bin") {
      return try loadCIFARFile(url, maximumImages: maximumImages)
    }
    throw DatasetError.unrecognizedSource(
      source: source,
      expected: "a CIFAR .bin/.tar.gz, an MNIST IDX file or folder, an images .npy, or a folder")
  }

  /// Whether `source` holds separate training and test images that `split` chooses between (see
  /// `splits(of:labels:)`).
  public static func hasSplits(_ source: String, labels: String? = nil) -> Bool {
    splits(of: source, labels: labels) != nil
  }

  /// The halves `split` can choose in `source`, or nil when it is one set of images.
  ///
  /// A CIFAR or MNIST folder has the splits whose files it holds (train: `data_batch_1.bin` or
  /// `train.bin`, MNIST `train-images…`; test: `test_batch.bin` or `test.bin`, MNIST `t10k-images…`);
  /// a CIFAR archive and a bundled data set have both. A single `.bin`, IDX or `.npy` file and an
  /// image folder are one set of images, which `load` returns whatever `split` says. A source that
  /// does not exist counts as having both (`load` reports it).
  public static func splits(of source: String, labels: String? = nil) -> [DatasetSplit]? {
    let both = DatasetSplit.allCases
    let fileManager = FileManager.default
    var isDirectory: ObjCBool = false
    guard fileManager.fileExists(atPath: source, isDirectory: &isDirectory) else {
      let isBareName = !source.isEmpty && !source.contains("/") && !source.hasPrefix(".")
      if isBareName, let directory = try? BundledData.directory() {
        let bundled = directory.appendingPathComponent(source).path
        if fileManager.fileExists(atPath: bundled) { return splits(of: bundled, labels: labels) }
      }
      return both
    }
    let url = URL(fileURLWithPath: source)
    guard isDirectory.boolValue else {
      let name = url.lastPathComponent.lowercased()
      return name.hasSuffix(".tar.gz") || name.hasSuffix(".tgz") || name.hasSuffix(".tar") ? both : nil
    }
    if let labels, !labels.lowercased().hasSuffix(".npy") { return nil }
    guard let names = try? contents(of: url) else { return both }
    for variant in [CIFAR.Variant.cifar10, .cifar100] where names.contains(variant.folderName) {
      return splits(of: url.appendingPathComponent(variant.folderName).path, labels: labels)
    }
    var found: [DatasetSplit] = []
    for split in both {
      let images = MNIST.fileNames(for: split).images
      let cifar = split == .train ? ["data_batch_1.bin", "train.bin"] : ["test_batch.bin", "test.bin"]
      if names.contains(images) || names.contains(images + ".gz") || cifar.contains(where: names.contains) {
        found.append(split)
      }
    }
    return found.isEmpty ? nil : found
  }

  /// The data sets shipped in the repository's notebooks-data folder.
  public static let bundledDataSets = ["mnist-5k"]

  /// Names of the folders in the bundled data directory (empty when it is not found).
  public static func bundledNames() -> [String] {
    guard let directory = try? BundledData.directory(),
      let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path)
    else { return [] }
    return names.filter { !$0.hasPrefix(".") }.sorted()
  }

  // MARK: - Folders

  static func loadFolder(
    _ folder: URL, split: DatasetSplit, images: ImageFolderOptions = ImageFolderOptions(),
    maximumImages: Int? = nil
  ) throws -> ImageDataset {
    let names = try contents(of: folder)
    for variant in [CIFAR.Variant.cifar10, .cifar100] where names.contains(variant.folderName) {
      return try loadFolder(
        folder.appendingPathComponent(variant.folderName), split: split, images: images,
        maximumImages: maximumImages)
    }
    let mnist = MNIST.fileNames(for: split)
    for suffix in ["", ".gz"] where names.contains(mnist.images + suffix) {
      let labelsName = [mnist.labels + suffix, mnist.labels, mnist.labels + ".gz"].first {
        names.contains($0)
      }
      guard let labelsName else {
        throw DatasetError.unrecognizedSource(
          source: folder.path, expected: "\(mnist.labels)[.gz] beside \(mnist.images + suffix)")
      }
      let imagesURL = folder.appendingPathComponent(mnist.images + suffix)
      let labelsURL = folder.appendingPathComponent(labelsName)
      return try MNIST.load(
        imagesData: try readFile(imagesURL), imagesFile: imagesURL.path,
        labelsData: try readFile(labelsURL), labelsFile: labelsURL.path,
        name: "\(folder.path) (\(split.rawValue))", maximumImages: maximumImages)
    }
    // A CIFAR folder: which variant, which files.
    let hasCIFAR10Files = names.contains("data_batch_1.bin") || names.contains("test_batch.bin")
    let hasGenericFiles = names.contains("train.bin") || names.contains("test.bin")
    if !(hasCIFAR10Files || hasGenericFiles) && ImageFolder.looksLikeImageFolder(folder) {
      return try ImageFolder.load(folder, labels: nil, options: images).0
    }
    guard hasCIFAR10Files || hasGenericFiles else {
      throw DatasetError.unrecognizedSource(
        source: folder.path,
        expected: "a folder with CIFAR .bin files (data_batch_1.bin…, test_batch.bin, train.bin,"
          + " test.bin), MNIST IDX files (\(mnist.images)[.gz], \(mnist.labels)[.gz]),"
          + " class subfolders of .jpg/.png images, or images with a --labels file")
    }
    // data_batch_*/test_batch mean CIFAR-10; for train.bin/test.bin the name files beside
    // them, the folder's path or the file length decide (CIFAR.variant).
    var variant = CIFAR.Variant.cifar10
    if !hasCIFAR10Files {
      let probe = folder.appendingPathComponent(split == .train ? "train.bin" : "test.bin")
      guard
        let guessed = CIFAR.variant(
          forFile: probe.path, length: DatasetDownloader.fileSize(probe) ?? 0, siblings: names)
      else {
        throw DatasetError.unrecognizedSource(
          source: probe.path,
          expected: "a CIFAR-10 or CIFAR-100 file recognisable by batches.meta.txt,"
            + " fine_label_names.txt, its path or its length")
      }
      variant = guessed
    }
    var files = variant.fileNames(for: split)
    if variant == .cifar10 && !files.allSatisfy(names.contains) {
      files = [split == .train ? "train.bin" : "test.bin"]
    }
    guard files.allSatisfy(names.contains) else {
      let missing = files.filter { !names.contains($0) }
      throw DatasetError.unrecognizedSource(
        source: folder.path,
        expected:
          "the \(variant.formatName) \(split.rawValue) files \(missing.joined(separator: ", "))")
    }
    var pixels: [UInt8] = []
    var labels: [Int] = []
    for file in files where labels.count < (maximumImages ?? Int.max) {
      let url = folder.appendingPathComponent(file)
      try CIFAR.appendRecords(
        try readFile(url), file: url.path, variant: variant, pixels: &pixels, labels: &labels,
        maximumImages: maximumImages)
    }
    let nameFile = folder.appendingPathComponent(variant.classNameFile)
    let text = names.contains(variant.classNameFile) ? try readText(nameFile) : nil
    return ImageDataset(
      name: "\(folder.path) (\(split.rawValue))", channels: 3, height: 32, width: 32,
      pixels: pixels, labels: labels, classNames: CIFAR.classNames(fromText: text, variant: variant)
    )
  }

  // MARK: - Single files

  static func loadCIFARFile(_ url: URL, maximumImages: Int? = nil) throws -> ImageDataset {
    let bytes = try readFile(url)
    let folder = url.deletingLastPathComponent()
    let siblings = Set((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
    guard let variant = CIFAR.variant(forFile: url.path, length: bytes.count, siblings: siblings)
    else {
      let bothFit = bytes.count % 3073 == 0 && bytes.count % 3074 == 0
      throw DatasetError.unrecognizedSource(
        source: url.path,
        expected: bothFit
          ? "a CIFAR-10 or CIFAR-100 file recognisable by its name or neighbours (its length fits both)"
          : "a whole number of 3,073-byte (CIFAR-10) or 3,074-byte (CIFAR-100) records, found \(bytes.count) bytes"
      )
    }
    var pixels: [UInt8] = []
    var labels: [Int] = []
    try CIFAR.appendRecords(
      bytes, file: url.path, variant: variant, pixels: &pixels, labels: &labels,
      maximumImages: maximumImages)
    let nameFile = folder.appendingPathComponent(variant.classNameFile)
    let text = siblings.contains(variant.classNameFile) ? try readText(nameFile) : nil
    return ImageDataset(
      name: url.path, channels: 3, height: 32, width: 32, pixels: pixels, labels: labels,
      classNames: CIFAR.classNames(fromText: text, variant: variant))
  }

  static func loadMNISTFile(_ url: URL, maximumImages: Int? = nil) throws -> ImageDataset {
    let name = url.lastPathComponent
    let isImages = name.contains("idx3-ubyte")
    let partner =
      isImages
      ? name.replacingOccurrences(of: "images-idx3", with: "labels-idx1")
        .replacingOccurrences(of: "images.idx3", with: "labels.idx1")
      : name.replacingOccurrences(of: "labels-idx1", with: "images-idx3")
        .replacingOccurrences(of: "labels.idx1", with: "images.idx3")
    let folder = url.deletingLastPathComponent()
    let candidates = [
      partner, partner.hasSuffix(".gz") ? String(partner.dropLast(3)) : partner + ".gz",
    ]
    guard
      let partnerName = candidates.first(where: {
        FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path)
      })
    else {
      throw DatasetError.unrecognizedSource(
        source: url.path, expected: "the matching IDX file \(partner) beside it")
    }
    let partnerURL = folder.appendingPathComponent(partnerName)
    let (imagesURL, labelsURL) = isImages ? (url, partnerURL) : (partnerURL, url)
    return try MNIST.load(
      imagesData: try readFile(imagesURL), imagesFile: imagesURL.path,
      labelsData: try readFile(labelsURL), labelsFile: labelsURL.path, name: imagesURL.path,
      maximumImages: maximumImages)
  }

  /// Reads the official CIFAR `.tar.gz` (or `.tar`) directly: gunzip and untar in memory,
  /// inflating at most `DecompressionLimit.current` bytes.
  static func loadCIFARArchive(_ url: URL, split: DatasetSplit, maximumImages: Int? = nil) throws
    -> ImageDataset
  {
    let raw = try readFile(url)
    let archive: TarArchive
    do {
      let tar = Gzip.isGzip(raw) ? try Gzip.decompress(raw, file: url.path) : raw
      archive = try TarArchive.parse(tar, file: url.path)
    } catch let error as ArchiveError {
      throw DatasetError.archive(error)
    }
    for variant in [CIFAR.Variant.cifar10, .cifar100] {
      let prefix = variant.folderName + "/"
      var files = variant.fileNames(for: split).map { prefix + $0 }
      if variant == .cifar10 && archive.entry(named: files[0]) == nil {
        files = [prefix + (split == .train ? "train.bin" : "test.bin")]
      }
      guard archive.entry(named: files[0]) != nil else { continue }
      var pixels: [UInt8] = []
      var labels: [Int] = []
      for file in files where labels.count < (maximumImages ?? Int.max) {
        guard let entry = archive.entry(named: file) else {
          throw DatasetError.unrecognizedSource(
            source: url.path, expected: "an entry \(file) in the archive")
        }
        try CIFAR.appendRecords(
          entry.bytes, file: "\(url.path)/\(file)", variant: variant, pixels: &pixels,
          labels: &labels, maximumImages: maximumImages)
      }
      let text = archive.entry(named: prefix + variant.classNameFile).map {
        String(decoding: $0.bytes, as: UTF8.self)
      }
      return ImageDataset(
        name: "\(url.path) (\(split.rawValue))", channels: 3, height: 32, width: 32,
        pixels: pixels, labels: labels,
        classNames: CIFAR.classNames(fromText: text, variant: variant))
    }
    throw DatasetError.unrecognizedSource(
      source: url.path,
      expected: "a CIFAR archive with cifar-10-batches-bin/ or cifar-100-binary/ "
        + "(found \(archive.entries.prefix(5).map(\.name).joined(separator: ", ")))")
  }

  // MARK: - File access

  static func readFile(_ url: URL) throws -> [UInt8] {
    try RegularFile.read(url, orThrow: DatasetError.fileAccess)
  }

  static func readText(_ url: URL) throws -> String {
    String(decoding: try readFile(url), as: UTF8.self)
  }

  static func contents(of folder: URL) throws -> Set<String> {
    do {
      return Set(try FileManager.default.contentsOfDirectory(atPath: folder.path))
    } catch {
      throw DatasetError.fileAccess(file: folder.path, message: error.localizedDescription)
    }
  }
}

import Foundation
import Images
import TensorFormats

/// How the images of a folder become network inputs: the evaluation transform, what to do with
/// bad files, and where summaries go.
public struct ImageFolderOptions: Sendable {
  /// `--resize N`: the shorter side after resizing (torchvision `Resize(N)`), or nil.
  public var resize: Int?
  /// `--crop M`: the centre crop (torchvision `CenterCrop(M)`), or nil.
  public var crop: Int?
  /// Count and list undecodable files instead of failing.
  public var skipBad: Bool
  /// The model's input side (224 for ImageNet ResNets, 32 for CIFAR), used for the default
  /// transform when neither `resize` nor `crop` is given.
  public var inputSize: Int?
  /// Images decoded ahead of the consumer (the bounded queue's capacity).
  public var queueCapacity: Int
  /// Decoding threads.
  public var workers: Int
  /// Receives the summary once the folder is read (for `data info` and logs).
  public var onSummary: (@Sendable (ImageFolderSummary) -> Void)?
  /// Receives the number of images decoded so far, and the total.
  public var onProgress: (@Sendable (Int, Int) -> Void)?

  /// Options with no explicit transform, failing on bad files.
  public init(
    resize: Int? = nil, crop: Int? = nil, skipBad: Bool = false, inputSize: Int? = nil,
    queueCapacity: Int = 64, workers: Int = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8)),
    onSummary: (@Sendable (ImageFolderSummary) -> Void)? = nil,
    onProgress: (@Sendable (Int, Int) -> Void)? = nil
  ) {
    self.resize = resize
    self.crop = crop
    self.skipBad = skipBad
    self.inputSize = inputSize
    self.queueCapacity = max(1, queueCapacity)
    self.workers = max(1, workers)
    self.onSummary = onSummary
    self.onProgress = onProgress
  }

  /// The transform for one image of `width × height`.
  ///
  /// Explicit `resize`/`crop` apply to every image. Otherwise, with a model input side s: an
  /// image already s×s is left alone; other images get ImageNet's `Resize(256) →
  /// CenterCrop(224)` when s = 224, or `Resize(s) → CenterCrop(s)` for other s. Without a
  /// model, images are left alone (they must then share one size).
  public func transform(width: Int, height: Int) -> EvaluationTransform {
    if resize != nil || crop != nil { return EvaluationTransform(resize: resize, crop: crop) }
    guard let s = inputSize else { return EvaluationTransform(resize: nil, crop: nil) }
    if width == s && height == s { return EvaluationTransform(resize: nil, crop: nil) }
    if s == 224 { return EvaluationTransform(resize: 256, crop: 224) }
    return EvaluationTransform(resize: s, crop: s)
  }
}

/// What was read from an image folder.
public struct ImageFolderSummary: Sendable, CustomStringConvertible {
  /// The folder (and labels file, for the flat layout).
  public var source: String
  /// "class folders" or "flat folder + labels file".
  public var layout: String
  /// Images decoded.
  public var count: Int
  /// Class names, indexed by label.
  public var classNames: [String]
  /// Smallest and largest width and height among the decoded files.
  public var minWidth = Int.max, maxWidth = 0, minHeight = Int.max, maxHeight = 0
  /// Images per format ("JPEG", "PNG").
  public var formats: [String: Int] = [:]
  /// The transforms used, with the number of images each.
  public var transforms: [String: Int] = [:]
  /// Files that could not be decoded (with `skipBad`), with the reason (an error line naming
  /// the file).
  public var skipped: [(file: String, reason: String)] = []

  /// Lines: counts, classes, sizes, formats, transforms, then each skipped file.
  public var description: String {
    var lines = [
      "\(source) (\(layout)): \(count) images, \(classNames.count) classes",
      count > 0
        ? "sizes \(minWidth)–\(maxWidth) × \(minHeight)–\(maxHeight) (width × height); formats "
          + formats.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        : "no images decoded",
      "transform " + transforms.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value))" }.joined(separator: ", "),
    ]
    if !skipped.isEmpty {
      lines.append("skipped \(skipped.count) bad file\(skipped.count == 1 ? "" : "s"):")
      lines += skipped.map { "  \($0.reason)" }
    }
    return lines.joined(separator: "\n")
  }
}

/// Folders of JPEG and PNG images: torchvision's `ImageFolder` layout (one subfolder per class)
/// and the flat layout of ImageNet-style validation sets (a labels file of `filename label`
/// lines).
public enum ImageFolder {
  /// One image file and its label.
  public struct Item: Sendable, Equatable {
    /// The file's path.
    public var path: String
    /// Its class index.
    public var label: Int
  }

  /// File name extensions our decoders read (compared case-insensitively).
  public static let extensions = ["jpg", "jpeg", "png"]

  /// File name extensions torchvision's `ImageFolder` lists as images (`IMG_EXTENSIONS`).
  ///
  /// Every such file is an item, so image order and labels stay torchvision's even when a folder
  /// holds formats we do not decode (BMP, WebP, TIFF, PPM/PGM): such a file fails to decode with
  /// its name, like a corrupt JPEG, or is counted and listed with `--skip-bad` — never silently
  /// dropped, which would shift the pairing of images with another framework's outputs.
  public static let listedExtensions = ["jpg", "jpeg", "png", "ppm", "bmp", "pgm", "tif", "tiff", "webp"]

  static func isImageFile(_ name: String) -> Bool {
    guard let dot = name.lastIndex(of: ".") else { return false }
    return listedExtensions.contains(name[name.index(after: dot)...].lowercased())
  }

  /// Python's `sorted` order on strings: by Unicode code point.
  static func codePointOrder(_ a: String, _ b: String) -> Bool {
    a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars)
  }

  /// True when `folder` holds class subfolders with images or image files (the layouts here).
  public static func looksLikeImageFolder(_ folder: URL) -> Bool {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return false }
    if names.contains(where: isImageFile) { return true }
    for name in names where !name.hasPrefix(".") {
      let sub = folder.appendingPathComponent(name)
      var isDirectory: ObjCBool = false
      if FileManager.default.fileExists(atPath: sub.path, isDirectory: &isDirectory), isDirectory.boolValue,
        let inner = try? FileManager.default.contentsOfDirectory(atPath: sub.path), inner.contains(where: isImageFile)
      {
        return true
      }
    }
    return false
  }

  /// Lists a class-folder layout as torchvision's `ImageFolder` does: classes are the
  /// subfolders (every one, sorted by code point), files are found recursively
  /// (`sorted(os.walk(...))`, then sorted names) and keep `.jpg/.jpeg/.png` in any case.
  /// - Throws: `DatasetError` when the folder cannot be read or a class has no images.
  public static func classFolders(_ folder: URL) throws -> (items: [Item], classNames: [String]) {
    let fileManager = FileManager.default
    let names: [String]
    do {
      names = try fileManager.contentsOfDirectory(atPath: folder.path)
    } catch {
      throw DatasetError.fileAccess(file: folder.path, message: error.localizedDescription)
    }
    let classes = names.filter { name in
      var isDirectory: ObjCBool = false
      return fileManager.fileExists(atPath: folder.appendingPathComponent(name).path, isDirectory: &isDirectory)
        && isDirectory.boolValue
    }.sorted(by: codePointOrder)
    guard !classes.isEmpty else {
      throw DatasetError.unrecognizedSource(
        source: folder.path, expected: "class subfolders of images, or image files with --labels")
    }
    var items: [Item] = []
    for (label, name) in classes.enumerated() {
      let root = folder.appendingPathComponent(name)
      var byDirectory: [String: [String]] = [:]
      var pending = [root.path]
      while let directory = pending.popLast() {
        guard let entries = try? fileManager.contentsOfDirectory(atPath: directory) else { continue }
        var files: [String] = []
        for entry in entries {
          let path = directory + "/" + entry
          var isDirectory: ObjCBool = false
          guard fileManager.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
          if isDirectory.boolValue { pending.append(path) } else if isImageFile(entry) { files.append(entry) }
        }
        byDirectory[directory] = files.sorted(by: codePointOrder)
      }
      let before = items.count
      for directory in byDirectory.keys.sorted(by: codePointOrder) {
        for file in byDirectory[directory]! { items.append(Item(path: directory + "/" + file, label: label)) }
      }
      if items.count == before {
        throw DatasetError.unrecognizedSource(
          source: root.path, expected: "at least one .jpg, .jpeg or .png file in class folder \"\(name)\"")
      }
    }
    return (items, classes)
  }

  /// Lists a flat folder with a labels file of `filename label` lines (blank lines and lines
  /// starting with `#` ignored), in the file's order. Integer labels name classes "0"…"max";
  /// otherwise the distinct labels, sorted, are the classes.
  /// - Throws: `DatasetError` naming the labels file and line for a malformed line or a file
  ///   that is missing from the folder.
  public static func labelledFolder(_ folder: URL, labels: URL) throws -> (items: [Item], classNames: [String]) {
    let text = String(decoding: try RegularFile.read(labels, orThrow: DatasetError.fileAccess), as: UTF8.self)
    var entries: [(file: String, label: String, line: Int)] = []
    for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
      if line.isEmpty || line.hasPrefix("#") { continue }
      let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).map(String.init)
      guard fields.count == 2 else {
        throw DatasetError.invalidHeader(
          file: labels.path, offset: index + 1, expected: "a line \"filename label\"", found: "\"\(line)\"")
      }
      entries.append((fields[0], fields[1], index + 1))
    }
    guard !entries.isEmpty else {
      throw DatasetError.invalidHeader(file: labels.path, offset: 0, expected: "lines \"filename label\"", found: "none")
    }
    let numeric = entries.allSatisfy { Int($0.label).map { $0 >= 0 } ?? false }
    let classNames: [String]
    var index: [String: Int] = [:]
    if numeric {
      let top = entries.map { Int($0.label)! }.max()!
      guard top < 1_000_000 else {
        throw DatasetError.invalidArgument(name: labels.path, expected: "labels below 1,000,000", found: "\(top)")
      }
      classNames = (0...top).map(String.init)
    } else {
      classNames = Set(entries.map(\.label)).sorted(by: codePointOrder)
      for (i, name) in classNames.enumerated() { index[name] = i }
    }
    var items: [Item] = []
    for entry in entries {
      let path = folder.appendingPathComponent(entry.file).path
      guard FileManager.default.fileExists(atPath: path) else {
        throw DatasetError.fileAccess(
          file: path, message: "listed on line \(entry.line) of \(labels.path) but not found")
      }
      items.append(Item(path: path, label: numeric ? Int(entry.label)! : index[entry.label]!))
    }
    return (items, classNames)
  }

  /// Reads the folder into a data set (uint8 CHW at the transformed size), decoding through an
  /// `ImageStream` (background threads, bounded queue) into a temporary file (`PixelStorage`):
  /// memory holds the queue and one image, whatever the folder's size.
  ///
  /// `labels` selects the flat layout; without it the folder must hold class subfolders.
  /// Every image must end at the same size (give `resize`/`crop` for mixed sizes).
  /// - Throws: `ImageError` for an undecodable file (unless `skipBad`), `DatasetError` for
  ///   layout problems and mismatched sizes.
  public static func load(_ folder: URL, labels: URL?, options: ImageFolderOptions) throws -> (ImageDataset, ImageFolderSummary) {
    let (items, classNames) =
      try labels.map { try labelledFolder(folder, labels: $0) } ?? classFolders(folder)
    var summary = ImageFolderSummary(
      source: labels.map { "\(folder.path) + \($0.lastPathComponent)" } ?? folder.path,
      layout: labels == nil ? "class folders" : "flat folder + labels file", count: 0, classNames: classNames)
    let stream = ImageStream(items: items, options: options)
    let spool = try PixelStorage.Spool()
    var chw: [UInt8] = []
    var outputLabels: [Int] = []
    var size: (width: Int, height: Int, file: String)?
    while let next = stream.next() {
      options.onProgress?(next.index + 1, items.count)
      let item = items[next.index]
      switch next.result {
      case .failure(let error):
        guard options.skipBad else { throw error }
        summary.skipped.append((item.path, "\(error)"))
      case .success(let decoded):
        let image = decoded.image
        if let size, size.width != image.width || size.height != image.height {
          throw DatasetError.countMismatch(
            file: item.path, expected: size.width * size.height,
            found: image.width * image.height,
            what: "pixels: images differ in size (\(image.width)×\(image.height) here, \(size.width)×\(size.height) in \(size.file)); give --resize and --crop")
        }
        if size == nil { size = (image.width, image.height, item.path) }
        // Interleaved HWC → planar CHW.
        let plane = image.width * image.height
        chw.removeAll(keepingCapacity: true)
        image.pixels.withUnsafeBufferPointer { source in
          for c in 0..<3 {
            for i in 0..<plane { chw.append(source[3 * i + c]) }
          }
        }
        try chw.withUnsafeBufferPointer { try spool.append($0) }
        outputLabels.append(item.label)
        summary.count += 1
        summary.minWidth = min(summary.minWidth, decoded.width)
        summary.maxWidth = max(summary.maxWidth, decoded.width)
        summary.minHeight = min(summary.minHeight, decoded.height)
        summary.maxHeight = max(summary.maxHeight, decoded.height)
        summary.formats[decoded.format, default: 0] += 1
        summary.transforms[decoded.transform.description, default: 0] += 1
      }
    }
    options.onSummary?(summary)
    guard let size else {
      throw DatasetError.unrecognizedSource(source: folder.path, expected: "at least one decodable image")
    }
    let dataset = ImageDataset(
      name: folder.path, channels: 3, height: size.height, width: size.width,
      storage: try spool.finish(), labels: outputLabels, classNames: classNames)
    return (dataset, summary)
  }
}

/// Decodes and transforms image files on background threads ahead of the consumer, through a
/// bounded queue: at most `queueCapacity` finished images wait, so memory stays flat however
/// many files there are. Results come back in file order.
public final class ImageStream: @unchecked Sendable {
  /// One decoded file: the transformed image and facts about the original.
  public struct Decoded: Sendable {
    public var image: RGBImage
    public var width: Int
    public var height: Int
    public var format: String
    public var transform: EvaluationTransform
  }

  private let items: [ImageFolder.Item]
  private let options: ImageFolderOptions
  private let condition = NSCondition()
  private var results: [Int: Result<Decoded, Error>] = [:]
  private var nextToProduce = 0
  private var nextToConsume = 0
  private var cancelled = false
  private var running = 0

  /// Starts `options.workers` decoding threads over `items`.
  public init(items: [ImageFolder.Item], options: ImageFolderOptions) {
    self.items = items
    self.options = options
    running = min(options.workers, max(items.count, 1))
    for _ in 0..<running {
      let thread = Thread { [self] in work() }
      thread.stackSize = 1 << 20
      thread.start()
    }
  }

  deinit { cancel() }

  /// Files taken by the workers but not yet returned by `next()` (at most the queue capacity).
  public var producedAhead: Int {
    condition.lock()
    defer { condition.unlock() }
    return nextToProduce - nextToConsume
  }

  /// Stops the workers after the images they are decoding.
  public func cancel() {
    condition.lock()
    cancelled = true
    condition.broadcast()
    condition.unlock()
  }

  /// The next file's result in order, waiting for it; nil after the last.
  public func next() -> (index: Int, result: Result<Decoded, Error>)? {
    condition.lock()
    defer { condition.unlock() }
    guard nextToConsume < items.count else { return nil }
    while results[nextToConsume] == nil { condition.wait() }
    let index = nextToConsume
    let result = results.removeValue(forKey: index)!
    nextToConsume += 1
    condition.broadcast()
    return (index, result)
  }

  private func work() {
    while true {
      condition.lock()
      while !cancelled && nextToProduce < items.count && nextToProduce - nextToConsume >= options.queueCapacity {
        condition.wait()
      }
      if cancelled || nextToProduce >= items.count {
        condition.unlock()
        return
      }
      let index = nextToProduce
      nextToProduce += 1
      condition.unlock()
      let result = Result { try ImageStream.decode(items[index].path, options: options) }
      condition.lock()
      results[index] = result
      condition.broadcast()
      condition.unlock()
    }
  }

  /// Reads, decodes and transforms one file.
  public static func decode(_ path: String, options: ImageFolderOptions) throws -> Decoded {
    // A regular file only: a named pipe or device among the images is refused with the reason.
    let bytes = try RegularFile.read(URL(fileURLWithPath: path), orThrow: DatasetError.fileAccess)
    let image = try ImageDecoder.decode(bytes, file: path)
    let transform = options.transform(width: image.width, height: image.height)
    return Decoded(
      image: transform.apply(image), width: image.width, height: image.height,
      format: ImageDecoder.format(of: bytes) ?? "?", transform: transform)
  }
}

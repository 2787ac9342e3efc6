/// Labelled images kept as uint8, converted to Float one batch at a time.
///
/// Pixels are stored image after image, each image channel-major (CHW), as in the CIFAR binary
/// files: `pixels[((i · channels + c) · height + y) · width + x]`. They live in memory, or, for
/// image folders, in a temporary file read one image at a time (`PixelStorage`), so evaluating a
/// folder of any size needs memory for a batch, not for the folder.
public struct ImageDataset: Sendable, Equatable {
  /// E.g. `"mnist-5k/test"`, or the path the images were read from.
  public var name: String
  /// Channels per image (1 for MNIST, 3 for CIFAR).
  public var channels: Int
  /// Rows per image.
  public var height: Int
  /// Columns per image.
  public var width: Int
  /// `count × channels × height × width` bytes, CHW per image.
  public var storage: PixelStorage
  /// One label per image, each in `0..<classCount`.
  public var labels: [Int]
  /// The name of each class, indexed by label.
  public var classNames: [String]

  /// Creates a data set; the caller guarantees the sizes agree (the loaders check them).
  public init(
    name: String, channels: Int, height: Int, width: Int, pixels: [UInt8], labels: [Int],
    classNames: [String]
  ) {
    self.name = name
    self.channels = channels
    self.height = height
    self.width = width
    self.storage = PixelStorage(pixels)
    self.labels = labels
    self.classNames = classNames
  }

  /// Creates a data set over `storage` (in memory or spooled to a file).
  public init(
    name: String, channels: Int, height: Int, width: Int, storage: PixelStorage, labels: [Int],
    classNames: [String]
  ) {
    self.name = name
    self.channels = channels
    self.height = height
    self.width = width
    self.storage = storage
    self.labels = labels
    self.classNames = classNames
  }

  /// Every pixel as one array, `count × channels × height × width` bytes (a copy of the whole
  /// spool for a file-backed data set; batch readers use `withImage` instead).
  public var pixels: [UInt8] {
    get { storage.array() }
    set { storage = PixelStorage(newValue) }
  }

  /// Calls `body` with image `index`'s `channels × height × width` bytes (CHW).
  public func withImage<R>(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
    precondition(index >= 0 && index < count, "image index \(index) outside 0..<\(count)")
    return try storage.withBytes(in: (index * imageSize)..<((index + 1) * imageSize), body)
  }

  public static func == (a: ImageDataset, b: ImageDataset) -> Bool {
    a.name == b.name && a.channels == b.channels && a.height == b.height && a.width == b.width
      && a.labels == b.labels && a.classNames == b.classNames
      && (a.storage === b.storage || a.pixels == b.pixels)
  }

  /// The number of images.
  public var count: Int { labels.count }

  /// The number of classes (`classNames.count`).
  public var classCount: Int { classNames.count }

  /// Bytes per image (`channels × height × width`).
  public var imageSize: Int { channels * height * width }

  /// The images at `indices`, in that order (indices may repeat).
  ///
  /// Indices must lie in `0..<count` (a programming error otherwise). All of the images in order
  /// give `self` (no copy); a file-backed data set's subset is spooled to a new file.
  /// - Throws: `DatasetError.fileAccess` when a file-backed subset cannot be written.
  /// - Complexity: O(indices.count × imageSize).
  public func subset(_ indices: [Int]) throws -> ImageDataset {
    if indices.count == count && indices.elementsEqual(0..<count) { return self }
    let newStorage: PixelStorage
    if storage.isFileBacked {
      let spool = try PixelStorage.Spool()
      for index in indices { try withImage(index) { try spool.append($0) } }
      newStorage = try spool.finish()
    } else {
      var newPixels = [UInt8]()
      newPixels.reserveCapacity(indices.count * imageSize)
      for index in indices { withImage(index) { newPixels.append(contentsOf: $0) } }
      newStorage = PixelStorage(newPixels)
    }
    return ImageDataset(
      name: name, channels: channels, height: height, width: width, storage: newStorage,
      labels: indices.map { labels[$0] }, classNames: classNames)
  }

  /// The first `maximum` images (all when nil or when there are fewer).
  /// - Complexity: O(min(count, maximum) × imageSize).
  public func prefix(_ maximum: Int?) throws -> ImageDataset {
    guard let maximum, maximum < count else { return self }
    return try subset(Array(0..<max(0, maximum)))
  }

  /// A selection for an evaluation run: starting at image `offset`, the first `perClass`
  /// images of each class (when given), stopping after `limit` images (when given).
  ///
  /// Order is kept. For example `selecting(offset: 0, limit: nil, perClass: 10)` gives the
  /// first ten images of every class.
  /// - Throws: `DatasetError.invalidArgument` when `offset` is outside `0...count` or `limit`
  ///   or `perClass` is negative.
  /// - Complexity: O(count + selected × imageSize).
  public func selecting(offset: Int, limit: Int?, perClass: Int?) throws -> ImageDataset {
    guard offset >= 0 && offset <= count else {
      throw DatasetError.invalidArgument(
        name: "offset", expected: "a value in 0...\(count)", found: "\(offset)")
    }
    if let limit, limit < 0 {
      throw DatasetError.invalidArgument(
        name: "limit", expected: "a non-negative count", found: "\(limit)")
    }
    if let perClass, perClass < 0 {
      throw DatasetError.invalidArgument(
        name: "per-class", expected: "a non-negative count", found: "\(perClass)")
    }
    var taken = [Int](repeating: 0, count: max(classCount, 1))
    var indices: [Int] = []
    for index in offset..<count {
      if let limit, indices.count >= limit { break }
      let label = labels[index]
      if let perClass {
        guard label >= 0 && label < taken.count, taken[label] < perClass else { continue }
        taken[label] += 1
      }
      indices.append(index)
    }
    return try subset(indices)
  }

  /// The number of images of each class, indexed by label.
  /// - Complexity: O(count).
  public func classCounts() -> [Int] {
    var counts = [Int](repeating: 0, count: classCount)
    for label in labels where label >= 0 && label < classCount { counts[label] += 1 }
    return counts
  }

  /// Per-channel mean and (population) standard deviation of `pixel / 255` over all images.
  ///
  /// Returns zeros for an empty data set.
  /// - Complexity: O(pixels.count).
  public func pixelStatistics() -> (mean: [Double], std: [Double]) {
    let plane = height * width
    var sums = [UInt64](repeating: 0, count: channels)
    var squares = [UInt64](repeating: 0, count: channels)
    for image in 0..<count {
      withImage(image) { buffer in
        for channel in 0..<channels {
          let start = channel * plane
          var sum: UInt64 = 0
          var square: UInt64 = 0
          for index in start..<(start + plane) {
            let value = UInt64(buffer[index])
            sum += value
            square += value * value
          }
          sums[channel] += sum
          squares[channel] += square
        }
      }
    }
    let n = Double(count * plane)
    guard n > 0 else {
      return ([Double](repeating: 0, count: channels), [Double](repeating: 0, count: channels))
    }
    var means: [Double] = []
    var stds: [Double] = []
    for channel in 0..<channels {
      let mean = Double(sums[channel]) / n
      let variance = max(0, Double(squares[channel]) / n - mean * mean)
      means.append(mean / 255)
      stds.append(variance.squareRoot() / 255)
    }
    return (means, stds)
  }

  /// Writes images `indices` as normalized floats `(p/255 − mean[c]) / std[c]` into
  /// `destination`, channels-last: `destination[((i·H + y)·W + x)·C + c]` for the i-th index.
  ///
  /// Shapes: `mean` and `std` have `channels` entries (std non-zero); `destination.count ≥
  /// indices.count · C · H · W`; every index in `0..<count`. Callers validate user-supplied
  /// statistics first (these are checked with `precondition`).
  /// - Complexity: O(indices.count × imageSize).
  public func writeBatch(
    indices: some Collection<Int>, mean: [Float], std: [Float],
    into destination: UnsafeMutableBufferPointer<Float>
  ) {
    let channels = self.channels
    let plane = height * width
    let size = imageSize
    precondition(
      mean.count == channels && std.count == channels, "mean/std need \(channels) values")
    precondition(destination.count >= indices.count * size, "destination too small")
    // (p/255 − m)/s = p · (1/(255 s)) − m/s, folded into one multiply-add per element.
    let scales = std.map { 1 / (255 * $0) }
    let shifts = zip(mean, std).map { $0 / $1 }
    var outputIndex = 0
    for index in indices {
      withImage(index) { source in
        for channel in 0..<channels {
          let scale = scales[channel]
          let shift = shifts[channel]
          let planeStart = channel * plane
          var out = outputIndex + channel
          for position in 0..<plane {
            destination[out] = Float(source[planeStart + position]) * scale - shift
            out += channels
          }
        }
        outputIndex += size
      }
    }
  }
}

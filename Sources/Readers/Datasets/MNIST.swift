import Archives
import Basics

/// Reader for MNIST IDX files (format: http://yann.lecun.com/exdb/mnist/, big-endian magic 0x0801/0x0803, then dimensions), plain or gzipped.
enum MNIST {
  /// The standard file names of a split, without `.gz`.
  static func fileNames(for split: DatasetSplit) -> (images: String, labels: String) {
    switch split {
    case .train: return ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
    case .test: return ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
    }
  }

  /// A parsed IDX file of unsigned bytes.
  struct IDXArray {
    /// The shape read, its first dimension reduced to the records read.
    var shape: [Int]
    var data: ArraySlice<UInt8>
    /// The first dimension the header declares.
    var declaredRecords: Int
  }

  /// Parses an IDX file (gunzipping first when it starts with the gzip magic), requiring type
  /// 0x08 (uint8) and `dimensions` dimensions.
  ///
  /// A gzipped file is inflated only as far as its header declares: the header first, then
  /// exactly the declared data (or the first `maximumRecords` records), so a small file that
  /// inflates to gigabytes is refused after at most `limit` bytes.
  /// - Parameters:
  ///   - maximumRecords: read at most this many records (along the first dimension); the
  ///     shape's first dimension is reduced to match. Nil reads all and requires the exact length.
  ///   - limit: the most data bytes accepted (`DecompressionLimit.current` by default).
  /// - Throws: `DatasetError` (`.archive(.tooLarge)` when the declared data passes `limit`).
  static func parseIDX(
    _ raw: [UInt8], file: String, dimensions: Int, magic: UInt32, maximumRecords: Int? = nil,
    limit: Int = DecompressionLimit.current
  ) throws -> IDXArray {
    let headerSize = 4 + 4 * dimensions
    let isGzip = Gzip.isGzip(raw)
    var bytes = raw
    do {
      if isGzip { bytes = try Gzip.decompressedPrefix(raw, file: file, count: headerSize) }
    } catch let error as ArchiveError {
      throw DatasetError.archive(error)
    }
    guard bytes.count >= 4 else {
      throw DatasetError.truncated(file: file, offset: bytes.count, expected: "a 4-byte IDX magic")
    }
    let found =
      UInt32(bytes[0]) << 24 | UInt32(bytes[1]) << 16 | UInt32(bytes[2]) << 8 | UInt32(bytes[3])
    if found != magic {
      let what = magic == 0x0803 ? "images" : "labels"
      throw DatasetError.invalidHeader(
        file: file, offset: 0,
        expected: "IDX magic \(Hex.word(magic)) (uint8 \(what), \(dimensions) dimension(s))",
        found: Hex.word(found))
    }
    guard bytes.count >= headerSize else {
      throw DatasetError.truncated(
        file: file, offset: bytes.count, expected: "\(dimensions) big-endian dimension sizes")
    }
    var shape: [Int] = []
    for index in 0..<dimensions {
      let offset = 4 + 4 * index
      shape.append(
        Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8
          | Int(bytes[offset + 3]))
    }
    // Every size is below 2^32, so the record size and the total are computed without
    // overflow as long as each stays within `limit` (checked step by step).
    var recordSize = 1
    for size in shape.dropFirst() {
      let (product, overflow) = recordSize.multipliedReportingOverflow(by: size)
      recordSize = overflow ? Int.max : product
    }
    let records = min(shape[0], max(0, maximumRecords ?? shape[0]))
    let (declared, overflow) = recordSize.multipliedReportingOverflow(by: shape[0])
    let (needed, neededOverflow) = recordSize.multipliedReportingOverflow(by: records)
    if !isGzip && (neededOverflow || needed > bytes.count - headerSize) {
      throw DatasetError.truncated(
        file: file, offset: bytes.count,
        expected: "\(shape.map(String.init).joined(separator: "×")) bytes of data after the header")
    }
    if neededOverflow || needed > limit {
      throw DatasetError.archive(
        .tooLarge(
          file: file, offset: 4, limit: limit,
          what: "bytes of image data (the header declares shape \(shape))"))
    }
    let readsAll = records == shape[0]
    if isGzip {
      do {
        bytes =
          readsAll
          ? try Gzip.decompress(raw, file: file, limit: headerSize + needed + 1)
          : try Gzip.decompressedPrefix(raw, file: file, count: headerSize + needed)
      } catch ArchiveError.tooLarge {
        throw DatasetError.countMismatch(
          file: file, expected: headerSize + needed, found: headerSize + needed + 1,
          what: "bytes for shape \(shape) (or more: trailing data)")
      } catch let error as ArchiveError {
        throw DatasetError.archive(error)
      }
    }
    let expectedLength = headerSize + needed
    if bytes.count < expectedLength {
      throw DatasetError.truncated(
        file: file, offset: bytes.count,
        expected: "\(shape.map(String.init).joined(separator: "×")) bytes of data after the header")
    }
    if readsAll && !overflow && bytes.count > headerSize + declared {
      throw DatasetError.countMismatch(
        file: file, expected: expectedLength, found: bytes.count,
        what: "bytes for shape \(shape) (trailing data)")
    }
    let declaredRecords = shape[0]
    shape[0] = records
    return IDXArray(
      shape: shape, data: bytes[headerSize..<expectedLength], declaredRecords: declaredRecords)
  }

  /// Reads an images file and its labels file into a data set with classes "0"…"9".
  ///
  /// - Parameters:
  ///   - maximumImages: read only the first this many images and labels (nil: all).
  ///   - limit: the most bytes either file may inflate to.
  static func load(
    imagesData: [UInt8], imagesFile: String, labelsData: [UInt8], labelsFile: String, name: String,
    maximumImages: Int? = nil, limit: Int = DecompressionLimit.current
  )
    throws -> ImageDataset
  {
    let images = try parseIDX(
      imagesData, file: imagesFile, dimensions: 3, magic: 0x0803, maximumRecords: maximumImages,
      limit: limit)
    let labels = try parseIDX(
      labelsData, file: labelsFile, dimensions: 1, magic: 0x0801, maximumRecords: maximumImages,
      limit: limit)
    if images.declaredRecords != labels.declaredRecords {
      throw DatasetError.countMismatch(
        file: labelsFile, expected: images.declaredRecords, found: labels.declaredRecords,
        what: "labels (one per image in \(imagesFile))")
    }
    var labelValues: [Int] = []
    labelValues.reserveCapacity(labels.shape[0])
    for (record, label) in labels.data.enumerated() {
      guard label < 10 else {
        throw DatasetError.labelOutOfRange(
          file: labelsFile, record: record, label: Int(label), classCount: 10)
      }
      labelValues.append(Int(label))
    }
    return ImageDataset(
      name: name, channels: 1, height: images.shape[1], width: images.shape[2],
      pixels: Array(images.data), labels: labelValues, classNames: (0..<10).map(String.init))
  }
}

import Archives

/// Reader for MNIST IDX files (formats.md §4.4), plain or gzipped.
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
    var shape: [Int]
    var data: ArraySlice<UInt8>
  }

  /// Parses an IDX file (gunzipping first when it starts with the gzip magic), requiring type
  /// 0x08 (uint8) and `dimensions` dimensions.
  static func parseIDX(_ raw: [UInt8], file: String, dimensions: Int, magic: UInt32) throws
    -> IDXArray
  {
    var bytes = raw
    if Gzip.isGzip(raw) {
      do {
        bytes = try Gzip.decompress(raw, file: file)
      } catch let error as ArchiveError {
        throw DatasetError.archive(error)
      }
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
        expected: "IDX magic \(hex(magic)) (uint8 \(what), \(dimensions) dimension(s))",
        found: hex(found))
    }
    let headerSize = 4 + 4 * dimensions
    guard bytes.count >= headerSize else {
      throw DatasetError.truncated(
        file: file, offset: bytes.count, expected: "\(dimensions) big-endian dimension sizes")
    }
    var shape: [Int] = []
    var elementCount = 1
    for index in 0..<dimensions {
      let offset = 4 + 4 * index
      let size =
        Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8
        | Int(bytes[offset + 3])
      shape.append(size)
      // Clamp to "more than the file holds" so that no product can overflow.
      let (product, overflow) = elementCount.multipliedReportingOverflow(by: size)
      elementCount = overflow || product > bytes.count ? bytes.count + 1 : product
    }
    let expectedLength = headerSize + elementCount
    if bytes.count < expectedLength {
      throw DatasetError.truncated(
        file: file, offset: bytes.count,
        expected: "\(shape.map(String.init).joined(separator: "×")) bytes of data after the header")
    }
    if bytes.count > expectedLength {
      throw DatasetError.countMismatch(
        file: file, expected: expectedLength, found: bytes.count,
        what: "bytes for shape \(shape) (trailing data)")
    }
    return IDXArray(shape: shape, data: bytes[headerSize...])
  }

  /// Reads an images file and its labels file into a data set with classes "0"…"9".
  static func load(
    imagesData: [UInt8], imagesFile: String, labelsData: [UInt8], labelsFile: String, name: String
  )
    throws -> ImageDataset
  {
    let images = try parseIDX(imagesData, file: imagesFile, dimensions: 3, magic: 0x0803)
    let labels = try parseIDX(labelsData, file: labelsFile, dimensions: 1, magic: 0x0801)
    if images.shape[0] != labels.shape[0] {
      throw DatasetError.countMismatch(
        file: labelsFile, expected: images.shape[0], found: labels.shape[0],
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

  private static func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
  }
}

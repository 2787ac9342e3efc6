import Foundation

/// Readers for the CIFAR-10 and CIFAR-100 binary versions (layout documented at https://www.cs.toronto.edu/~kriz/cifar.html: per record 1 label byte, or coarse and fine label bytes for CIFAR-100, then 3,072 bytes R, G, B planes of 32×32).
enum CIFAR {
  /// Which of the two binary layouts.
  enum Variant: Sendable {
    /// 3,073-byte records: label (0–9), then 3,072 pixel bytes.
    case cifar10
    /// 3,074-byte records: coarse label (0–19), fine label (0–99), then 3,072 pixel bytes.
    case cifar100

    var recordSize: Int { self == .cifar10 ? 3073 : 3074 }
    var classCount: Int { self == .cifar10 ? 10 : 100 }
    var formatName: String { self == .cifar10 ? "CIFAR-10" : "CIFAR-100" }
    var standardClassNames: [String] { self == .cifar10 ? cifar10ClassNames : cifar100ClassNames }

    /// Files of a split inside `cifar-10-batches-bin` / `cifar-100-binary`.
    func fileNames(for split: DatasetSplit) -> [String] {
      switch (self, split) {
      case (.cifar10, .train): return (1...5).map { "data_batch_\($0).bin" }
      case (.cifar10, .test): return ["test_batch.bin"]
      case (.cifar100, .train): return ["train.bin"]
      case (.cifar100, .test): return ["test.bin"]
      }
    }

    /// The class-name file of the official archive.
    var classNameFile: String { self == .cifar10 ? "batches.meta.txt" : "fine_label_names.txt" }

    /// The official archive's folder name.
    var folderName: String { self == .cifar10 ? "cifar-10-batches-bin" : "cifar-100-binary" }
  }

  /// The ten CIFAR-10 classes in label order.
  static let cifar10ClassNames = [
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
  ]

  /// The hundred CIFAR-100 fine classes in label order (alphabetical).
  static let cifar100ClassNames = [
    "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle",
    "bottle", "bowl", "boy", "bridge", "bus", "butterfly", "camel", "can", "castle",
    "caterpillar", "cattle", "chair", "chimpanzee", "clock", "cloud", "cockroach", "couch",
    "crab", "crocodile", "cup", "dinosaur", "dolphin", "elephant", "flatfish", "forest", "fox",
    "girl", "hamster", "house", "kangaroo", "keyboard", "lamp", "lawn_mower", "leopard", "lion",
    "lizard", "lobster", "man", "maple_tree", "motorcycle", "mountain", "mouse", "mushroom",
    "oak_tree", "orange", "orchid", "otter", "palm_tree", "pear", "pickup_truck", "pine_tree",
    "plain", "plate", "poppy", "porcupine", "possum", "rabbit", "raccoon", "ray", "road",
    "rocket", "rose", "sea", "seal", "shark", "shrew", "skunk", "skyscraper", "snail", "snake",
    "spider", "squirrel", "streetcar", "sunflower", "sweet_pepper", "table", "tank", "telephone",
    "television", "tiger", "tractor", "train", "trout", "tulip", "turtle", "wardrobe", "whale",
    "willow_tree", "wolf", "woman", "worm",
  ]

  /// Appends the records of one `.bin` file's bytes to `pixels` and `labels`, stopping once
  /// `labels` holds `maximumImages` (when given).
  ///
  /// - Throws: `DatasetError.recordSize` when the length is not a whole number of records,
  ///   `.labelOutOfRange` for a label ≥ the class count.
  static func appendRecords(
    _ bytes: [UInt8], file: String, variant: Variant, pixels: inout [UInt8], labels: inout [Int],
    maximumImages: Int? = nil
  ) throws {
    let recordSize = variant.recordSize
    guard bytes.count % recordSize == 0 else {
      throw DatasetError.recordSize(
        file: file, length: bytes.count, recordSize: recordSize, format: variant.formatName)
    }
    let recordCount = min(
      bytes.count / recordSize, max(0, (maximumImages ?? Int.max) - labels.count))
    let labelOffset = variant == .cifar10 ? 0 : 1
    let pixelOffset = variant == .cifar10 ? 1 : 2
    pixels.reserveCapacity(pixels.count + recordCount * 3072)
    labels.reserveCapacity(labels.count + recordCount)
    for record in 0..<recordCount {
      let start = record * recordSize
      let label = Int(bytes[start + labelOffset])
      guard label < variant.classCount else {
        throw DatasetError.labelOutOfRange(
          file: file, record: record, label: label, classCount: variant.classCount)
      }
      if variant == .cifar100 && Int(bytes[start]) >= 20 {
        throw DatasetError.labelOutOfRange(
          file: file, record: record, label: Int(bytes[start]), classCount: 20)
      }
      labels.append(label)
      pixels.append(contentsOf: bytes[(start + pixelOffset)..<(start + recordSize)])
    }
  }

  /// Class names from a label-name text file (one per line, blank lines dropped), or the
  /// standard names when the file has the wrong number of names.
  static func classNames(fromText text: String?, variant: Variant) -> [String] {
    guard let text else { return variant.standardClassNames }
    let names = text.split(whereSeparator: \.isNewline)
      .map { $0.trimmingCharacters(in: .whitespaces) }
      .filter { !$0.isEmpty }
    return names.count == variant.classCount ? names : variant.standardClassNames
  }

  /// Guesses the variant of a lone `.bin` file from neighbouring name files, the path, then
  /// the length (when exactly one record size divides it).
  static func variant(forFile file: String, length: Int, siblings: Set<String>) -> Variant? {
    if siblings.contains("fine_label_names.txt") || siblings.contains("coarse_label_names.txt") {
      return .cifar100
    }
    if siblings.contains("batches.meta.txt") { return .cifar10 }
    let lowered = file.lowercased()
    if lowered.contains("cifar-100") || lowered.contains("cifar100") { return .cifar100 }
    if lowered.contains("cifar-10") || lowered.contains("cifar10") { return .cifar10 }
    let fits10 = length % 3073 == 0
    let fits100 = length % 3074 == 0
    if fits10 && !fits100 { return .cifar10 }
    if fits100 && !fits10 { return .cifar100 }
    return nil
  }
}

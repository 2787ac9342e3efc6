import Foundation
import TensorFormats

/// The axis order of an image array in a `.npy` file.
public enum NumPyLayout: String, Sendable {
  /// (count, channels, height, width), as PyTorch tensors.
  case nchw
  /// (count, height, width, channels), as NumPy/PIL images.
  case nhwc
}

/// Images from a `.npy` array plus labels from a second `.npy` array.
///
/// Images: uint8 (0–255, preferred) or float32/float64 scaled to [0, 1] (as produced by
/// torchvision's `ToTensor`); floats are mapped to bytes by `round(v · 255)`, so float data
/// loses precision below 1/510, and values outside [0, 1] (beyond 1e-6) are rejected. Shapes:
/// (N, C, H, W), (N, H, W, C), or (N, H, W) for one channel. The layout is inferred when the
/// channel count (1 or 3) sits on exactly one side; otherwise it must be given.
/// Labels: a 1-D integer array (any integer dtype) of N values ≥ 0; the class count is the
/// largest label + 1 and the class names are "0", "1", ….
enum NumPyImages {
  /// The label files tried beside `images` when none is given, in order.
  static func labelCandidates(for images: URL) -> [URL] {
    let folder = images.deletingLastPathComponent()
    let name = images.lastPathComponent
    let stem = images.deletingPathExtension().lastPathComponent
    var names: [String] = []
    for (from, to) in [("images", "labels"), ("Images", "Labels"), ("x_", "y_"), ("X_", "y_")]
    where name.contains(from) {
      names.append(name.replacingOccurrences(of: from, with: to))
    }
    names += [stem + "_labels.npy", stem + "-labels.npy", stem + ".labels.npy", "labels.npy"]
    return names.map { folder.appendingPathComponent($0) }
  }

  static func load(images imagesURL: URL, labels labelsURL: URL, layout: NumPyLayout?) throws
    -> ImageDataset
  {
    let images = try RegularFile.read(imagesURL, orThrow: DatasetError.fileAccess)
    let labels = try RegularFile.read(labelsURL, orThrow: DatasetError.fileAccess)
    return try assemble(
      images: images, imagesFile: imagesURL.path, labels: labels, labelsFile: labelsURL.path,
      layout: layout)
  }

  /// Builds a data set from the bytes of an images `.npy` and a labels `.npy` (see `load`).
  static func assemble(
    images: [UInt8], imagesFile: String, labels labelBytes: [UInt8], labelsFile: String,
    layout: NumPyLayout?
  ) throws -> ImageDataset {
    let imageArray: RawTensor
    let labelArray: RawTensor
    do {
      imageArray = try NumPyArray.parse(images, file: imagesFile).tensor
      labelArray = try NumPyArray.parse(labelBytes, file: labelsFile).tensor
    } catch let error as NumPyError {
      throw DatasetError.numpy(error)
    }
    // Shape and layout.
    var shape = imageArray.shape
    if shape.count == 3 { shape.insert(1, at: 1) }  // (N, H, W) → (N, 1, H, W)
    guard shape.count == 4 else {
      throw DatasetError.invalidHeader(
        file: imagesFile, offset: 0, expected: "a 3-D or 4-D image array",
        found: "shape \(imageArray.shape)")
    }
    let resolvedLayout: NumPyLayout
    if imageArray.shape.count == 3 {
      resolvedLayout = .nchw
    } else if let layout {
      resolvedLayout = layout
    } else {
      let channelsFirst = shape[1] == 1 || shape[1] == 3
      let channelsLast = shape[3] == 1 || shape[3] == 3
      if channelsFirst == channelsLast {
        throw DatasetError.ambiguousLayout(file: imagesFile, shape: imageArray.shape)
      }
      resolvedLayout = channelsFirst ? .nchw : .nhwc
    }
    let count = shape[0]
    let (channels, height, width) =
      resolvedLayout == .nchw ? (shape[1], shape[2], shape[3]) : (shape[3], shape[1], shape[2])

    // Pixel values as bytes, in the file's layout.
    let values: [UInt8]
    switch imageArray.dtype {
    case .uint8:
      values = imageArray.bytes
    case .float32, .float64, .float16:
      let doubles = try InputArray.finite(imageArray.doubles(), file: imagesFile)
      var converted = [UInt8](repeating: 0, count: doubles.count)
      for (index, value) in doubles.enumerated() {
        guard value >= -1e-6 && value <= 1 + 1e-6 else {
          throw DatasetError.pixelOutOfRange(file: imagesFile, index: index, value: value)
        }
        converted[index] = UInt8(min(255, max(0, (value * 255).rounded())))
      }
      values = converted
    default:
      throw DatasetError.invalidHeader(
        file: imagesFile, offset: 0, expected: "uint8 or float image data (0-255 or [0, 1])",
        found: imageArray.dtype.rawValue)
    }

    // Labels.
    guard labelArray.shape.count == 1 else {
      throw DatasetError.invalidHeader(
        file: labelsFile, offset: 0, expected: "a 1-D label array",
        found: "shape \(labelArray.shape)")
    }
    guard !labelArray.dtype.isFloatingPoint && labelArray.dtype != .bool else {
      throw DatasetError.invalidHeader(
        file: labelsFile, offset: 0, expected: "integer labels", found: labelArray.dtype.rawValue)
    }
    let rawLabels = labelArray.int64s()
    guard rawLabels.count == count else {
      throw DatasetError.countMismatch(
        file: labelsFile, expected: count, found: rawLabels.count,
        what: "labels (one per image in \(imagesFile))")
    }
    var labels: [Int] = []
    labels.reserveCapacity(count)
    let labelLimit = 1 << 20
    for (record, label) in rawLabels.enumerated() {
      guard label >= 0 && label < labelLimit else {
        throw DatasetError.labelOutOfRange(
          file: labelsFile, record: record, label: Int(clamping: label), classCount: labelLimit)
      }
      labels.append(Int(label))
    }
    let classCount = (labels.max() ?? -1) + 1

    // To CHW per image.
    let pixels: [UInt8]
    if resolvedLayout == .nchw || channels == 1 {
      pixels = values
    } else {
      var reordered = [UInt8](repeating: 0, count: values.count)
      let plane = height * width
      for image in 0..<count {
        let base = image * plane * channels
        for position in 0..<plane {
          for channel in 0..<channels {
            reordered[base + channel * plane + position] =
              values[base + position * channels + channel]
          }
        }
      }
      pixels = reordered
    }
    return ImageDataset(
      name: imagesFile, channels: channels, height: height, width: width, pixels: pixels,
      labels: labels, classNames: (0..<classCount).map(String.init))
  }
}

import Basics

/// Why an image file could not be decoded.
///
/// Every case names the file and, where it applies, the byte offset, what was expected and what
/// was found; `description` is one line such as
/// `cat.jpg: truncated at byte 5120: expected entropy-coded data of scan 1`.
public enum ImageError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The file ends before a structure it promises.
  case truncated(file: String, offset: Int, expected: String)
  /// A field or marker holds a value the format does not allow.
  case invalidData(file: String, offset: Int, expected: String, found: String)
  /// A valid file using a feature this decoder does not implement (CMYK, 12-bit, arithmetic
  /// coding, lossless JPEG, …).
  case unsupported(file: String, offset: Int, feature: String)
  /// A stored checksum does not match the data.
  case checksumMismatch(file: String, offset: Int, expected: UInt32, found: UInt32)
  /// The declared dimensions exceed the pixel cap (refused before allocating).
  case tooLarge(file: String, width: Int, height: Int, limit: Int)
  /// Neither a JPEG nor a PNG signature.
  case unknownFormat(file: String, found: String)

  /// The file the error refers to.
  public var file: String {
    switch self {
    case .truncated(let file, _, _), .invalidData(let file, _, _, _),
      .unsupported(let file, _, _), .checksumMismatch(let file, _, _, _),
      .tooLarge(let file, _, _, _), .unknownFormat(let file, _):
      return file
    }
  }

  /// One human-readable line.
  public var description: String {
    switch self {
    case .truncated(let file, let offset, let expected):
      return InputProblem.truncated(file: file, offset: offset, expected: expected)
    case .invalidData(let file, let offset, let expected, let found):
      return InputProblem.invalid(file: file, offset: offset, expected: expected, found: found)
    case .unsupported(let file, let offset, let feature):
      return InputProblem.at(file: file, offset: offset, "unsupported: \(feature)")
    case .checksumMismatch(let file, let offset, let expected, let found):
      return InputProblem.at(
        file: file, offset: offset, "CRC-32 mismatch: stored \(Hex.word(expected)), computed \(Hex.word(found))")
    case .tooLarge(let file, let width, let height, let limit):
      return "\(file): declared size \(width)×\(height) exceeds the limit of \(limit) pixels"
    case .unknownFormat(let file, let found):
      return "\(file): not a JPEG or PNG file (first bytes \(found))"
    }
  }
}

/// An 8-bit RGB image, rows top to bottom, pixels interleaved: `pixels[(y · width + x) · 3 + c]`.
public struct RGBImage: Sendable, Equatable {
  /// Columns.
  public var width: Int
  /// Rows.
  public var height: Int
  /// `height × width × 3` bytes.
  public var pixels: [UInt8]

  /// Creates an image; `pixels.count` must be `width × height × 3`.
  public init(width: Int, height: Int, pixels: [UInt8]) {
    precondition(pixels.count == width * height * 3, "pixel count does not match the size")
    self.width = width
    self.height = height
    self.pixels = pixels
  }
}

/// Limits applied before any pixel buffer is allocated.
public enum ImageLimits {
  /// The largest image accepted, in pixels (width × height): 2^27 ≈ 134 megapixels, a 402 MB RGB
  /// buffer. Pillow warns above 89,478,485 pixels and refuses above twice that; an ImageNet
  /// photograph has about 0.2 megapixels.
  public static let maxPixels = 1 << 27

  static func check(width: Int, height: Int, file: String) throws {
    guard width > 0, height > 0 else {
      throw ImageError.invalidData(
        file: file, offset: 0, expected: "a non-zero width and height",
        found: "\(width)×\(height)")
    }
    guard width <= maxPixels, height <= maxPixels, width * height <= maxPixels else {
      throw ImageError.tooLarge(file: file, width: width, height: height, limit: maxPixels)
    }
  }
}

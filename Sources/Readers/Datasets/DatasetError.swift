import Archives
import Basics
import TensorFormats

/// Why a data set could not be loaded or a selection could not be made.
///
/// Every case names the file (or the source string) and, where it applies, the byte offset or
/// record number, what was expected and what was found; `description` is one line.
public enum DatasetError: Error, CustomStringConvertible, Equatable {
  /// A file or folder could not be read.
  case fileAccess(file: String, message: String)
  /// The source is neither a bundled data set nor a path of a known layout.
  case unrecognizedSource(source: String, expected: String)
  /// The file length is not a whole number of fixed-size records.
  case recordSize(file: String, length: Int, recordSize: Int, format: String)
  /// The file ends before the data its header promises.
  case truncated(file: String, offset: Int, expected: String)
  /// A header field (magic number, type code, dimension count, shape, dtype) is wrong.
  case invalidHeader(file: String, offset: Int, expected: String, found: String)
  /// A label outside `0..<classCount`.
  case labelOutOfRange(file: String, record: Int, label: Int, classCount: Int)
  /// Two files (or two parts of one) disagree on the number of images.
  case countMismatch(file: String, expected: Int, found: Int, what: String)
  /// A pixel value outside the accepted range (float arrays must lie in [0, 1]).
  case pixelOutOfRange(file: String, index: Int, value: Double)
  /// A NaN or infinite pixel or input value (refused by every data path).
  case nonFinitePixel(file: String, index: Int, value: Double)
  /// The image array's layout cannot be inferred from its shape.
  case ambiguousLayout(file: String, shape: [Int])
  /// A corrupt gzip stream or tar archive.
  case archive(ArchiveError)
  /// A malformed `.npy` file.
  case numpy(NumPyError)
  /// A selection or argument outside its valid range.
  case invalidArgument(name: String, expected: String, found: String)
  /// No `notebooks-data` folder was found.
  case bundledDataNotFound(searched: [String])

  /// One human-readable line.
  public var description: String {
    switch self {
    case .fileAccess(let file, let message):
      return "\(file): cannot read: \(message)"
    case .unrecognizedSource(let source, let expected):
      return "\(source): not a known data set: expected \(expected)"
    case .recordSize(let file, let length, let recordSize, let format):
      return
        "\(file): length \(length) is not a multiple of the \(recordSize)-byte \(format) record"
        + " (\(length / recordSize) records and \(length % recordSize) bytes left over)"
    case .truncated(let file, let offset, let expected):
      return InputProblem.truncated(file: file, offset: offset, expected: expected)
    case .invalidHeader(let file, let offset, let expected, let found):
      return InputProblem.invalid(file: file, offset: offset, expected: expected, found: found)
    case .labelOutOfRange(let file, let record, let label, let classCount):
      return "\(file): record \(record): label \(label) is outside 0..<\(classCount)"
    case .countMismatch(let file, let expected, let found, let what):
      return "\(file): expected \(expected) \(what), found \(found)"
    case .pixelOutOfRange(let file, let index, let value):
      return "\(file): element \(index): pixel value \(value) is outside [0, 1]"
        + " (float image arrays must be scaled to [0, 1]; use uint8 for 0...255)"
    case .nonFinitePixel(let file, let index, let value):
      return "\(file): element \(index): value \(value) is not a finite number (inputs must not hold NaN or infinity)"
    case .ambiguousLayout(let file, let shape):
      return "\(file): cannot tell NCHW from NHWC for shape \(shape): give the layout explicitly"
    case .archive(let error):
      return error.description
    case .numpy(let error):
      return error.description
    case .invalidArgument(let name, let expected, let found):
      return "\(name): expected \(expected), found \(found)"
    case .bundledDataNotFound(let searched):
      return "no notebooks-data folder found (set RESNET_LESION_DATA); searched: "
        + searched.joined(separator: ", ")
    }
  }
}

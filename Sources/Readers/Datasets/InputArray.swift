import Foundation
import TensorFormats

/// Arrays of network inputs read from `.npy` files, checked like every other data path.
public enum InputArray {
  /// Reads a `.npy` array of inputs (pixels or normalized values), refusing NaN and infinity.
  ///
  /// Integer arrays are returned as read; floating-point arrays are scanned once.
  /// - Throws: `DatasetError.numpy` for a malformed file, `.nonFinitePixel` naming the first
  ///   NaN or infinite element.
  /// - Complexity: O(elements).
  public static func read(contentsOf url: URL) throws -> NumPyArray {
    let array: NumPyArray
    do {
      array = try NumPyArray.read(contentsOf: url)
    } catch let error as NumPyError {
      throw DatasetError.numpy(error)
    }
    if array.tensor.dtype.isFloatingPoint {
      _ = try finite(array.tensor.doubles(), file: url.path)
    }
    return array
  }

  /// `values` unchanged when every element is finite.
  /// - Throws: `DatasetError.nonFinitePixel` naming the first element that is not.
  static func finite(_ values: [Double], file: String) throws -> [Double] {
    if let index = values.firstIndex(where: { !$0.isFinite }) {
      throw DatasetError.nonFinitePixel(file: file, index: index, value: values[index])
    }
    return values
  }
}

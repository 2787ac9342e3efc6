/// A dense float32 tensor: a shape and its scalars in row-major (C) order.
///
/// Activations inside the engine are channels-last, shape (N, H, W, C). Parameters use PyTorch's
/// layouts when exchanged with files (see `Network.stateDictionary()`), and the engine's own
/// layouts inside layers (convolution filters are (R, S, C, K)).
public struct Tensor: Equatable, Sendable {
  /// The size of each dimension, outermost first.
  public var shape: [Int]
  /// The elements in row-major order; `scalars.count == shape.reduce(1, *)`.
  public var scalars: [Float]

  /// Creates a tensor from a shape and matching scalars.
  ///
  /// - Precondition: `scalars.count` equals the product of `shape` (a programming error, never
  ///   user input: use `Tensor.validated(shape:scalars:)` for values from files).
  public init(shape: [Int], scalars: [Float]) {
    precondition(shape.reduce(1, *) == scalars.count, "Tensor shape \(shape) needs \(shape.reduce(1, *)) scalars, got \(scalars.count)")
    self.shape = shape
    self.scalars = scalars
  }

  /// Creates a tensor of zeros.
  public init(zeros shape: [Int]) {
    self.shape = shape
    self.scalars = [Float](repeating: 0, count: shape.reduce(1, *))
  }

  /// Creates a tensor after checking that the scalar count fits the shape.
  /// - Throws: `EngineError.shapeMismatch` when it does not.
  public static func validated(shape: [Int], scalars: [Float], what: String) throws -> Tensor {
    guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == scalars.count else {
      throw EngineError.shapeMismatch(
        what: what, expected: "\(shape.reduce(1, *)) elements for shape \(shape)",
        found: "\(scalars.count) elements")
    }
    return Tensor(shape: shape, scalars: scalars)
  }

  /// The number of elements.
  public var count: Int { scalars.count }

  /// Converts a batch from PyTorch's (N, C, H, W) layout to the engine's (N, H, W, C).
  public static func channelsLast(fromNCHW source: Tensor) -> Tensor {
    precondition(source.shape.count == 4)
    let (n, c, h, w) = (source.shape[0], source.shape[1], source.shape[2], source.shape[3])
    return Tensor(shape: [n, h, w, c], scalars: source.transposingEachItem(rows: c, columns: h * w))
  }

  /// Converts a batch from the engine's (N, H, W, C) layout to PyTorch's (N, C, H, W).
  public func channelsFirst() -> Tensor {
    precondition(shape.count == 4)
    let (n, h, w, c) = (shape[0], shape[1], shape[2], shape[3])
    return Tensor(shape: [n, c, h, w], scalars: transposingEachItem(rows: h * w, columns: c))
  }

  /// The scalars with each item of the batch, read as a (rows, columns) matrix, transposed:
  /// (N, rows, columns) → (N, columns, rows). Moving the channels to the end (NCHW → NHWC) is
  /// the transpose of each image's (C, H·W) matrix; moving them back is the transpose of (H·W, C).
  /// - Complexity: O(count).
  private func transposingEachItem(rows: Int, columns: Int) -> [Float] {
    var result = [Float](repeating: 0, count: count)
    scalars.withUnsafeBufferPointer { s in
      result.withUnsafeMutableBufferPointer { d in
        for base in stride(from: 0, to: count, by: max(rows * columns, 1)) {
          for row in 0..<rows {
            for column in 0..<columns {
              d[base + column * rows + row] = s[base + row * columns + column]
            }
          }
        }
      }
    }
    return result
  }
}

/// The shape of one image or feature map: channels, height, width.
public struct FeatureShape: Hashable, Sendable, CustomStringConvertible {
  public var channels: Int
  public var height: Int
  public var width: Int

  public init(channels: Int, height: Int, width: Int) {
    self.channels = channels
    self.height = height
    self.width = width
  }

  /// Elements per image.
  public var count: Int { channels * height * width }
  /// "C×H×W", the way PyTorch users read shapes.
  public var description: String { "\(channels)×\(height)×\(width)" }
}

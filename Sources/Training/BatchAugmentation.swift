import Basics
import Datasets

/// The random choices for one training image: crop offsets and flip.
public struct ImageTransform: Sendable, Equatable {
  /// Top-left corner of the crop in the zero-padded image, each in 0…2P (P = padding on all
  /// sides; P, P is the unshifted image).
  public var cropRow: Int
  public var cropColumn: Int
  /// Mirror left–right (applied after the crop).
  public var flip: Bool

  /// Draws a transform: crop row, then crop column (each uniform in 0…2P, drawn only when
  /// P > 0), then a flip bit (drawn only when flips are on).
  public static func random(_ augmentation: Augmentation, using generator: inout SplitMix64) -> ImageTransform {
    let padding = augmentation.cropPadding
    var row = padding
    var column = padding
    if padding > 0 {
      row = generator.nextInt(below: 2 * padding + 1)
      column = generator.nextInt(below: 2 * padding + 1)
    }
    let flip = augmentation.horizontalFlip ? (generator.next() >> 63) == 1 : false
    return ImageTransform(cropRow: row, cropColumn: column, flip: flip)
  }
}

extension ImageDataset {
  /// Writes images `indices` with `transforms` applied, normalized and channels-last:
  /// `destination[((i·H + y)·W + x)·C + c] = (p/255 − mean[c]) / std[c]`, where p is the pixel
  /// of the zero-padded (by `padding`) image at (y + cropRow, x' + cropColumn) and x' = W−1−x when
  /// flipped, x otherwise. Padding pixels are raw 0 before normalization, as torchvision pads.
  ///
  /// Shapes: `transforms.count == indices.count`, `destination.count ≥ indices.count·C·H·W`;
  /// mean and std have C entries (the trainer validates them).
  /// - Complexity: O(indices.count × imageSize).
  public func writeAugmentedBatch(
    indices: [Int], transforms: [ImageTransform], padding: Int, mean: [Float], std: [Float],
    into destination: UnsafeMutableBufferPointer<Float>
  ) {
    let (channels, height, width) = (self.channels, self.height, self.width)
    let plane = height * width
    let size = imageSize
    precondition(transforms.count == indices.count && destination.count >= indices.count * size)
    precondition(mean.count == channels && std.count == channels)
    let scales = std.map { 1 / (255 * $0) }
    let shifts = zip(mean, std).map { $0 / $1 }
    for (n, index) in indices.enumerated() {
      withImage(index) { source in
        let t = transforms[n]
        let outStart = n * size
        for y in 0..<height {
          let sourceRow = y + t.cropRow - padding
          let rowInside = sourceRow >= 0 && sourceRow < height
          for x in 0..<width {
            let cropX = t.flip ? width - 1 - x : x
            let sourceColumn = cropX + t.cropColumn - padding
            let inside = rowInside && sourceColumn >= 0 && sourceColumn < width
            let out = outStart + (y * width + x) * channels
            for c in 0..<channels {
              let raw: Float = inside ? Float(source[c * plane + sourceRow * width + sourceColumn]) : 0
              destination[out + c] = raw * scales[c] - shifts[c]
            }
          }
        }
      }
    }
  }
}

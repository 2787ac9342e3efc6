// Data movement for the fast convolution kernels: zero-padded copies of one image, and filters
// repacked into 16-channel panels. Nothing here does arithmetic on values; it only places them where the microkernels in
// Convolution+Microkernels.swift can read them without bounds checks.

/// Output channels per register panel: one panel is one `SIMD16<Float>` (two AVX2 registers).
let convolutionPanelWidth = 16

/// Rounds `count` up to a multiple of `convolutionPanelWidth`.
@inline(__always)
func convolutionPanelPadded(_ count: Int) -> Int {
  (count + convolutionPanelWidth - 1) / convolutionPanelWidth * convolutionPanelWidth
}

/// How one image (sourceHeight, sourceWidth, channels) is laid into a scratch image
/// (height, width, channels) that a convolution then reads with no padding.
///
/// Scratch pixel (ys, xs) holds source pixel (ys − offsetY, xs − offsetX) when that lies inside
/// the source, and zeros otherwise. The forward convolution uses offset = padding; each phase of
/// the input gradient uses offset = taps − 1 − first output row (a transposed convolution run as
/// a stride-1 convolution). Offsets may be negative (cropping).
struct ConvolutionScratchLayout {
  var sourceHeight: Int
  var sourceWidth: Int
  var channels: Int
  var height: Int
  var width: Int
  var offsetY: Int
  var offsetX: Int

  /// True when the scratch image is a window of the source with the same row stride, so the
  /// source can be read in place (no padding, nothing needed beyond its edges).
  var readsSourceInPlace: Bool {
    offsetY == 0 && offsetX == 0 && height <= sourceHeight
      && width <= sourceWidth
  }

  /// Floats between two vertically adjacent pixels of the image the kernels read.
  var rowStride: Int { (readsSourceInPlace ? sourceWidth : width) * channels }

  /// Floats in one scratch image (0 when the source is read in place).
  var scratchCount: Int { readsSourceInPlace ? 0 : height * width * channels }

  /// Writes the scratch image for one source image.
  ///
  /// source (sourceHeight, sourceWidth, channels) → scratch (height, width, channels).
  /// - Complexity: O(height · width · channels).
  func fill(_ scratch: UnsafeMutablePointer<Float>, from source: UnsafePointer<Float>) {
    fill(scratch, from: source, rows: 0..<height)
  }

  /// Writes scratch rows `rows` (a sub-range of 0..<height) for one source image, so that
  /// threads can fill disjoint rows of one scratch image.
  /// - Complexity: O(rows.count · width · channels).
  func fill(_ scratch: UnsafeMutablePointer<Float>, from source: UnsafePointer<Float>, rows: Range<Int>) {
    let c = channels
    let rowCount = width * c
    // Source columns land in scratch columns first..<last; the rest are zeros.
    let first = min(width, max(0, offsetX))
    let last = max(first, min(width, offsetX + sourceWidth))
    for ys in rows {
      let row = scratch + ys * rowCount
      let sy = ys - offsetY
      guard sy >= 0, sy < sourceHeight, last > first else {
        row.update(repeating: 0, count: rowCount)
        continue
      }
      let sourceRow = source + sy * sourceWidth * c
      row.update(repeating: 0, count: first * c)
      (row + first * c).update(from: sourceRow + (first - offsetX) * c, count: (last - first) * c)
      (row + last * c).update(repeating: 0, count: (width - last) * c)
    }
  }

  /// The image the kernels read for `source`: the source itself, or `scratch` after filling it.
  @inline(__always)
  func prepare(_ scratch: UnsafeMutablePointer<Float>?, from source: UnsafePointer<Float>)
    -> UnsafePointer<Float>
  {
    guard let scratch, !readsSourceInPlace else { return source }
    fill(scratch, from: source)
    return UnsafePointer(scratch)
  }
}

/// Filters of at least this many packed floats are packed by several threads (one panel each).
let packingMinimumParallelCount = 1 << 14

extension Kernels {
  /// Repacks a forward filter into output-channel panels.
  ///
  /// filter (R, S, C, K) → packed (⌈K/16⌉, R, S, C, 16), zero in lanes past K.
  /// - Complexity: O(R · S · C · K).
  static func packForwardFilter(
    _ filter: UnsafePointer<Float>, kernelHeight: Int, kernelWidth: Int, inputChannels: Int,
    outputChannels: Int, into packed: UnsafeMutablePointer<Float>
  ) {
    let lanes = convolutionPanelWidth
    let panels = convolutionPanelPadded(outputChannels) / lanes
    let rows = kernelHeight * kernelWidth * inputChannels  // (r, s, c) flattened
    // One panel per chunk (disjoint writes) for large filters.
    let parallel = rows * panels * lanes >= packingMinimumParallelCount
    parallelFor(parallel ? panels : 1) { chunk in
      for panel in parallel ? chunk..<(chunk + 1) : 0..<panels {
        let k0 = panel * lanes
        let width = min(lanes, outputChannels - k0)
        for row in 0..<rows {
          let destination = packed + (panel * rows + row) * lanes
          let sourceRow = filter + row * outputChannels + k0
          for l in 0..<width { destination[l] = sourceRow[l] }
          for l in width..<lanes { destination[l] = 0 }
        }
      }
    }
  }

  /// Repacks a filter for the input gradient: spatially flipped, input and output channels swapped.
  ///
  /// filter (R, S, C, K) → packed (⌈C/16⌉, R, S, K, 16) with
  /// packed[cb, r, s, k, l] = filter[R−1−r, S−1−s, cb·16+l, k], zero in lanes past C.
  /// - Complexity: O(R · S · C · K).
  static func packBackwardInputFilter(
    _ filter: UnsafePointer<Float>, kernelHeight: Int, kernelWidth: Int, inputChannels: Int,
    outputChannels: Int, into packed: UnsafeMutablePointer<Float>
  ) {
    let lanes = convolutionPanelWidth
    let (R, S, C, K) = (kernelHeight, kernelWidth, inputChannels, outputChannels)
    let panels = convolutionPanelPadded(C) / lanes
    let rows = R * S * K
    // One panel (16 input channels) per chunk for large filters.
    let parallel = rows * panels * lanes >= packingMinimumParallelCount
    parallelFor(parallel ? panels : 1) { chunk in
      for panel in parallel ? chunk..<(chunk + 1) : 0..<panels {
        let channels = (panel * lanes)..<min(C, (panel + 1) * lanes)
        // Lanes past C stay zero.
        if channels.count < lanes {
          (packed + panel * rows * lanes).update(repeating: 0, count: rows * lanes)
        }
        for r in 0..<R {
          for s in 0..<S {
            let row = (r * S + s) * K
            for c in channels {
              // Contiguous reads along k; writes one lane every 16 floats.
              let source = filter + (((R - 1 - r) * S + (S - 1 - s)) * C + c) * K
              let destination = packed + (panel * rows + row) * lanes + c % lanes
              for k in 0..<K { destination[k * lanes] = source[k] }
            }
          }
        }
      }
    }
  }
}

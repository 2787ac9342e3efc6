// Average pooling with ceil mode and no padding (PyTorch's `AvgPool2d(k, s, ceil_mode=True,
// count_include_pad=False)`), channels-last, and its naive twins (the test oracles).

extension Kernels {
  /// Average pooling: each output averages the inputs of its window that lie inside the map.
  ///
  /// x (N, H, W, C) → y (N, P, Q, C) with P = ⌈(H − k) / s⌉ + 1 and Q likewise; the window of
  /// output (p, q) covers rows p·s ..< min(p·s + k, H) and columns q·s ..< min(q·s + k, W).
  /// - Precondition: H ≥ k and W ≥ k.
  /// - Complexity: O(N·P·Q·k²·C).
  static func averagePool(
    batch: Int, height: Int, width: Int, channels: Int, kernelSize: Int, stride: Int,
    x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>
  ) {
    forEachWindow(batch: batch, height: height, width: width, kernelSize: kernelSize, stride: stride) { output, corner, rows, columns in
      let out = y + output * channels
      out.update(repeating: 0, count: channels)
      for r in 0..<rows {
        for s in 0..<columns {
          let input = x + (corner + r * width + s) * channels
          for c in 0..<channels { out[c] += input[c] }
        }
      }
      let inverse = 1 / Float(rows * columns)
      for c in 0..<channels { out[c] *= inverse }
    }
  }

  /// Backward of `averagePool`: every input of a window receives dy / (window size inside the map).
  ///
  /// dy (N, P, Q, C) → dx (N, H, W, C) (overwritten).
  /// - Complexity: O(N·P·Q·k²·C).
  static func averagePoolBackward(
    batch: Int, height: Int, width: Int, channels: Int, kernelSize: Int, stride: Int,
    dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>
  ) {
    dx.update(repeating: 0, count: batch * height * width * channels)
    forEachWindow(batch: batch, height: height, width: width, kernelSize: kernelSize, stride: stride) { output, corner, rows, columns in
      let gradient = dy + output * channels
      let inverse = 1 / Float(rows * columns)
      for r in 0..<rows {
        for s in 0..<columns {
          let input = dx + (corner + r * width + s) * channels
          for c in 0..<channels { input[c] += gradient[c] * inverse }
        }
      }
    }
  }

  /// Calls `body` for every output position (n, p, q) in row-major order with its index
  /// (n·P + p)·Q + q, the index (n·H + r₀)·W + s₀ of its window's top-left input position
  /// (r₀ = p·s, s₀ = q·s), and the rows and columns of the window inside the map.
  /// - Complexity: O(N·P·Q) calls.
  @inline(__always)
  private static func forEachWindow(
    batch: Int, height: Int, width: Int, kernelSize: Int, stride: Int,
    _ body: (_ output: Int, _ corner: Int, _ rows: Int, _ columns: Int) -> Void
  ) {
    let outHeight = AveragePool.outputSide(height, kernelSize: kernelSize, stride: stride)
    let outWidth = AveragePool.outputSide(width, kernelSize: kernelSize, stride: stride)
    for n in 0..<batch {
      for p in 0..<outHeight {
        let rows = min(p * stride + kernelSize, height) - p * stride
        for q in 0..<outWidth {
          let columns = min(q * stride + kernelSize, width) - q * stride
          body((n * outHeight + p) * outWidth + q, (n * height + p * stride) * width + q * stride, rows, columns)
        }
      }
    }
  }

  /// Average pooling, naive reference: for every output, scans every input position and averages
  /// those its window contains.
  static func naiveAveragePool(
    batch: Int, height: Int, width: Int, channels: Int, kernelSize: Int, stride: Int,
    x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>
  ) {
    let count = batch * AveragePool.outputSide(height, kernelSize: kernelSize, stride: stride)
      * AveragePool.outputSide(width, kernelSize: kernelSize, stride: stride) * channels
    var sums = [Double](repeating: 0, count: count)
    var sizes = [Int](repeating: 0, count: count)
    forEachNaiveWindowTerm(
      batch: batch, height: height, width: width, channels: channels, kernelSize: kernelSize, stride: stride
    ) { input, output, size in
      sums[output] += Double(x[input])
      sizes[output] = size
    }
    for output in 0..<count { y[output] = Float(sums[output] / Double(sizes[output])) }
  }

  /// Backward of average pooling, naive reference: each input gathers dy / (window size) from
  /// every output window that contains it.
  static func naiveAveragePoolBackward(
    batch: Int, height: Int, width: Int, channels: Int, kernelSize: Int, stride: Int,
    dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>
  ) {
    var sums = [Double](repeating: 0, count: batch * height * width * channels)
    forEachNaiveWindowTerm(
      batch: batch, height: height, width: width, channels: channels, kernelSize: kernelSize, stride: stride
    ) { input, output, size in
      sums[input] += Double(dy[output]) / Double(size)
    }
    for input in sums.indices { dx[input] = Float(sums[input]) }
  }

  /// Calls `body` for every pair of an output element (n, p, q, c) and an input element
  /// (n, r, s, c) inside its window, found by scanning every input position, with the number of
  /// positions in that window: outputs in (n, p, q) order, then window rows, columns, channels.
  /// - Complexity: O(N·P·Q·H·W + N·P·Q·k²·C).
  private static func forEachNaiveWindowTerm(
    batch: Int, height: Int, width: Int, channels: Int, kernelSize: Int, stride: Int,
    _ body: (_ input: Int, _ output: Int, _ size: Int) -> Void
  ) {
    let outHeight = AveragePool.outputSide(height, kernelSize: kernelSize, stride: stride)
    let outWidth = AveragePool.outputSide(width, kernelSize: kernelSize, stride: stride)
    for n in 0..<batch {
      for p in 0..<outHeight {
        for q in 0..<outWidth {
          var window: [(r: Int, s: Int)] = []
          for r in 0..<height where r >= p * stride && r < p * stride + kernelSize {
            for s in 0..<width where s >= q * stride && s < q * stride + kernelSize { window.append((r, s)) }
          }
          for (r, s) in window {
            for c in 0..<channels {
              body(((n * height + r) * width + s) * channels + c, ((n * outHeight + p) * outWidth + q) * channels + c, window.count)
            }
          }
        }
      }
    }
  }
}

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
    let outHeight = AveragePool.outputSide(height, kernelSize: kernelSize, stride: stride)
    let outWidth = AveragePool.outputSide(width, kernelSize: kernelSize, stride: stride)
    for n in 0..<batch {
      for p in 0..<outHeight {
        let rows = (p * stride)..<min(p * stride + kernelSize, height)
        for q in 0..<outWidth {
          let columns = (q * stride)..<min(q * stride + kernelSize, width)
          let out = y + ((n * outHeight + p) * outWidth + q) * channels
          out.update(repeating: 0, count: channels)
          for r in rows {
            for s in columns {
              let input = x + ((n * height + r) * width + s) * channels
              for c in 0..<channels { out[c] += input[c] }
            }
          }
          let inverse = 1 / Float(rows.count * columns.count)
          for c in 0..<channels { out[c] *= inverse }
        }
      }
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
    let outHeight = AveragePool.outputSide(height, kernelSize: kernelSize, stride: stride)
    let outWidth = AveragePool.outputSide(width, kernelSize: kernelSize, stride: stride)
    dx.update(repeating: 0, count: batch * height * width * channels)
    for n in 0..<batch {
      for p in 0..<outHeight {
        let rows = (p * stride)..<min(p * stride + kernelSize, height)
        for q in 0..<outWidth {
          let columns = (q * stride)..<min(q * stride + kernelSize, width)
          let gradient = dy + ((n * outHeight + p) * outWidth + q) * channels
          let inverse = 1 / Float(rows.count * columns.count)
          for r in rows {
            for s in columns {
              let input = dx + ((n * height + r) * width + s) * channels
              for c in 0..<channels { input[c] += gradient[c] * inverse }
            }
          }
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
    let outHeight = AveragePool.outputSide(height, kernelSize: kernelSize, stride: stride)
    let outWidth = AveragePool.outputSide(width, kernelSize: kernelSize, stride: stride)
    for n in 0..<batch {
      for c in 0..<channels {
        for p in 0..<outHeight {
          for q in 0..<outWidth {
            var sum: Double = 0
            var count = 0
            for r in 0..<height where r >= p * stride && r < p * stride + kernelSize {
              for s in 0..<width where s >= q * stride && s < q * stride + kernelSize {
                sum += Double(x[((n * height + r) * width + s) * channels + c])
                count += 1
              }
            }
            y[((n * outHeight + p) * outWidth + q) * channels + c] = Float(sum / Double(count))
          }
        }
      }
    }
  }

  /// Backward of average pooling, naive reference: each input gathers dy / count from every
  /// output window that contains it.
  static func naiveAveragePoolBackward(
    batch: Int, height: Int, width: Int, channels: Int, kernelSize: Int, stride: Int,
    dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>
  ) {
    let outHeight = AveragePool.outputSide(height, kernelSize: kernelSize, stride: stride)
    let outWidth = AveragePool.outputSide(width, kernelSize: kernelSize, stride: stride)
    for n in 0..<batch {
      for r in 0..<height {
        for s in 0..<width {
          for c in 0..<channels {
            var sum: Double = 0
            for p in 0..<outHeight where r >= p * stride && r < p * stride + kernelSize {
              for q in 0..<outWidth where s >= q * stride && s < q * stride + kernelSize {
                let rows = min(p * stride + kernelSize, height) - p * stride
                let columns = min(q * stride + kernelSize, width) - q * stride
                sum += Double(dy[((n * outHeight + p) * outWidth + q) * channels + c]) / Double(rows * columns)
              }
            }
            dx[((n * height + r) * width + s) * channels + c] = Float(sum)
          }
        }
      }
    }
  }
}

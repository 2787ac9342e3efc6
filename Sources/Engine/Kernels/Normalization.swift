// Batch normalization and per-channel affine kernels on channels-last tensors.

extension Kernels {
  /// Per-channel affine map with optional ReLU: y = relu?(x · scale[c] + shift[c]).
  ///
  /// x, y (M, C) where M = N·H·W; scale, shift (C). `y` may alias `x`.
  static func channelAffine(
    rows: Int, channels: Int, x: UnsafePointer<Float>, scale: UnsafePointer<Float>,
    shift: UnsafePointer<Float>, relu: Bool, y: UnsafeMutablePointer<Float>
  ) {
    let chunks = rows >= 256 ? EngineThreads.count * 4 : 1
    parallelFor(chunks) { chunk in
      let start = rows * chunk / chunks
      let end = rows * (chunk + 1) / chunks
      for m in start..<end {
        let base = m * channels
        if relu {
          for c in 0..<channels { y[base + c] = max(x[base + c] * scale[c] + shift[c], 0) }
        } else {
          for c in 0..<channels { y[base + c] = x[base + c] * scale[c] + shift[c] }
        }
      }
    }
  }

  /// Per-channel mean and biased variance of x (M, C), accumulated in Double.
  ///
  /// - Complexity: O(M·C), two passes.
  static func channelMoments(
    rows: Int, channels: Int, x: UnsafePointer<Float>
  ) -> (mean: [Double], variance: [Double]) {
    var sum = [Double](repeating: 0, count: channels)
    for m in 0..<rows {
      let base = m * channels
      for c in 0..<channels { sum[c] += Double(x[base + c]) }
    }
    let mean = sum.map { $0 / Double(max(rows, 1)) }
    var squares = [Double](repeating: 0, count: channels)
    for m in 0..<rows {
      let base = m * channels
      for c in 0..<channels {
        let d = Double(x[base + c]) - mean[c]
        squares[c] += d * d
      }
    }
    return (mean, squares.map { $0 / Double(max(rows, 1)) })
  }

  /// Backward of batch normalization in training mode (batch statistics).
  ///
  /// x, dy, dx (M, C); gamma, invStd, mean (C). Writes dx and returns (dGamma, dBeta):
  /// x̂ = (x − mean)·invStd, dγ = Σ dy·x̂, dβ = Σ dy,
  /// dx = γ·invStd/M · (M·dy − dβ − x̂·dγ).
  static func batchNormTrainingBackward(
    rows: Int, channels: Int, x: UnsafePointer<Float>, dy: UnsafePointer<Float>,
    gamma: [Float], mean: [Float], invStd: [Float], dx: UnsafeMutablePointer<Float>?
  ) -> (dGamma: [Float], dBeta: [Float]) {
    var dGamma = [Double](repeating: 0, count: channels)
    var dBeta = [Double](repeating: 0, count: channels)
    for m in 0..<rows {
      let base = m * channels
      for c in 0..<channels {
        let g = Double(dy[base + c])
        dBeta[c] += g
        dGamma[c] += g * Double((x[base + c] - mean[c]) * invStd[c])
      }
    }
    if let dx {
      let count = Float(rows)
      var a = [Float](repeating: 0, count: channels)
      var b = [Float](repeating: 0, count: channels)
      for c in 0..<channels {
        a[c] = gamma[c] * invStd[c] / count
        b[c] = Float(dBeta[c])
      }
      let g = dGamma.map { Float($0) }
      for m in 0..<rows {
        let base = m * channels
        for c in 0..<channels {
          let xhat = (x[base + c] - mean[c]) * invStd[c]
          dx[base + c] = a[c] * (count * dy[base + c] - b[c] - xhat * g[c])
        }
      }
    }
    return (dGamma.map { Float($0) }, dBeta.map { Float($0) })
  }

  /// Backward of a per-channel affine map y = x·scale + shift (batch norm in inference mode).
  ///
  /// x, dy, dx (M, C). Returns (Σ dy·x̂, Σ dy) with x̂ = (x − mean)·invStd, the gradients of γ and β.
  static func batchNormInferenceBackward(
    rows: Int, channels: Int, x: UnsafePointer<Float>, dy: UnsafePointer<Float>,
    scale: [Float], mean: [Float], invStd: [Float], dx: UnsafeMutablePointer<Float>?,
    parameterGradients: Bool
  ) -> (dGamma: [Float], dBeta: [Float]) {
    if let dx {
      scale.withUnsafeBufferPointer { s in
        for m in 0..<rows {
          let base = m * channels
          for c in 0..<channels { dx[base + c] = dy[base + c] * s[c] }
        }
      }
    }
    guard parameterGradients else { return ([], []) }
    var dGamma = [Double](repeating: 0, count: channels)
    var dBeta = [Double](repeating: 0, count: channels)
    for m in 0..<rows {
      let base = m * channels
      for c in 0..<channels {
        let g = Double(dy[base + c])
        dBeta[c] += g
        dGamma[c] += g * Double((x[base + c] - mean[c]) * invStd[c])
      }
    }
    return (dGamma.map { Float($0) }, dBeta.map { Float($0) })
  }
}

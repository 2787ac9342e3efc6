// Naive batch-normalization kernels: the specification that the fast kernels in
// Normalization.swift are tested against. Scalar loops, one thread, each channel's sum
// accumulated in Double row by row within the same fixed row ranges the fast kernels use
// (`parallelRangeCount(rows, minimumPerRange: 1024)`), the ranges' sums added in range order.

extension Kernels {
  /// The fixed row ranges of the batch-norm reductions, in order.
  static func naiveReductionRanges(rows: Int) -> [Range<Int>] {
    let ranges = parallelRangeCount(rows, minimumPerRange: 1024)
    return (0..<ranges).map { r in (rows * r / ranges)..<(rows * (r + 1) / ranges) }
  }

  /// `channelAffine`, naive reference: y = relu?(addend + (x · scale[c] + shift[c])), relu as
  /// `max(v, 0)`.
  ///
  /// x, y, addend (M, C); scale, shift (C). `y` may alias `x` or `addend`.
  static func naiveChannelAffine(
    rows: Int, channels: Int, x: UnsafePointer<Float>, scale: UnsafePointer<Float>,
    shift: UnsafePointer<Float>, addend: UnsafePointer<Float>? = nil, relu: Bool,
    y: UnsafeMutablePointer<Float>
  ) {
    for m in 0..<rows {
      for c in 0..<channels {
        let i = m * channels + c
        var v = x[i] * scale[c] + shift[c]
        if let addend { v = addend[i] + v }
        y[i] = relu ? max(v, 0) : v
      }
    }
  }

  /// `channelMoments`, naive reference: per-channel mean and biased variance of x (M, C), two
  /// passes (the squared deviations from the mean in the second).
  static func naiveChannelMoments(rows: Int, channels: Int, x: UnsafePointer<Float>)
    -> (mean: [Double], variance: [Double])
  {
    let ranges = naiveReductionRanges(rows: rows)
    var mean = [Double](repeating: 0, count: channels)
    for range in ranges {
      var sums = [Double](repeating: 0, count: channels)
      for m in range { for c in 0..<channels { sums[c] += Double(x[m * channels + c]) } }
      for c in 0..<channels { mean[c] += sums[c] }
    }
    mean = mean.map { $0 / Double(max(rows, 1)) }
    var variance = [Double](repeating: 0, count: channels)
    for range in ranges {
      var sums = [Double](repeating: 0, count: channels)
      for m in range {
        for c in 0..<channels {
          let d = Double(x[m * channels + c]) - mean[c]
          sums[c] += d * d
        }
      }
      for c in 0..<channels { variance[c] += sums[c] }
    }
    return (mean, variance.map { $0 / Double(max(rows, 1)) })
  }

  /// `channelGradientSums`, naive reference: per-channel Σ dy·(x − mean)·invStd and Σ dy, dy
  /// taken as 0 where `mask` ≤ 0.
  static func naiveChannelGradientSums(
    rows: Int, channels: Int, x: UnsafePointer<Float>, dy: UnsafePointer<Float>, mask: UnsafePointer<Float>?,
    mean: [Float], invStd: [Float]
  ) -> (dGamma: [Double], dBeta: [Double]) {
    var dGamma = [Double](repeating: 0, count: channels)
    var dBeta = [Double](repeating: 0, count: channels)
    for range in naiveReductionRanges(rows: rows) {
      var gammaSums = [Double](repeating: 0, count: channels)
      var betaSums = [Double](repeating: 0, count: channels)
      for m in range {
        for c in 0..<channels {
          let i = m * channels + c
          let g = Double(mask.map { $0[i] > 0 } ?? true ? dy[i] : 0)
          betaSums[c] += g
          gammaSums[c] += g * Double((x[i] - mean[c]) * invStd[c])
        }
      }
      for c in 0..<channels {
        dGamma[c] += gammaSums[c]
        dBeta[c] += betaSums[c]
      }
    }
    return (dGamma, dBeta)
  }

  /// `batchNormTrainingBackward`, naive reference: dx = γ·invStd/M · (M·dy − dβ − x̂·dγ) with
  /// x̂ = (x − mean)·invStd, dy taken as 0 where `mask` ≤ 0; returns (dγ, dβ).
  static func naiveBatchNormTrainingBackward(
    rows: Int, channels: Int, x: UnsafePointer<Float>, dy: UnsafePointer<Float>, mask: UnsafePointer<Float>?,
    gamma: [Float], mean: [Float], invStd: [Float], dx: UnsafeMutablePointer<Float>
  ) -> (dGamma: [Float], dBeta: [Float]) {
    let (dGamma, dBeta) = naiveChannelGradientSums(
      rows: rows, channels: channels, x: x, dy: dy, mask: mask, mean: mean, invStd: invStd)
    let count = Float(rows)
    for m in 0..<rows {
      for c in 0..<channels {
        let i = m * channels + c
        let a = gamma[c] * invStd[c] / count
        let xhat = (x[i] - mean[c]) * invStd[c]
        let d = mask.map { $0[i] > 0 } ?? true ? dy[i] : 0
        dx[i] = a * (count * d - Float(dBeta[c]) - xhat * Float(dGamma[c]))
      }
    }
    return (dGamma.map { Float($0) }, dBeta.map { Float($0) })
  }
}

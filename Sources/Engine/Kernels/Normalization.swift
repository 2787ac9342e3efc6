// Batch normalization and per-channel affine kernels on channels-last tensors.

/// Runs a per-channel reduction over rows (M, C) in parallel: `body(r, rows, channels)` adds rows
/// `rows` of channels `channels` into partial sum `r` of `parallelRangeCount(rows,
/// minimumPerRange: 1024)`. Large inputs are split into those fixed row ranges (combined in
/// range order by the caller); an input too small to split (one range, e.g. batch 1) is split
/// over channels instead, each channel still summed over every row in order. Either way the sums
/// do not depend on the thread count.
@inline(__always)
func parallelChannelRanges(rows: Int, channels: Int, _ body: (Int, Range<Int>, Range<Int>) -> Void) {
  let ranges = parallelRangeCount(rows, minimumPerRange: 1024)
  guard ranges == 1 else {
    parallelIndexedRanges(rows, minimumPerRange: 1024) { r, range in body(r, range, 0..<channels) }
    return
  }
  // Groups of at least 8 channels, and only when there is enough work to share.
  let threads = EngineThreads.count
  let groups = threads > 1 && rows * channels >= 8192 ? min(channels / 8, 2 * threads) : 1
  parallelFor(max(1, groups)) { g in
    body(0, 0..<rows, (channels * g / max(1, groups))..<(channels * (g + 1) / max(1, groups)))
  }
}

/// Eight doubles from `pointer` (unaligned).
@inline(__always)
func loadDoubles(_ pointer: UnsafePointer<Double>) -> SIMD8<Double> {
  UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Double>.self)
}

@inline(__always)
func storeDoubles(_ value: SIMD8<Double>, _ pointer: UnsafeMutablePointer<Double>) {
  UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD8<Double>.self)
}

/// Sixteen floats as two vectors of eight doubles (exact), lanes 0–7 and 8–15: two vector
/// conversions (`vcvtps2pd`).
@inline(__always)
func widen(_ v: SIMD16<Float>) -> (SIMD8<Double>, SIMD8<Double>) {
  (SIMD8<Double>(v.lowHalf), SIMD8<Double>(v.highHalf))
}

extension Kernels {
  /// Per-channel affine map, optionally plus an addend, with optional ReLU:
  /// y = relu?(addend + (x · scale[c] + shift[c])).
  ///
  /// x, y, addend (M, C) where M = N·H·W; scale, shift (C). `y` may alias `x` or `addend`.
  /// With an addend it is a residual block's last batch norm, its addition and its ReLU in one
  /// pass: the same bits as `channelAffine` then `add(addend, ·)` then `relu`.
  static func channelAffine(
    rows: Int, channels: Int, x: UnsafePointer<Float>, scale: UnsafePointer<Float>,
    shift: UnsafePointer<Float>, addend: UnsafePointer<Float>? = nil, relu: Bool,
    y: UnsafeMutablePointer<Float>
  ) {
    let chunks = rows >= 256 ? EngineThreads.count * 4 : 1
    parallelFor(chunks) { chunk in
      let start = rows * chunk / chunks
      let end = rows * (chunk + 1) / chunks
      if channels % 16 == 0 {
        // 16 channels per vector: the same operations as the loops below (`max(v, 0)` is
        // `0 >= v ? 0 : v`: −0 becomes +0, NaN stays), which the compiler does not vectorize
        // because y may alias x.
        for m in start..<end {
          let base = m * channels
          for c in stride(from: 0, to: channels, by: 16) {
            var v = loadPanel(x + base + c) * loadPanel(scale + c) + loadPanel(shift + c)
            if let addend { v = loadPanel(addend + base + c) + v }
            if relu { v.replace(with: SIMD16<Float>(), where: v .<= SIMD16<Float>()) }
            storePanel(v, y + base + c)
          }
        }
        return
      }
      for m in start..<end {
        let base = m * channels
        if let addend {
          for c in 0..<channels {
            let v = addend[base + c] + (x[base + c] * scale[c] + shift[c])
            y[base + c] = relu ? max(v, 0) : v
          }
        } else if relu {
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
    // Per-range partial sums, combined in range order: deterministic for any thread count.
    let ranges = parallelRangeCount(rows, minimumPerRange: 1024)
    var partial = [Double](repeating: 0, count: ranges * channels)
    partial.withUnsafeMutableBufferPointer { p in
      let base = p.baseAddress!
      parallelChannelRanges(rows: rows, channels: channels) { r, range, cs in
        let sums = base + r * channels
        // 16 channels per vector in Double, rows in order: each channel's sum in the scalar
        // loop's order (the same bits), then the channels left over.
        let vectorEnd = cs.lowerBound + (cs.count / 16) * 16
        for c in stride(from: cs.lowerBound, to: vectorEnd, by: 16) {
          var (low, high) = (loadDoubles(sums + c), loadDoubles(sums + c + 8))
          for m in range {
            let (l, h) = widen(loadPanel(x + m * channels + c))
            low += l
            high += h
          }
          storeDoubles(low, sums + c)
          storeDoubles(high, sums + c + 8)
        }
        for m in range {
          let row = m * channels
          for c in vectorEnd..<cs.upperBound { sums[c] += Double(x[row + c]) }
        }
      }
    }
    var mean = [Double](repeating: 0, count: channels)
    for r in 0..<ranges { for c in 0..<channels { mean[c] += partial[r * channels + c] } }
    mean = mean.map { $0 / Double(max(rows, 1)) }
    partial = [Double](repeating: 0, count: ranges * channels)
    partial.withUnsafeMutableBufferPointer { p in
      let base = p.baseAddress!
      mean.withUnsafeBufferPointer { mu in
        parallelChannelRanges(rows: rows, channels: channels) { r, range, cs in
          let squares = base + r * channels
          let vectorEnd = cs.lowerBound + (cs.count / 16) * 16
          for c in stride(from: cs.lowerBound, to: vectorEnd, by: 16) {
            var (low, high) = (loadDoubles(squares + c), loadDoubles(squares + c + 8))
            let (muLow, muHigh) = (loadDoubles(mu.baseAddress! + c), loadDoubles(mu.baseAddress! + c + 8))
            for m in range {
              let (l, h) = widen(loadPanel(x + m * channels + c))
              let (dl, dh) = (l - muLow, h - muHigh)
              low += dl * dl
              high += dh * dh
            }
            storeDoubles(low, squares + c)
            storeDoubles(high, squares + c + 8)
          }
          for m in range {
            let row = m * channels
            for c in vectorEnd..<cs.upperBound {
              let d = Double(x[row + c]) - mu[c]
              squares[c] += d * d
            }
          }
        }
      }
    }
    var variance = [Double](repeating: 0, count: channels)
    for r in 0..<ranges { for c in 0..<channels { variance[c] += partial[r * channels + c] } }
    return (mean, variance.map { $0 / Double(max(rows, 1)) })
  }

  /// Per-channel Σ dy and Σ dy·(x − mean)·invStd over rows, accumulated in Double per range and
  /// combined in range order.
  ///
  /// With `mask` (M, C), dy counts only where mask > 0: the backward of a ReLU whose output (or
  /// input) is `mask`, fused into this pass.
  static func channelGradientSums(
    rows: Int, channels: Int, x: UnsafePointer<Float>, dy: UnsafePointer<Float>, mask: UnsafePointer<Float>? = nil,
    mean: [Float], invStd: [Float]
  ) -> (dGamma: [Double], dBeta: [Double]) {
    let ranges = parallelRangeCount(rows, minimumPerRange: 1024)
    var partial = [Double](repeating: 0, count: ranges * channels * 2)
    partial.withUnsafeMutableBufferPointer { p in
      let base = p.baseAddress!
      mean.withUnsafeBufferPointer { mu in
        invStd.withUnsafeBufferPointer { inv in
          parallelChannelRanges(rows: rows, channels: channels) { r, range, cs in
            let gammaSums = base + r * channels * 2
            let betaSums = gammaSums + channels
            // 16 channels per vector in Double, rows outer (one pass over the rows, the sums
            // in L1): each channel's sums in the scalar loop's order and with its operations
            // (the same bits), then the channels left over.
            let vectorEnd = cs.lowerBound + (cs.count / 16) * 16
            let (mu, inv) = (mu.baseAddress!, inv.baseAddress!)
            @inline(__always) func terms(_ row: Int, _ c: Int) -> (SIMD8<Double>, SIMD8<Double>, SIMD8<Double>, SIMD8<Double>) {
              var g = loadPanel(dy + row + c)
              if let mask {
                g = SIMD16<Float>().replacing(with: g, where: loadPanel(mask + row + c) .> 0)
              }
              let (gLow, gHigh) = widen(g)
              let (xLow, xHigh) = widen((loadPanel(x + row + c) - loadPanel(mu + c)) * loadPanel(inv + c))
              return (gLow, gHigh, gLow * xLow, gHigh * xHigh)
            }
            if cs.count == 16 {
              // One vector of channels: its four sums stay in registers.
              let c = cs.lowerBound
              var (b0, b1) = (loadDoubles(betaSums + c), loadDoubles(betaSums + c + 8))
              var (g0, g1) = (loadDoubles(gammaSums + c), loadDoubles(gammaSums + c + 8))
              for m in range {
                let (gLow, gHigh, pLow, pHigh) = terms(m * channels, c)
                b0 += gLow
                b1 += gHigh
                g0 += pLow
                g1 += pHigh
              }
              storeDoubles(b0, betaSums + c)
              storeDoubles(b1, betaSums + c + 8)
              storeDoubles(g0, gammaSums + c)
              storeDoubles(g1, gammaSums + c + 8)
              return
            }
            for m in range {
              let row = m * channels
              for c in stride(from: cs.lowerBound, to: vectorEnd, by: 16) {
                let (gLow, gHigh, pLow, pHigh) = terms(row, c)
                storeDoubles(loadDoubles(betaSums + c) + gLow, betaSums + c)
                storeDoubles(loadDoubles(betaSums + c + 8) + gHigh, betaSums + c + 8)
                storeDoubles(loadDoubles(gammaSums + c) + pLow, gammaSums + c)
                storeDoubles(loadDoubles(gammaSums + c + 8) + pHigh, gammaSums + c + 8)
              }
              if let mask {
                for c in vectorEnd..<cs.upperBound {
                  let g = Double(mask[row + c] > 0 ? dy[row + c] : 0)
                  betaSums[c] += g
                  gammaSums[c] += g * Double((x[row + c] - mu[c]) * inv[c])
                }
              } else {
                for c in vectorEnd..<cs.upperBound {
                  let g = Double(dy[row + c])
                  betaSums[c] += g
                  gammaSums[c] += g * Double((x[row + c] - mu[c]) * inv[c])
                }
              }
            }
          }
        }
      }
    }
    var dGamma = [Double](repeating: 0, count: channels)
    var dBeta = [Double](repeating: 0, count: channels)
    for r in 0..<ranges {
      for c in 0..<channels {
        dGamma[c] += partial[r * channels * 2 + c]
        dBeta[c] += partial[r * channels * 2 + channels + c]
      }
    }
    return (dGamma, dBeta)
  }

  /// Backward of batch normalization in training mode (batch statistics).
  ///
  /// x, dy, dx (M, C); gamma, invStd, mean (C). Writes dx and returns (dGamma, dBeta):
  /// x̂ = (x − mean)·invStd, dγ = Σ dy·x̂, dβ = Σ dy,
  /// dx = γ·invStd/M · (M·dy − dβ − x̂·dγ).
  /// With `mask` (M, C) the batch norm was followed by a ReLU with output `mask` and dy is the
  /// gradient after it: dy is taken as 0 where mask ≤ 0 (`reluBackward` fused, same results).
  /// `dx` may alias `dy`.
  /// - Complexity: O(M·C), two passes over x and dy.
  static func batchNormTrainingBackward(
    rows: Int, channels: Int, x: UnsafePointer<Float>, dy: UnsafePointer<Float>, mask: UnsafePointer<Float>? = nil,
    gamma: [Float], mean: [Float], invStd: [Float], dx: UnsafeMutablePointer<Float>?
  ) -> (dGamma: [Float], dBeta: [Float]) {
    let (dGamma, dBeta) = channelGradientSums(
      rows: rows, channels: channels, x: x, dy: dy, mask: mask, mean: mean, invStd: invStd)
    if let dx {
      let count = Float(rows)
      var a = [Float](repeating: 0, count: channels)
      var b = [Float](repeating: 0, count: channels)
      for c in 0..<channels {
        a[c] = gamma[c] * invStd[c] / count
        b[c] = Float(dBeta[c])
      }
      let g = dGamma.map { Float($0) }
      // Per-channel constants in one table: a, b, γ-sum, mean, invStd.
      var table = [Float](repeating: 0, count: 5 * channels)
      for c in 0..<channels {
        table[c] = a[c]
        table[channels + c] = b[c]
        table[2 * channels + c] = g[c]
        table[3 * channels + c] = mean[c]
        table[4 * channels + c] = invStd[c]
      }
      table.withUnsafeBufferPointer { t in
        let a = t.baseAddress!, b = a + channels, g = b + channels, mu = g + channels, inv = mu + channels
        parallelRanges(rows, minimumPerRange: 256) { range in
          if channels % 16 == 0 {
            // 16 channels per vector (the same operations, element by element, as the loops below;
            // written out because dx may alias dy, which keeps the compiler from vectorizing).
            let count16 = SIMD16<Float>(repeating: count)
            for m in range {
              let base = m * channels
              for c in stride(from: 0, to: channels, by: 16) {
                let xhat = (loadPanel(x + base + c) - loadPanel(mu + c)) * loadPanel(inv + c)
                var d = loadPanel(dy + base + c)
                if let mask { d.replace(with: 0, where: .!(loadPanel(mask + base + c) .> 0)) }
                let value = loadPanel(a + c) * (count16 * d - loadPanel(b + c) - xhat * loadPanel(g + c))
                storePanel(value, dx + base + c)
              }
            }
            return
          }
          for m in range {
            let base = m * channels
            if let mask {
              for c in 0..<channels {
                let xhat = (x[base + c] - mu[c]) * inv[c]
                let d = mask[base + c] > 0 ? dy[base + c] : 0
                dx[base + c] = a[c] * (count * d - b[c] - xhat * g[c])
              }
            } else {
              for c in 0..<channels {
                let xhat = (x[base + c] - mu[c]) * inv[c]
                dx[base + c] = a[c] * (count * dy[base + c] - b[c] - xhat * g[c])
              }
            }
          }
        }
      }
    }
    return (dGamma.map { Float($0) }, dBeta.map { Float($0) })
  }

  /// Backward of a per-channel affine map y = x·scale + shift (batch norm in inference mode).
  ///
  /// x, dy, dx (M, C). Returns (Σ dy·x̂, Σ dy) with x̂ = (x − mean)·invStd, the gradients of γ and β.
  /// With `mask` (M, C), dy is taken as 0 where mask ≤ 0 (a following ReLU's backward, fused).
  /// `dx` may alias `dy`.
  static func batchNormInferenceBackward(
    rows: Int, channels: Int, x: UnsafePointer<Float>, dy: UnsafePointer<Float>, mask: UnsafePointer<Float>? = nil,
    scale: [Float], mean: [Float], invStd: [Float], dx: UnsafeMutablePointer<Float>?,
    parameterGradients: Bool
  ) -> (dGamma: [Float], dBeta: [Float]) {
    // The parameter sums read dy before dx (which may alias it) is written.
    var sums: (dGamma: [Double], dBeta: [Double]) = ([], [])
    if parameterGradients {
      sums = channelGradientSums(rows: rows, channels: channels, x: x, dy: dy, mask: mask, mean: mean, invStd: invStd)
    }
    if let dx {
      scale.withUnsafeBufferPointer { s in
        let s = s.baseAddress!
        parallelRanges(rows, minimumPerRange: 256) { range in
          if channels % 16 == 0 {
            // 16 channels per vector, the same products (dx may alias dy, so written out).
            for m in range {
              let base = m * channels
              for c in stride(from: 0, to: channels, by: 16) {
                var d = loadPanel(dy + base + c)
                if let mask { d.replace(with: 0, where: .!(loadPanel(mask + base + c) .> 0)) }
                storePanel(d * loadPanel(s + c), dx + base + c)
              }
            }
            return
          }
          for m in range {
            let base = m * channels
            if let mask {
              for c in 0..<channels { dx[base + c] = (mask[base + c] > 0 ? dy[base + c] : 0) * s[c] }
            } else {
              for c in 0..<channels { dx[base + c] = dy[base + c] * s[c] }
            }
          }
        }
      }
    }
    guard parameterGradients else { return ([], []) }
    return (sums.dGamma.map { Float($0) }, sums.dBeta.map { Float($0) })
  }
}

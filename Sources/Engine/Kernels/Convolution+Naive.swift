// Naive convolution kernels: the specification that the fast kernels in Convolution.swift are
// tested against. Direct loops over every output and filter tap, no blocking, no threads.

extension Kernels {
  /// Convolution forward, naive reference.
  ///
  /// input (N, H, W, C), filter (R, S, C, K), bias (K) or nil, residual (N, P, Q, K) or nil,
  /// output (N, P, Q, K): output = relu?(conv(input, filter) + bias + residual).
  static func naiveConvolutionForward(
    _ g: ConvolutionGeometry, input: UnsafePointer<Float>, filter: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?, relu: Bool,
    output: UnsafeMutablePointer<Float>
  ) {
    let (P, Q) = (g.outputHeight, g.outputWidth)
    for n in 0..<g.batch {
      for p in 0..<P {
        for q in 0..<Q {
          for k in 0..<g.outputChannels {
            var sum: Float = bias?[k] ?? 0
            g.forEachTap(n: n, p: p, q: q) { inputBase, filterBase in
              for c in 0..<g.inputChannels {
                sum += input[inputBase + c] * filter[filterBase + c * g.outputChannels + k]
              }
            }
            let o = ((n * P + p) * Q + q) * g.outputChannels + k
            if let residual { sum += residual[o] }
            output[o] = relu ? max(sum, 0) : sum
          }
        }
      }
    }
  }

  /// Gradient of a convolution with respect to its input, naive reference.
  ///
  /// outputGradient (N, P, Q, K), filter (R, S, C, K) → inputGradient (N, H, W, C), overwritten.
  static func naiveConvolutionBackwardInput(
    _ g: ConvolutionGeometry, outputGradient: UnsafePointer<Float>, filter: UnsafePointer<Float>,
    inputGradient: UnsafeMutablePointer<Float>
  ) {
    inputGradient.update(repeating: 0, count: g.inputCount)
    g.forEachTerm { i, o, f in inputGradient[i] += outputGradient[o] * filter[f] }
  }

  /// Gradient of a convolution with respect to its filter, naive reference.
  ///
  /// input (N, H, W, C), outputGradient (N, P, Q, K) → filterGradient (R, S, C, K), overwritten.
  static func naiveConvolutionBackwardFilter(
    _ g: ConvolutionGeometry, input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
    filterGradient: UnsafeMutablePointer<Float>
  ) {
    filterGradient.update(repeating: 0, count: g.filterCount)
    g.forEachTerm { i, o, f in filterGradient[f] += input[i] * outputGradient[o] }
  }
}

extension ConvolutionGeometry {
  /// Calls `body` for every filter tap (r, s) of output position (n, p, q) that falls inside the
  /// input (taps on the zero padding contribute nothing), in row-major (r, s) order, with the
  /// offsets of the input pixel's C channels and of the tap's (C, K) filter slice.
  /// - Complexity: O(R·S) calls.
  @inline(__always)
  fileprivate func forEachTap(n: Int, p: Int, q: Int, _ body: (_ inputBase: Int, _ filterBase: Int) -> Void) {
    for r in 0..<kernelHeight {
      let y = p * stride - padding + r
      if y < 0 || y >= inputHeight { continue }
      for s in 0..<kernelWidth {
        let x = q * stride - padding + s
        if x < 0 || x >= inputWidth { continue }
        body(((n * inputHeight + y) * inputWidth + x) * inputChannels, (r * kernelWidth + s) * inputChannels * outputChannels)
      }
    }
  }

  /// Calls `body` for every term input[n, y, x, c] · filter[r, s, c, k] of every output
  /// [n, p, q, k] (taps on the zero padding left out), with the element offsets of the input,
  /// output and filter elements: outputs in row-major (n, p, q) order, then taps in (r, s) order,
  /// then c, then k.
  /// - Complexity: O(N·P·Q·R·S·C·K) calls.
  @inline(__always)
  fileprivate func forEachTerm(_ body: (_ input: Int, _ output: Int, _ filter: Int) -> Void) {
    for n in 0..<batch {
      for p in 0..<outputHeight {
        for q in 0..<outputWidth {
          let outputBase = ((n * outputHeight + p) * outputWidth + q) * outputChannels
          forEachTap(n: n, p: p, q: q) { inputBase, filterBase in
            for c in 0..<inputChannels {
              for k in 0..<outputChannels { body(inputBase + c, outputBase + k, filterBase + c * outputChannels + k) }
            }
          }
        }
      }
    }
  }
}

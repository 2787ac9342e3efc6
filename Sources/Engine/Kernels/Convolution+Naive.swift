// Naive convolution kernels: the specification that the fast kernels in Convolution.swift are
// tested against. Direct seven-deep loops, no blocking, no threads.

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
            for r in 0..<g.kernelHeight {
              let y = p * g.stride - g.padding + r
              if y < 0 || y >= g.inputHeight { continue }
              for s in 0..<g.kernelWidth {
                let x = q * g.stride - g.padding + s
                if x < 0 || x >= g.inputWidth { continue }
                let inputBase = ((n * g.inputHeight + y) * g.inputWidth + x) * g.inputChannels
                let filterBase = (r * g.kernelWidth + s) * g.inputChannels * g.outputChannels
                for c in 0..<g.inputChannels {
                  sum += input[inputBase + c] * filter[filterBase + c * g.outputChannels + k]
                }
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
    let (P, Q) = (g.outputHeight, g.outputWidth)
    inputGradient.update(repeating: 0, count: g.inputCount)
    for n in 0..<g.batch {
      for p in 0..<P {
        for q in 0..<Q {
          for r in 0..<g.kernelHeight {
            let y = p * g.stride - g.padding + r
            if y < 0 || y >= g.inputHeight { continue }
            for s in 0..<g.kernelWidth {
              let x = q * g.stride - g.padding + s
              if x < 0 || x >= g.inputWidth { continue }
              let inputBase = ((n * g.inputHeight + y) * g.inputWidth + x) * g.inputChannels
              let filterBase = (r * g.kernelWidth + s) * g.inputChannels * g.outputChannels
              let outputBase = ((n * P + p) * Q + q) * g.outputChannels
              for c in 0..<g.inputChannels {
                var sum: Float = 0
                for k in 0..<g.outputChannels {
                  sum += outputGradient[outputBase + k] * filter[filterBase + c * g.outputChannels + k]
                }
                inputGradient[inputBase + c] += sum
              }
            }
          }
        }
      }
    }
  }

  /// Gradient of a convolution with respect to its filter, naive reference.
  ///
  /// input (N, H, W, C), outputGradient (N, P, Q, K) → filterGradient (R, S, C, K), overwritten.
  static func naiveConvolutionBackwardFilter(
    _ g: ConvolutionGeometry, input: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
    filterGradient: UnsafeMutablePointer<Float>
  ) {
    let (P, Q) = (g.outputHeight, g.outputWidth)
    filterGradient.update(repeating: 0, count: g.filterCount)
    for n in 0..<g.batch {
      for p in 0..<P {
        for q in 0..<Q {
          let outputBase = ((n * P + p) * Q + q) * g.outputChannels
          for r in 0..<g.kernelHeight {
            let y = p * g.stride - g.padding + r
            if y < 0 || y >= g.inputHeight { continue }
            for s in 0..<g.kernelWidth {
              let x = q * g.stride - g.padding + s
              if x < 0 || x >= g.inputWidth { continue }
              let inputBase = ((n * g.inputHeight + y) * g.inputWidth + x) * g.inputChannels
              let filterBase = (r * g.kernelWidth + s) * g.inputChannels * g.outputChannels
              for c in 0..<g.inputChannels {
                let a = input[inputBase + c]
                for k in 0..<g.outputChannels {
                  filterGradient[filterBase + c * g.outputChannels + k] += a * outputGradient[outputBase + k]
                }
              }
            }
          }
        }
      }
    }
  }
}

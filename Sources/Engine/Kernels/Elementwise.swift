// Element-wise, pooling, linear and loss kernels on channels-last tensors.

extension Kernels {
  /// y = max(x, 0); x, y (count). `y` may alias `x`.
  static func relu(count: Int, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
    parallelRanges(count, minimumPerRange: 1 << 13) { range in
      for i in range { y[i] = max(x[i], 0) }
    }
  }

  /// dx = dy where x > 0, else 0 (PyTorch's convention at 0). `dx` may alias `dy`.
  static func reluBackward(
    count: Int, x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>
  ) {
    parallelRanges(count, minimumPerRange: 1 << 13) { range in
      for i in range { dx[i] = x[i] > 0 ? dy[i] : 0 }
    }
  }

  /// y = a + b; all (count). `y` may alias `a` or `b`.
  static func add(count: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
    parallelRanges(count, minimumPerRange: 1 << 13) { range in
      for i in range { y[i] = a[i] + b[i] }
    }
  }

  /// y = a + b where mask > 0, else 0: `add` followed by `reluBackward` with x = mask, in one
  /// pass (the same bits). All (count); `y` may alias `a` or `b`.
  static func maskedAdd(
    count: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, mask: UnsafePointer<Float>,
    y: UnsafeMutablePointer<Float>
  ) {
    parallelRanges(count, minimumPerRange: 1 << 13) { range in
      for i in range {
        let sum = a[i] + b[i]
        y[i] = mask[i] > 0 ? sum : 0
      }
    }
  }

  /// Option-A shortcut (He et al. 2016): keep every `stride`-th row and column starting at 0,
  /// then pad `before` zero channels in front and `after` behind.
  ///
  /// x (N, H, W, C) → y (N, ⌈H/stride⌉, ⌈W/stride⌉, before + C + after).
  static func subsampleAndPad(
    batch: Int, height: Int, width: Int, channels: Int, stride: Int, before: Int, after: Int,
    x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>
  ) {
    let outHeight = (height + stride - 1) / stride
    let outWidth = (width + stride - 1) / stride
    let outChannels = before + channels + after
    for n in 0..<batch {
      for p in 0..<outHeight {
        for q in 0..<outWidth {
          let o = ((n * outHeight + p) * outWidth + q) * outChannels
          let i = ((n * height + p * stride) * width + q * stride) * channels
          for c in 0..<before { y[o + c] = 0 }
          for c in 0..<channels { y[o + before + c] = x[i + c] }
          for c in 0..<after { y[o + before + channels + c] = 0 }
        }
      }
    }
  }

  /// Backward of `subsampleAndPad`: dy (N, P, Q, before + C + after) → dx (N, H, W, C), overwritten.
  static func subsampleAndPadBackward(
    batch: Int, height: Int, width: Int, channels: Int, stride: Int, before: Int, after: Int,
    dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>
  ) {
    let outHeight = (height + stride - 1) / stride
    let outWidth = (width + stride - 1) / stride
    let outChannels = before + channels + after
    dx.update(repeating: 0, count: batch * height * width * channels)
    for n in 0..<batch {
      for p in 0..<outHeight {
        for q in 0..<outWidth {
          let o = ((n * outHeight + p) * outWidth + q) * outChannels
          let i = ((n * height + p * stride) * width + q * stride) * channels
          for c in 0..<channels { dx[i + c] = dy[o + before + c] }
        }
      }
    }
  }

  /// Max pooling with a square window; padded positions never win (PyTorch semantics: the first
  /// maximum in row-major window order wins ties).
  ///
  /// x (N, H, W, C) → y (N, P, Q, C); `argmax` (N, P, Q, C) receives the flat input index of the
  /// winner, or −1 if the window held only padding.
  static func maxPool(
    batch: Int, height: Int, width: Int, channels: Int, kernelSize: Int, stride: Int, padding: Int,
    x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>?
  ) {
    let outHeight = (height + 2 * padding - kernelSize) / stride + 1
    let outWidth = (width + 2 * padding - kernelSize) / stride + 1
    for n in 0..<batch {
      for p in 0..<outHeight {
        for q in 0..<outWidth {
          let o = ((n * outHeight + p) * outWidth + q) * channels
          for c in 0..<channels {
            var best = -Float.infinity
            var bestIndex: Int32 = -1
            for r in 0..<kernelSize {
              let yy = p * stride - padding + r
              if yy < 0 || yy >= height { continue }
              for s in 0..<kernelSize {
                let xx = q * stride - padding + s
                if xx < 0 || xx >= width { continue }
                let index = ((n * height + yy) * width + xx) * channels + c
                let v = x[index]
                if v > best || v.isNaN || bestIndex < 0 {
                  best = v
                  bestIndex = Int32(index)
                  if v.isNaN { break }
                }
              }
            }
            y[o + c] = best
            argmax?[o + c] = bestIndex
          }
        }
      }
    }
  }

  /// Backward of max pooling: routes dy (outputCount) to dx (inputCount) through `argmax`.
  static func maxPoolBackward(
    outputCount: Int, inputCount: Int, argmax: UnsafePointer<Int32>, dy: UnsafePointer<Float>,
    dx: UnsafeMutablePointer<Float>
  ) {
    dx.update(repeating: 0, count: inputCount)
    for o in 0..<outputCount where argmax[o] >= 0 { dx[Int(argmax[o])] += dy[o] }
  }

  /// Global average pooling: x (N, H·W, C) → y (N, C).
  static func globalAveragePool(
    batch: Int, pixels: Int, channels: Int, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>
  ) {
    let inverse = 1 / Float(pixels)
    for n in 0..<batch {
      for c in 0..<channels { y[n * channels + c] = 0 }
      for i in 0..<pixels {
        let base = (n * pixels + i) * channels
        for c in 0..<channels { y[n * channels + c] += x[base + c] }
      }
      for c in 0..<channels { y[n * channels + c] *= inverse }
    }
  }

  /// Backward of global average pooling: dy (N, C) → dx (N, H·W, C).
  static func globalAveragePoolBackward(
    batch: Int, pixels: Int, channels: Int, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>
  ) {
    let inverse = 1 / Float(pixels)
    for n in 0..<batch {
      for i in 0..<pixels {
        let base = (n * pixels + i) * channels
        for c in 0..<channels { dx[base + c] = dy[n * channels + c] * inverse }
      }
    }
  }

  /// Fully connected layer: y = x·Wᵀ + b; x (N, I), weight (O, I), bias (O), y (N, O).
  static func linear(
    batch: Int, inputs: Int, outputs: Int, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>
  ) {
    for n in 0..<batch {
      for o in 0..<outputs {
        var sum: Float = bias?[o] ?? 0
        for i in 0..<inputs { sum += x[n * inputs + i] * weight[o * inputs + i] }
        y[n * outputs + o] = sum
      }
    }
  }

  /// Backward of `linear`: dy (N, O) → dx (N, I) (if non-nil), dW (O, I) and db (O), overwritten.
  static func linearBackward(
    batch: Int, inputs: Int, outputs: Int, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?, dWeight: UnsafeMutablePointer<Float>?,
    dBias: UnsafeMutablePointer<Float>?
  ) {
    if let dx {
      for n in 0..<batch {
        for i in 0..<inputs {
          var sum: Float = 0
          for o in 0..<outputs { sum += dy[n * outputs + o] * weight[o * inputs + i] }
          dx[n * inputs + i] = sum
        }
      }
    }
    if let dWeight {
      for o in 0..<outputs {
        for i in 0..<inputs {
          var sum: Float = 0
          for n in 0..<batch { sum += dy[n * outputs + o] * x[n * inputs + i] }
          dWeight[o * inputs + i] = sum
        }
      }
    }
    if let dBias {
      for o in 0..<outputs {
        var sum: Float = 0
        for n in 0..<batch { sum += dy[n * outputs + o] }
        dBias[o] = sum
      }
    }
  }

  /// Mean softmax cross-entropy over a batch, and its gradient with respect to the logits.
  ///
  /// logits (N, K), labels (N) in 0..<K → (loss, dLogits (N, K)) with dLogits = (softmax − onehot)/N.
  /// Log-sum-exp is computed in Double around the row maximum.
  static func softmaxCrossEntropy(
    batch: Int, classes: Int, logits: UnsafePointer<Float>, labels: UnsafePointer<Int>,
    dLogits: UnsafeMutablePointer<Float>?
  ) -> Double {
    var total: Double = 0
    for n in 0..<batch {
      let row = logits + n * classes
      var maximum = -Float.infinity
      for k in 0..<classes { maximum = max(maximum, row[k]) }
      var sum: Double = 0
      for k in 0..<classes { sum += exp(Double(row[k] - maximum)) }
      let logSum = Double(maximum) + log(sum)
      total += logSum - Double(row[labels[n]])
      if let dLogits {
        for k in 0..<classes {
          let p = exp(Double(row[k]) - logSum)
          dLogits[n * classes + k] = Float((p - (k == labels[n] ? 1 : 0)) / Double(batch))
        }
      }
    }
    return total / Double(max(batch, 1))
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

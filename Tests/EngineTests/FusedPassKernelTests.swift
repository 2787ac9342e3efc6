// Fused element-wise passes of the backward (Normalization.swift) against their unfused twins:
// a ReLU's backward folded into the batch norm's backward must give the same bits as running
// `reluBackward` first, also when dx overwrites dy in place.

import _TestSupport
import XCTest

@testable import Engine

final class FusedPassKernelTests: XCTestCase {
  /// Random (M, C) data: x, the ReLU output used as mask (about half zeros), dy, and per-channel
  /// statistics.
  struct Data {
    var rows: Int
    var channels: Int
    var x: [Float]
    var mask: [Float]
    var dy: [Float]
    var gamma: [Float]
    var mean: [Float]
    var invStd: [Float]

    init(rows: Int, channels: Int, random: inout SplitMix64) {
      self.rows = rows
      self.channels = channels
      x = random.floats(rows * channels)
      mask = random.floats(rows * channels).map { max($0, 0) }
      dy = random.floats(rows * channels)
      gamma = random.floats(channels)
      mean = random.floats(channels).map { $0 / 4 }
      invStd = (0..<channels).map { _ in random.float(0.5, 2) }
    }

    /// dy with the ReLU's backward applied (the unfused first pass).
    var maskedGradient: [Float] {
      var out = [Float](repeating: .nan, count: dy.count)
      mask.withUnsafeBufferPointer { m in
        dy.withUnsafeBufferPointer { d in
          out.withUnsafeMutableBufferPointer {
            Kernels.reluBackward(count: d.count, x: m.baseAddress!, dy: d.baseAddress!, dx: $0.baseAddress!)
          }
        }
      }
      return out
    }
  }

  func bits(_ a: [Float]) -> [UInt32] { a.map(\.bitPattern) }

  /// `maskedAdd` (the backward's final addition with the previous block's ReLU backward fused)
  /// gives the bits of `add` then `reluBackward`, also in place, on more than one parallel range.
  func testMaskedAddEqualsAddThenReLUBackward() {
    var random = SplitMix64(seed: 9)
    let data = Data(rows: 1500, channels: 48, random: &random)
    let other = random.floats(data.dy.count)
    var reference = [Float](repeating: .nan, count: data.dy.count)
    data.dy.withUnsafeBufferPointer { a in
      other.withUnsafeBufferPointer { b in
        data.mask.withUnsafeBufferPointer { m in
          reference.withUnsafeMutableBufferPointer { y in
            Kernels.add(count: a.count, a.baseAddress!, b.baseAddress!, y: y.baseAddress!)
            Kernels.reluBackward(count: a.count, x: m.baseAddress!, dy: y.baseAddress!, dx: y.baseAddress!)
          }
        }
      }
    }
    var fused = data.dy
    fused.withUnsafeMutableBufferPointer { a in
      other.withUnsafeBufferPointer { b in
        data.mask.withUnsafeBufferPointer { m in
          Kernels.maskedAdd(count: a.count, a.baseAddress!, b.baseAddress!, mask: m.baseAddress!, y: a.baseAddress!)
        }
      }
    }
    XCTAssertEqual(bits(fused), bits(reference))
    XCTAssertGreaterThan(reference.filter { $0 == 0 }.count, reference.count / 4, "the mask zeroes about half")
  }

  func testTrainingBackwardWithMaskEqualsReLUBackwardThenBatchNorm() {
    var random = SplitMix64(seed: 15)
    for (rows, channels) in [(7, 3), (3000, 16), (2100, 32), (4100, 33)] {
      let d = Data(rows: rows, channels: channels, random: &random)
      // Unfused twin: reluBackward, then the batch norm without mask.
      let masked = d.maskedGradient
      var reference = [Float](repeating: .nan, count: masked.count)
      let referenceSums = d.x.withUnsafeBufferPointer { x in
        masked.withUnsafeBufferPointer { dy in
          reference.withUnsafeMutableBufferPointer { dx in
            Kernels.batchNormTrainingBackward(
              rows: rows, channels: channels, x: x.baseAddress!, dy: dy.baseAddress!, gamma: d.gamma,
              mean: d.mean, invStd: d.invStd, dx: dx.baseAddress!)
          }
        }
      }
      // Fused, dx overwriting dy.
      var fused = d.dy
      let fusedSums = d.x.withUnsafeBufferPointer { x in
        d.mask.withUnsafeBufferPointer { m in
          fused.withUnsafeMutableBufferPointer { g in
            Kernels.batchNormTrainingBackward(
              rows: rows, channels: channels, x: x.baseAddress!, dy: g.baseAddress!, mask: m.baseAddress!,
              gamma: d.gamma, mean: d.mean, invStd: d.invStd, dx: g.baseAddress!)
          }
        }
      }
      // Scalar twin of dx from the returned sums: dx = γ·invStd/M · (M·dy − dβ − x̂·dγ), in Float
      // in this order (the kernel's vector path must give the same bits).
      var naive = [Float](repeating: .nan, count: masked.count)
      let m = Float(rows)
      for r in 0..<rows {
        for c in 0..<channels {
          let i = r * channels + c
          let xhat = (d.x[i] - d.mean[c]) * d.invStd[c]
          naive[i] = (d.gamma[c] * d.invStd[c] / m) * (m * masked[i] - referenceSums.dBeta[c] - xhat * referenceSums.dGamma[c])
        }
      }
      XCTAssertEqual(bits(reference), bits(naive), "dx against the scalar formula, \(rows)×\(channels)")
      XCTAssertEqual(bits(fused), bits(reference), "dx, \(rows)×\(channels)")
      XCTAssertEqual(bits(fusedSums.dGamma), bits(referenceSums.dGamma), "dγ, \(rows)×\(channels)")
      XCTAssertEqual(bits(fusedSums.dBeta), bits(referenceSums.dBeta), "dβ, \(rows)×\(channels)")
      XCTAssertNotEqual(bits(fused), bits(d.dy), "the gradient changed")
    }
  }

  func testInferenceBackwardWithMaskEqualsReLUBackwardThenBatchNorm() {
    var random = SplitMix64(seed: 16)
    for (rows, channels) in [(5, 4), (2500, 16)] {
      let d = Data(rows: rows, channels: channels, random: &random)
      let scale = (0..<channels).map { d.gamma[$0] * d.invStd[$0] }
      let masked = d.maskedGradient
      var reference = [Float](repeating: .nan, count: masked.count)
      let referenceSums = d.x.withUnsafeBufferPointer { x in
        masked.withUnsafeBufferPointer { dy in
          reference.withUnsafeMutableBufferPointer { dx in
            Kernels.batchNormInferenceBackward(
              rows: rows, channels: channels, x: x.baseAddress!, dy: dy.baseAddress!, scale: scale,
              mean: d.mean, invStd: d.invStd, dx: dx.baseAddress!, parameterGradients: true)
          }
        }
      }
      var fused = d.dy
      let fusedSums = d.x.withUnsafeBufferPointer { x in
        d.mask.withUnsafeBufferPointer { m in
          fused.withUnsafeMutableBufferPointer { g in
            Kernels.batchNormInferenceBackward(
              rows: rows, channels: channels, x: x.baseAddress!, dy: g.baseAddress!, mask: m.baseAddress!,
              scale: scale, mean: d.mean, invStd: d.invStd, dx: g.baseAddress!, parameterGradients: true)
          }
        }
      }
      XCTAssertEqual(bits(fused), bits(reference), "dx, \(rows)×\(channels)")
      XCTAssertEqual(bits(fusedSums.dGamma), bits(referenceSums.dGamma), "dγ, \(rows)×\(channels)")
      XCTAssertEqual(bits(fusedSums.dBeta), bits(referenceSums.dBeta), "dβ, \(rows)×\(channels)")
    }
  }

  func testAllocatorKeepsFreedActivationBuffers() {
    #if canImport(Glibc)
      XCTAssertTrue(AllocatorSettings.apply(), "glibc refused the mmap or trim threshold")
    #endif
  }
}

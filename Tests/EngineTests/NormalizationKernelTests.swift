// The batch-norm kernels of the training passes (Normalization.swift) against their naive twins
// (Normalization+Naive.swift), bit for bit, with 1, 2 and 3 threads: the affine map's 16-channel
// vector path and its scalar fallback for other channel counts, the reductions over one row
// range (split over channels) and several.

import _TestSupport
import XCTest

@testable import Engine

final class NormalizationKernelTests: XCTestCase {
  /// (rows, channels): one range (< 2048 rows) and several; multiples of 16 channels (the affine
  /// map's vector path) and 24 and 8 (its scalar loop).
  let shapes = [(700, 16), (700, 64), (3000, 16), (4100, 32), (2500, 48), (2100, 80), (2048, 128), (2000, 24), (900, 8)]

  func bits(_ a: [Float]) -> [UInt32] { a.map(\.bitPattern) }
  func bits(_ a: [Double]) -> [UInt64] { a.map(\.bitPattern) }

  func testChannelMomentsEqualNaiveTwin() {
    var random = SplitMix64(seed: 21)
    for (rows, channels) in shapes {
      // An offset per channel, so the mean is not near 0 and the second pass matters.
      let x = random.floats(rows * channels).enumerated().map { $0.element + Float($0.offset % channels) }
      let expected = x.withUnsafeBufferPointer {
        Kernels.naiveChannelMoments(rows: rows, channels: channels, x: $0.baseAddress!)
      }
      forEachThreadCount { threads in
        let found = x.withUnsafeBufferPointer {
          Kernels.channelMoments(rows: rows, channels: channels, x: $0.baseAddress!)
        }
        XCTAssertEqual(bits(found.mean), bits(expected.mean), "mean, \(rows)×\(channels), \(threads) threads")
        XCTAssertEqual(
          bits(found.variance), bits(expected.variance), "variance, \(rows)×\(channels), \(threads) threads")
      }
    }
  }

  func testChannelAffineEqualsNaiveTwinAlsoInPlace() {
    var random = SplitMix64(seed: 22)
    for (rows, channels) in shapes {
      var x = random.floats(rows * channels)
      // −0 and exact zeros after the affine map (scale 1, shift 0 on channel 0), and a NaN:
      // `max(v, 0)` turns −0 into +0 and keeps NaN.
      x[0] = -0.0
      x[channels] = 0
      x[2 * channels] = .nan
      var scale = random.floats(channels)
      var shift = random.floats(channels)
      (scale[0], shift[0]) = (1, -0.0)
      for relu in [false, true] {
        var expected = [Float](repeating: .nan, count: x.count)
        Kernels.naiveChannelAffine(
          rows: rows, channels: channels, x: x, scale: scale, shift: shift, relu: relu, y: &expected)
        forEachThreadCount { threads in
          var found = [Float](repeating: .nan, count: x.count)
          Kernels.channelAffine(rows: rows, channels: channels, x: x, scale: scale, shift: shift, relu: relu, y: &found)
          XCTAssertEqual(bits(found), bits(expected), "\(rows)×\(channels), relu \(relu), \(threads) threads")
          var inPlace = x
          inPlace.withUnsafeMutableBufferPointer { y in
            Kernels.channelAffine(
              rows: rows, channels: channels, x: y.baseAddress!, scale: scale, shift: shift, relu: relu,
              y: y.baseAddress!)
          }
          XCTAssertEqual(bits(inPlace), bits(expected), "in place, \(rows)×\(channels), relu \(relu), \(threads) threads")
        }
      }
    }
  }

  /// A block's last batch norm, addition and ReLU in one pass: the naive twin's bits, and the
  /// bits of the three passes it replaces (affine, `add(addend, ·)`, `relu`), also when y is the
  /// addend's buffer.
  func testChannelAffineWithAddendEqualsNaiveTwinAndTheThreePasses() {
    var random = SplitMix64(seed: 23)
    for (rows, channels) in shapes {
      var x = random.floats(rows * channels)
      var addend = random.floats(rows * channels)
      // A sum of exactly −0 (−0 + −0), an exact zero (1 + −1) and a NaN.
      (x[0], addend[0]) = (-0.0, -0.0)
      (x[channels], addend[channels]) = (1, -1)
      x[2 * channels] = .nan
      var scale = random.floats(channels)
      var shift = random.floats(channels)
      (scale[0], shift[0]) = (1, -0.0)
      for relu in [false, true] {
        var expected = [Float](repeating: .nan, count: x.count)
        Kernels.naiveChannelAffine(
          rows: rows, channels: channels, x: x, scale: scale, shift: shift, addend: addend, relu: relu,
          y: &expected)
        var threePasses = [Float](repeating: .nan, count: x.count)
        Kernels.naiveChannelAffine(rows: rows, channels: channels, x: x, scale: scale, shift: shift, relu: false, y: &threePasses)
        threePasses.withUnsafeMutableBufferPointer { y in
          Kernels.add(count: y.count, addend, y.baseAddress!, y: y.baseAddress!)
          if relu { Kernels.relu(count: y.count, x: y.baseAddress!, y: y.baseAddress!) }
        }
        XCTAssertEqual(bits(threePasses), bits(expected), "three passes, \(rows)×\(channels), relu \(relu)")
        forEachThreadCount { threads in
          var found = [Float](repeating: .nan, count: x.count)
          Kernels.channelAffine(
            rows: rows, channels: channels, x: x, scale: scale, shift: shift, addend: addend, relu: relu, y: &found)
          XCTAssertEqual(bits(found), bits(expected), "\(rows)×\(channels), relu \(relu), \(threads) threads")
          var inPlace = addend
          inPlace.withUnsafeMutableBufferPointer { y in
            Kernels.channelAffine(
              rows: rows, channels: channels, x: x, scale: scale, shift: shift, addend: y.baseAddress!,
              relu: relu, y: y.baseAddress!)
          }
          XCTAssertEqual(bits(inPlace), bits(expected), "into the addend, \(rows)×\(channels), relu \(relu), \(threads) threads")
        }
      }
    }
  }

  func testTrainingBackwardEqualsNaiveTwinWithAndWithoutMaskAlsoInPlace() {
    var random = SplitMix64(seed: 23)
    for (rows, channels) in shapes {
      let data = FusedPassKernelTests.Data(rows: rows, channels: channels, random: &random)
      for masked in [false, true] {
        var expected = [Float](repeating: .nan, count: data.dy.count)
        let expectedSums = data.x.withUnsafeBufferPointer { x in
          data.dy.withUnsafeBufferPointer { dy in
            withOptionalPointer(masked ? data.mask : nil) { mask in
              expected.withUnsafeMutableBufferPointer { dx in
                Kernels.naiveBatchNormTrainingBackward(
                  rows: rows, channels: channels, x: x.baseAddress!, dy: dy.baseAddress!, mask: mask,
                  gamma: data.gamma, mean: data.mean, invStd: data.invStd, dx: dx.baseAddress!)
              }
            }
          }
        }
        let expectedRaw = data.x.withUnsafeBufferPointer { x in
          data.dy.withUnsafeBufferPointer { dy in
            withOptionalPointer(masked ? data.mask : nil) { mask in
              Kernels.naiveChannelGradientSums(
                rows: rows, channels: channels, x: x.baseAddress!, dy: dy.baseAddress!, mask: mask,
                mean: data.mean, invStd: data.invStd)
            }
          }
        }
        forEachThreadCount { threads in
          let label = "\(rows)×\(channels), mask \(masked), \(threads) threads"
          let raw = data.x.withUnsafeBufferPointer { x in
            data.dy.withUnsafeBufferPointer { dy in
              withOptionalPointer(masked ? data.mask : nil) { mask in
                Kernels.channelGradientSums(
                  rows: rows, channels: channels, x: x.baseAddress!, dy: dy.baseAddress!, mask: mask,
                  mean: data.mean, invStd: data.invStd)
              }
            }
          }
          XCTAssertEqual(bits(raw.dGamma), bits(expectedRaw.dGamma), "Σ dy·x̂, \(label)")
          XCTAssertEqual(bits(raw.dBeta), bits(expectedRaw.dBeta), "Σ dy, \(label)")
          // dx overwriting dy, as the backward runs it.
          var gradient = data.dy
          let sums = data.x.withUnsafeBufferPointer { x in
            withOptionalPointer(masked ? data.mask : nil) { mask in
              gradient.withUnsafeMutableBufferPointer { d in
                Kernels.batchNormTrainingBackward(
                  rows: rows, channels: channels, x: x.baseAddress!, dy: d.baseAddress!, mask: mask,
                  gamma: data.gamma, mean: data.mean, invStd: data.invStd, dx: d.baseAddress!)
              }
            }
          }
          XCTAssertEqual(bits(gradient), bits(expected), "dx, \(label)")
          XCTAssertEqual(bits(sums.dGamma), bits(expectedSums.dGamma), "dγ, \(label)")
          XCTAssertEqual(bits(sums.dBeta), bits(expectedSums.dBeta), "dβ, \(label)")
        }
      }
    }
  }
}

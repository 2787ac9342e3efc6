// The average-pool kernels (Pooling.swift) against their naive twins and PyTorch's
// `AvgPool2d(2, 2, ceil_mode=True, count_include_pad=False)` worked by hand.

import _TestSupport
import XCTest

@testable import Engine

final class PoolingKernelTests: XCTestCase {
  /// Fast against naive, forward and backward, on even and odd maps (ceil mode's partial
  /// windows), several kernels and strides, 1 and many channels.
  func testAveragePoolMatchesItsNaiveTwin() throws {
    var random = SplitMix64(seed: 14)
    for (height, width, channels, kernel, stride, batch) in [
      (7, 7, 3, 2, 2, 2), (8, 8, 5, 2, 2, 1), (4, 5, 16, 2, 2, 3), (2, 2, 1, 2, 2, 1), (3, 3, 2, 2, 2, 1),
      (9, 6, 4, 3, 2, 2), (5, 5, 7, 3, 3, 1), (6, 7, 2, 2, 1, 2), (13, 11, 8, 2, 2, 1), (1, 3, 4, 2, 2, 2),
      (4, 7, 3, 1, 3, 1),
    ] {
      let pool = AveragePool(kernelSize: kernel, stride: stride)
      let input = FeatureShape(channels: channels, height: height, width: width)
      let output = try pool.outputShape(for: input)
      let what = "\(height)×\(width)×\(channels) k\(kernel) s\(stride) N\(batch)"
      let x = random.floats(batch * input.count)
      let dy = random.floats(batch * output.count)
      var fast = [Float](repeating: .nan, count: batch * output.count)
      var naive = fast
      Kernels.averagePool(
        batch: batch, height: height, width: width, channels: channels, kernelSize: kernel, stride: stride,
        x: x, y: &fast)
      Kernels.naiveAveragePool(
        batch: batch, height: height, width: width, channels: channels, kernelSize: kernel, stride: stride,
        x: x, y: &naive)
      assertClose(fast, naive, atol: 1e-6, rtol: 1e-6, "forward \(what)")
      var dxFast = [Float](repeating: .nan, count: batch * input.count)
      var dxNaive = dxFast
      Kernels.averagePoolBackward(
        batch: batch, height: height, width: width, channels: channels, kernelSize: kernel, stride: stride,
        dy: dy, dx: &dxFast)
      Kernels.naiveAveragePoolBackward(
        batch: batch, height: height, width: width, channels: channels, kernelSize: kernel, stride: stride,
        dy: dy, dx: &dxNaive)
      assertClose(dxFast, dxNaive, atol: 1e-6, rtol: 1e-6, "backward \(what)")
      // Backward is the adjoint of forward: <pool(x), dy> = <x, poolᵀ(dy)>.
      let lhs = zip(fast, dy).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
      let rhs = zip(x, dxFast).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
      XCTAssertEqual(lhs, rhs, accuracy: 1e-4, "adjoint \(what)")
    }
  }

  /// A 3×3 map pools to 2×2 (ceil mode); the edge windows average only the values inside the map,
  /// as PyTorch's `AvgPool2d(2, 2, ceil_mode=True, count_include_pad=False)` does:
  /// [[1,2,3],[4,5,6],[7,8,9]] → [[3, 4.5], [7.5, 9]].
  func testAveragePoolCeilModeByHand() throws {
    let pool = AveragePool(kernelSize: 2, stride: 2)
    XCTAssertEqual(
      try pool.outputShape(for: FeatureShape(channels: 1, height: 7, width: 7)),
      FeatureShape(channels: 1, height: 4, width: 4))
    XCTAssertEqual(
      try pool.outputShape(for: FeatureShape(channels: 2, height: 2, width: 3)),
      FeatureShape(channels: 2, height: 1, width: 2))
    // A 1-row map still gives one (partial) window, as in PyTorch; a 3×3 stride-1 window needs 3.
    XCTAssertEqual(
      try pool.outputShape(for: FeatureShape(channels: 1, height: 1, width: 4)),
      FeatureShape(channels: 1, height: 1, width: 2))
    XCTAssertThrowsError(
      try AveragePool(kernelSize: 3, stride: 1).outputShape(for: FeatureShape(channels: 1, height: 2, width: 4)))
    // A window never starts outside the map: 1×1 kernel, stride 3 on 3 rows gives 1, not 2.
    XCTAssertEqual(
      try AveragePool(kernelSize: 1, stride: 3).outputShape(for: FeatureShape(channels: 1, height: 3, width: 4)),
      FeatureShape(channels: 1, height: 1, width: 2))
    var y = [Float](repeating: .nan, count: 4)
    Kernels.averagePool(
      batch: 1, height: 3, width: 3, channels: 1, kernelSize: 2, stride: 2, x: [1, 2, 3, 4, 5, 6, 7, 8, 9], y: &y)
    XCTAssertEqual(y, [3, 4.5, 7.5, 9])
    var dx = [Float](repeating: .nan, count: 9)
    Kernels.averagePoolBackward(
      batch: 1, height: 3, width: 3, channels: 1, kernelSize: 2, stride: 2, dy: [4, 2, 2, 1], dx: &dx)
    XCTAssertEqual(dx, [1, 1, 1, 1, 1, 1, 1, 1, 1])
  }
}

// The optimizers' parameter update (Kernels/ParameterUpdate.swift) against its naive twin, the
// scalar loop `torch.optim.SGD` describes, bit for bit and for any thread count.

import _TestSupport
import XCTest

@testable import Engine

final class ParameterUpdateKernelTests: XCTestCase {
  /// The naive twin: one element at a time, in order.
  func naiveStochasticGradientDescent(
    parameter: inout [Float], gradient: [Float], velocity: inout [Float]?, learningRate: Float, momentum: Float,
    weightDecay: Float, nesterov: Bool, isFirstStep: Bool
  ) {
    for i in parameter.indices {
      let g = gradient[i] + weightDecay * parameter[i]
      if velocity == nil {
        parameter[i] -= learningRate * g
        continue
      }
      velocity![i] = isFirstStep ? g : momentum * velocity![i] + g
      parameter[i] -= learningRate * (nesterov ? g + momentum * velocity![i] : velocity![i])
    }
  }

  /// Counts below, at and across chunk boundaries; plain, momentum (first and later steps) and
  /// Nesterov, with and without weight decay; 1, 2 and 3 threads: the same bits as the twin.
  func testStochasticGradientDescentMatchesNaiveTwinForAnyThreadCount() {
    let saved = EngineThreads.count
    defer { EngineThreads.count = saved }
    var random = SplitMix64(seed: 31)
    for count in [1, 17, parameterUpdateChunk, 3 * parameterUpdateChunk + 5] {
      let parameter = random.floats(count)
      let gradient = random.floats(count)
      let velocity = random.floats(count)
      for (momentum, nesterov, isFirst) in [(Float(0), false, true), (0.9, false, true), (0.9, false, false), (0.9, true, false)] {
        for weightDecay: Float in [0, 5e-4] {
          var expectedParameter = parameter
          var expectedVelocity: [Float]? = momentum == 0 ? nil : velocity
          naiveStochasticGradientDescent(
            parameter: &expectedParameter, gradient: gradient, velocity: &expectedVelocity, learningRate: 0.1,
            momentum: momentum, weightDecay: weightDecay, nesterov: nesterov, isFirstStep: isFirst)
          for threads in [1, 2, 3] {
            EngineThreads.count = threads
            var p = parameter
            var v = velocity
            p.withUnsafeMutableBufferPointer { p in
              v.withUnsafeMutableBufferPointer { v in
                ParameterUpdate.stochasticGradientDescent(
                  parameter: p.baseAddress!, gradient: gradient, velocity: momentum == 0 ? nil : v.baseAddress!,
                  count: count, learningRate: 0.1, momentum: momentum, weightDecay: weightDecay, nesterov: nesterov,
                  isFirstStep: isFirst)
              }
            }
            let what = "count \(count), momentum \(momentum), nesterov \(nesterov), first \(isFirst), decay \(weightDecay), \(threads) threads"
            XCTAssertEqual(p.map(\.bitPattern), expectedParameter.map(\.bitPattern), what)
            if let expectedVelocity {
              XCTAssertEqual(v.map(\.bitPattern), expectedVelocity.map(\.bitPattern), what)
            } else {
              XCTAssertEqual(v, velocity, "\(what): no velocity without momentum")
            }
          }
        }
      }
    }
  }
}

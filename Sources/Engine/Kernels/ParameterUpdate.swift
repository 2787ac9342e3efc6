/// The optimizers' element-wise parameter updates, split over the engine's threads.
///
/// Each element's update reads and writes only that element, so the split (fixed chunks of
/// `parameterUpdateChunk` elements) cannot change a bit: results are the same for any thread
/// count. The naive twin is the scalar loop of `StochasticGradientDescent` as it was (kept in
/// the tests, `ParameterUpdateKernelTests`).
public enum ParameterUpdate {
  /// One step of SGD with momentum, as `torch.optim.SGD` with dampening 0, over `count` values:
  /// g = ∇ + weightDecay · p; v = g on the first step, else momentum · v + g; p ← p − lr · d with
  /// d = g + momentum · v (Nesterov) or d = v. Without `velocity` (momentum 0): p ← p − lr · g.
  ///
  /// parameter, gradient and velocity are `count` floats each; `velocity` is read only when
  /// `isFirstStep` is false, and written.
  /// - Complexity: O(count), in chunks of `parameterUpdateChunk` spread over the threads.
  public static func stochasticGradientDescent(
    parameter: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>,
    velocity: UnsafeMutablePointer<Float>?, count: Int, learningRate: Float, momentum: Float,
    weightDecay: Float, nesterov: Bool, isFirstStep: Bool
  ) {
    let chunks = (count + parameterUpdateChunk - 1) / parameterUpdateChunk
    let (lr, mu, decay) = (learningRate, momentum, weightDecay)
    parallelFor(chunks) { chunk in
      let range = (chunk * parameterUpdateChunk)..<min(count, (chunk + 1) * parameterUpdateChunk)
      guard let b = velocity else {
        for i in range { parameter[i] -= lr * (gradient[i] + decay * parameter[i]) }
        return
      }
      for i in range {
        let g = gradient[i] + decay * parameter[i]
        let v = isFirstStep ? g : mu * b[i] + g
        b[i] = v
        parameter[i] -= lr * (nesterov ? g + mu * v : v)
      }
    }
  }
}

/// Elements per chunk of a parameter update: about 10 µs of work, well above the cost of handing
/// a chunk to another thread.
let parameterUpdateChunk = 1 << 14

import Engine

/// Stochastic gradient descent with momentum and weight decay, exactly as `torch.optim.SGD`
/// with dampening 0.
///
/// For each parameter p with gradient ∇ in a step:
/// `g = ∇ + weightDecay·p`; `buf = g` on the parameter's first step, else `buf = momentum·buf + g`;
/// `d = g + momentum·buf` (Nesterov) or `d = buf`; `p ← p − lr·d`.
/// Parameters without a gradient in a step (branches deleted for that mini-batch by stochastic
/// depth or active-block training) are left alone, buffer included, as PyTorch skips
/// `grad is None`. Weight decay applies to every trainable parameter (convolutions, batch norm
/// γ and β, the classifier) as with a plain `model.parameters()` optimizer.
public struct StochasticGradientDescent: Sendable {
  /// Momentum factor (0 disables the buffer).
  public var momentum: Float
  /// L2 penalty added to the gradient.
  public var weightDecay: Float
  /// Nesterov momentum (Sutskever et al. 2013, PyTorch's formulation).
  public var nesterov: Bool
  /// Momentum buffers keyed `module.weight` / `module.bias`, in the engine's layouts.
  public var momentumBuffers: [String: [Float]] = [:]

  /// Creates an optimizer with empty momentum buffers.
  public init(momentum: Float, weightDecay: Float, nesterov: Bool) {
    self.momentum = momentum
    self.weightDecay = weightDecay
    self.nesterov = nesterov
  }

  /// Applies one update to `network` from `gradients` (as `Network.backward` returns them: keys
  /// `module.weight` / `module.bias`, engine layouts).
  /// - Complexity: O(parameters).
  public mutating func step(_ network: inout Network, gradients: [String: [Float]], learningRate: Float) {
    network.updateLayers { layer in
      switch layer {
      case .convolution(var conv):
        guard gradients[conv.name + ".weight"] != nil || gradients[conv.name + ".bias"] != nil else { return }
        layer = .relu  // drops the layer's reference: conv's arrays are updated in place, not copied
        update(&conv.filter, key: conv.name + ".weight", gradients: gradients, learningRate: learningRate)
        if var bias = conv.bias {
          conv.bias = nil
          update(&bias, key: conv.name + ".bias", gradients: gradients, learningRate: learningRate)
          conv.bias = bias
        }
        layer = .convolution(conv)
      case .batchNorm(var bn):
        guard gradients[bn.name + ".weight"] != nil || gradients[bn.name + ".bias"] != nil else { return }
        layer = .relu
        update(&bn.gamma, key: bn.name + ".weight", gradients: gradients, learningRate: learningRate)
        update(&bn.beta, key: bn.name + ".bias", gradients: gradients, learningRate: learningRate)
        layer = .batchNorm(bn)
      case .relu, .maxPool, .averagePool:
        break
      }
    }
    let name = network.classifier.name
    update(&network.classifier.weight, key: name + ".weight", gradients: gradients, learningRate: learningRate)
    update(&network.classifier.bias, key: name + ".bias", gradients: gradients, learningRate: learningRate)
  }

  /// One parameter's update (`ParameterUpdate.stochasticGradientDescent`, split over the engine's
  /// threads; the same bits for any thread count); nothing happens when `gradients` has no entry
  /// for `key` (or its size differs from the parameter's, which only a caller's bug can cause).
  mutating func update(_ parameter: inout [Float], key: String, gradients: [String: [Float]], learningRate: Float) {
    guard let gradient = gradients[key], gradient.count == parameter.count, !parameter.isEmpty else { return }
    let count = parameter.count
    // Taking the buffer out of the dictionary keeps it uniquely referenced (updated in place).
    let isFirst = momentum == 0 || momentumBuffers[key] == nil
    var buffer = momentum == 0 ? [] : momentumBuffers.removeValue(forKey: key) ?? [Float](repeating: 0, count: count)
    parameter.withUnsafeMutableBufferPointer { p in
      gradient.withUnsafeBufferPointer { grad in
        buffer.withUnsafeMutableBufferPointer { b in
          ParameterUpdate.stochasticGradientDescent(
            parameter: p.baseAddress!, gradient: grad.baseAddress!, velocity: momentum == 0 ? nil : b.baseAddress!,
            count: count, learningRate: learningRate, momentum: momentum, weightDecay: weightDecay,
            nesterov: nesterov, isFirstStep: isFirst)
        }
      }
    }
    if momentum != 0 { momentumBuffers[key] = buffer }
  }
}

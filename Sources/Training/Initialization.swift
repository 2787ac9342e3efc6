import Basics
import Engine

/// Which fan He initialization divides by.
public enum FanMode: String, Codable, Sendable, CaseIterable {
  /// `inputChannels × kernelSize²` (PyTorch's `kaiming_normal_` default, used by akamaster).
  case fanIn = "fan_in"
  /// `outputChannels × kernelSize²` (torchvision's ResNet initialization).
  case fanOut = "fan_out"
}

extension Network {
  /// Draws fresh training weights: He et al. 2015 (kaiming-normal) for every convolution filter
  /// and the classifier weight, batch norm γ = 1, β = 0 with running mean 0 and variance 1, and
  /// biases uniform in ±1/√fan_in (PyTorch's `Linear`/`Conv2d` default).
  ///
  /// Weights are N(0, 2/fan) with fan = fan_in (`C·R·S`, PyTorch's `kaiming_normal_` default,
  /// as in akamaster's `resnet.py`) or fan_out (`K·R·S`). Draw order, for reproducibility: layers
  /// in PyTorch registration order (stem, each block's pre-activation, branch and projection,
  /// head), within a filter PyTorch's (K, C, R, S) element order, a convolution's bias right after
  /// its filter; then the classifier weight (O, I) and its bias.
  /// - Complexity: O(parameters).
  ///
  /// With `zeroResidualBranches`, the last batch norm of every residual branch gets γ = 0 after
  /// the draws (Goyal et al. 2017; torchvision's `zero_init_residual`), so each block starts as
  /// its shortcut. The random draws are the same either way.
  public mutating func initializeForTraining(
    using generator: inout SplitMix64, fanMode: FanMode = .fanIn, zeroResidualBranches: Bool = false
  ) {
    updateLayers { layer in
      switch layer {
      case .convolution(var conv):
        let (k, c, r) = (conv.outputChannels, conv.inputChannels, conv.kernelSize)
        let fan = (fanMode == .fanIn ? c : k) * r * r
        let std = (2 / Double(fan)).squareRoot()
        for ko in 0..<k {
          for ci in 0..<c {
            for y in 0..<r {
              for x in 0..<r {
                conv.filter[((y * r + x) * c + ci) * k + ko] = Float(generator.nextGaussian() * std)
              }
            }
          }
        }
        if conv.bias != nil {
          let bound = 1 / Double(c * r * r).squareRoot()
          conv.bias = (0..<k).map { _ in Float((2 * generator.nextUnitInterval() - 1) * bound) }
        }
        layer = .convolution(conv)
      case .batchNorm(var bn):
        bn.gamma = [Float](repeating: 1, count: bn.channels)
        bn.beta = [Float](repeating: 0, count: bn.channels)
        bn.runningMean = [Float](repeating: 0, count: bn.channels)
        bn.runningVariance = [Float](repeating: 1, count: bn.channels)
        layer = .batchNorm(bn)
      case .relu, .maxPool, .averagePool:
        break
      }
    }
    let inputs = classifier.inputCount
    let outputs = classifier.outputCount
    let fan = fanMode == .fanIn ? inputs : outputs
    let std = (2 / Double(fan)).squareRoot()
    classifier.weight = (0..<(inputs * outputs)).map { _ in Float(generator.nextGaussian() * std) }
    let bound = 1 / Double(inputs).squareRoot()
    classifier.bias = (0..<outputs).map { _ in Float((2 * generator.nextUnitInterval() - 1) * bound) }
    guard zeroResidualBranches else { return }
    for b in blocks.indices where blocks[b].isResidual {
      guard
        let last = blocks[b].branch.lastIndex(where: { if case .batchNorm = $0 { return true } else { return false } }),
        case .batchNorm(var bn) = blocks[b].branch[last]
      else { continue }
      bn.gamma = [Float](repeating: 0, count: bn.channels)
      blocks[b].branch[last] = .batchNorm(bn)
    }
  }
}

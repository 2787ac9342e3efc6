/// A 2-D convolution with square kernel, zero padding and optional bias.
///
/// The filter is stored channels-last as (R, S, C, K): kernel rows, kernel columns, input
/// channels, output channels. PyTorch's `Conv2d.weight` is (K, C, R, S); `StateDictionary` converts.
public struct Convolution2D: Sendable, Equatable {
  /// The PyTorch module name, e.g. `layer1.0.conv1`; parameters are `name.weight`, `name.bias`.
  public var name: String
  public var inputChannels: Int
  public var outputChannels: Int
  public var kernelSize: Int
  public var stride: Int
  public var padding: Int
  /// (R, S, C, K).
  public var filter: [Float]
  /// (K), or nil for a convolution without bias.
  public var bias: [Float]?

  /// Creates a convolution with zero filter (and zero bias if `hasBias`).
  public init(
    name: String, inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1,
    padding: Int, hasBias: Bool = false
  ) {
    self.name = name
    self.inputChannels = inputChannels
    self.outputChannels = outputChannels
    self.kernelSize = kernelSize
    self.stride = stride
    self.padding = padding
    self.filter = [Float](repeating: 0, count: kernelSize * kernelSize * inputChannels * outputChannels)
    self.bias = hasBias ? [Float](repeating: 0, count: outputChannels) : nil
  }

  /// The output feature shape for an input shape.
  /// - Throws: `EngineError.shapeMismatch` when channels differ or the map is smaller than the kernel.
  public func outputShape(for input: FeatureShape) throws -> FeatureShape {
    guard input.channels == inputChannels else {
      throw EngineError.shapeMismatch(
        what: name, expected: "\(inputChannels) input channels", found: "\(input) input")
    }
    let height = (input.height + 2 * padding - kernelSize) / stride + 1
    let width = (input.width + 2 * padding - kernelSize) / stride + 1
    guard input.height + 2 * padding >= kernelSize, input.width + 2 * padding >= kernelSize else {
      throw EngineError.shapeMismatch(
        what: name, expected: "a map of at least \(kernelSize)×\(kernelSize) after padding",
        found: "\(input)")
    }
    return FeatureShape(channels: outputChannels, height: height, width: width)
  }

  /// The kernel geometry for a batch of `batch` inputs of shape `input`.
  func geometry(batch: Int, input: FeatureShape) -> ConvolutionGeometry {
    ConvolutionGeometry(
      batch: batch, inputHeight: input.height, inputWidth: input.width,
      inputChannels: inputChannels, outputChannels: outputChannels, kernelHeight: kernelSize,
      kernelWidth: kernelSize, stride: stride, padding: padding)
  }

  /// Multiply-accumulates per image for an input of shape `input`.
  public func multiplyAccumulates(for input: FeatureShape) -> Int {
    guard let output = try? outputShape(for: input) else { return 0 }
    return output.height * output.width * outputChannels * kernelSize * kernelSize * inputChannels
  }

  /// Number of parameters.
  public var parameterCount: Int { filter.count + (bias?.count ?? 0) }
}

/// Batch normalization over channels (PyTorch's `BatchNorm2d`).
///
/// Inference: y = (x − runningMean)/√(runningVariance + ε)·γ + β. Training: batch statistics with
/// biased variance normalize; running statistics move by `momentum` using the unbiased variance.
public struct BatchNorm: Sendable, Equatable {
  /// The PyTorch module name; parameters `name.weight` (γ), `name.bias` (β), buffers
  /// `name.running_mean`, `name.running_var`.
  public var name: String
  public var channels: Int
  /// γ (C).
  public var gamma: [Float]
  /// β (C).
  public var beta: [Float]
  public var runningMean: [Float]
  public var runningVariance: [Float]
  public var epsilon: Float = 1e-5
  public var momentum: Float = 0.1

  /// Creates the identity normalization (γ = 1, β = 0, mean 0, variance 1), PyTorch's initial state.
  public init(name: String, channels: Int) {
    self.name = name
    self.channels = channels
    gamma = [Float](repeating: 1, count: channels)
    beta = [Float](repeating: 0, count: channels)
    runningMean = [Float](repeating: 0, count: channels)
    runningVariance = [Float](repeating: 1, count: channels)
  }

  /// 1/√(runningVariance + ε) per channel, computed as PyTorch does in float32.
  var inverseStandardDeviation: [Float] {
    runningVariance.map { 1 / ($0 + epsilon).squareRoot() }
  }

  /// The inference-mode map as scale and shift: y = x·scale + shift.
  var inferenceScaleShift: (scale: [Float], shift: [Float]) {
    let inverse = inverseStandardDeviation
    var scale = [Float](repeating: 0, count: channels)
    var shift = [Float](repeating: 0, count: channels)
    for c in 0..<channels {
      scale[c] = gamma[c] * inverse[c]
      shift[c] = beta[c] - runningMean[c] * scale[c]
    }
    return (scale, shift)
  }

  public var parameterCount: Int { 2 * channels }
}

/// A fully connected layer y = x·Wᵀ + b (PyTorch's `Linear`).
public struct Linear: Sendable, Equatable {
  public var name: String
  public var inputCount: Int
  public var outputCount: Int
  /// (O, I), PyTorch's layout.
  public var weight: [Float]
  /// (O).
  public var bias: [Float]

  public init(name: String, inputCount: Int, outputCount: Int) {
    self.name = name
    self.inputCount = inputCount
    self.outputCount = outputCount
    weight = [Float](repeating: 0, count: inputCount * outputCount)
    bias = [Float](repeating: 0, count: outputCount)
  }

  public var parameterCount: Int { weight.count + bias.count }
}

/// Max pooling with a square window (PyTorch's `MaxPool2d(kernelSize, stride, padding)`).
public struct MaxPool: Sendable, Equatable {
  public var kernelSize: Int
  public var stride: Int
  public var padding: Int

  public init(kernelSize: Int, stride: Int, padding: Int) {
    self.kernelSize = kernelSize
    self.stride = stride
    self.padding = padding
  }

  public func outputShape(for input: FeatureShape) throws -> FeatureShape {
    guard input.height + 2 * padding >= kernelSize, input.width + 2 * padding >= kernelSize else {
      throw EngineError.shapeMismatch(
        what: "max pool", expected: "a map of at least \(kernelSize)×\(kernelSize) after padding",
        found: "\(input)")
    }
    return FeatureShape(
      channels: input.channels, height: (input.height + 2 * padding - kernelSize) / stride + 1,
      width: (input.width + 2 * padding - kernelSize) / stride + 1)
  }
}

/// Average pooling with a square window, no padding, PyTorch's
/// `AvgPool2d(kernelSize, stride, ceil_mode=True, count_include_pad=False)`: the last window may
/// hang over the bottom or right edge and averages only the positions inside the map. timm's
/// average-pool shortcuts (`avg_down=True`: `resnet50d`, `resnetv2_50d`) use kernel 2, stride 2,
/// so 7×7 → 4×4 with the last row and column of windows averaging 2 (or 1) values.
public struct AveragePool: Sendable, Equatable {
  public var kernelSize: Int
  public var stride: Int

  public init(kernelSize: Int, stride: Int) {
    self.kernelSize = kernelSize
    self.stride = stride
  }

  /// Output size of one side, PyTorch's ceil-mode rule: ⌈(side − kernel) / stride⌉ + 1, less one
  /// if the last window would start outside the map (so every window holds at least one value).
  /// - Precondition: side + stride − 1 ≥ kernel (checked by `outputShape(for:)`).
  static func outputSide(_ side: Int, kernelSize: Int, stride: Int) -> Int {
    let count = (side - kernelSize + stride - 1) / stride + 1
    return (count - 1) * stride >= side ? count - 1 : count
  }

  public func outputShape(for input: FeatureShape) throws -> FeatureShape {
    guard kernelSize > 0, stride > 0, input.height + stride - 1 >= kernelSize,
      input.width + stride - 1 >= kernelSize
    else {
      throw EngineError.shapeMismatch(
        what: "average pool", expected: "a map of at least \(max(1, kernelSize - stride + 1)) rows and columns",
        found: "\(input)")
    }
    return FeatureShape(
      channels: input.channels,
      height: Self.outputSide(input.height, kernelSize: kernelSize, stride: stride),
      width: Self.outputSide(input.width, kernelSize: kernelSize, stride: stride))
  }
}

/// One layer of a stem, a residual branch, a projection shortcut or a head.
public enum Layer: Sendable, Equatable {
  case convolution(Convolution2D)
  case batchNorm(BatchNorm)
  case relu
  case maxPool(MaxPool)
  /// Only in shortcuts: timm's `downsample.0` / `downsample.pool` before the 1×1 projection.
  case averagePool(AveragePool)

  /// The output shape for an input shape.
  /// - Throws: `EngineError.shapeMismatch` naming the layer.
  public func outputShape(for input: FeatureShape) throws -> FeatureShape {
    switch self {
    case .convolution(let conv): return try conv.outputShape(for: input)
    case .batchNorm(let bn):
      guard bn.channels == input.channels else {
        throw EngineError.shapeMismatch(
          what: bn.name, expected: "\(bn.channels) channels", found: "\(input)")
      }
      return input
    case .relu: return input
    case .maxPool(let pool): return try pool.outputShape(for: input)
    case .averagePool(let pool): return try pool.outputShape(for: input)
    }
  }

  /// Parameters (weights and biases, not running statistics).
  public var parameterCount: Int {
    switch self {
    case .convolution(let conv): return conv.parameterCount
    case .batchNorm(let bn): return bn.parameterCount
    case .relu, .maxPool, .averagePool: return 0
    }
  }

  /// Multiply-accumulates per image (convolutions only).
  public func multiplyAccumulates(for input: FeatureShape) -> Int {
    if case .convolution(let conv) = self { return conv.multiplyAccumulates(for: input) }
    return 0
  }
}

extension Array where Element == Layer {
  /// The output shape of the layers applied in order.
  public func outputShape(for input: FeatureShape) throws -> FeatureShape {
    try reduce(input) { try $1.outputShape(for: $0) }
  }
}

/// Exchange of parameters with PyTorch state dictionaries.
///
/// Keys are PyTorch's (`layer1.0.conv1.weight`, `bn1.running_mean`, `fc.bias`, …) and tensors use
/// PyTorch's layouts: convolution weights (K, C, R, S), linear weights (O, I). The engine keeps
/// convolution filters as (R, S, C, K) internally; this file is the only place that converts.
extension Network {
  /// Calls `body` on every layer (stem, blocks in order, head), letting it change the layer.
  public mutating func updateLayers(_ body: (inout Layer) throws -> Void) rethrows {
    for i in stem.indices { try body(&stem[i]) }
    for b in blocks.indices {
      for i in blocks[b].preActivation.indices { try body(&blocks[b].preActivation[i]) }
      for i in blocks[b].branch.indices { try body(&blocks[b].branch[i]) }
      if case .projection(var layers) = blocks[b].shortcut {
        for i in layers.indices { try body(&layers[i]) }
        blocks[b].shortcut = .projection(layers)
      }
    }
    for i in head.indices { try body(&head[i]) }
  }

  /// Every layer in PyTorch's registration order.
  public var allLayers: [Layer] {
    var result = stem
    for block in blocks {
      result += block.preActivation + block.branch
      if case .projection(let layers) = block.shortcut { result += layers }
    }
    return result + head
  }

  /// The state dictionary in PyTorch's key order and layouts (no `num_batches_tracked`).
  public func stateDictionary() -> [(name: String, tensor: Tensor)] {
    var entries: [(name: String, tensor: Tensor)] = []
    for layer in allLayers {
      switch layer {
      case .convolution(let conv):
        entries.append((conv.name + ".weight", Self.torchFilter(conv.filter, conv)))
        if let bias = conv.bias { entries.append((conv.name + ".bias", Tensor(shape: [conv.outputChannels], scalars: bias))) }
      case .batchNorm(let bn):
        let shape = [bn.channels]
        entries.append((bn.name + ".weight", Tensor(shape: shape, scalars: bn.gamma)))
        entries.append((bn.name + ".bias", Tensor(shape: shape, scalars: bn.beta)))
        entries.append((bn.name + ".running_mean", Tensor(shape: shape, scalars: bn.runningMean)))
        entries.append((bn.name + ".running_var", Tensor(shape: shape, scalars: bn.runningVariance)))
      case .relu, .maxPool, .averagePool: break
      }
    }
    entries.append((classifier.name + ".weight", Tensor(shape: [classifier.outputCount, classifier.inputCount], scalars: classifier.weight)))
    entries.append((classifier.name + ".bias", Tensor(shape: [classifier.outputCount], scalars: classifier.bias)))
    return entries
  }

  /// The expected key → PyTorch shape of every entry of `stateDictionary()`.
  public var stateDictionaryShapes: [(name: String, shape: [Int])] {
    stateDictionary().map { ($0.name, $0.tensor.shape) }
  }

  /// Sets every parameter and running statistic from a PyTorch state dictionary.
  ///
  /// `num_batches_tracked` entries are accepted and ignored.
  /// - Throws: `EngineError.stateDictionaryMismatch` listing missing and unexpected keys, or
  ///   `.shapeMismatch` naming the key whose shape differs from the architecture's.
  public mutating func loadStateDictionary(_ entries: [String: Tensor]) throws {
    let expected = stateDictionaryShapes
    let expectedNames = Set(expected.map(\.name))
    let given = Set(entries.keys.filter { !$0.hasSuffix("num_batches_tracked") })
    let missing = expected.map(\.name).filter { !given.contains($0) }
    let unexpected = given.subtracting(expectedNames).sorted()
    guard missing.isEmpty, unexpected.isEmpty else {
      throw EngineError.stateDictionaryMismatch(missing: missing, unexpected: unexpected)
    }
    for (name, shape) in expected {
      let tensor = entries[name]!
      let found = tensor.shape.filter { $0 != 1 || shape.count == tensor.shape.count }
      guard tensor.shape == shape || (found == shape.filter { $0 != 1 } && tensor.count == shape.reduce(1, *)) else {
        throw EngineError.shapeMismatch(what: name, expected: "shape \(shape)", found: "shape \(tensor.shape)")
      }
    }
    try updateLayers { layer in
      switch layer {
      case .convolution(var conv):
        conv.filter = Self.engineFilter(entries[conv.name + ".weight"]!.scalars, conv)
        if conv.bias != nil { conv.bias = entries[conv.name + ".bias"]!.scalars }
        layer = .convolution(conv)
      case .batchNorm(var bn):
        bn.gamma = entries[bn.name + ".weight"]!.scalars
        bn.beta = entries[bn.name + ".bias"]!.scalars
        bn.runningMean = entries[bn.name + ".running_mean"]!.scalars
        bn.runningVariance = entries[bn.name + ".running_var"]!.scalars
        layer = .batchNorm(bn)
      case .relu, .maxPool, .averagePool: break
      }
    }
    classifier.weight = entries[classifier.name + ".weight"]!.scalars
    classifier.bias = entries[classifier.name + ".bias"]!.scalars
  }

  /// Converts parameter gradients from `backward` to PyTorch keys and layouts.
  public func torchLayoutGradients(_ gradients: [String: [Float]]) -> [String: Tensor] {
    var result: [String: Tensor] = [:]
    var convolutions: [String: Convolution2D] = [:]
    for layer in allLayers { if case .convolution(let c) = layer { convolutions[c.name + ".weight"] = c } }
    let shapes = Dictionary(stateDictionaryShapes.map { ($0.name, $0.shape) }, uniquingKeysWith: { a, _ in a })
    for (name, values) in gradients {
      if let conv = convolutions[name] {
        result[name] = Self.torchFilter(values, conv)
      } else if let shape = shapes[name] {
        result[name] = Tensor(shape: shape, scalars: values)
      }
    }
    return result
  }

  /// (R, S, C, K) → PyTorch's (K, C, R, S).
  static func torchFilter(_ filter: [Float], _ conv: Convolution2D) -> Tensor {
    let (k, c, r) = (conv.outputChannels, conv.inputChannels, conv.kernelSize)
    var out = [Float](repeating: 0, count: filter.count)
    for ko in 0..<k { for ci in 0..<c { for y in 0..<r { for x in 0..<r {
      out[((ko * c + ci) * r + y) * r + x] = filter[((y * r + x) * c + ci) * k + ko]
    } } } }
    return Tensor(shape: [k, c, r, r], scalars: out)
  }

  /// PyTorch's (K, C, R, S) → (R, S, C, K).
  static func engineFilter(_ weight: [Float], _ conv: Convolution2D) -> [Float] {
    let (k, c, r) = (conv.outputChannels, conv.inputChannels, conv.kernelSize)
    var out = [Float](repeating: 0, count: weight.count)
    for ko in 0..<k { for ci in 0..<c { for y in 0..<r { for x in 0..<r {
      out[((y * r + x) * c + ci) * k + ko] = weight[((ko * c + ci) * r + y) * r + x]
    } } } }
    return out
  }
}

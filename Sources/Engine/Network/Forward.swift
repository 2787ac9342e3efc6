/// How batch normalization behaves in a forward pass.
public enum NormalizationMode: Sendable {
  /// Running statistics (PyTorch's `model.eval()`).
  case inference
  /// Batch statistics with biased variance; running statistics are updated by
  /// `Network.updateRunningStatistics(from:)` (PyTorch's `model.train()`).
  case training
}

/// What one layer saw in a recorded forward pass.
struct LayerRecord {
  /// The layer's input (N·H·W·C, channels-last) and its shape; for a ReLU its output instead,
  /// which is positive exactly where the input is (all its backward needs), and which is stored
  /// anyway as the next layer's input.
  var input: [Float]
  var shape: FeatureShape
  /// Batch-norm statistics used (mean, 1/std) or max-pool winners.
  var mean: [Float] = []
  var inverseStd: [Float] = []
  var argmax: [Int32] = []
  /// Batch norm: the per-channel scale and shift it applied (y = x·scale + shift).
  var scale: [Float] = []
  var shift: [Float] = []
  /// ReLU, or the convolution right after it: `input` was dropped after the forward pass and the
  /// backward recomputes it as relu(x·scale + shift) from the batch norm two layers up (one
  /// element-wise pass instead of keeping an activation tensor per layer).
  var recomputed = false
}

/// What one block saw in a recorded forward pass.
struct BlockRecord {
  var input: [Float]
  /// The input was dropped after the forward pass (with its first layer's copy and the previous
  /// block's output) and is recomputed in backward (`ForwardPass.restoreInputs`).
  var inputDropped = false
  var preActivation: [LayerRecord] = []
  var preActivated: [Float] = []
  var branch: [LayerRecord] = []
  var shortcut: [LayerRecord] = []
  /// The block's output after the post-addition activation, relu(shortcut + scale·branch): positive
  /// exactly where the sum is (all the activation's backward needs); the next block's input.
  var output: [Float] = []
}

/// A block's addition and activation, run by the branch's last batch norm in its own pass:
/// output = relu?(addend + batchNorm(x)). addend (N, H, W, C) of the block's output shape.
struct ResidualEpilogue {
  var addend: [Float]
  var relu: Bool
}

/// The result of a forward pass: logits, and what backward needs.
public struct ForwardPass: Sendable {
  /// (N, classCount).
  public var logits: Tensor
  let batch: Int
  var stem: [LayerRecord] = []
  var blocks: [BlockRecord] = []
  var head: [LayerRecord] = []
  var pooled: [Float] = []
  var finalShape: FeatureShape
  var mode: NormalizationMode
  /// Updated running statistics per batch-norm name (training mode only).
  var runningStatistics: [String: (mean: [Float], variance: [Float])] = [:]
}

extension LayerRecord: @unchecked Sendable {}

extension Layer {
  /// Whether this is a ReLU (which a preceding batch norm runs in its own pass, both ways).
  var isReLU: Bool {
    if case .relu = self { return true }
    return false
  }
}
extension BlockRecord: @unchecked Sendable {}

/// relu?(addend + (x·scale + shift)) per channel, as a new array: a batch norm's output, with
/// the ReLU after it or a block's addition and ReLU fused in.
///
/// x, addend (M, C) with M = rows; scale, shift (C) → (M, C). The forward pass and both of
/// backward's recomputations (`LayerRecord.recomputedOutput`) call this one function, so a
/// recomputed activation has the forward pass's bits.
/// - Complexity: O(M·C), one pass.
func affineOutput(
  _ x: [Float], rows: Int, channels: Int, scale: [Float], shift: [Float], addend: [Float]? = nil, relu: Bool
) -> [Float] {
  uninitializedFloats(x.count) { y in
    x.withUnsafeBufferPointer { xp in
      withOptionalPointer(addend) { a in
        Kernels.channelAffine(
          rows: rows, channels: channels, x: xp.baseAddress!, scale: scale, shift: shift, addend: a, relu: relu,
          y: y)
      }
    }
  }
}

/// Allocates an uninitialized float buffer of `count` elements; the caller writes every element.
@inline(__always)
func uninitializedFloats(_ count: Int, _ fill: (UnsafeMutablePointer<Float>) -> Void) -> [Float] {
  [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
    if count > 0 { fill(buffer.baseAddress!) }
    initialized = count
  }
}

extension Network {
  /// Checks an input batch against the network's input shape.
  func checkInput(_ input: Tensor) throws -> Int {
    let s = inputShape
    guard input.shape.count == 4, input.shape[1] == s.height, input.shape[2] == s.width,
      input.shape[3] == s.channels, input.shape[0] > 0
    else {
      throw EngineError.shapeMismatch(
        what: "network input",
        expected: "a batch of \(s) images (N, H=\(s.height), W=\(s.width), C=\(s.channels) channels-last)",
        found: "shape \(input.shape)")
    }
    return input.shape[0]
  }

  /// Runs the network on a batch and keeps what `backward` needs.
  ///
  /// input (N, H, W, C) channels-last → logits (N, classCount). Deleted branches are skipped.
  /// - Throws: `EngineError.shapeMismatch` if the input does not fit the network.
  public func forward(_ input: Tensor, mode: NormalizationMode = .inference, recording: Bool = true)
    throws -> ForwardPass
  {
    let batch = try checkInput(input)
    AllocatorSettings.apply()
    var pass = ForwardPass(
      logits: Tensor(zeros: [batch, classCount]), batch: batch, finalShape: inputShape, mode: mode)
    var stats: [String: (mean: [Float], variance: [Float])] = [:]
    var records: [LayerRecord] = []
    var (x, shape) = runLayers(
      stem, input.scalars, inputShape, batch: batch, mode: mode, recording: recording, records: &records,
      statistics: &stats)
    pass.stem = records
    if recording { pass.blocks.reserveCapacity(blocks.count) }
    for (index, block) in blocks.enumerated() {
      let (output, record) = runBlock(block, x, batch: batch, mode: mode, recording: recording, statistics: &stats)
      if recording {
        pass.blocks.append(record)
        if recomputesInput(ofBlock: index) { pass.dropInput(ofBlock: index) }
      }
      x = output
      shape = block.outputShape
    }
    records = []
    (x, shape) = runLayers(
      head, x, shape, batch: batch, mode: mode, recording: recording, records: &records, statistics: &stats)
    pass.head = records
    pass.finalShape = shape
    let pixels = shape.height * shape.width
    let pooled = uninitializedFloats(batch * shape.channels) { y in
      x.withUnsafeBufferPointer {
        Kernels.globalAveragePool(batch: batch, pixels: pixels, channels: shape.channels, x: $0.baseAddress!, y: y)
      }
    }
    let logits = uninitializedFloats(batch * classCount) { y in
      pooled.withUnsafeBufferPointer { p in
        classifier.weight.withUnsafeBufferPointer { w in
          classifier.bias.withUnsafeBufferPointer { b in
            Kernels.linear(
              batch: batch, inputs: classifier.inputCount, outputs: classifier.outputCount,
              x: p.baseAddress!, weight: w.baseAddress!, bias: b.baseAddress!, y: y)
          }
        }
      }
    }
    if recording { pass.pooled = pooled }
    pass.logits = Tensor(shape: [batch, classCount], scalars: logits)
    pass.runningStatistics = stats
    return pass
  }

  /// Logits for a batch: input (N, H, W, C) channels-last → (N, classCount), batch norm in
  /// inference mode.
  public func logits(for input: Tensor) throws -> Tensor {
    try forward(input, mode: .inference, recording: false).logits
  }

  /// Copies the running statistics a training-mode pass computed into the batch norms.
  public mutating func updateRunningStatistics(from pass: ForwardPass) {
    guard !pass.runningStatistics.isEmpty else { return }
    func update(_ layers: inout [Layer]) {
      for i in layers.indices {
        if case .batchNorm(var bn) = layers[i], let s = pass.runningStatistics[bn.name] {
          bn.runningMean = s.mean
          bn.runningVariance = s.variance
          layers[i] = .batchNorm(bn)
        }
      }
    }
    update(&stem)
    update(&head)
    for b in blocks.indices {
      update(&blocks[b].preActivation)
      update(&blocks[b].branch)
      if case .projection(var layers) = blocks[b].shortcut {
        update(&layers)
        blocks[b].shortcut = .projection(layers)
      }
    }
  }

  func runBlock(
    _ block: ResidualBlock, _ x: [Float], batch: Int, mode: NormalizationMode, recording: Bool,
    statistics: inout [String: (mean: [Float], variance: [Float])]
  ) -> ([Float], BlockRecord) {
    var record = BlockRecord(input: recording ? x : [])
    var pre = x
    var preShape = block.inputShape
    let needsPre = !block.isBranchDeleted || block.shortcutUsesPreActivation
    if !block.preActivation.isEmpty && needsPre {
      var records: [LayerRecord] = []
      (pre, preShape) = runLayers(
        block.preActivation, x, block.inputShape, batch: batch, mode: mode,
        recording: recording, records: &records, statistics: &statistics)
      record.preActivation = records
      if recording { record.preActivated = pre }
    }
    if block.fusesTail {
      // The shortcut first, so that the branch's last batch norm adds it and applies the block's
      // ReLU in its own pass.
      let sum = elementwiseShortcut(block, x, batch: batch)
      var records: [LayerRecord] = []
      let (y, _) = runLayers(
        block.branch, pre, preShape, batch: batch, mode: mode, recording: recording, records: &records,
        statistics: &statistics, epilogue: ResidualEpilogue(addend: sum, relu: block.activationAfterAddition))
      record.branch = records
      if recording && block.activationAfterAddition { record.output = y }
      return (y, record)
    }
    var branchOutput: [Float]? = nil
    if !block.isBranchDeleted {
      var records: [LayerRecord] = []
      var (y, _) = runLayers(
        block.branch, pre, preShape, batch: batch, mode: mode, recording: recording, records: &records,
        statistics: &statistics)
      record.branch = records
      if block.branchScale != 1 {
        let scale = block.branchScale
        y.withUnsafeMutableBufferPointer { for i in $0.indices { $0[i] *= scale } }
      }
      branchOutput = y
    }
    var sum: [Float]
    switch block.shortcut {
    case .none:
      return (branchOutput ?? x, record)
    case .identity, .subsampleAndPad:
      sum = elementwiseShortcut(block, x, batch: batch)
    case .projection(let layers):
      var records: [LayerRecord] = []
      let source = block.shortcutUsesPreActivation ? pre : x
      let sourceShape = block.shortcutUsesPreActivation ? preShape : block.inputShape
      (sum, _) = runLayers(
        layers, source, sourceShape, batch: batch, mode: mode, recording: recording, records: &records,
        statistics: &statistics)
      record.shortcut = records
    }
    let count = batch * block.outputShape.count
    if var branch = branchOutput.take() {
      // The branch output is this block's own buffer; the shortcut may be shared (the block input).
      branch.withUnsafeMutableBufferPointer { b in
        sum.withUnsafeBufferPointer { s in
          Kernels.add(count: count, s.baseAddress!, b.baseAddress!, y: b.baseAddress!)
        }
      }
      sum = consume branch
    }
    guard block.activationAfterAddition else { return (sum, record) }
    sum.withUnsafeMutableBufferPointer {
      Kernels.relu(count: count, x: $0.baseAddress!, y: $0.baseAddress!)
    }
    if recording { record.output = sum }
    return (sum, record)
  }

  /// The shortcut of a block whose shortcut is the identity (x itself, shared) or the option-A
  /// subsample-and-pad: x (N, H, W, C) → (N, P, Q, K) of the block's output shape.
  func elementwiseShortcut(_ block: ResidualBlock, _ x: [Float], batch: Int) -> [Float] {
    switch block.shortcut {
    case .identity:
      return x
    case .subsampleAndPad(let stride, let before, let after):
      let s = block.inputShape
      return uninitializedFloats(batch * block.outputShape.count) { y in
        x.withUnsafeBufferPointer {
          Kernels.subsampleAndPad(
            batch: batch, height: s.height, width: s.width, channels: s.channels, stride: stride,
            before: before, after: after, x: $0.baseAddress!, y: y)
        }
      }
    case .none, .projection:
      preconditionFailure("elementwiseShortcut needs an identity or subsample-and-pad shortcut")
    }
  }

  /// Runs layers in order on x (N, H, W, C); returns the output and its shape.
  ///
  /// `epilogue`: when given, the last layer must be a batch norm, which adds the epilogue's addend
  /// to its output and applies its ReLU in the same pass (a block's tail; `ResidualBlock.fusesTail`).
  func runLayers(
    _ layers: [Layer], _ input: [Float], _ inputShape: FeatureShape, batch: Int,
    mode: NormalizationMode, recording: Bool, records: inout [LayerRecord],
    statistics: inout [String: (mean: [Float], variance: [Float])], epilogue: ResidualEpilogue? = nil
  ) -> ([Float], FeatureShape) {
    var x = input
    var shape = inputShape
    var index = 0
    // The previous layers were batch norm and ReLU: a convolution here keeps no input.
    var recomputable = false
    while index < layers.count {
      let layer = layers[index]
      index += 1
      var record = LayerRecord(input: recording ? x : [], shape: shape)
      if recomputable, case .convolution = layer {
        record.input = []
        record.recomputed = true
        records[records.count - 1].input = []
        records[records.count - 1].recomputed = true
      }
      recomputable = false
      let rows = batch * shape.height * shape.width
      switch layer {
      case .convolution(let conv):
        let g = conv.geometry(batch: batch, input: shape)
        let output = uninitializedFloats(g.outputCount) { y in
          x.withUnsafeBufferPointer { xp in
            conv.filter.withUnsafeBufferPointer { f in
              if let bias = conv.bias {
                bias.withUnsafeBufferPointer { b in
                  Kernels.convolutionForward(
                    g, input: xp.baseAddress!, filter: f.baseAddress!, bias: b.baseAddress!,
                    residual: nil, relu: false, output: y)
                }
              } else {
                Kernels.convolutionForward(
                  g, input: xp.baseAddress!, filter: f.baseAddress!, bias: nil, residual: nil,
                  relu: false, output: y)
              }
            }
          }
        }
        x = output
        shape = FeatureShape(channels: conv.outputChannels, height: g.outputHeight, width: g.outputWidth)
      case .batchNorm(let bn):
        var scale: [Float]
        var shift: [Float]
        switch mode {
        case .inference:
          (scale, shift) = bn.inferenceScaleShift
          if recording {
            record.mean = bn.runningMean
            record.inverseStd = bn.inverseStandardDeviation
          }
        case .training:
          let (mean, variance) = x.withUnsafeBufferPointer {
            Kernels.channelMoments(rows: rows, channels: shape.channels, x: $0.baseAddress!)
          }
          let inverse = variance.map { Float(1 / ($0 + Double(bn.epsilon)).squareRoot()) }
          let meanF = mean.map { Float($0) }
          scale = (0..<bn.channels).map { bn.gamma[$0] * inverse[$0] }
          shift = (0..<bn.channels).map { bn.beta[$0] - meanF[$0] * scale[$0] }
          record.mean = meanF
          record.inverseStd = inverse
          let m = Float(bn.momentum)
          let unbiased = rows > 1 ? Double(rows) / Double(rows - 1) : 1
          statistics[bn.name] = (
            mean: (0..<bn.channels).map { (1 - m) * bn.runningMean[$0] + m * meanF[$0] },
            variance: (0..<bn.channels).map {
              (1 - m) * bn.runningVariance[$0] + m * Float(variance[$0] * unbiased)
            }
          )
        }
        // A following ReLU runs in the same pass (same values as two passes), and so do a block's
        // addition and ReLU after its last batch norm.
        let tail = index == layers.count ? epilogue : nil
        let fusedReLU = index < layers.count && layers[index].isReLU
        x = affineOutput(
          x, rows: rows, channels: shape.channels, scale: scale, shift: shift, addend: tail?.addend,
          relu: fusedReLU || tail?.relu == true)
        if tail != nil && recording {
          // What recomputing the block's output needs (`Network.recomputeBlockOutput`).
          record.scale = scale
          record.shift = shift
        }
        if fusedReLU {
          index += 1
          if recording {
            record.scale = scale
            record.shift = shift
            records.append(record)
            record = LayerRecord(input: x, shape: shape)
            recomputable = true
          }
        }
      case .relu:
        let output = uninitializedFloats(x.count) { y in
          x.withUnsafeBufferPointer { Kernels.relu(count: $0.count, x: $0.baseAddress!, y: y) }
        }
        x = output
        if recording { record.input = x }
      case .maxPool(let pool):
        let out = (try? pool.outputShape(for: shape)) ?? shape
        let outCount = batch * out.count
        var argmax = [Int32](repeating: 0, count: recording ? outCount : 0)
        let output = uninitializedFloats(outCount) { y in
          x.withUnsafeBufferPointer { xp in
            argmax.withUnsafeMutableBufferPointer { a in
              Kernels.maxPool(
                batch: batch, height: shape.height, width: shape.width, channels: shape.channels,
                kernelSize: pool.kernelSize, stride: pool.stride, padding: pool.padding,
                x: xp.baseAddress!, y: y, argmax: recording ? a.baseAddress! : nil)
            }
          }
        }
        record.argmax = argmax
        record.input = []  // the backward needs only the winners
        x = output
        shape = out
      case .averagePool(let pool):
        let out = (try? pool.outputShape(for: shape)) ?? shape
        let output = uninitializedFloats(batch * out.count) { y in
          x.withUnsafeBufferPointer { xp in
            Kernels.averagePool(
              batch: batch, height: shape.height, width: shape.width, channels: shape.channels,
              kernelSize: pool.kernelSize, stride: pool.stride, x: xp.baseAddress!, y: y)
          }
        }
        record.input = []  // the backward needs only the shape
        x = output
        shape = out
      }
      if recording { records.append(record) }
    }
    return (x, shape)
  }
}

/// What a backward pass computes.
public struct BackwardOptions: Sendable {
  /// Block numbers whose residual branch carries gradient; nil means every branch.
  ///
  /// Through every other block the gradient flows only through the shortcut and the
  /// post-addition activation, as if the branch output were a constant (Veit et al. 2016, §4.2:
  /// the gradient through paths that use exactly the chosen blocks' branches). Skipped branches
  /// cost nothing.
  public var restrictedTo: Set<Int>?
  /// With `restrictedTo`: the chosen blocks pass gradient through their branch only, not their
  /// shortcut, so the gradient is that of the single path through exactly those branches
  /// (Veit et al. 2016, Fig. 6b: "paths of length k"). Without it the chosen blocks pass gradient
  /// through both branch and shortcut (every path using a subset of the chosen branches).
  public var chosenBranchesOnly: Bool
  /// Gradients of the loss with respect to every weight and bias.
  public var parameterGradients: Bool
  /// Gradient with respect to the network input (otherwise backward stops at the first block).
  public var inputGradient: Bool
  /// Keep the gradient with respect to every block's output (`Gradients.blockOutputs`).
  public var blockOutputGradients: Bool

  public init(
    restrictedTo: Set<Int>? = nil, chosenBranchesOnly: Bool = false, parameterGradients: Bool = true,
    inputGradient: Bool = true, blockOutputGradients: Bool = false
  ) {
    self.restrictedTo = restrictedTo
    self.chosenBranchesOnly = chosenBranchesOnly
    self.parameterGradients = parameterGradients
    self.inputGradient = inputGradient
    self.blockOutputGradients = blockOutputGradients
  }
}

/// The gradients of a backward pass.
public struct Gradients: Sendable {
  /// With respect to the network input, (N, H, W, C); nil unless requested.
  public var input: Tensor?
  /// With respect to the input of the first block in execution order (the stem output).
  public var firstBlockInput: Tensor?
  /// With respect to each block's output, in execution order, (N, H, W, C) each; empty unless
  /// `BackwardOptions.blockOutputGradients`.
  public var blockOutputs: [Tensor] = []
  /// With respect to each parameter, keyed `module.weight` / `module.bias` as in PyTorch, in the
  /// engine's layouts (convolution filters (R, S, C, K)). Parameters of branches that carried no
  /// gradient are absent.
  public var parameters: [String: [Float]]
}

extension Network {
  /// Back-propagates `logitsGradient` (N, classCount) through a recorded forward pass of this
  /// network.
  ///
  /// Consumes the pass: each block's activations are released as soon as its backward is done,
  /// so a caller that hands over its only copy (`backward(consume pass, …)`) holds the recorded
  /// activations of the blocks not yet reached plus one block's gradients, never all records and
  /// all gradients at once.
  ///
  /// - Precondition: `pass` was recorded by `forward(_:mode:recording: true)` on this network.
  /// - Complexity: about the cost of the forward pass for the branches that carry gradient.
  public func backward(_ pass: consuming ForwardPass, logitsGradient: Tensor, options: BackwardOptions = BackwardOptions()) -> Gradients {
    precondition(pass.blocks.count == blocks.count && !pass.pooled.isEmpty, "backward needs a recorded forward pass of the same network")
    let batch = pass.batch
    let wantParameters = options.parameterGradients
    let store: ParameterGradientStore? = wantParameters ? ParameterGradientStore() : nil
    // Classifier and pooling.
    let shape = pass.finalShape
    var dPooled = [Float](repeating: 0, count: batch * classifier.inputCount)
    var dWeight = [Float](repeating: 0, count: classifier.weight.count)
    var dBias = [Float](repeating: 0, count: classifier.bias.count)
    pass.pooled.withUnsafeBufferPointer { x in
      classifier.weight.withUnsafeBufferPointer { w in
        logitsGradient.scalars.withUnsafeBufferPointer { dy in
          dPooled.withUnsafeMutableBufferPointer { dx in
            dWeight.withUnsafeMutableBufferPointer { dw in
              dBias.withUnsafeMutableBufferPointer { db in
                Kernels.linearBackward(
                  batch: batch, inputs: classifier.inputCount, outputs: classifier.outputCount,
                  x: x.baseAddress!, weight: w.baseAddress!, dy: dy.baseAddress!, dx: dx.baseAddress!,
                  dWeight: wantParameters ? dw.baseAddress! : nil, dBias: wantParameters ? db.baseAddress! : nil)
              }
            }
          }
        }
      }
    }
    if let store {
      store.values[classifier.name + ".weight"] = dWeight
      store.values[classifier.name + ".bias"] = dBias
    }
    let pixels = shape.height * shape.width
    var dy = uninitializedFloats(batch * shape.count) { dx in
      dPooled.withUnsafeBufferPointer {
        Kernels.globalAveragePoolBackward(batch: batch, pixels: pixels, channels: shape.channels, dy: $0.baseAddress!, dx: dx)
      }
    }
    dy = backLayers(head, pass.head, consume dy, batch: batch, mode: pass.mode, needInput: true, parameters: store)!
    var blockOutputs: [Tensor] = []
    // Whether dy already has the block's post-addition ReLU backward applied (fused into the
    // later block's final addition; not when block output gradients are kept, which come before it).
    var dyMasked = false
    for index in blocks.indices.reversed() {
      let block = blocks[index]
      if options.blockOutputGradients {
        let s = block.outputShape
        blockOutputs.append(Tensor(shape: [batch, s.height, s.width, s.channels], scalars: dy))
      }
      let active = options.restrictedTo.map { $0.contains(block.number) } ?? true
      let shortcutActive = !(options.restrictedTo != nil && options.chosenBranchesOnly && active && !block.isBranchDeleted)
      pass.restoreInputs(throughBlock: index, network: self)
      let earlier = index - 1
      let mask =
        !options.blockOutputGradients && earlier >= 0 && blocks[earlier].activationAfterAddition
        ? pass.blocks[earlier].output : nil
      // The block's records leave the pass here and are released when its backward returns (its
      // input stays alive as the previous block's output).
      var record = BlockRecord(input: [])
      swap(&record, &pass.blocks[index])
      (dy, dyMasked) = backBlock(
        block, consume record, consume dy, batch: batch, mode: pass.mode, branchActive: active,
        shortcutActive: shortcutActive, parameters: store, inputMasked: dyMasked, outputMask: mask)
    }
    let stemShape = stemOutputShape
    var gradients = Gradients(
      input: nil,
      firstBlockInput: Tensor(shape: [batch, stemShape.height, stemShape.width, stemShape.channels], scalars: dy),
      parameters: [:])
    gradients.blockOutputs = blockOutputs.reversed()
    if options.inputGradient || wantParameters {
      // dy is also held by `gradients.firstBlockInput`.
      let dx = backLayers(
        stem, pass.stem, dy, batch: batch, mode: pass.mode, needInput: options.inputGradient, parameters: store,
        dOutShared: true)
      if let dx {
        gradients.input = Tensor(shape: [batch, inputShape.height, inputShape.width, inputShape.channels], scalars: dx)
      }
    }
    gradients.parameters = store?.values ?? [:]
    return gradients
  }

  /// Back-propagates dOut, the gradient of the block's output, through one block; returns the
  /// gradient of its input and whether `outputMask` was applied to it.
  ///
  /// `inputMasked`: dOut already has this block's post-addition ReLU backward applied.
  /// `outputMask` (the previous block's output, when it ends in a ReLU): applied, when the input
  /// gradient is a sum this function computes, in the same pass (`Kernels.maskedAdd`).
  func backBlock(
    _ block: ResidualBlock, _ record: consuming BlockRecord, _ dOut: consuming [Float], batch: Int, mode: NormalizationMode,
    branchActive: Bool, shortcutActive: Bool = true, parameters: ParameterGradientStore?,
    inputMasked: Bool = false, outputMask: [Float]? = nil
  ) -> (gradient: [Float], masked: Bool) {
    var dSum = consume dOut
    if block.activationAfterAddition && !inputMasked {
      // In place: dOut is usually this block's own buffer (a copy is made if it is shared).
      dSum.withUnsafeMutableBufferPointer { d in
        record.output.withUnsafeBufferPointer { y in
          Kernels.reluBackward(count: d.count, x: y.baseAddress!, dy: d.baseAddress!, dx: d.baseAddress!)
        }
      }
    }
    let inputCount = batch * block.inputShape.count
    var dPre: [Float]? = nil
    var dx: [Float]
    // Branch.
    if !block.isBranchDeleted && (branchActive || block.shortcut == .none) {
      var dBranch = dSum
      if block.branchScale != 1 {
        let scale = block.branchScale
        dBranch.withUnsafeMutableBufferPointer { for i in $0.indices { $0[i] *= scale } }
      }
      // dBranch shares its storage with dSum, which the shortcut's gradient still reads.
      dPre = backLayers(
        block.branch, record.branch, consume dBranch, batch: batch, mode: mode, needInput: true,
        parameters: parameters, dOutShared: block.branchScale == 1)
    }
    // Shortcut.
    switch shortcutActive ? block.shortcut : .none {
    case .none:
      if block.isBranchDeleted && block.shortcut == .none { return (dSum, false) }
      dx = [Float](repeating: 0, count: inputCount)
    case .identity:
      dx = dSum
    case .subsampleAndPad(let stride, let before, let after):
      let s = block.inputShape
      dx = uninitializedFloats(inputCount) { d in
        dSum.withUnsafeBufferPointer {
          Kernels.subsampleAndPadBackward(
            batch: batch, height: s.height, width: s.width, channels: s.channels, stride: stride,
            before: before, after: after, dy: $0.baseAddress!, dx: d)
        }
      }
    case .projection(let layers):
      let d = backLayers(layers, record.shortcut, dSum, batch: batch, mode: mode, needInput: true, parameters: parameters)!
      if block.shortcutUsesPreActivation {
        dPre = dPre.map { accumulate($0, d) } ?? d
        dx = [Float](repeating: 0, count: inputCount)
      } else {
        dx = d
      }
    }
    // Pre-activation. The branch's input gradient is this block's own buffer: the shortcut's
    // gradient is added into it.
    if var d = dPre.take() {
      if !block.preActivation.isEmpty {
        d = backLayers(block.preActivation, record.preActivation, consume d, batch: batch, mode: mode, needInput: true, parameters: parameters)!
      }
      let mask = outputMask.flatMap { $0.count == d.count ? $0 : nil }
      d.withUnsafeMutableBufferPointer { r in
        dx.withUnsafeBufferPointer { b in
          if let outputMask = mask {
            outputMask.withUnsafeBufferPointer { m in
              Kernels.maskedAdd(count: r.count, r.baseAddress!, b.baseAddress!, mask: m.baseAddress!, y: r.baseAddress!)
            }
          } else {
            Kernels.add(count: r.count, r.baseAddress!, b.baseAddress!, y: r.baseAddress!)
          }
        }
      }
      return (d, mask != nil)
    }
    return (dx, false)
  }

  /// Back-propagates dy through `layers` using their records; returns the input gradient (nil if
  /// `needInput` is false).
  ///
  /// `dOutShared`: dOut's storage is also held elsewhere (e.g. by the block's shortcut), so an
  /// operation that would overwrite it in place writes a fresh buffer instead (in parallel,
  /// rather than after a serial copy-on-write copy).
  func backLayers(
    _ layers: [Layer], _ records: [LayerRecord], _ dOut: consuming [Float], batch: Int, mode: NormalizationMode,
    needInput: Bool, parameters: ParameterGradientStore?, dOutShared: Bool = false
  ) -> [Float]? {
    var dy = consume dOut
    var dyShared = dOutShared
    var index = layers.count
    // relu(batch norm output) recomputed for a convolution whose record dropped its input, kept
    // for the ReLU before it.
    var restored: [Float] = []
    while index > 0 {
      index -= 1
      // A ReLU after a batch norm: its backward runs inside the batch norm's (`mask`).
      var mask: [Float]? = nil
      if layers[index].isReLU, index > 0, case .batchNorm = layers[index - 1] {
        mask = records[index].recomputed ? restored : records[index].input
        restored = []
        index -= 1
      }
      let layer = layers[index]
      let record = records[index]
      let shape = record.shape
      let wantInput = needInput || index > 0
      let rows = batch * shape.height * shape.width
      switch layer {
      case .convolution(let conv):
        let g = conv.geometry(batch: batch, input: shape)
        var input = record.input
        if record.recomputed {
          restored = records[index - 2].recomputedOutput(batch: batch, relu: true)
          input = restored
        }
        if let parameters {
          var dFilter = [Float](repeating: 0, count: g.filterCount)
          input.withUnsafeBufferPointer { x in
            dy.withUnsafeBufferPointer { d in
              dFilter.withUnsafeMutableBufferPointer { f in
                Kernels.convolutionBackwardFilter(g, input: x.baseAddress!, outputGradient: d.baseAddress!, filterGradient: f.baseAddress!)
              }
            }
          }
          parameters.values[conv.name + ".weight"] = dFilter
          if conv.bias != nil {
            var dBias = [Float](repeating: 0, count: conv.outputChannels)
            let k = conv.outputChannels
            for m in 0..<(g.outputCount / k) {
              for c in 0..<k { dBias[c] += dy[m * k + c] }
            }
            parameters.values[conv.name + ".bias"] = dBias
          }
        }
        guard wantInput else { return nil }
        dy = uninitializedFloats(g.inputCount) { dx in
          dy.withUnsafeBufferPointer { d in
            conv.filter.withUnsafeBufferPointer { f in
              Kernels.convolutionBackwardInput(g, outputGradient: d.baseAddress!, filter: f.baseAddress!, inputGradient: dx)
            }
          }
        }
      case .batchNorm(let bn):
        // dx overwrites dy in place (dy is copied first if it is shared).
        let (dGamma, dBeta): ([Float], [Float]) = record.input.withUnsafeBufferPointer { x in
          withOptionalPointer(mask) { m in
            withGradient(&dy, writable: wantInput, shared: dyShared) { d, dx in
              switch mode {
              case .training:
                return Kernels.batchNormTrainingBackward(
                  rows: rows, channels: shape.channels, x: x.baseAddress!, dy: d, mask: m,
                  gamma: bn.gamma, mean: record.mean, invStd: record.inverseStd, dx: dx)
              case .inference:
                let scale = (0..<bn.channels).map { bn.gamma[$0] * record.inverseStd[$0] }
                return Kernels.batchNormInferenceBackward(
                  rows: rows, channels: shape.channels, x: x.baseAddress!, dy: d, mask: m,
                  scale: scale, mean: record.mean, invStd: record.inverseStd, dx: dx,
                  parameterGradients: parameters != nil)
              }
            }
          }
        }
        if let parameters {
          parameters.values[bn.name + ".weight"] = dGamma
          parameters.values[bn.name + ".bias"] = dBeta
        }
        guard wantInput else { return nil }
      case .relu:
        guard wantInput else { return nil }
        dy = uninitializedFloats(dy.count) { dx in
          record.input.withUnsafeBufferPointer { x in
            dy.withUnsafeBufferPointer { d in Kernels.reluBackward(count: d.count, x: x.baseAddress!, dy: d.baseAddress!, dx: dx) }
          }
        }
      case .maxPool:
        guard wantInput else { return nil }
        let inputCount = batch * shape.count
        dy = uninitializedFloats(inputCount) { dx in
          record.argmax.withUnsafeBufferPointer { a in
            dy.withUnsafeBufferPointer { d in
              Kernels.maxPoolBackward(outputCount: d.count, inputCount: inputCount, argmax: a.baseAddress!, dy: d.baseAddress!, dx: dx)
            }
          }
        }
      case .averagePool(let pool):
        guard wantInput else { return nil }
        dy = uninitializedFloats(batch * shape.count) { dx in
          dy.withUnsafeBufferPointer { d in
            Kernels.averagePoolBackward(
              batch: batch, height: shape.height, width: shape.width, channels: shape.channels,
              kernelSize: pool.kernelSize, stride: pool.stride, dy: d.baseAddress!, dx: dx)
          }
        }
      }
      dyShared = false  // every layer above leaves dy in a buffer of its own
    }
    return needInput ? dy : nil
  }
}

/// Collects parameter gradients during a backward pass.
final class ParameterGradientStore {
  var values: [String: [Float]] = [:]
}

/// Runs `body` with a pointer to the array's elements, or nil.
@inline(__always)
func withOptionalPointer<R>(_ array: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
  guard let array else { return body(nil) }
  return array.withUnsafeBufferPointer { body($0.baseAddress!) }
}

/// Runs `body(dy, dx)` with dx = dy's elements when `writable` (dy made unique first), else nil.
///
/// With `shared` (dy's storage is also held elsewhere), dx is a fresh buffer that replaces dy
/// afterwards instead: `body` must write every element of dx.
@inline(__always)
func withGradient<R>(
  _ dy: inout [Float], writable: Bool, shared: Bool = false,
  _ body: (UnsafePointer<Float>, UnsafeMutablePointer<Float>?) -> R
) -> R {
  if writable && shared {
    var result: R? = nil
    let dx = uninitializedFloats(dy.count) { dx in
      dy.withUnsafeBufferPointer { result = body($0.baseAddress!, dx) }
    }
    dy = dx
    return result!
  }
  if writable {
    return dy.withUnsafeMutableBufferPointer { body($0.baseAddress!, $0.baseAddress!) }
  }
  return dy.withUnsafeBufferPointer { body($0.baseAddress!, nil) }
}

/// a + b element-wise (consumes a).
func accumulate(_ a: [Float], _ b: [Float]) -> [Float] {
  var result = a
  result.withUnsafeMutableBufferPointer { r in
    b.withUnsafeBufferPointer { bp in Kernels.add(count: r.count, r.baseAddress!, bp.baseAddress!, y: r.baseAddress!) }
  }
  return result
}

/// Mean softmax cross-entropy of a batch and its gradient.
///
/// logits (N, K), labels N values in 0..<K → (mean loss, dLoss/dLogits (N, K)).
/// - Throws: `EngineError.labelOutOfRange` for a label outside 0..<K.
public func softmaxCrossEntropy(logits: Tensor, labels: [Int]) throws -> (loss: Double, gradient: Tensor) {
  let batch = logits.shape[0]
  let classes = logits.shape[1]
  guard labels.count == batch else {
    throw EngineError.shapeMismatch(what: "labels", expected: "\(batch) labels", found: "\(labels.count)")
  }
  for (i, label) in labels.enumerated() where label < 0 || label >= classes {
    throw EngineError.labelOutOfRange(index: i, label: label, classCount: classes)
  }
  var gradient = [Float](repeating: 0, count: logits.count)
  let loss = logits.scalars.withUnsafeBufferPointer { l in
    labels.withUnsafeBufferPointer { y in
      gradient.withUnsafeMutableBufferPointer { g in
        Kernels.softmaxCrossEntropy(batch: batch, classes: classes, logits: l.baseAddress!, labels: y.baseAddress!, dLogits: g.baseAddress!)
      }
    }
  }
  return (loss, Tensor(shape: logits.shape, scalars: gradient))
}

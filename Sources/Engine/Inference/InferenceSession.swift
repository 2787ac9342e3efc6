/// Fast inference for one network: batch norm folded into the preceding convolution, ReLU and
/// the residual addition fused into the convolution's epilogue, activation buffers allocated once
/// and reused for every batch.
///
/// A session is not thread-safe (it uses its buffers); kernels inside use every core. Lesions
/// are cheap: `init(_:reusing:)` builds a lesioned network's session from the intact one's, so
/// unchanged blocks share its folded weights (compiled blocks are values) and all sessions share
/// one set of activation buffers: memory does not grow with the number of lesions evaluated.
public final class InferenceSession {
  let stem: CompiledSequence
  let blocks: [CompiledBlock]
  let head: CompiledSequence
  let classifier: Linear
  let inputShape: FeatureShape
  let stemShape: FeatureShape
  let finalShape: FeatureShape
  /// Largest per-image feature-map size anywhere in the network.
  let maximumFeatureCount: Int
  /// Which block each position holds: its number and whether its branch is deleted (what
  /// `init(_:reusing:)` compares to reuse a compiled block).
  let blockKeys: [BlockKey]
  /// The activation buffers, shared by the sessions built with `init(_:reusing:)`.
  let workspace: Workspace
  private var buffers: [UnsafeMutablePointer<Float>] { workspace.buffers }

  struct BlockKey: Equatable {
    var number: Int
    var isBranchDeleted: Bool
  }

  /// Six activation buffers of `capacity` floats each, grown on demand; and for image groups,
  /// six smaller buffers per lane (`lanes[i]`, `laneCapacity` floats each).
  final class Workspace {
    private(set) var buffers: [UnsafeMutablePointer<Float>] = []
    private(set) var capacity = 0
    private(set) var lanes: [[UnsafeMutablePointer<Float>]] = []
    private(set) var laneCapacity = 0

    private static func allocate(_ count: Int) -> [UnsafeMutablePointer<Float>] {
      (0..<6).map { _ in
        let b = UnsafeMutablePointer<Float>.allocate(capacity: count)
        b.initialize(repeating: 0, count: count)
        return b
      }
    }

    func ensure(_ needed: Int) {
      guard needed > capacity else { return }
      for buffer in buffers { buffer.deallocate() }
      buffers = Workspace.allocate(needed)
      capacity = needed
    }

    /// At least `count` lanes of at least `needed` floats per buffer.
    func ensureLanes(_ count: Int, _ needed: Int) {
      if needed > laneCapacity {
        for lane in lanes { for buffer in lane { buffer.deallocate() } }
        lanes = []
        laneCapacity = needed
      }
      while lanes.count < count { lanes.append(Workspace.allocate(laneCapacity)) }
    }

    deinit {
      for buffer in buffers { buffer.deallocate() }
      for lane in lanes { for buffer in lane { buffer.deallocate() } }
    }
  }

  /// Images per group when a batch runs through the whole network group by group.
  ///
  /// Layer by layer over a batch of 128, every activation (8 MiB at 32×32×16) streams through
  /// main memory; a group of 4 images keeps a layer's input, output and residual (768 KiB at
  /// 32×32×16) in a Zen 4 core's 1 MiB L2 cache, and the lanes run without a barrier per layer.
  /// Every kernel computes each image independently of the others, so the logits are the same
  /// bits as layer by layer.
  static let imageGroup = 4

  /// Compiles `network` (lesioned or not) for inference.
  /// - Throws: `EngineError` if the network's blocks do not chain (an invalid reordering).
  public convenience init(_ network: Network) throws {
    try self.init(network, base: nil)
  }

  /// Compiles `network` (e.g. a lesion of `base`'s network) reusing what `base` compiled: the stem,
  /// head and every block at the same position with the same number and deletion state, and
  /// `base`'s activation buffers. The two sessions must not run at the same time.
  /// - Throws: `EngineError` if the network's blocks do not chain (an invalid reordering).
  public convenience init(_ network: Network, reusing base: InferenceSession) throws {
    try self.init(network, base: base)
  }

  private init(_ network: Network, base: InferenceSession?) throws {
    try network.validateBlockShapes()
    AllocatorSettings.apply()
    inputShape = network.inputShape
    let keys = network.blocks.map { BlockKey(number: $0.number, isBranchDeleted: $0.isBranchDeleted) }
    // The stem and head of a lesioned network are the base network's (lesions change blocks).
    let ends = base.flatMap { $0.inputShape == network.inputShape && $0.blockKeys.count == keys.count ? $0 : nil }
    stem = ends?.stem ?? CompiledSequence(network.stem, input: network.inputShape)
    stemShape = stem.outputShape
    var compiled: [CompiledBlock] = []
    for (position, block) in network.blocks.enumerated() {
      if let base, position < base.blockKeys.count, base.blockKeys[position] == keys[position] {
        compiled.append(base.blocks[position])
      } else {
        compiled.append(CompiledBlock(block))
      }
    }
    blocks = compiled
    blockKeys = keys
    let lastShape = network.blocks.last?.outputShape ?? stemShape
    head = ends.flatMap { $0.finalBlockShape == lastShape ? $0.head : nil } ?? CompiledSequence(network.head, input: lastShape)
    finalShape = head.outputShape
    classifier = network.classifier
    var maximum = max(inputShape.count, stem.maximumFeatureCount)
    for block in compiled { maximum = max(maximum, block.maximumFeatureCount) }
    maximum = max(maximum, head.maximumFeatureCount)
    maximumFeatureCount = maximum
    workspace = base?.workspace ?? Workspace()
  }

  private func ensureCapacity(batch: Int) {
    workspace.ensure(batch * maximumFeatureCount)
  }

  /// Logits for a batch: input (N, H, W, C) channels-last → (N, classCount).
  /// - Throws: `EngineError.shapeMismatch` if the input does not fit.
  public func logits(for input: Tensor) throws -> Tensor {
    let batch = try checkBatch(input, shape: inputShape, what: "network input")
    return groupedLogits(batch: batch, from: input, runningStem: true, blocksFrom: 0)
  }

  /// Logits of `batch` images whose stem output (`runningStem` false: input of block position
  /// `start`) is `source`: with more than `imageGroup` images, group by group through the whole
  /// network, one lane of buffers per thread; otherwise layer by layer over the batch (kernels
  /// then split inside the images).
  private func groupedLogits(batch: Int, from source: Tensor, runningStem: Bool, blocksFrom start: Int) -> Tensor {
    let classes = classifier.outputCount
    var logits = [Float](repeating: 0, count: batch * classes)
    let imageCount = source.scalars.count / batch
    let group = InferenceSession.imageGroup
    source.scalars.withUnsafeBufferPointer { x in
      logits.withUnsafeMutableBufferPointer { y in
        let (x, y) = (x.baseAddress!, y.baseAddress!)
        // Runs `count` images starting at image `first` on `buffers`.
        func run(_ first: Int, _ count: Int, _ buffers: [UnsafeMutablePointer<Float>]) {
          buffers[0].update(from: x + first * imageCount, count: count * imageCount)
          let current = runningStem ? stem.run(batch: count, input: 0, buffers: buffers, avoiding: []) : 0
          runToLogits(
            batch: count, runningBlocksFrom: start, input: current, buffers: buffers, logits: y + first * classes)
        }
        guard batch > group else {
          ensureCapacity(batch: batch)
          run(0, batch, buffers)
          return
        }
        let groups = (batch + group - 1) / group
        let lanes = min(EngineThreads.count, groups)
        workspace.ensureLanes(lanes, group * maximumFeatureCount)
        let laneBuffers = workspace.lanes
        // Lane i runs groups i, i + lanes, …; kernels inside run on the lane's thread.
        parallelFor(lanes) { lane in
          for g in stride(from: lane, to: groups, by: lanes) {
            run(g * group, min(group, batch - g * group), laneBuffers[lane])
          }
        }
      }
    }
    return Tensor(shape: [batch, classes], scalars: logits)
  }

  /// The stem's output (the first block's input), (N, H', W', C').
  public func stemOutput(for input: Tensor) throws -> Tensor {
    let batch = try checkBatch(input, shape: inputShape, what: "network input")
    ensureCapacity(batch: batch)
    let out = input.scalars.withUnsafeBufferPointer { x -> Int in
      buffers[0].update(from: x.baseAddress!, count: x.count)
      return stem.run(batch: batch, input: 0, buffers: buffers, avoiding: [])
    }
    return Tensor(shape: [batch, stemShape.height, stemShape.width, stemShape.channels],
      scalars: Array(UnsafeBufferPointer(start: buffers[out], count: batch * stemShape.count)))
  }

  /// Runs blocks `range` (positions in this session's block order) on `features`, the input of
  /// block `range.lowerBound`, and returns their output (N, H, W, C).
  public func features(afterBlocks range: Range<Int>, from features: Tensor) throws -> Tensor {
    let shape = range.lowerBound < blocks.count ? blocks[range.lowerBound].inputShape : finalBlockShape
    let batch = try checkBatch(features, shape: shape, what: "block \(range.lowerBound + 1) input")
    ensureCapacity(batch: batch)
    var current = 0
    features.scalars.withUnsafeBufferPointer { buffers[0].update(from: $0.baseAddress!, count: $0.count) }
    for position in range { current = blocks[position].run(batch: batch, input: current, buffers: buffers) }
    let outShape = range.isEmpty ? shape : blocks[range.upperBound - 1].outputShape
    return Tensor(shape: [batch, outShape.height, outShape.width, outShape.channels],
      scalars: Array(UnsafeBufferPointer(start: buffers[current], count: batch * outShape.count)))
  }

  /// Logits from the input of block position `start` onwards: features (N, H, W, C) → (N, classes).
  public func logits(fromBlock start: Int, features: Tensor, batch: Int) throws -> Tensor {
    let shape = start < blocks.count ? blocks[start].inputShape : finalBlockShape
    let batch = try checkBatch(features, shape: shape, what: "block \(start + 1) input")
    return groupedLogits(batch: batch, from: features, runningStem: false, blocksFrom: start)
  }

  /// Runs blocks `start…` on the features in `buffers[input]`, then the head and classifier,
  /// writing (batch, classes) logits to `logits`.
  private func runToLogits(
    batch: Int, runningBlocksFrom start: Int, input: Int, buffers: [UnsafeMutablePointer<Float>],
    logits: UnsafeMutablePointer<Float>
  ) {
    var current = input
    for position in start..<blocks.count {
      current = blocks[position].run(batch: batch, input: current, buffers: buffers)
    }
    current = head.run(batch: batch, input: current, buffers: buffers, avoiding: [])
    let channels = finalShape.channels
    var pooled = [Float](repeating: 0, count: batch * channels)
    pooled.withUnsafeMutableBufferPointer {
      Kernels.globalAveragePool(batch: batch, pixels: finalShape.height * finalShape.width, channels: channels, x: buffers[current], y: $0.baseAddress!)
    }
    pooled.withUnsafeBufferPointer { p in
      classifier.weight.withUnsafeBufferPointer { w in
        classifier.bias.withUnsafeBufferPointer { b in
          Kernels.linear(batch: batch, inputs: channels, outputs: classifier.outputCount, x: p.baseAddress!, weight: w.baseAddress!, bias: b.baseAddress!, y: logits)
        }
      }
    }
  }

  var finalBlockShape: FeatureShape { blocks.last?.outputShape ?? stemShape }

  private func checkBatch(_ t: Tensor, shape: FeatureShape, what: String) throws -> Int {
    guard t.shape.count == 4, t.shape[0] > 0, t.shape[1] == shape.height, t.shape[2] == shape.width, t.shape[3] == shape.channels else {
      throw EngineError.shapeMismatch(what: what, expected: "(N, \(shape.height), \(shape.width), \(shape.channels)) channels-last", found: "shape \(t.shape)")
    }
    return t.shape[0]
  }
}

/// One fused operation of the inference path.
enum FusedOperation {
  /// Convolution with batch norm folded in; optional ReLU.
  case convolution(Convolution2D, relu: Bool)
  /// y = relu?(x·scale + shift) (batch norm not preceded by a convolution).
  case affine(scale: [Float], shift: [Float], relu: Bool)
  case relu
  case maxPool(MaxPool)
  case averagePool(AveragePool)
}

/// A layer sequence folded for inference.
struct CompiledSequence {
  var operations: [FusedOperation] = []
  /// Input shape of each operation, and the final output shape.
  var shapes: [FeatureShape] = []
  var outputShape: FeatureShape
  var maximumFeatureCount: Int
  /// Each convolution's filter and bias packed once for the kernels (nil for other operations).
  var packedFilters: [PackedConvolutionFilter?] = []

  init(_ layers: [Layer], input: FeatureShape, scale: Float = 1) {
    var ops: [FusedOperation] = []
    var shapes: [FeatureShape] = []
    var shape = input
    var maximum = input.count
    var i = 0
    while i < layers.count {
      let inShape = shape
      switch layers[i] {
      case .convolution(var conv):
        if i + 1 < layers.count, case .batchNorm(let bn) = layers[i + 1] {
          let (s, t) = bn.inferenceScaleShift
          let k = conv.outputChannels
          conv.filter.withUnsafeMutableBufferPointer { f in
            for j in 0..<f.count { f[j] *= s[j % k] }
          }
          var bias = [Float](repeating: 0, count: k)
          for c in 0..<k { bias[c] = (conv.bias?[c] ?? 0) * s[c] + t[c] }
          conv.bias = bias
          i += 1
        }
        if conv.bias == nil { conv.bias = [Float](repeating: 0, count: conv.outputChannels) }
        var relu = false
        if i + 1 < layers.count, case .relu = layers[i + 1] {
          relu = true
          i += 1
        }
        shape = (try? conv.outputShape(for: shape)) ?? shape
        ops.append(.convolution(conv, relu: relu))
      case .batchNorm(let bn):
        let (s, t) = bn.inferenceScaleShift
        var relu = false
        if i + 1 < layers.count, case .relu = layers[i + 1] {
          relu = true
          i += 1
        }
        ops.append(.affine(scale: s, shift: t, relu: relu))
      case .relu:
        ops.append(.relu)
      case .maxPool(let pool):
        shape = (try? pool.outputShape(for: shape)) ?? shape
        ops.append(.maxPool(pool))
      case .averagePool(let pool):
        shape = (try? pool.outputShape(for: shape)) ?? shape
        ops.append(.averagePool(pool))
      }
      shapes.append(inShape)
      maximum = max(maximum, shape.count)
      i += 1
    }
    if scale != 1, let last = ops.indices.last, case .convolution(var conv, let relu) = ops[last] {
      for j in conv.filter.indices { conv.filter[j] *= scale }
      conv.bias = conv.bias?.map { $0 * scale }
      ops[last] = .convolution(conv, relu: relu)
    }
    // The packed copy is the one the kernels read; the session keeps no second copy of the weights.
    packedFilters = ops.indices.map { index -> PackedConvolutionFilter? in
      guard case .convolution(var conv, let relu) = ops[index] else { return nil }
      let packed = conv.filter.withUnsafeBufferPointer { f in
        conv.bias!.withUnsafeBufferPointer { b in
          PackedConvolutionFilter(
            filter: f.baseAddress!, bias: b.baseAddress!, kernelHeight: conv.kernelSize,
            kernelWidth: conv.kernelSize, inputChannels: conv.inputChannels,
            outputChannels: conv.outputChannels)
        }
      }
      conv.filter = []
      ops[index] = .convolution(conv, relu: relu)
      return packed
    }
    operations = ops
    self.shapes = shapes
    outputShape = shape
    maximumFeatureCount = maximum
  }

  /// Runs the sequence from buffer `input`, using buffers not in `avoiding`; returns the index of
  /// the buffer holding the result (possibly `input` itself for an empty sequence).
  /// If `residual` is given, the last operation (a convolution) adds it and writes into `output`
  /// (default: into `residual` itself); no earlier operation writes either buffer.
  func run(
    batch: Int, input: Int, buffers: [UnsafeMutablePointer<Float>], avoiding: Set<Int>,
    residual: Int? = nil, output: Int? = nil, reluAfterResidual: Bool = false
  ) -> Int {
    var current = input
    for (index, op) in operations.enumerated() {
      let shape = shapes[index]
      let isLast = index == operations.count - 1
      var target =
        (0..<buffers.count).first { $0 != current && !avoiding.contains($0) && $0 != residual && $0 != output }!
      switch op {
      case .convolution(let conv, let relu):
        let g = conv.geometry(batch: batch, input: shape)
        var residualPointer: UnsafePointer<Float>? = nil
        var applyRelu = relu
        if isLast, let residual {
          target = output ?? residual
          residualPointer = UnsafePointer(buffers[residual])
          applyRelu = reluAfterResidual
        }
        Kernels.convolutionForward(
          g, input: buffers[current], packed: packedFilters[index]!, residual: residualPointer,
          relu: applyRelu, output: buffers[target])
      case .affine(let scale, let shift, let relu):
        Kernels.channelAffine(
          rows: batch * shape.height * shape.width, channels: shape.channels, x: buffers[current],
          scale: scale, shift: shift, relu: relu, y: buffers[target])
      case .relu:
        Kernels.relu(count: batch * shape.count, x: buffers[current], y: buffers[target])
      case .maxPool(let pool):
        Kernels.maxPool(
          batch: batch, height: shape.height, width: shape.width, channels: shape.channels,
          kernelSize: pool.kernelSize, stride: pool.stride, padding: pool.padding,
          x: buffers[current], y: buffers[target], argmax: nil)
      case .averagePool(let pool):
        Kernels.averagePool(
          batch: batch, height: shape.height, width: shape.width, channels: shape.channels,
          kernelSize: pool.kernelSize, stride: pool.stride, x: buffers[current], y: buffers[target])
      }
      current = target
    }
    return current
  }
}

/// A residual block folded for inference.
struct CompiledBlock {
  var preActivation: CompiledSequence
  var branch: CompiledSequence
  var shortcut: Shortcut
  var projection: CompiledSequence?
  var shortcutUsesPreActivation: Bool
  var isBranchDeleted: Bool
  var activationAfterAddition: Bool
  var inputShape: FeatureShape
  var outputShape: FeatureShape
  var maximumFeatureCount: Int
  /// Whether the branch ends in a convolution that can take the residual in its epilogue.
  var fusesResidual: Bool

  init(_ block: ResidualBlock) {
    inputShape = block.inputShape
    outputShape = block.outputShape
    preActivation = CompiledSequence(block.preActivation, input: block.inputShape)
    branch = CompiledSequence(block.branch, input: preActivation.outputShape, scale: block.branchScale)
    shortcut = block.shortcut
    if case .projection(let layers) = block.shortcut {
      projection = CompiledSequence(layers, input: preActivation.outputShape)
    }
    shortcutUsesPreActivation = block.shortcutUsesPreActivation
    isBranchDeleted = block.isBranchDeleted
    activationAfterAddition = block.activationAfterAddition
    maximumFeatureCount = max(preActivation.maximumFeatureCount, branch.maximumFeatureCount, projection?.maximumFeatureCount ?? 0)
    if case .convolution(_, let relu) = branch.operations.last, !relu { fusesResidual = true } else { fusesResidual = false }
  }

  /// Runs the block from buffer `input`; returns the buffer holding its output.
  func run(batch: Int, input: Int, buffers: [UnsafeMutablePointer<Float>]) -> Int {
    let outCount = batch * outputShape.count
    if case .none = shortcut {
      if isBranchDeleted { return input }
      return branch.run(batch: batch, input: input, buffers: buffers, avoiding: [input])
    }
    var pre = input
    if !preActivation.operations.isEmpty && (!isBranchDeleted || shortcutUsesPreActivation) {
      pre = preActivation.run(batch: batch, input: input, buffers: buffers, avoiding: [input])
    }
    let sum = (0..<buffers.count).first { $0 != input && $0 != pre }!
    if case .identity = shortcut {
      // The identity shortcut is read where it is: no copy of the input into `sum`.
      if isBranchDeleted {
        guard activationAfterAddition else { return input }
        Kernels.relu(count: outCount, x: buffers[input], y: buffers[sum])
        return sum
      }
      if fusesResidual {
        return branch.run(
          batch: batch, input: pre, buffers: buffers, avoiding: [input, pre, sum], residual: input, output: sum,
          reluAfterResidual: activationAfterAddition)
      }
    }
    // Shortcut into `sum`.
    switch shortcut {
    case .identity:
      buffers[sum].update(from: buffers[input], count: outCount)
    case .subsampleAndPad(let stride, let before, let after):
      Kernels.subsampleAndPad(
        batch: batch, height: inputShape.height, width: inputShape.width, channels: inputShape.channels,
        stride: stride, before: before, after: after, x: buffers[input], y: buffers[sum])
    case .projection:
      let source = shortcutUsesPreActivation ? pre : input
      let out = projection!.run(batch: batch, input: source, buffers: buffers, avoiding: [input, pre, sum])
      buffers[sum].update(from: buffers[out], count: outCount)
    case .none:
      break
    }
    if isBranchDeleted {
      if activationAfterAddition { Kernels.relu(count: outCount, x: buffers[sum], y: buffers[sum]) }
      return sum
    }
    if fusesResidual {
      return branch.run(batch: batch, input: pre, buffers: buffers, avoiding: [input, pre, sum], residual: sum, reluAfterResidual: activationAfterAddition)
    }
    let out = branch.run(batch: batch, input: pre, buffers: buffers, avoiding: [input, pre, sum])
    Kernels.add(count: outCount, buffers[sum], buffers[out], y: buffers[sum])
    if activationAfterAddition { Kernels.relu(count: outCount, x: buffers[sum], y: buffers[sum]) }
    return sum
  }
}

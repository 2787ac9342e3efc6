// Block inputs that a recorded forward pass drops and backward recomputes.
//
// A training step keeps, per post-activation block, its input x, its first convolution's output
// and its last batch norm's input z. The input of block j + 1 is relu(shortcut(x_j) + bn(z_j)),
// one element-wise pass (`Kernels.channelAffine` with an addend) from what block j keeps, so the
// forward pass keeps block inputs only at every `recordedInputSpacing`-th block (and where the
// block before cannot recompute it) and backward recomputes a segment's inputs when it reaches
// it: the same kernel on the same values, so the same bits. For CIFAR ResNet-110 at batch 128
// this keeps 2 + 1/4 activation tensors per block instead of 3 (peak memory in the README's Speed
// section), for one extra element-wise pass per dropped input.

extension Network {
  /// Blocks between kept block inputs: inputs of blocks 0, 4, 8, … are kept, the others are
  /// recomputed in backward (at most 3 at a time).
  static let recordedInputSpacing = 4

  /// Whether the input of block `index` (the output of block `index − 1`) can be dropped from a
  /// recorded pass: block `index − 1` fuses its tail (so its output is recomputable from its own
  /// input and its last batch norm's record) and block `index` holds its input only in its
  /// record and its first convolution's record.
  func recomputesInput(ofBlock index: Int) -> Bool {
    guard index > 0, index % Self.recordedInputSpacing != 0, blocks[index - 1].fusesTail else { return false }
    let block = blocks[index]
    guard block.preActivation.isEmpty else { return false }
    switch block.shortcut {
    case .identity, .subsampleAndPad, .none: break
    case .projection: return false
    }
    if block.isBranchDeleted { return true }
    if case .convolution = block.branch.first { return true }
    return false
  }

  /// The output of block `index` recomputed from its input x (N, H, W, C) and its record: the
  /// bits its forward pass produced.
  ///
  /// - Precondition: the block fuses its tail (`ResidualBlock.fusesTail`).
  func recomputeBlockOutput(_ index: Int, input x: [Float], record: BlockRecord, batch: Int) -> [Float] {
    let block = blocks[index]
    precondition(block.fusesTail, "block \(index) cannot recompute its output")
    return record.branch[record.branch.count - 1].recomputedOutput(
      batch: batch, addend: elementwiseShortcut(block, x, batch: batch), relu: block.activationAfterAddition)
  }
}

extension LayerRecord {
  /// A batch norm's output recomputed from its record (input (M, C), scale and shift (C)), with
  /// the ReLU after it or the block's addition and ReLU fused in as the forward pass ran them:
  /// the same bits (`affineOutput`).
  ///
  /// - Complexity: O(M·C), one pass.
  func recomputedOutput(batch: Int, addend: [Float]? = nil, relu: Bool) -> [Float] {
    precondition(scale.count == shape.channels, "a recomputed activation needs its batch norm's scale and shift")
    return affineOutput(
      input, rows: batch * shape.height * shape.width, channels: shape.channels, scale: scale, shift: shift,
      addend: addend, relu: relu)
  }
}

extension ForwardPass {
  /// Drops the input of block `index` from the records that hold it (the block's, its first
  /// layer's, and block `index − 1`'s output).
  ///
  /// - Precondition: `network.recomputesInput(ofBlock: index)`.
  mutating func dropInput(ofBlock index: Int) {
    blocks[index].input = []
    blocks[index].inputDropped = true
    if !blocks[index].branch.isEmpty { blocks[index].branch[0].input = [] }
    blocks[index - 1].output = []
  }

  /// Puts `x` back as the input of block `index` wherever `dropInput(ofBlock:)` removed it.
  mutating func restoreInput(ofBlock index: Int, _ x: [Float], network: Network) {
    blocks[index].input = x
    blocks[index].inputDropped = false
    if !blocks[index].branch.isEmpty { blocks[index].branch[0].input = x }
    if network.blocks[index - 1].activationAfterAddition { blocks[index - 1].output = x }
  }

  /// Recomputes the dropped inputs of block `index` and of the blocks before it back to the
  /// nearest kept input, so that blocks `index` down to that one find their records whole.
  ///
  /// - Complexity: at most `Network.recordedInputSpacing − 1` element-wise passes.
  mutating func restoreInputs(throughBlock index: Int, network: Network) {
    guard blocks[index].inputDropped else { return }
    var first = index
    while blocks[first].inputDropped { first -= 1 }
    var x = blocks[first].input
    for j in first..<index {
      x = network.recomputeBlockOutput(j, input: x, record: blocks[j], batch: batch)
      restoreInput(ofBlock: j + 1, x, network: network)
    }
  }
}

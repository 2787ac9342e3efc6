// Block inputs dropped by a recorded forward pass and recomputed in backward (Recomputation.swift):
// the recomputed inputs are the forward pass's bits, and the gradients are the bits of a pass
// that kept every input.

import _TestSupport
import XCTest

@testable import Engine

final class RecomputationTests: XCTestCase {
  /// A CIFAR ResNet-20 on 8×8 images (9 blocks, both option-A transitions) with seeded random
  /// weights and batch-norm parameters.
  func randomNetwork() throws -> Network {
    var network = try Network(try .cifarResNet(depth: 20, inputSize: 8))
    var random = SplitMix64(seed: 31)
    network.updateLayers { layer in
      switch layer {
      case .convolution(var conv):
        let scale = (2 / Float(conv.kernelSize * conv.kernelSize * conv.inputChannels)).squareRoot()
        conv.filter = random.floats(conv.filter.count).map { $0 * scale }
        layer = .convolution(conv)
      case .batchNorm(var bn):
        bn.gamma = (0..<bn.channels).map { _ in random.float(0.5, 1.5) }
        bn.beta = random.floats(bn.channels).map { $0 * 0.1 }
        bn.runningMean = random.floats(bn.channels).map { $0 * 0.1 }
        bn.runningVariance = (0..<bn.channels).map { _ in random.float(0.5, 2) }
        layer = .batchNorm(bn)
      default:
        break
      }
    }
    network.classifier.weight = random.floats(network.classifier.weight.count).map { $0 * 0.1 }
    return network
  }

  /// Every block's input, computed block by block without recording.
  func blockInputs(_ network: Network, _ input: Tensor, mode: NormalizationMode) -> [[Float]] {
    var records: [LayerRecord] = []
    var statistics: [String: (mean: [Float], variance: [Float])] = [:]
    var (x, _) = network.runLayers(
      network.stem, input.scalars, network.inputShape, batch: input.shape[0], mode: mode, recording: false,
      records: &records, statistics: &statistics)
    var inputs: [[Float]] = []
    for block in network.blocks {
      inputs.append(x)
      x = network.runBlock(block, x, batch: input.shape[0], mode: mode, recording: false, statistics: &statistics).0
    }
    return inputs
  }

  func testDroppedInputsAreRecomputedToTheForwardPassBits() throws {
    let network = try randomNetwork()
    var random = SplitMix64(seed: 32)
    let input = Tensor(shape: [3, 8, 8, 3], scalars: random.floats(3 * 8 * 8 * 3))
    for mode in [NormalizationMode.training, .inference] {
      var pass = try network.forward(input, mode: mode)
      // Inputs of blocks 0, 4 and 8 are kept; the others (blocks 3 and 6 start stages 2 and 3)
      // are dropped from every record that held them.
      let dropped = pass.blocks.indices.filter { pass.blocks[$0].inputDropped }
      XCTAssertEqual(dropped, [1, 2, 3, 5, 6, 7], "\(mode)")
      for j in dropped {
        XCTAssertTrue(pass.blocks[j].input.isEmpty && pass.blocks[j].branch[0].input.isEmpty, "block \(j)")
        XCTAssertTrue(pass.blocks[j - 1].output.isEmpty, "output of block \(j - 1)")
      }
      let expected = blockInputs(network, input, mode: mode)
      pass.restoreInputs(throughBlock: 7, network: network)
      XCTAssertEqual(pass.blocks.indices.filter { pass.blocks[$0].inputDropped }, [1, 2, 3], "\(mode)")
      pass.restoreInputs(throughBlock: 3, network: network)
      for j in network.blocks.indices {
        XCTAssertFalse(pass.blocks[j].inputDropped)
        XCTAssertEqual(pass.blocks[j].input.map(\.bitPattern), expected[j].map(\.bitPattern), "\(mode): input of block \(j)")
        XCTAssertEqual(pass.blocks[j].branch[0].input.map(\.bitPattern), expected[j].map(\.bitPattern), "\(mode): block \(j)'s first convolution")
        if j > 0 {
          XCTAssertEqual(pass.blocks[j - 1].output.map(\.bitPattern), expected[j].map(\.bitPattern), "\(mode): output of block \(j - 1)")
        }
      }
    }
  }

  /// Backward through a pass with dropped inputs gives the bits of backward through the same pass
  /// with every input put back from a plain block-by-block forward run.
  func testGradientsEqualThoseOfAPassThatKeptEveryInput() throws {
    let network = try randomNetwork()
    var random = SplitMix64(seed: 33)
    let input = Tensor(shape: [4, 8, 8, 3], scalars: random.floats(4 * 8 * 8 * 3))
    let labels = [3, 1, 4, 1]
    for mode in [NormalizationMode.training, .inference] {
      let pass = try network.forward(input, mode: mode)
      var kept = pass
      let expected = blockInputs(network, input, mode: mode)
      for j in kept.blocks.indices where kept.blocks[j].inputDropped {
        kept.restoreInput(ofBlock: j, expected[j], network: network)
      }
      let (_, dLogits) = try softmaxCrossEntropy(logits: pass.logits, labels: labels)
      let found = network.backward(pass, logitsGradient: dLogits)
      let reference = network.backward(kept, logitsGradient: dLogits)
      XCTAssertEqual(found.input?.scalars.map(\.bitPattern), reference.input?.scalars.map(\.bitPattern), "\(mode): input gradient")
      // 19 convolution weights, 19 batch norms × (weight, bias), the classifier's weight and bias.
      XCTAssertEqual(found.parameters.count, 19 + 2 * 19 + 2)
      XCTAssertEqual(Set(found.parameters.keys), Set(reference.parameters.keys))
      for (name, values) in reference.parameters {
        XCTAssertEqual(found.parameters[name]?.map(\.bitPattern), values.map(\.bitPattern), "\(mode): \(name)")
      }
    }
  }
}

import Foundation
import XCTest

@testable import Engine

/// Invariants of plans (issue: deleting nothing, the identity order and restricting to every
/// branch reproduce the plain forward/backward exactly) and of the inference path.
final class InvariantTests: XCTestCase {
  func testIdentityPlansReproduceForwardAndBackwardExactly() throws {
    for family in ["cifar_a", "preact", "imagenet_bottleneck", "vgg"] {
      let fixture = try EngineFixture(family)
      let network = try fixture.network()
      let input = try fixture.input()
      let pass = try network.forward(input)
      let (_, dLogits) = try softmaxCrossEntropy(logits: pass.logits, labels: fixture.labels())
      let reference = network.backward(pass, logitsGradient: dLogits)
      let identity = try network.applying(LesionPlan(order: network.blocks.map(\.number), deleted: []))
      XCTAssertEqual(identity, network, family)
      let again = try identity.forward(input)
      XCTAssertEqual(again.logits, pass.logits, "\(family): identity order")
      let all = network.backward(pass, logitsGradient: dLogits, options: BackwardOptions(restrictedTo: Set(network.blocks.map(\.number))))
      XCTAssertEqual(all.input, reference.input, "\(family): restricted to every branch")
      XCTAssertEqual(all.parameters, reference.parameters, "\(family): restricted to every branch")
    }
  }

  func testDeleteThenRestoreReproducesLogitsExactly() throws {
    let fixture = try EngineFixture("cifar_a")
    let network = try fixture.network()
    let input = try fixture.input()
    var lesioned = try network.deletingBlocks([2, 5])
    XCTAssertNotEqual(try lesioned.logits(for: input), try network.logits(for: input))
    for i in lesioned.blocks.indices { lesioned.blocks[i].isBranchDeleted = false }
    XCTAssertEqual(try lesioned.logits(for: input), try network.logits(for: input))
  }

  func testRestrictedBackwardSkipsBranchParameters() throws {
    let fixture = try EngineFixture("cifar_a")
    let network = try fixture.network()
    let pass = try network.forward(try fixture.input())
    let (_, dLogits) = try softmaxCrossEntropy(logits: pass.logits, labels: fixture.labels())
    let g = network.backward(pass, logitsGradient: dLogits, options: BackwardOptions(restrictedTo: [3]))
    XCTAssertNotNil(g.parameters["layer2.0.conv1.weight"])
    XCTAssertNil(g.parameters["layer1.0.conv1.weight"], "branch of block 1 carries no gradient")
    XCTAssertNotNil(g.parameters["conv1.weight"], "the stem still gets gradient through the shortcuts")
  }

  func testBadPlansAreRefusedWithTheBlockNamed() throws {
    let network = try EngineFixture("cifar_a").network()
    XCTAssertThrowsError(try network.deletingBlocks([7])) { error in
      XCTAssertEqual("\(error)", "block 7 is out of range: valid blocks are 1–6")
    }
    XCTAssertThrowsError(try network.deletingBlocks([2, 2])) { error in
      XCTAssertEqual("\(error)", "invalid block order: block 2 is listed twice")
    }
    XCTAssertThrowsError(try network.reorderingBlocks([3, 2, 1, 4, 5, 6])) { error in
      XCTAssertEqual("\(error)", "block 2 (layer1.1) takes 4×12×12 feature maps but would receive 8×6×6")
    }
    let vgg = try EngineFixture("vgg").network()
    XCTAssertThrowsError(try vgg.deletingBlocks([3])) { error in
      XCTAssertTrue("\(error)".hasPrefix("block 3 (layers.2) has no shortcut"), "\(error)")
    }
  }

  /// A lesioned session built from the intact one reuses its compiled blocks and buffers and
  /// gives the same bits as a session compiled from scratch, whatever ran before on the buffers.
  func testSessionsReusingTheIntactSessionGiveTheSameLogits() throws {
    for family in ["cifar_a", "preact", "imagenet_bottleneck", "vgg"] {
      let fixture = try EngineFixture(family)
      let network = try fixture.network()
      let input = try fixture.input()
      let intact = try InferenceSession(network)
      let deletable = network.blocks.filter(\.isDeletable).map(\.number)
      var plans = [LesionPlan(deleted: Set(deletable.prefix(1))), LesionPlan(deleted: Set(deletable.suffix(2)))]
      if network.blocks.count >= 2 { plans.append(LesionPlan(order: Array((1...network.blockCount).reversed()), deleted: [])) }
      for plan in plans {
        guard let lesioned = try? network.applying(plan), (try? lesioned.validateBlockShapes()) != nil else { continue }
        let reusing = try InferenceSession(lesioned, reusing: intact)
        XCTAssertTrue(reusing.workspace === intact.workspace, "\(family) \(plan): one set of buffers")
        let expected = try InferenceSession(lesioned).logits(for: input)
        _ = try intact.logits(for: input)  // leaves the intact network's activations in the shared buffers
        XCTAssertEqual(try reusing.logits(for: input).scalars, expected.scalars, "\(family) \(plan)")
        XCTAssertEqual(try intact.logits(for: input).scalars, try InferenceSession(network).logits(for: input).scalars)
      }
    }
  }

  func testWrongInputShapeIsAThrownErrorNamingBothShapes() throws {
    let network = try EngineFixture("cifar_a").network()
    XCTAssertThrowsError(try network.logits(for: Tensor(zeros: [2, 12, 12, 1]))) { error in
      XCTAssertTrue("\(error)".contains("expected a batch of 3×12×12 images"), "\(error)")
      XCTAssertTrue("\(error)".contains("[2, 12, 12, 1]"), "\(error)")
    }
    XCTAssertThrowsError(try InferenceSession(network).logits(for: Tensor(zeros: [1, 11, 12, 3])))
    var broken = network
    XCTAssertThrowsError(try broken.loadStateDictionary(["conv1.weight": Tensor(zeros: [4, 3, 3, 3])])) { error in
      XCTAssertTrue("\(error)".contains("missing keys: bn1.weight"), "\(error)")
    }
  }
}

/// Tier 1: tiny cases checked by hand.
final class HandCheckedTests: XCTestCase {
  func testOptionAShortcutSubsamplesAndPadsChannels() {
    // x (1, 3, 3, 2): value = 10·(y·3+x) + c.
    let x: [Float] = (0..<18).map { Float(10 * ($0 / 2) + $0 % 2) }
    var y = [Float](repeating: -1, count: 2 * 2 * 4)
    Kernels.subsampleAndPad(batch: 1, height: 3, width: 3, channels: 2, stride: 2, before: 1, after: 1, x: x, y: &y)
    // Output pixels (0,0),(0,2),(2,0),(2,2) of the input, channels padded [0, c0, c1, 0].
    XCTAssertEqual(y, [0, 0, 1, 0, 0, 20, 21, 0, 0, 60, 61, 0, 0, 80, 81, 0])
  }

  func testMaxPoolPicksFirstMaximumAndRoutesGradient() {
    let x: [Float] = [1, 5, 5, 2]  // (1, 2, 2, 1)
    var y: [Float] = [0]
    var argmax: [Int32] = [0]
    Kernels.maxPool(batch: 1, height: 2, width: 2, channels: 1, kernelSize: 3, stride: 2, padding: 1, x: x, y: &y, argmax: &argmax)
    XCTAssertEqual(y, [5])
    XCTAssertEqual(argmax, [1])
    var dx: [Float] = [9, 9, 9, 9]
    Kernels.maxPoolBackward(outputCount: 1, inputCount: 4, argmax: argmax, dy: [2], dx: &dx)
    XCTAssertEqual(dx, [0, 2, 0, 0])
  }

  func testCrossEntropyOfUniformLogitsIsLogK() throws {
    let (loss, gradient) = try softmaxCrossEntropy(logits: Tensor(zeros: [2, 4]), labels: [1, 3])
    XCTAssertEqual(loss, log(4), accuracy: 1e-12)
    XCTAssertEqual(gradient.scalars, [0.125, -0.375, 0.125, 0.125, 0.125, 0.125, 0.125, -0.375])
    XCTAssertThrowsError(try softmaxCrossEntropy(logits: Tensor(zeros: [1, 4]), labels: [4]))
  }

  func testBatchNormInferenceIsTheAffineMap() {
    var bn = BatchNorm(name: "bn", channels: 2)
    bn.gamma = [2, 1]
    bn.beta = [1, 0]
    bn.runningMean = [1, -1]
    bn.runningVariance = [4 - 1e-5, 1 - 1e-5]
    let (scale, shift) = bn.inferenceScaleShift
    XCTAssertEqual(scale[0], 1, accuracy: 1e-6)
    XCTAssertEqual(shift[0], 0, accuracy: 1e-6)
    XCTAssertEqual(scale[1], 1, accuracy: 1e-6)
    XCTAssertEqual(shift[1], 1, accuracy: 1e-6)
  }

  func testThreeByThreeConvolutionByHand() {
    // One 3×3 input channel of ones, a filter of 1…9, padding 1: the centre output is 45,
    // the top-left corner sees filter taps 5, 6, 8, 9 → 28.
    let g = ConvolutionGeometry(batch: 1, inputHeight: 3, inputWidth: 3, inputChannels: 1, outputChannels: 1, kernelHeight: 3, kernelWidth: 3, stride: 1, padding: 1)
    let filter: [Float] = (1...9).map(Float.init)
    var output = [Float](repeating: 0, count: 9)
    Kernels.convolutionForward(g, input: [Float](repeating: 1, count: 9), filter: filter, bias: nil, residual: nil, relu: false, output: &output)
    XCTAssertEqual(output[4], 45)
    XCTAssertEqual(output[0], 28)
  }

  func testResNet110HasThePapersSizes() throws {
    let network = try Network(try .cifarResNet(depth: 110))
    XCTAssertEqual(network.blockCount, 54)
    XCTAssertEqual(network.parameterCount, 1_727_962)
    XCTAssertEqual(network.blocks.filter(\.isDownsampling).map(\.number), [19, 37])
    // 252.9 M multiply-accumulates per 32×32 image (issue 8).
    XCTAssertEqual(Double(network.multiplyAccumulates) / 1e6, 252.9, accuracy: 0.1)
  }
}

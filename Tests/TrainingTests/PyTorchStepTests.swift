import _TestSupport
import Basics
import Engine
import Foundation
import TensorFormats
import Training
import XCTest

/// Three SGD steps from PyTorch's start weights must reproduce `torch.optim.SGD` (plain and
/// Nesterov momentum) parameter by parameter, with the running statistics and per-step losses.
final class PyTorchStepTests: XCTestCase {
  func testPlainMomentumMatchesPyTorch() throws {
    try checkSteps(prefix: "", nesterov: false)
  }

  func testNesterovMomentumMatchesPyTorch() throws {
    try checkSteps(prefix: "nesterov.", nesterov: true)
  }

  func checkSteps(prefix: String, nesterov: Bool) throws {
    let archive = try SafeTensors.read(contentsOf: TestPaths.trainingSteps)
    let optimizerText = try XCTUnwrap(archive.metadata["optimizer"])
    XCTAssertTrue(optimizerText.contains("0.05"), "fixture optimizer settings changed: \(optimizerText)")
    let configuration = try NetworkConfiguration.cifarResNet(
      depth: 14, inputChannels: 3, inputSize: 12, classCount: 5, widths: [4, 8, 16])
    var network = try Network(configuration)
    var start: [String: Tensor] = [:]
    for (name, raw) in archive.tensors where name.hasPrefix("param.") {
      start[String(name.dropFirst(6))] = Tensor(shape: raw.shape, scalars: raw.floats())
    }
    try network.loadStateDictionary(start)
    var optimizer = StochasticGradientDescent(momentum: 0.9, weightDecay: 5e-4, nesterov: nesterov)
    var comparedParameters = 0
    var comparedStatistics = 0
    for step in 0..<3 {
      let input = try XCTUnwrap(archive["batch\(step).input"])
      let labels = try XCTUnwrap(archive["batch\(step).labels"]).int64s().map { Int($0) }
      let batch = Tensor.channelsLast(fromNCHW: Tensor(shape: input.shape, scalars: input.floats()))
      let result = try Trainer.step(
        network: &network, optimizer: &optimizer, input: batch, labels: labels, learningRate: 0.05)
      let expectedLoss = try XCTUnwrap(archive["\(prefix)step\(step).loss"]).floats()[0]
      XCTAssertEqual(Float(result.loss), expectedLoss, accuracy: 1e-4 + 1e-4 * abs(expectedLoss), "step \(step) loss")
      for (name, tensor) in network.stateDictionary() {
        let expected: RawTensor
        if name.hasSuffix(".running_mean") || name.hasSuffix(".running_var") {
          let module = String(name[..<name.lastIndex(of: ".")!])
          let kind = name.hasSuffix(".running_mean") ? "running_mean" : "running_var"
          expected = try XCTUnwrap(archive["\(prefix)step\(step).\(kind).\(module)"], "\(kind) of \(module)")
          comparedStatistics += 1
        } else {
          expected = try XCTUnwrap(archive["\(prefix)step\(step).param.\(name)"], name)
          comparedParameters += 1
        }
        XCTAssertEqual(tensor.shape, expected.shape, name)
        assertClose(tensor.scalars, expected.floats(), "\(prefix)step \(step) \(name)")
      }
    }
    // cifar_a: conv1, bn1, 6 blocks × (2 conv + 2 BN), linear → 1 + 2 + 6·6 + 2 parameter tensors.
    XCTAssertEqual(comparedParameters, 3 * 41)
    XCTAssertEqual(comparedStatistics, 3 * 2 * 13)
    // The update moved the weights: step 2's are not step 0's start weights.
    let conv = try XCTUnwrap(network.stateDictionary().first { $0.name == "layer1.0.conv1.weight" })
    XCTAssertNotEqual(conv.tensor.scalars, start["layer1.0.conv1.weight"]?.scalars)
  }

  /// A parameter without a gradient (a deleted branch) keeps its value and momentum buffer.
  func testParametersWithoutGradientAreSkipped() throws {
    var (network, optimizer, input, labels) = try tinyNetworkAfterOneStep(seed: 7, weightDecay: 1e-4)
    let before = network
    let buffersBefore = optimizer.momentumBuffers
    _ = try Trainer.step(
      network: &network, optimizer: &optimizer, input: input, labels: labels, deleting: [2], learningRate: 0.1)
    let block = try XCTUnwrap(network.blocks.first { $0.number == 2 })
    let old = try XCTUnwrap(before.blocks.first { $0.number == 2 })
    XCTAssertEqual(block.branch, old.branch, "deleted branch changed (weights or running statistics)")
    XCTAssertEqual(optimizer.momentumBuffers["layer2.0.conv1.weight"], buffersBefore["layer2.0.conv1.weight"])
    XCTAssertNotEqual(network.blocks[0].branch, before.blocks[0].branch, "active branch did not change")
    XCTAssertNotEqual(optimizer.momentumBuffers["conv1.weight"], buffersBefore["conv1.weight"])
  }
}

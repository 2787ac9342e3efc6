import _TestSupport
import Basics
import Checkpoints
import Engine
import Foundation
import TensorFormats
import Training
import XCTest

/// Gradient-path training (`TrainingConfiguration.gradientPaths`) and the VGG without batch
/// norm, against PyTorch references from `Fixtures/generate_training_fixtures.py`.
final class GradientPathTests: XCTestCase {
  /// A network whose parameters are the fixture's `param.*` tensors.
  func network(_ configuration: NetworkConfiguration, from archive: TensorArchive) throws -> Network {
    var network = try Network(configuration)
    var start: [String: Tensor] = [:]
    for (name, raw) in archive.tensors where name.hasPrefix("param.") {
      start[String(name.dropFirst(6))] = Tensor(shape: raw.shape, scalars: raw.floats())
    }
    try network.loadStateDictionary(start)
    return network
  }

  /// Compares every parameter (and running statistic, when recorded) with `prefix` tensors.
  func assertMatches(_ network: Network, _ archive: TensorArchive, prefix: String) throws -> Int {
    var compared = 0
    for (name, tensor) in network.stateDictionary() {
      let key: String
      if name.hasSuffix(".running_mean") || name.hasSuffix(".running_var") {
        let module = String(name[..<name.lastIndex(of: ".")!])
        key = prefix + (name.hasSuffix(".running_mean") ? "running_mean." : "running_var.") + module
      } else {
        key = prefix + "param." + name
      }
      let expected = try XCTUnwrap(archive[key], key)
      XCTAssertEqual(tensor.shape, expected.shape, key)
      assertClose(tensor.scalars, expected.floats(), key)
      compared += 1
    }
    return compared
  }

  /// Three SGD steps, each with its own chosen branches, reproduce PyTorch's detached-branch
  /// training: parameters, momentum-carried updates and every running statistic.
  func testThreeStepsMatchPyTorch() throws {
    let archive = try SafeTensors.read(contentsOf: TestFiles.fixture("gradient_paths_steps.safetensors"))
    let plans = try XCTUnwrap(archive.metadata["plans"])
    XCTAssertEqual(plans, "[[2, 5], [1, 3, 6], [2, 4]]")
    let configuration = try NetworkConfiguration.cifarResNet(
      depth: 14, inputChannels: 1, inputSize: 8, classCount: 3, widths: [4, 8, 8])
    var network = try network(configuration, from: archive)
    var optimizer = StochasticGradientDescent(momentum: 0.9, weightDecay: 5e-4, nesterov: false)
    var compared = 0
    for (step, chosen) in [[2, 5], [1, 3, 6], [2, 4]].enumerated() {
      let input = try XCTUnwrap(archive["batch\(step).input"])
      let labels = try XCTUnwrap(archive["batch\(step).labels"]).int64s().map { Int($0) }
      let batch = Tensor.channelsLast(fromNCHW: Tensor(shape: input.shape, scalars: input.floats()))
      let result = try Trainer.step(
        network: &network, optimizer: &optimizer, input: batch, labels: labels, backwardThrough: Set(chosen),
        learningRate: 0.05)
      let loss = try XCTUnwrap(archive["step\(step).loss"]).floats()[0]
      XCTAssertEqual(Float(result.loss), loss, accuracy: 1e-4 + 1e-4 * abs(loss), "step \(step) loss")
      compared += try assertMatches(network, archive, prefix: "step\(step).")
    }
    // conv1, bn1 (2 + 2 statistics), 6 blocks × (2 conv + 2 BN × 2 + 2 × 2 statistics), linear ×2.
    XCTAssertEqual(compared, 3 * (1 + 4 + 6 * 10 + 2))
  }

  /// Hand-checkable: with only block 2 chosen, blocks 1 and 3 keep their weights and momentum
  /// buffers (no update, no decay) while their running statistics move (they ran forward), and
  /// the stem, block 2 and the classifier change.
  func testUnchosenBranchesKeepWeightsButUpdateStatistics() throws {
    var (network, optimizer, input, labels) = try tinyNetworkAfterOneStep(seed: 11, weightDecay: 1e-3)
    let before = network
    let buffers = optimizer.momentumBuffers
    _ = try Trainer.step(
      network: &network, optimizer: &optimizer, input: input, labels: labels, backwardThrough: [2], learningRate: 0.1)
    func weights(_ n: Network, _ block: Int) -> [[Float]] {
      n.blocks[block - 1].branch.compactMap { layer -> [Float]? in
        switch layer {
        case .convolution(let conv): return conv.filter
        case .batchNorm(let bn): return bn.gamma + bn.beta
        default: return nil
        }
      }
    }
    func statistics(_ n: Network, _ block: Int) -> [[Float]] {
      n.blocks[block - 1].branch.compactMap { layer -> [Float]? in
        if case .batchNorm(let bn) = layer { return bn.runningMean + bn.runningVariance }
        return nil
      }
    }
    for unchosen in [1, 3] {
      XCTAssertEqual(weights(network, unchosen), weights(before, unchosen), "block \(unchosen) weights changed")
      XCTAssertNotEqual(statistics(network, unchosen), statistics(before, unchosen), "block \(unchosen) statistics")
      let key = network.blocks[unchosen - 1].name + ".conv1.weight"
      XCTAssertEqual(optimizer.momentumBuffers[key], buffers[key], key)
    }
    XCTAssertNotEqual(weights(network, 2), weights(before, 2), "chosen block 2 did not change")
    XCTAssertNotEqual(network.stem, before.stem, "stem did not change")
    XCTAssertNotEqual(network.classifier.weight, before.classifier.weight)
  }

  /// The trainer draws the chosen blocks exactly as active-block training draws its active ones,
  /// and the run is reproducible; the configuration rejects mixing it with other sampling.
  func testTrainerDrawsLikeActiveBlocksAndValidates() throws {
    let architecture = try NetworkConfiguration.cifarResNet(
      depth: 8, inputChannels: 1, inputSize: 14, classCount: 10, widths: [4, 8, 16])
    func configuration(paths: Int?, active: Int?) -> TrainingConfiguration {
      TrainingConfiguration(
        architecture: architecture, epochs: 1, batchSize: 10, normalizationMean: [0.1307], normalizationStd: [0.3081],
        seed: 5, activeBlocks: active, gradientPaths: paths, evaluationBatchSize: 100)
    }
    let train = halfResolution(try smallMNIST(perClass: 2))
    let paths = try Trainer(configuration: configuration(paths: 1, active: nil), trainingSet: train, testSet: train.subset([]))
    let active = try Trainer(configuration: configuration(paths: nil, active: 1), trainingSet: train, testSet: train.subset([]))
    let again = try Trainer(configuration: configuration(paths: 1, active: nil), trainingSet: train, testSet: train.subset([]))
    _ = try paths.fit()
    _ = try active.fit()
    _ = try again.fit()
    XCTAssertEqual(paths.state.generator, active.state.generator, "same number of draws per batch")
    XCTAssertEqual(paths.state.network, again.state.network)
    XCTAssertNotEqual(paths.state.network, active.state.network)
    var mixed = configuration(paths: 1, active: 1)
    XCTAssertThrowsError(try mixed.validate())
    mixed = configuration(paths: 4, active: nil)
    XCTAssertThrowsError(try mixed.validate())
  }

  /// The VGG without batch norm: conv biases, no `bn` tensors, PyTorch's logits within 1e-4 and
  /// one SGD step (conv-bias gradients included) as `torch.optim.SGD`; a model file round trip.
  func testVGGWithoutBatchNormMatchesPyTorch() throws {
    let archive = try SafeTensors.read(contentsOf: TestFiles.fixture("vgg_no_bn.safetensors"))
    let configuration = NetworkConfiguration(
      family: .vgg, inputChannels: 1, inputHeight: 12, inputWidth: 12, classCount: 3, stageWidths: [4, 8, 16],
      blocksPerStage: [2, 2, 1], batchNormalization: false)
    var network = try network(configuration, from: archive)
    let names = Set(network.stateDictionary().map(\.name))
    XCTAssertEqual(names, Set(archive.tensors.map(\.name).filter { $0.hasPrefix("param.") }.map { String($0.dropFirst(6)) }))
    XCTAssertTrue(names.contains("layers.4.conv.bias"))
    XCTAssertFalse(names.contains { $0.contains("bn") })
    let raw = try XCTUnwrap(archive["input"])
    let input = Tensor.channelsLast(fromNCHW: Tensor(shape: raw.shape, scalars: raw.floats()))
    let expected = try XCTUnwrap(archive["logits"]).floats()
    assertClose(try network.forward(input, mode: .inference, recording: false).logits.scalars, expected, "forward")
    assertClose(try InferenceSession(network).logits(for: input).scalars, expected, "inference session")

    // Model file round trip: the architecture comes back from the metadata.
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("vgg-no-bn-\(UUID().uuidString).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    try ModelFile.write(
      network, metadata: ModelMetadata(normalizationMean: [0], normalizationStd: [1], classNames: [], provenance: [:]),
      to: url)
    let loaded = try ModelFile.load(url)
    XCTAssertEqual(loaded.network.configuration.batchNormalization, false)
    XCTAssertTrue(loaded.familyDescription.contains("no batch norm"), loaded.familyDescription)
    assertClose(try InferenceSession(loaded.network).logits(for: input).scalars, expected, "reloaded")

    var optimizer = StochasticGradientDescent(momentum: 0.9, weightDecay: 5e-4, nesterov: false)
    let labels = try XCTUnwrap(archive["labels"]).int64s().map { Int($0) }
    let result = try Trainer.step(network: &network, optimizer: &optimizer, input: input, labels: labels, learningRate: 0.05)
    let loss = try XCTUnwrap(archive["step0.loss"]).floats()[0]
    XCTAssertEqual(Float(result.loss), loss, accuracy: 1e-4 + 1e-4 * abs(loss))
    XCTAssertEqual(try assertMatches(network, archive, prefix: "step0."), 2 * 6 + 2)
  }
}

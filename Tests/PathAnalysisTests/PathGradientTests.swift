import _TestSupport
import Datasets
import Engine
import Foundation
import TensorFormats
import XCTest
import _TestSupport

@testable import PathAnalysis

/// The gradient-per-path-length measurement: the engine's restricted backward against PyTorch
/// for fixed branch sets, the unravelled view's linearity, and reproducibility.
final class PathGradientTests: XCTestCase {
  static var fixtures: URL { TestFiles.fixtures() }

  /// The engine's cifar_a fixture network, input and labels.
  func cifarA() throws -> (Network, Tensor, [Int]) {
    let archive = try SafeTensors.read(contentsOf: TestFiles.fixture("cifar_a.safetensors", of: "EngineTests"))
    let configuration = NetworkConfiguration(
      family: .cifarResNet, inputChannels: 3, inputHeight: 12, inputWidth: 12, classCount: 5,
      stageWidths: [4, 8, 16], blocksPerStage: [2, 2, 2], shortcut: .a)
    var network = try Network(configuration)
    var state: [String: Tensor] = [:]
    for (name, raw) in archive.tensors where name.hasPrefix("param.") {
      state[String(name.dropFirst(6))] = Tensor(shape: raw.shape, scalars: raw.floats())
    }
    try network.loadStateDictionary(state)
    let input = Tensor.channelsLast(fromNCHW: Tensor(shape: archive["input"]!.shape, scalars: archive["input"]!.floats()))
    return (network, input, archive["labels"]!.int64s().map { Int($0) })
  }

  func gradient(_ network: Network, _ pass: ForwardPass, _ dLogits: Tensor, _ set: Set<Int>, singlePath: Bool) -> Tensor {
    network.backward(pass, logitsGradient: dLogits, options: BackwardOptions(restrictedTo: set, chosenBranchesOnly: singlePath, parameterGradients: false, inputGradient: false)).firstBlockInput!
  }

  func testRestrictedBackwardMatchesPyTorchForFixedBranchSets() throws {
    let reference = try SafeTensors.read(contentsOf: Self.fixtures.appendingPathComponent("path_gradients.safetensors"))
    let sets = try JSONSerialization.jsonObject(with: Data(reference.metadata["sets"]!.utf8)) as! [[Int]]
    XCTAssertEqual(sets.count, 6)
    let (network, input, labels) = try cifarA()
    let pass = try network.forward(input)
    let (_, dLogits) = try softmaxCrossEntropy(logits: pass.logits, labels: labels)
    for (index, set) in sets.enumerated() {
      for (mode, single) in [("single", true), ("subset", false)] {
        let ours = gradient(network, pass, dLogits, Set(set), singlePath: single).channelsFirst().scalars
        let expected = reference["\(mode).\(index).grad.block1_input"]!.floats()
        assertClose(ours, expected, "\(mode) \(set)")
      }
    }
  }

  func testSubsetGradientIsTheSumOfItsSinglePaths() throws {
    // The unravelled view (Veit et al. Fig. 1): with the forward pass fixed, the gradient through
    // blocks {a, b} (branch or shortcut) is the sum over the paths ∅, {a}, {b}, {a, b}.
    let (network, input, labels) = try cifarA()
    let pass = try network.forward(input)
    let (_, dLogits) = try softmaxCrossEntropy(logits: pass.logits, labels: labels)
    for (a, b) in [(1, 2), (2, 5), (3, 6)] {
      let subset = gradient(network, pass, dLogits, [a, b], singlePath: false).scalars
      var sum = [Float](repeating: 0, count: subset.count)
      for set in [Set<Int>(), [a], [b], [a, b]] {
        let g = gradient(network, pass, dLogits, set, singlePath: true).scalars
        for i in sum.indices { sum[i] += g[i] }
      }
      for i in sum.indices { XCTAssertEqual(sum[i], subset[i], accuracy: 1e-6 + 1e-4 * abs(subset[i]), "\(a),\(b) element \(i)") }
    }
    // Restricting to every branch with both paths open is the full backward.
    let full = network.backward(pass, logitsGradient: dLogits, options: BackwardOptions(parameterGradients: false, inputGradient: false)).firstBlockInput!
    XCTAssertEqual(gradient(network, pass, dLogits, Set(1...6), singlePath: false), full)
  }

  func testMeasurementIsReproducibleAndCoversEveryLength() throws {
    let (network, _, _) = try cifarA()
    var generator: UInt64 = 1
    let pixels = (0..<(40 * 3 * 144)).map { _ -> UInt8 in
      generator = generator &* 6364136223846793005 &+ 1442695040888963407
      return UInt8(truncatingIfNeeded: generator >> 56)
    }
    let labels = (0..<40).map { $0 % 5 }
    let data = ImageDataset(name: "random", channels: 3, height: 12, width: 12, pixels: pixels, labels: labels, classNames: ["a", "b", "c", "d", "e"])
    let measurement = try PathGradientMeasurement(network: network, dataset: data, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25])
    let configuration = PathGradientConfiguration(samples: 3, batchSize: 8, seed: 4)
    var backwards = 0
    let a = try measurement.measure(configuration) { backwards += $0 }
    XCTAssertEqual(backwards, PathGradientMeasurement.backwardCount(blockCount: 6, configuration: configuration))
    XCTAssertEqual(a.points.map(\.length), Array(0...6))
    XCTAssertTrue(a.points.allSatisfy { $0.count == 3 && $0.mean > 0 })
    let b = try measurement.measure(configuration)
    XCTAssertEqual(a.points, b.points)
    let c = try measurement.measure(PathGradientConfiguration(samples: 3, batchSize: 8, seed: 5))
    XCTAssertNotEqual(a.points, c.points)
    let effective = try a.effectivePaths()
    XCTAssertEqual(effective.gradientShares.reduce(0, +), 1, accuracy: 1e-9)
    for point in a.points {
      XCTAssertEqual(point.measurements.count, 3)
      XCTAssertEqual(point.measurements.reduce(0, +) / 3, point.mean, accuracy: 1e-12 * point.mean)
    }
    var resampling = SplitMix64(seed: 2)
    let bootstrap = try a.effectivePathBootstrap(resamples: 50, generator: &resampling)
    XCTAssertEqual(bootstrap.lengths.map(\.mean.estimate), a.points.map(\.mean))
    XCTAssertEqual(bootstrap.ranges[1].point, try effective.narrowestRange(holding: 0.9))
    XCTAssertThrowsError(try measurement.measure(PathGradientConfiguration(samples: 1, lengths: [7])))
    // Draws are keyed by (seed, sample, length): asking for fewer lengths or samples leaves each
    // measurement as it was (issue 19: the k = 0 value moved with --lengths).
    let subset = try measurement.measure(PathGradientConfiguration(samples: 2, batchSize: 8, seed: 4, lengths: [0, 2, 5]))
    XCTAssertEqual(subset.points.map(\.length), [0, 2, 5])
    for point in subset.points {
      XCTAssertEqual(point.measurements, Array(a.points[point.length].measurements.prefix(2)), "length \(point.length)")
    }
  }
}

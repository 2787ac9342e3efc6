import Basics
import Engine
import Training
import XCTest

/// He initialization statistics and the block masks.
final class RandomTests: XCTestCase {
  func testHeInitializationStatistics() throws {
    let configuration = try NetworkConfiguration.cifarResNet(
      depth: 8, inputChannels: 3, inputSize: 8, classCount: 10, widths: [16, 32, 64])
    for fanMode in FanMode.allCases {
      var network = try Network(configuration)
      var generator = SplitMix64(seed: 3)
      network.initializeForTraining(using: &generator, fanMode: fanMode)
      var checked = 0
      for layer in network.allLayers {
        switch layer {
        case .convolution(let conv) where conv.filter.count >= 9_000:
          let fan = (fanMode == .fanIn ? conv.inputChannels : conv.outputChannels) * conv.kernelSize * conv.kernelSize
          let n = Double(conv.filter.count)
          let mean = conv.filter.reduce(0) { $0 + Double($1) } / n
          let std = (conv.filter.reduce(0) { $0 + Double($1) * Double($1) } / n - mean * mean).squareRoot()
          let expected = (2 / Double(fan)).squareRoot()
          XCTAssertEqual(std / expected, 1, accuracy: 0.03, "\(conv.name) \(fanMode)")
          XCTAssertEqual(mean / expected, 0, accuracy: 0.04, "\(conv.name) \(fanMode)")
          checked += 1
        case .batchNorm(let bn):
          XCTAssertEqual(bn.gamma, [Float](repeating: 1, count: bn.channels))
          XCTAssertEqual(bn.beta, [Float](repeating: 0, count: bn.channels))
        default:
          break
        }
      }
      XCTAssertEqual(checked, 3, "layer2.0.conv2, layer3.0.conv1 and layer3.0.conv2 have ≥ 9000 weights")
      let bound = Float(1 / Double(64).squareRoot())
      XCTAssertTrue(network.classifier.bias.allSatisfy { abs($0) <= bound })
      XCTAssertEqual(Set(network.classifier.bias).count, 10, "biases are drawn, not constant")
    }
    // Same seed, same weights; another seed, other weights.
    var a = try Network(configuration)
    var b = try Network(configuration)
    var c = try Network(configuration)
    var g1 = SplitMix64(seed: 5)
    var g2 = SplitMix64(seed: 5)
    var g3 = SplitMix64(seed: 6)
    a.initializeForTraining(using: &g1)
    b.initializeForTraining(using: &g2)
    c.initializeForTraining(using: &g3)
    XCTAssertEqual(a, b)
    XCTAssertNotEqual(a, c)
  }

  func testZeroResidualBranchesOnlyZeroTheLastBranchNorm() throws {
    let configuration = try NetworkConfiguration.cifarResNet(
      depth: 14, inputChannels: 1, inputSize: 8, classCount: 3, widths: [2, 4, 8])
    var plain = try Network(configuration)
    var zeroed = try Network(configuration)
    var g1 = SplitMix64(seed: 9)
    var g2 = SplitMix64(seed: 9)
    plain.initializeForTraining(using: &g1)
    zeroed.initializeForTraining(using: &g2, zeroResidualBranches: true)
    XCTAssertEqual(g1, g2, "same draws either way")
    for (a, b) in zip(plain.blocks, zeroed.blocks) {
      guard case .batchNorm(let first) = b.branch[1], case .batchNorm(let last) = b.branch[4],
        case .batchNorm(let original) = a.branch[4]
      else { return XCTFail("unexpected branch layout in \(b.name)") }
      XCTAssertEqual(first.gamma, [Float](repeating: 1, count: first.channels), b.name)
      XCTAssertEqual(last.gamma, [Float](repeating: 0, count: last.channels), b.name)
      XCTAssertEqual(original.gamma, [Float](repeating: 1, count: original.channels), a.name)
      XCTAssertEqual(a.branch[0], b.branch[0], "same filters")
    }
    XCTAssertEqual(plain.stem, zeroed.stem)
    XCTAssertEqual(plain.classifier, zeroed.classifier)
  }

  func testStochasticDepthSurvivalFrequencies() {
    let survival = BlockSampling.survivalProbabilities(blockCount: 54, finalSurvival: 0.5)
    XCTAssertEqual(survival.count, 54)
    XCTAssertEqual(survival[0], 1 - 0.5 / 54, accuracy: 1e-6)
    XCTAssertEqual(survival[26], 1 - 27.0 / 54 * 0.5, accuracy: 1e-6)
    XCTAssertEqual(survival[53], 0.5, accuracy: 1e-6)
    var generator = SplitMix64(seed: 11)
    let draws = 20_000
    var survived = [Int](repeating: draws, count: 54)
    for _ in 0..<draws {
      for block in BlockSampling.droppedBlocks(survival: survival, using: &generator) { survived[block - 1] -= 1 }
    }
    for (index, count) in survived.enumerated() {
      let p = Double(survival[index])
      let sigma = (p * (1 - p) / Double(draws)).squareRoot()
      XCTAssertEqual(Double(count) / Double(draws), p, accuracy: max(4.5 * sigma, 1e-9), "block \(index + 1)")
    }
    // Expected depth: Σ p_l = 54 − 0.5·(54+1)/2 = 40.25 blocks.
    XCTAssertEqual(Double(survived.reduce(0, +)) / Double(draws), 40.25, accuracy: 0.1)
    // Reproducible from the seed.
    var x = SplitMix64(seed: 99)
    var y = SplitMix64(seed: 99)
    for _ in 0..<50 {
      XCTAssertEqual(
        BlockSampling.droppedBlocks(survival: survival, using: &x),
        BlockSampling.droppedBlocks(survival: survival, using: &y))
    }
  }

  func testActiveBlockMasks() {
    let candidates = Array(1...54)
    var generator = SplitMix64(seed: 12)
    let draws = 10_000
    var active = [Int](repeating: 0, count: 54)
    for _ in 0..<draws {
      let inactive = BlockSampling.inactiveBlocks(candidates: candidates, active: 23, using: &generator)
      XCTAssertEqual(inactive.count, 31)
      XCTAssertEqual(inactive, inactive.sorted())
      XCTAssertEqual(Set(inactive).count, 31)
      let inactiveSet = Set(inactive)
      for block in candidates where !inactiveSet.contains(block) { active[block - 1] += 1 }
    }
    let p = 23.0 / 54
    let sigma = (p * (1 - p) / Double(draws)).squareRoot()
    for (index, count) in active.enumerated() {
      XCTAssertEqual(Double(count) / Double(draws), p, accuracy: 4.5 * sigma, "block \(index + 1)")
    }
    var x = SplitMix64(seed: 1)
    var y = SplitMix64(seed: 1)
    XCTAssertEqual(
      BlockSampling.inactiveBlocks(candidates: candidates, active: 5, using: &x),
      BlockSampling.inactiveBlocks(candidates: candidates, active: 5, using: &y))
    XCTAssertEqual(BlockSampling.inactiveBlocks(candidates: candidates, active: 54, using: &x), [])
  }

  func testLearningRateSchedules() throws {
    let architecture = try NetworkConfiguration.cifarResNet(depth: 8, inputChannels: 1, inputSize: 8, classCount: 2)
    var configuration = TrainingConfiguration(
      architecture: architecture, epochs: 10, learningRate: 0.1, schedule: .cosine, warmupEpochs: 1,
      normalizationMean: [0], normalizationStd: [1])
    // Warm-up: 10 iterations per epoch → 0.01, 0.02, … 0.1.
    XCTAssertEqual(configuration.learningRate(iteration: 0, iterationsPerEpoch: 10), 0.01, accuracy: 1e-7)
    XCTAssertEqual(configuration.learningRate(iteration: 9, iterationsPerEpoch: 10), 0.1, accuracy: 1e-7)
    XCTAssertEqual(configuration.learningRate(iteration: 10, iterationsPerEpoch: 10), 0.1, accuracy: 1e-7)
    XCTAssertEqual(configuration.learningRate(iteration: 55, iterationsPerEpoch: 10), 0.05, accuracy: 1e-6)
    XCTAssertEqual(
      configuration.learningRate(iteration: 99, iterationsPerEpoch: 10),
      0.1 * 0.5 * (1 + Float(cos(Double.pi * 89 / 90))), accuracy: 1e-7)
    configuration.schedule = .step(milestones: [5, 8], factor: 0.1)
    XCTAssertEqual(configuration.learningRate(iteration: 49, iterationsPerEpoch: 10), 0.1, accuracy: 1e-7)
    XCTAssertEqual(configuration.learningRate(iteration: 50, iterationsPerEpoch: 10), 0.01, accuracy: 1e-8)
    XCTAssertEqual(configuration.learningRate(iteration: 80, iterationsPerEpoch: 10), 0.001, accuracy: 1e-9)
  }
}

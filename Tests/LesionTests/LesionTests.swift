import Basics
import Datasets
import Engine
import Statistics
import XCTest

@testable import Lesion

/// A small CIFAR ResNet with seeded random weights and a random labelled data set.
enum LesionFixture {
  static func network(family: NetworkFamily = .cifarResNet, blocks: [Int] = [2, 2, 2]) throws -> Network {
    let configuration = NetworkConfiguration(
      family: family, inputChannels: 1, inputHeight: 9, inputWidth: 9, classCount: 4,
      stageWidths: [4, 8, 8], blocksPerStage: blocks, shortcut: .a)
    var network = try Network(configuration)
    var generator = SplitMix64(seed: 7)
    func random() -> Float { Float(generator.next() >> 40) / Float(1 << 24) * 2 - 1 }
    network.updateLayers { layer in
      switch layer {
      case .convolution(var conv):
        let scale = (2 / Float(conv.kernelSize * conv.kernelSize * conv.inputChannels)).squareRoot()
        conv.filter = conv.filter.map { _ in random() * scale * 1.7 }
        layer = .convolution(conv)
      case .batchNorm(var bn):
        bn.gamma = bn.gamma.map { _ in 1 + 0.4 * random() }
        bn.beta = bn.beta.map { _ in 0.2 * random() }
        bn.runningMean = bn.runningMean.map { _ in 0.1 * random() }
        bn.runningVariance = bn.runningVariance.map { _ in 1 + 0.4 * random() }
        layer = .batchNorm(bn)
      default: break
      }
    }
    network.classifier.weight = network.classifier.weight.map { _ in random() }
    network.classifier.bias = network.classifier.bias.map { _ in 0.1 * random() }
    return network
  }

  static func dataset(count: Int = 37) -> ImageDataset {
    var generator = SplitMix64(seed: 11)
    let pixels = (0..<(count * 81)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
    let labels = (0..<count).map { _ in generator.nextInt(below: 4) }
    return ImageDataset(name: "random", channels: 1, height: 9, width: 9, pixels: pixels, labels: labels, classNames: ["a", "b", "c", "d"])
  }
}

final class LesionEvaluatorTests: XCTestCase {
  func testSweepWithSharedPrefixesEqualsEachLesionComputedAlone() throws {
    let network = try LesionFixture.network()
    let data = LesionFixture.dataset()
    let evaluator = try LesionEvaluator(network: network, dataset: data, mean: [0.5], std: [0.25], batchSize: 8)
    let plans = (1...network.blockCount).map { LesionPlan(deleted: [$0]) } + [LesionPlan(order: [2, 1, 3, 4, 5, 6])]
    let (intact, results) = try evaluator.evaluate(plans)
    XCTAssertEqual(intact.count, data.count)
    XCTAssertEqual(intact.agreements, data.count)
    for (plan, result) in zip(plans, results) {
      // One by one, with the recorded (unfolded) forward pass on the whole set at once.
      let alone = try LesionEvaluator(network: try network.applying(plan), dataset: data, mean: [0.5], std: [0.25], batchSize: data.count)
      let single = try alone.evaluate([]).intact
      XCTAssertEqual(result.errors, single.errors, "\(plan)")
      XCTAssertEqual(result.lossSum, single.lossSum, accuracy: 1e-3, "\(plan)")
      XCTAssertEqual(result.count, data.count)
    }
    XCTAssertTrue(results.contains { $0.agreements < data.count }, "some lesion must change a prediction")
  }

  func testDeletingNothingChangesNothing() throws {
    let network = try LesionFixture.network()
    let evaluator = try LesionEvaluator(network: network, dataset: LesionFixture.dataset(), mean: [0.5], std: [0.25])
    let (intact, results) = try evaluator.evaluate([LesionPlan(), LesionPlan(order: Array(1...6))])
    for result in results {
      XCTAssertEqual(result.errors, intact.errors)
      XCTAssertEqual(result.lossSum, intact.lossSum)
      XCTAssertEqual(result.agreements, intact.count)
    }
  }

  func testMismatchedDataIsRefusedWithBothShapes() throws {
    let network = try LesionFixture.network()
    let wrong = ImageDataset(name: "rgb", channels: 3, height: 9, width: 9, pixels: [UInt8](repeating: 0, count: 243), labels: [0], classNames: ["a"])
    XCTAssertThrowsError(try LesionEvaluator(network: network, dataset: wrong, mean: [0, 0, 0], std: [1, 1, 1])) { error in
      XCTAssertEqual("\(error)", "the model takes 1×9×9 images but rgb has 3×9×9 images")
    }
    let labels = ImageDataset(name: "ten", channels: 1, height: 9, width: 9, pixels: [UInt8](repeating: 0, count: 81), labels: [9], classNames: ["a"])
    XCTAssertThrowsError(try LesionEvaluator(network: network, dataset: labels, mean: [0], std: [1]))
  }
}

final class RandomLesionTests: XCTestCase {
  func testSameSeedSameSetsAndDifferentSeedDifferentSets() throws {
    let network = try LesionFixture.network()
    var a = SplitMix64(seed: 3)
    var b = SplitMix64(seed: 3)
    var c = SplitMix64(seed: 4)
    let first = try RandomLesions.deletionPlans(network: network, k: 2, samples: 10, generator: &a)
    XCTAssertEqual(first, try RandomLesions.deletionPlans(network: network, k: 2, samples: 10, generator: &b))
    XCTAssertNotEqual(first, try RandomLesions.deletionPlans(network: network, k: 2, samples: 10, generator: &c))
    XCTAssertTrue(first.allSatisfy { $0.deleted.count == 2 && $0.deleted.allSatisfy { (1...6).contains($0) } })
    XCTAssertThrowsError(try RandomLesions.deletionPlans(network: network, k: 7, samples: 1, generator: &a))
  }

  func testReorderingsStayRunnableAndSwapOnlyCompatibleBlocks() throws {
    let network = try LesionFixture.network(blocks: [3, 3, 3])
    // Blocks 1-3 (stage 1) and 5,6 (stage 2) and 8,9 (stage 3) map their shape to itself.
    // Stage 2 and 3 keep 8 channels but different sizes.
    XCTAssertEqual(RandomLesions.swappableGroups(of: network), [[1, 2, 3], [5, 6], [8, 9]])
    var generator = SplitMix64(seed: 5)
    let plans = try RandomLesions.reorderingPlans(network: network, swaps: 3, samples: 20, generator: &generator)
    for plan in plans {
      XCTAssertNoThrow(try network.applying(plan), "\(plan)")
      XCTAssertEqual(plan.order?.sorted(), Array(1...9))
      XCTAssertEqual(plan.order?[3], 4)
      XCTAssertEqual(plan.order?[6], 7)
    }
    XCTAssertTrue(plans.contains { kendallTau($0.order!) < 1 })
  }

  func testSampleDrawsDistinctElements() {
    var generator = SplitMix64(seed: 1)
    for _ in 0..<100 {
      let s = generator.sample(5, from: Array(1...10))
      XCTAssertEqual(Set(s).count, 5)
    }
  }
}

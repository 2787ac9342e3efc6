import Basics
import Datasets
import Engine
import Foundation
import Lesion
import XCTest

@testable import Importance

/// Small networks for the importance measures.
enum ImportanceFixture {
  /// A CIFAR ResNet with seeded random weights (blocks per stage as given, option-A shortcuts).
  static func randomNetwork(blocks: [Int], widths: [Int]) throws -> Network {
    let configuration = NetworkConfiguration(
      family: .cifarResNet, inputChannels: 1, inputHeight: 7, inputWidth: 7, classCount: 3,
      stageWidths: widths, blocksPerStage: blocks, shortcut: .a)
    var network = try Network(configuration)
    var generator = SplitMix64(seed: 5)
    func random() -> Float { Float(generator.next() >> 40) / Float(1 << 24) * 2 - 1 }
    network.updateLayers { layer in
      switch layer {
      case .convolution(var conv):
        let scale = (2 / Float(conv.kernelSize * conv.kernelSize * conv.inputChannels)).squareRoot()
        conv.filter = conv.filter.map { _ in random() * scale * 1.5 }
        layer = .convolution(conv)
      case .batchNorm(var bn):
        bn.gamma = bn.gamma.map { _ in 1 + 0.4 * random() }
        bn.beta = bn.beta.map { _ in 0.2 * random() }
        layer = .batchNorm(bn)
      default: break
      }
    }
    network.classifier.weight = network.classifier.weight.map { _ in random() }
    return network
  }

  static func randomData(count: Int) -> ImageDataset {
    var generator = SplitMix64(seed: 9)
    let pixels = (0..<(count * 49)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
    let labels = (0..<count).map { _ in generator.nextInt(below: 3) }
    return ImageDataset(name: "random", channels: 1, height: 7, width: 7, pixels: pixels, labels: labels, classNames: ["a", "b", "c"])
  }

  /// Pixel value at the centre of block j's band (j = 1…4); images of value 250 excite no block.
  static func bandCentre(_ j: Int) -> UInt8 { UInt8(50 * j) }
  /// Half-width of each band in pixel units, and the gain of the band's "hat".
  static let halfWidth: Float = 20
  static let gain: Float = 10

  /// Four blocks in one stage (8 channels) that act on disjoint sets of images.
  ///
  /// The stem copies the image (pixel/255, constant per image) into channel 0. Block j's branch
  /// computes gain·(relu(v−a) − 2·relu(v−m)) of channel 0 with a = centre_j − 20, m = centre_j
  /// (over 255) and writes it into channel j, which no earlier block writes: after the
  /// post-addition ReLU the block's output there is a hat, positive only strictly inside
  /// (centre_j − 20, centre_j + 20)/255 and exactly zero elsewhere (below a both ReLUs give 0,
  /// above the band the branch is negative and clipped). No block writes channel 0, so every
  /// block sees the image value. An image therefore excites at most one block, and
  /// deleting any other block leaves its activations bit for bit unchanged. The classifier
  /// reads channel j with weight `classWeights[j]` into class 0 (all labels are 0, class 1's logit
  /// is 0).
  static func independentNetwork(classWeights: [Float]) throws -> Network {
    let configuration = NetworkConfiguration(
      family: .cifarResNet, inputChannels: 1, inputHeight: 3, inputWidth: 3, classCount: 2,
      stageWidths: [8], blocksPerStage: [4], shortcut: .a)
    var network = try Network(configuration)
    let k = 8
    func centreTap(_ c: Int, _ out: Int, channels: Int) -> Int { ((1 * 3 + 1) * channels + c) * k + out }
    network.updateLayers { layer in
      switch layer {
      case .convolution(var conv):
        conv.filter = conv.filter.map { _ in 0 }
        if conv.name == "conv1" {
          conv.filter[centreTap(0, 0, channels: 1)] = 1
        } else if conv.name.hasSuffix("conv1") {
          for c in 0..<2 { conv.filter[centreTap(0, c, channels: k)] = 1 }
        } else if conv.name.hasSuffix("conv2") {
          let j = Int(conv.name.split(separator: ".")[1])! + 1
          for (c, w) in [Float(1), -2].enumerated() { conv.filter[centreTap(c, j, channels: k)] = w * gain }
        }
        layer = .convolution(conv)
      case .batchNorm(var bn):
        bn.epsilon = 0
        if bn.name.hasSuffix("bn1") && bn.name != "bn1" {
          let j = Int(bn.name.split(separator: ".")[1])! + 1
          let centre = Float(bandCentre(j))
          bn.beta[0] = -(centre - halfWidth) / 255
          bn.beta[1] = -centre / 255
        }
        layer = .batchNorm(bn)
      default: break
      }
    }
    network.classifier.weight = network.classifier.weight.map { _ in 0 }
    for j in 1...4 { network.classifier.weight[0 * k + j] = classWeights[j - 1] }
    return network
  }

  /// `counts[j−1]` images at block j's band centre, then `idle` images exciting no block; all
  /// labelled 0.
  static func bandData(counts: [Int], idle: Int) -> ImageDataset {
    var values: [UInt8] = []
    for (j, n) in counts.enumerated() { values += Array(repeating: bandCentre(j + 1), count: n) }
    values += Array(repeating: 250, count: idle)
    let pixels = values.flatMap { Array(repeating: $0, count: 9) }
    return ImageDataset(
      name: "bands", channels: 1, height: 3, width: 3, pixels: pixels, labels: Array(repeating: 0, count: values.count),
      classNames: ["a", "b"])
  }

  /// Height of the hat at its centre: gain · halfWidth / 255.
  static var peak: Double { Double(gain * halfWidth / 255) }
}

final class ImportanceTests: XCTestCase {
  func scorer(_ network: Network, _ data: ImageDataset, batchSize: Int = 5) throws -> DeletionScorer {
    try DeletionScorer(network: network, dataset: data, mean: [0], std: [1], batchSize: batchSize)
  }

  func testIncrementalSchemesEqualEachSetScoredFromTheStem() throws {
    let network = try ImportanceFixture.randomNetwork(blocks: [2, 2, 2], widths: [4, 8, 8])
    let s = try scorer(network, ImportanceFixture.randomData(count: 13))
    let order = [4, 1, 6, 3]
    let chain = try s.chain(order)
    let sets: [Set<Int>] = [[], [4], [1, 4], [1, 4, 6], [1, 3, 4, 6]]
    for (a, b) in zip(chain, try s.evaluate(sets)) {
      XCTAssertEqual(a.losses, b.losses)
      XCTAssertEqual(a.correct, b.correct)
    }
    let (base, extended) = try s.extensions(of: [2], by: [1, 3, 5])
    let alone = try s.evaluate([[2], [1, 2], [2, 3], [2, 5]])
    XCTAssertEqual(base.losses, alone[0].losses)
    for (a, b) in zip(extended, alone.dropFirst()) { XCTAssertEqual(a.losses, b.losses) }
    // And the evaluator of the Lesion target agrees (different batching, same numbers).
    let evaluator = try LesionEvaluator(
      network: network, dataset: ImportanceFixture.randomData(count: 13), mean: [0], std: [1], batchSize: 13)
    let reference = try evaluator.evaluate([LesionPlan(deleted: [1, 3, 4, 6])]).lesions[0]
    for (a, b) in zip(chain[4].losses, reference.losses) { XCTAssertEqual(a, b, accuracy: 1e-4) }
    XCTAssertThrowsError(try s.chain([1, 1]))
    XCTAssertThrowsError(try s.extensions(of: [], by: [7]))
  }

  func testShapleyValuesAreEfficientAndMatchExactEnumerationOnFourBlocks() throws {
    let network = try ImportanceFixture.randomNetwork(blocks: [2, 2], widths: [4, 8])
    let s = try scorer(network, ImportanceFixture.randomData(count: 20))
    let exact = try s.exactShapleyValues()
    XCTAssertEqual(exact.blocks, [1, 2, 3, 4])
    XCTAssertEqual(exact.efficiencyGap, 0, accuracy: 1e-9)
    XCTAssertGreaterThan(exact.values.map { abs($0.mean) }.max()!, 1e-3, "a network whose blocks matter")
    // The mean over all 4! orders of the marginal contributions is the Shapley value exactly.
    var sums = [Double](repeating: 0, count: 4)
    func permutations(_ items: [Int]) -> [[Int]] {
      items.count <= 1 ? [items] : items.flatMap { x in permutations(items.filter { $0 != x }).map { [x] + $0 } }
    }
    let all = permutations([1, 2, 3, 4])
    for order in all {
      let losses = try s.chain(order).map(\.meanLoss)
      for (k, block) in order.enumerated() { sums[block - 1] += losses[k + 1] - losses[k] }
    }
    for j in 0..<4 { XCTAssertEqual(sums[j] / Double(all.count), exact.values[j].mean, accuracy: 1e-9) }
    // Sampled: efficient to rounding, and within sampling error of the exact values.
    let sampled = try s.shapleyValues(permutations: 200, seed: 3)
    XCTAssertEqual(sampled.efficiencyGap, 0, accuracy: 1e-9)
    for j in 0..<4 {
      XCTAssertEqual(sampled.values[j].mean, exact.values[j].mean, accuracy: 4 * sampled.values[j].standardError + 1e-12)
      XCTAssertGreaterThan(sampled.values[j].standardError, 0)
    }
    XCTAssertThrowsError(try s.shapleyValues(permutations: 1, seed: 3))
    // Keyed permutations: the same seed gives the same values, another seed other draws.
    XCTAssertEqual(try s.shapleyValues(permutations: 5, seed: 3).values.map(\.mean), try s.shapleyValues(permutations: 5, seed: 3).values.map(\.mean))
    XCTAssertNotEqual(try s.shapleyValues(permutations: 5, seed: 3).values.map(\.mean), try s.shapleyValues(permutations: 5, seed: 4).values.map(\.mean))
  }

  func testSampledShapleyValuesOnSixBlocksSumToTheAllDeletedChange() throws {
    let network = try ImportanceFixture.randomNetwork(blocks: [2, 2, 2], widths: [4, 8, 8])
    let s = try scorer(network, ImportanceFixture.randomData(count: 11))
    let sampled = try s.shapleyValues(permutations: 7, seed: 1)
    let ends = try s.evaluate([[], Set(1...6)]).map(\.meanLoss)
    XCTAssertEqual(sampled.values.reduce(0) { $0 + $1.mean }, ends[1] - ends[0], accuracy: 1e-9)
  }

  func testBlocksActingOnDisjointImagesDoNotInteract() throws {
    let network = try ImportanceFixture.independentNetwork(classWeights: [1, 1, 1, 1])
    let s = try scorer(network, ImportanceFixture.bandData(counts: [2, 3, 1, 2], idle: 2), batchSize: 4)
    let matrix = try s.interactions()
    XCTAssertEqual(matrix.pairs.count, 6)
    for (j, single) in matrix.singles.enumerated() {
      XCTAssertGreaterThan(single.meanLoss - matrix.intact.meanLoss, 1e-3, "block \(j + 1) matters")
    }
    for pair in matrix.pairs {
      XCTAssertEqual(pair.lossInteraction.mean, 0, "\(pair.first),\(pair.second)")
      XCTAssertTrue(pair.isIndistinguishableFromZero)
    }
    let summary = matrix.summary(stage: { _ in 1 }, isDownsampling: { _ in false })
    XCTAssertEqual(summary[0].group, "all")
    XCTAssertEqual(summary[0].share, 1)
    XCTAssertEqual(summary[0].relativeInteraction, 0)
    // Additive blocks: each Shapley value is the block's single-deletion effect.
    let exact = try s.exactShapleyValues()
    for j in 0..<4 {
      XCTAssertEqual(exact.values[j].mean, matrix.singles[j].meanLoss - matrix.intact.meanLoss, accuracy: 1e-9)
    }
    // Control: blocks of a random network do interact.
    let random = try scorer(
      try ImportanceFixture.randomNetwork(blocks: [2, 2], widths: [4, 8]), ImportanceFixture.randomData(count: 20))
    XCTAssertTrue(try random.interactions().pairs.contains { abs($0.lossInteraction.mean) > 1e-4 })
  }

  func testGreedyPruningRemovesTheLeastHarmfulBlockFirst() throws {
    // Block j helps the `counts[j]` images of its band (weight +1 on the true class), except
    // block 3, which hurts its images (weight −1). Each image's loss depends on one block only,
    // so deleting block j changes the mean loss by counts[j]·(log 2 − softplus(∓peak))/N:
    // by hand, block 3's removal lowers the loss, then blocks hurt in order of their counts
    // (1 < 2 < 3 images): greedy order 3, 2, 4, 1.
    let counts = [3, 1, 4, 2]
    let network = try ImportanceFixture.independentNetwork(classWeights: [1, 1, -1, 1])
    let s = try scorer(network, ImportanceFixture.bandData(counts: counts, idle: 1), batchSize: 3)
    let curve = try s.greedyPruning()
    XCTAssertEqual(curve.order, [3, 2, 4, 1])
    XCTAssertEqual(curve.meanLosses.count, 5)
    // The hand-computed losses along the way.
    func softplus(_ x: Double) -> Double { log(1 + exp(x)) }
    let p = ImportanceFixture.peak
    let n = Double(counts.reduce(0, +) + 1)
    let helped = softplus(-p), hurt = softplus(p), none = log(2.0)
    var expected = (Double(3 + 1 + 2) * helped + 4 * hurt + none) / n
    XCTAssertEqual(curve.meanLosses[0], expected, accuracy: 1e-5)
    for block in [3, 2, 4, 1] {
      expected += Double(counts[block - 1]) * (none - (block == 3 ? hurt : helped)) / n
      XCTAssertEqual(curve.meanLosses[[3, 2, 4, 1].firstIndex(of: block)! + 1], expected, accuracy: 1e-5)
    }
    // Static order by single-deletion loss change gives the same order here.
    let (_, measures) = try s.staticMeasures()
    XCTAssertEqual(DeletionScorer.ascendingOrder(blocks: measures.map(\.block), scores: measures.map(\.lossChange.mean)), [3, 2, 4, 1])
    let fixed = try s.pruning(order: [1, 2, 3, 4], method: "forward")
    XCTAssertEqual(fixed.meanLosses.last!, curve.meanLosses.last!, accuracy: 1e-9)
  }

  func testBlockInfluenceByHand() {
    // Positions: same direction (0), orthogonal (1), both zero (0), one zero (1), 45° (1 − 1/√2).
    let a: [Float] = [1, 0, 0, 1, 0, 0, 0, 0, 1, 0]
    let b: [Float] = [2, 0, 1, 0, 0, 0, 3, 0, 1, 1]
    let (sum, positions) = blockInfluence(a, b, channels: 2)
    XCTAssertEqual(positions, 5)
    XCTAssertEqual(sum, 3 - 1 / 2.0.squareRoot(), accuracy: 1e-12)
  }

  func testBlockInfluenceOfTheIndependentNetwork() throws {
    // In block j's band the output is (v, …, peak in channel j, …) against (v, 0, …) deleted, at
    // every position: 1 − v/√(v² + peak²); elsewhere the deleted output equals the output.
    let counts = [2, 1, 3, 1]
    let network = try ImportanceFixture.independentNetwork(classWeights: [1, 1, 1, 1])
    let s = try scorer(network, ImportanceFixture.bandData(counts: counts, idle: 3), batchSize: 4)
    let (_, measures) = try s.staticMeasures(gradientChunk: 3)
    let p = ImportanceFixture.peak
    for m in measures {
      let v = Double(ImportanceFixture.bandCentre(m.block)) / 255
      let expected = Double(counts[m.block - 1]) / 10 * (1 - v / (v * v + p * p).squareRoot())
      XCTAssertEqual(m.blockInfluence, expected, accuracy: 1e-6, "block \(m.block)")
    }
  }

  func testFirstOrderEstimateMatchesSmallLesions() throws {
    // With branches scaled by ε, deleting a block changes the loss by the first-order term plus
    // O(ε²). (Equal widths: zero-padded shortcut channels would put O(ε) values on ReLU kinks.)
    var network = try ImportanceFixture.randomNetwork(blocks: [2, 2, 2], widths: [8, 8, 8])
    for i in network.blocks.indices { network.blocks[i].branchScale = 0.01 }
    let s = try scorer(network, ImportanceFixture.randomData(count: 12))
    let (_, measures) = try s.staticMeasures(gradientChunk: 5)
    var checked = 0
    for m in measures where abs(m.lossChange.mean) > 1e-4 {
      XCTAssertEqual(m.firstOrderLossChange, m.lossChange.mean, accuracy: 0.15 * abs(m.lossChange.mean), "block \(m.block)")
      checked += 1
    }
    XCTAssertGreaterThan(checked, 2)
  }
}

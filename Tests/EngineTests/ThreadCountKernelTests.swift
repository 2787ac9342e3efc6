// Results must not depend on the thread count (Parallel.swift): the small-batch splits (output
// channel panels × pixel tiles, scratch rows) and the engine's worker pool, at the network level
// and for the pool itself.

import Dispatch
import _TestSupport
import XCTest

@testable import Engine

final class ThreadCountKernelTests: XCTestCase {
  /// A CIFAR ResNet-8 on 12×12 images (panels of 16, 32 and 64 channels, both stride-2 option-A
  /// transitions) with seeded random weights and batch-norm statistics.
  func randomNetwork() throws -> Network {
    var network = try Network(try .cifarResNet(depth: 8, inputSize: 12))
    var random = SplitMix64(seed: 11)
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

  /// Everything one thread count computes: session logits, training- and inference-mode logits,
  /// and the input and parameter gradients of both, as bit patterns.
  func outputs(_ network: Network, input: Tensor, labels: [Int], threads: Int) throws -> [String: [UInt32]] {
    let saved = EngineThreads.count
    defer { EngineThreads.count = saved }
    EngineThreads.count = threads
    var result: [String: [UInt32]] = [:]
    result["session"] = try InferenceSession(network).logits(for: input).scalars.map(\.bitPattern)
    for mode in [NormalizationMode.inference, .training] {
      let pass = try network.forward(input, mode: mode)
      let (_, dLogits) = try softmaxCrossEntropy(logits: pass.logits, labels: labels)
      let gradients = network.backward(pass, logitsGradient: dLogits)
      result["\(mode) logits"] = pass.logits.scalars.map(\.bitPattern)
      result["\(mode) input gradient"] = gradients.input?.scalars.map(\.bitPattern) ?? []
      for (name, values) in gradients.parameters { result["\(mode) \(name)"] = values.map(\.bitPattern) }
    }
    return result
  }

  /// Batches 1–3 (fewer images than 2 × threads: split over panels and pixel tiles) and 7
  /// (split over images) give the same bits with 1, 2 and 3 threads.
  func testSmallBatchForwardAndBackwardAreBitIdenticalForAnyThreadCount() throws {
    let network = try randomNetwork()
    var random = SplitMix64(seed: 12)
    for batch in [1, 2, 3, 7] {
      let input = Tensor(shape: [batch, 12, 12, 3], scalars: random.floats(batch * 12 * 12 * 3))
      let labels = (0..<batch).map { $0 % 10 }
      let single = try outputs(network, input: input, labels: labels, threads: 1)
      // Session, 2 × (logits, input gradient), 2 × 23 parameters (7 convolutions, 7 batch norms,
      // the classifier's weight and bias).
      XCTAssertEqual(single.count, 1 + 2 * 2 + 2 * 23, "every gradient is compared")
      for threads in [2, 3] {
        let other = try outputs(network, input: input, labels: labels, threads: threads)
        XCTAssertEqual(Set(other.keys), Set(single.keys))
        for (name, bits) in single {
          XCTAssertEqual(other[name], bits, "batch \(batch), \(threads) threads: \(name) differs from 1 thread")
        }
      }
    }
  }

  /// A batch larger than `InferenceSession.imageGroup` runs group by group through the whole
  /// network (one lane of buffers per thread): its logits are the bits of each image run alone,
  /// from the input and from a block's features, with 1, 2 and 3 threads.
  func testSessionImageGroupsGiveTheBitsOfEachImageAlone() throws {
    let network = try randomNetwork()
    let lesioned = try network.deletingBlocks([2])
    var random = SplitMix64(seed: 13)
    let batch = 2 * InferenceSession.imageGroup + 1
    let input = Tensor(shape: [batch, 12, 12, 3], scalars: random.floats(batch * 12 * 12 * 3))
    try forEachThreadCount { threads in
      let session = try InferenceSession(network)
      let lesion = try InferenceSession(lesioned, reusing: session)
      for (name, s) in [("intact", session), ("block 2 deleted", lesion)] {
        let logits = try s.logits(for: input).scalars
        let classes = logits.count / batch
        for n in 0..<batch {
          let image = Tensor(shape: [1, 12, 12, 3], scalars: Array(input.scalars[(n * 432)..<((n + 1) * 432)]))
          let alone = try s.logits(for: image).scalars
          XCTAssertEqual(
            logits[(n * classes)..<((n + 1) * classes)].map(\.bitPattern), alone.map(\.bitPattern),
            "\(name), image \(n), \(threads) threads")
        }
        let features = try s.features(afterBlocks: 0..<1, from: try s.stemOutput(for: input))
        let fromBlock = try s.logits(fromBlock: 1, features: features, batch: batch).scalars
        XCTAssertEqual(fromBlock.map(\.bitPattern), logits.map(\.bitPattern), "\(name), from block 2, \(threads) threads")
      }
    }
  }

  /// Every chunk runs exactly once: many loops in a row, loops of many chunks, a loop inside a
  /// chunk (runs inline) and loops started from several threads at once.
  func testWorkerPoolRunsEveryChunkOnce() {
    let saved = EngineThreads.count
    defer { EngineThreads.count = saved }
    EngineThreads.count = 3
    for chunkCount in [2, 3, 17, 1000] {
      for _ in 0..<50 {
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: chunkCount)
        counts.initialize(repeating: 0, count: chunkCount)
        parallelFor(chunkCount) { counts[$0] += 1 }
        XCTAssertEqual(UnsafeBufferPointer(start: counts, count: chunkCount).filter { $0 != 1 }.count, 0, "\(chunkCount) chunks")
        counts.deallocate()
      }
    }
    // Nested: 8 × 8 cells, each written once.
    let cells = UnsafeMutablePointer<Int>.allocate(capacity: 64)
    cells.initialize(repeating: 0, count: 64)
    parallelFor(8) { i in parallelFor(8) { j in cells[i * 8 + j] += 1 } }
    XCTAssertEqual(UnsafeBufferPointer(start: cells, count: 64).filter { $0 != 1 }.count, 0, "nested loops")
    cells.deallocate()
    // Four callers at once, each with its own 64 chunks.
    let rows = UnsafeMutablePointer<Int>.allocate(capacity: 4 * 64)
    rows.initialize(repeating: 0, count: 4 * 64)
    DispatchQueue.concurrentPerform(iterations: 4) { caller in
      for _ in 0..<20 { parallelFor(64) { rows[caller * 64 + $0] += 1 } }
    }
    XCTAssertEqual(UnsafeBufferPointer(start: rows, count: 4 * 64).filter { $0 != 20 }.count, 0, "concurrent callers")
    rows.deallocate()
  }
}

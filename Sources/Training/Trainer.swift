import Basics
import Datasets
import Engine
import Foundation

/// What one epoch of training achieved.
public struct EpochReport: Codable, Sendable, Equatable {
  /// 1-based epoch number.
  public var epoch: Int
  /// Epochs in the run.
  public var epochs: Int
  /// Mean training loss over the epoch's mini-batches (training-mode batch norm, augmented).
  public var loss: Double
  /// Fraction of training images classified correctly in their own mini-batch's forward pass.
  public var trainAccuracy: Double
  /// Fraction of test images misclassified by the test-time network after the epoch.
  public var testError: Double
  /// Learning rate of the epoch's last iteration.
  public var learningRate: Float
  /// Training images per second (forward, backward and update; evaluation excluded).
  public var imagesPerSecond: Double
  /// Wall seconds since the run started (summed over resumed sessions), evaluation included.
  public var elapsed: Double
  /// Estimated wall seconds until the run ends.
  public var estimatedRemaining: Double
}

/// Everything a run needs to continue exactly where it stopped.
public struct TrainingState: Sendable {
  /// The network being trained (full branches, no branch scales).
  public var network: Network
  /// The optimizer with its momentum buffers.
  public var optimizer: StochasticGradientDescent
  /// The run's random stream, positioned after the last completed epoch.
  public var generator: SplitMix64
  /// Epochs finished.
  public var completedEpochs: Int
  /// Wall seconds spent on the finished epochs.
  public var elapsed: Double
  /// Reports of the finished epochs.
  public var history: [EpochReport]

  /// Creates a state.
  public init(
    network: Network, optimizer: StochasticGradientDescent, generator: SplitMix64,
    completedEpochs: Int, elapsed: Double, history: [EpochReport]
  ) {
    self.network = network
    self.optimizer = optimizer
    self.generator = generator
    self.completedEpochs = completedEpochs
    self.elapsed = elapsed
    self.history = history
  }
}

extension TrainingState {
  /// `Trainer.step` on this state's network and optimizer.
  mutating func step(
    input: Tensor, labels: [Int], deleting dropped: [Int], backwardThrough chosen: Set<Int>?, learningRate: Float
  ) throws -> StepResult {
    try Trainer.step(
      network: &network, optimizer: &optimizer, input: input, labels: labels, deleting: dropped,
      backwardThrough: chosen, learningRate: learningRate)
  }
}

/// The outcome of one training mini-batch.
public struct StepResult: Sendable, Equatable {
  /// Mean cross-entropy of the batch before the update.
  public var loss: Double
  /// Images of the batch whose training-mode logits put the label first.
  public var correct: Int
}

/// Trains a network with SGD on an image data set, evaluating on a test set after each epoch.
///
/// Random order (one `SplitMix64` seeded with `configuration.seed`): the initial weights (see
/// `Network.initializeForTraining`); then, each epoch, a Fisher–Yates permutation of the
/// training images; then for each mini-batch its block mask (stochastic depth: one uniform per
/// block; active blocks and gradient paths: K integers) followed by each image's crop row, crop column and flip bit.
/// With the same seed, data and `EngineThreads.count`, the weights are bit-identical.
public final class Trainer {
  /// The run's settings.
  public let configuration: TrainingConfiguration
  /// The images trained on.
  public let trainingSet: ImageDataset
  /// The images evaluated after each epoch (may be empty: test error is then reported as 0).
  public let testSet: ImageDataset
  /// The current state (network, momentum, random stream, epochs done).
  public private(set) var state: TrainingState
  /// The test-time network of the last finished epoch (`testNetwork(state.network)`), which the
  /// epoch's test error describes; nil before the first epoch of this session.
  public private(set) var latestTestNetwork: Network?
  /// Called after each epoch with its report and the state (e.g. to write a checkpoint).
  public var epochFinished: ((EpochReport, TrainingState) throws -> Void)?
  /// Called after each mini-batch with (batches done in the epoch, batches per epoch, images).
  public var batchFinished: ((Int, Int, Int) -> Void)?

  /// Prepares a fresh run: checks the settings, builds the network and draws its weights.
  /// - Throws: `TrainingError.invalidSetting` or `EngineError` for a configuration that cannot
  ///   train on these data sets.
  public convenience init(configuration: TrainingConfiguration, trainingSet: ImageDataset, testSet: ImageDataset) throws
  {
    var generator = SplitMix64(seed: configuration.seed)
    var network = try Network(configuration.architecture)
    network.initializeForTraining(
      using: &generator, fanMode: configuration.fanMode,
      zeroResidualBranches: configuration.zeroResidualBranches ?? false)
    let optimizer = StochasticGradientDescent(
      momentum: configuration.momentum, weightDecay: configuration.weightDecay, nesterov: configuration.nesterov)
    try self.init(
      configuration: configuration, trainingSet: trainingSet, testSet: testSet,
      state: TrainingState(
        network: network, optimizer: optimizer, generator: generator, completedEpochs: 0, elapsed: 0, history: []))
  }

  /// Continues a run from `state` (e.g. read by `TrainingCheckpoint.readState`).
  /// - Throws: `TrainingError.invalidSetting` when the settings or data do not fit.
  public init(
    configuration: TrainingConfiguration, trainingSet: ImageDataset, testSet: ImageDataset, state: TrainingState
  ) throws {
    try configuration.validate(
      imageChannels: trainingSet.channels, imageHeight: trainingSet.height, imageWidth: trainingSet.width,
      classCount: trainingSet.classCount)
    guard trainingSet.count >= 2 else {
      throw TrainingError.invalidSetting(
        name: "training set", expected: "at least 2 images", found: "\(trainingSet.count)")
    }
    if testSet.count > 0 {
      guard testSet.channels == trainingSet.channels, testSet.height == trainingSet.height,
        testSet.width == trainingSet.width
      else {
        throw TrainingError.invalidSetting(
          name: "test set",
          expected:
            "images like the training set's (\(trainingSet.channels)×\(trainingSet.height)×\(trainingSet.width))",
          found: "\(testSet.channels)×\(testSet.height)×\(testSet.width)")
      }
    }
    for (i, label) in trainingSet.labels.enumerated() where label < 0 || label >= configuration.architecture.classCount
    {
      throw TrainingError.invalidSetting(
        name: "training label \(i)", expected: "a class in 0..<\(configuration.architecture.classCount)",
        found: "\(label)")
    }
    self.configuration = configuration
    self.trainingSet = trainingSet
    self.testSet = testSet
    self.state = state
  }

  /// Mini-batches per epoch: ⌈count / batchSize⌉, less a final batch of a single image (training
  /// batch norm needs two).
  public var batchesPerEpoch: Int {
    let size = configuration.batchSize
    let full = trainingSet.count / size
    let rest = trainingSet.count % size
    return full + (rest >= 2 ? 1 : 0)
  }

  /// Residual blocks that active-block and gradient-path training choose among (every block
  /// with a shortcut).
  var residualBlockNumbers: [Int] { state.network.blocks.filter(\.isResidual).map(\.number) }

  /// Runs the remaining epochs and returns the test-time network (`testNetwork(_:)`).
  /// - Throws: `TrainingError.divergence` on a non-finite loss, `EngineError`, or what
  ///   `epochFinished` throws.
  public func fit() throws -> Network {
    while state.completedEpochs < configuration.epochs {
      try runEpoch()
    }
    if let latestTestNetwork { return latestTestNetwork }
    return try testNetwork(state.network)
  }

  /// The network as it runs at test time: under stochastic depth each block's branch is scaled
  /// by its survival probability p_l (recorded in `configuration.branchScales`); with
  /// `recalibratesNormalization` (active-block training) the running statistics are recomputed
  /// for the whole network (`recalibrateNormalization`); otherwise the network unchanged.
  /// - Throws: `EngineError` from the recalibration passes.
  public func testNetwork(_ network: Network) throws -> Network {
    var result = network
    if let finalSurvival = configuration.stochasticDepth {
      let survival = BlockSampling.survivalProbabilities(
        blockCount: network.configuration.blockCount, finalSurvival: finalSurvival)
      result.configuration.branchScales = survival
      for index in result.blocks.indices {
        let number = result.blocks[index].number
        if number >= 1 && number <= survival.count { result.blocks[index].branchScale = survival[number - 1] }
      }
    }
    if configuration.recalibratesNormalization {
      try recalibrateNormalization(&result)
    }
    return result
  }

  /// Replaces every batch norm's running statistics by their average over full-network
  /// training-mode passes on calibration images (PyTorch's cumulative average, `momentum=None`).
  ///
  /// Active-block training only ever runs K-block sub-networks, so the running statistics it
  /// accumulates do not describe the whole network used at test time; without this step the
  /// test error of the bundled short-path model was 77% instead of about 5%. The images are every
  /// ⌈count/limit⌉-th training image (at most `calibrationImages`), unaugmented, in batches of
  /// `batchSize`; no random number is drawn, so training itself is unaffected.
  /// - Throws: `EngineError` if the images do not fit the network.
  /// - Complexity: one training-mode forward pass over the calibration images.
  public func recalibrateNormalization(_ network: inout Network) throws {
    let limit = max(2, configuration.calibrationImages)
    let step = max(1, (trainingSet.count + limit - 1) / limit)
    let indices = Array(stride(from: 0, to: trainingSet.count, by: step))
    let size = configuration.batchSize
    var batchNumber = 0
    var start = 0
    while start < indices.count {
      let batch = Array(indices[start..<min(indices.count, start + size)])
      start += size
      guard batch.count >= 2 else { break }
      batchNumber += 1
      let momentum = 1 / Float(batchNumber)
      network.updateLayers { layer in
        if case .batchNorm(var bn) = layer {
          bn.momentum = momentum
          layer = .batchNorm(bn)
        }
      }
      var scalars = [Float](repeating: 0, count: batch.count * trainingSet.imageSize)
      scalars.withUnsafeMutableBufferPointer {
        trainingSet.writeBatch(
          indices: batch, mean: configuration.normalizationMean, std: configuration.normalizationStd, into: $0)
      }
      let input = Tensor(
        shape: [batch.count, trainingSet.height, trainingSet.width, trainingSet.channels], scalars: scalars)
      let pass = try network.forward(input, mode: .training, recording: false)
      network.updateRunningStatistics(from: pass)
    }
    network.updateLayers { layer in
      if case .batchNorm(var bn) = layer {
        bn.momentum = 0.1  // PyTorch's default, which training uses
        layer = .batchNorm(bn)
      }
    }
  }

  /// Trains one epoch, evaluates, reports.
  /// - Throws: as `fit()`.
  public func runEpoch() throws {
    let start = ProcessInfo.processInfo.systemUptime
    let epochIndex = state.completedEpochs
    let perEpoch = batchesPerEpoch
    let size = configuration.batchSize
    let order = state.generator.permutation(trainingSet.count)
    var lossSum = 0.0
    var correct = 0
    var seen = 0
    var lastRate: Float = configuration.learningRate
    for batch in 0..<perEpoch {
      let indices = Array(order[(batch * size)..<min(order.count, (batch + 1) * size)])
      let iteration = epochIndex * perEpoch + batch
      let rate = configuration.learningRate(iteration: iteration, iterationsPerEpoch: perEpoch)
      lastRate = rate
      let result = try trainStep(indices: indices, learningRate: rate)
      guard result.loss.isFinite else {
        throw TrainingError.divergence(epoch: epochIndex + 1, iteration: iteration, loss: result.loss)
      }
      lossSum += result.loss * Double(indices.count)
      correct += result.correct
      seen += indices.count
      batchFinished?(batch + 1, perEpoch, indices.count)
    }
    let trainTime = ProcessInfo.processInfo.systemUptime - start
    let evaluated = try testNetwork(state.network)
    latestTestNetwork = evaluated
    let testError = try Trainer.testError(
      of: evaluated, on: testSet, mean: configuration.normalizationMean,
      std: configuration.normalizationStd, batchSize: configuration.evaluationBatchSize)
    let epochTime = ProcessInfo.processInfo.systemUptime - start
    state.completedEpochs += 1
    state.elapsed += epochTime
    let remaining =
      Double(configuration.epochs - state.completedEpochs) * state.elapsed / Double(max(1, state.completedEpochs))
    let report = EpochReport(
      epoch: state.completedEpochs, epochs: configuration.epochs, loss: lossSum / Double(max(1, seen)),
      trainAccuracy: Double(correct) / Double(max(1, seen)), testError: testError, learningRate: lastRate,
      imagesPerSecond: Double(seen) / max(trainTime, 1e-9), elapsed: state.elapsed, estimatedRemaining: remaining)
    state.history.append(report)
    try epochFinished?(report, state)
  }

  /// One SGD step on the training images `indices`: draws the block mask and the augmentation,
  /// runs forward and backward in training mode (deleted branches skipped both ways; under
  /// gradient paths the unchosen branches skipped backward only), updates the running statistics
  /// and the parameters.
  /// - Throws: `EngineError` (e.g. a label outside the classifier's range).
  @discardableResult
  public func trainStep(indices: [Int], learningRate: Float) throws -> StepResult {
    var dropped: [Int] = []
    if let finalSurvival = configuration.stochasticDepth {
      let survival = BlockSampling.survivalProbabilities(
        blockCount: state.network.configuration.blockCount, finalSurvival: finalSurvival)
      dropped = BlockSampling.droppedBlocks(survival: survival, using: &state.generator)
    } else if let active = configuration.activeBlocks {
      dropped = BlockSampling.inactiveBlocks(candidates: residualBlockNumbers, active: active, using: &state.generator)
    }
    var chosen: Set<Int>? = nil
    if let paths = configuration.gradientPaths {
      // The same draws as active-block training: the same seed picks the same K blocks.
      let candidates = residualBlockNumbers
      let unchosen = Set(BlockSampling.inactiveBlocks(candidates: candidates, active: paths, using: &state.generator))
      chosen = Set(candidates.filter { !unchosen.contains($0) })
    }
    let augmentation = configuration.augmentation
    var transforms: [ImageTransform] = []
    transforms.reserveCapacity(indices.count)
    for _ in indices { transforms.append(ImageTransform.random(augmentation, using: &state.generator)) }
    let input = makeInput(indices: indices, transforms: transforms)
    let labels = indices.map { trainingSet.labels[$0] }
    return try state.step(
      input: input, labels: labels, deleting: dropped, backwardThrough: chosen, learningRate: learningRate)
  }

  /// One SGD step as PyTorch's `model.train()`; `loss.backward()`; `optimizer.step()`: forward in
  /// training mode with the blocks `dropped` deleted (their branches skipped forward and
  /// backward, their parameters untouched), mean cross-entropy, backward, running-statistics
  /// update of the batch norms that ran, then the optimizer update.
  ///
  /// With `chosen` (gradient paths) the whole network (less `dropped`) runs forward, and backward
  /// goes through the branches of the blocks numbered in `chosen` and through every shortcut
  /// (`BackwardOptions.restrictedTo`): PyTorch's `relu(shortcut(x) + branch(x).detach())` for
  /// the other residual blocks. Their branch parameters get no gradient, so the optimizer leaves
  /// them, their momentum buffers and their weight decay alone (`grad is None` in PyTorch); their
  /// batch norms ran in training mode and update their running statistics. Blocks without a
  /// shortcut always carry gradient.
  ///
  /// input (N, H, W, C) channels-last, `labels` N classes.
  /// - Throws: `EngineError` for an input that does not fit or a label out of range.
  /// - Complexity: one forward and one backward pass.
  public static func step(
    network: inout Network, optimizer: inout StochasticGradientDescent, input: Tensor, labels: [Int],
    deleting dropped: [Int] = [], backwardThrough chosen: Set<Int>? = nil, learningRate: Float
  ) throws -> StepResult {
    let (result, gradients) = try forwardBackward(
      network: &network, input: input, labels: labels, deleting: dropped, backwardThrough: chosen)
    optimizer.step(&network, gradients: gradients, learningRate: learningRate)
    return result
  }

  /// Forward and backward of one batch; updates the running statistics and returns the gradients.
  static func forwardBackward(
    network: inout Network, input: Tensor, labels: [Int], deleting dropped: [Int], backwardThrough chosen: Set<Int>?
  ) throws -> (StepResult, [String: [Float]]) {
    let stepNetwork = dropped.isEmpty ? network : try network.deletingBlocks(dropped)
    let pass = try stepNetwork.forward(input, mode: .training)
    let (loss, dLogits) = try softmaxCrossEntropy(logits: pass.logits, labels: labels)
    let correct = Trainer.correctCount(logits: pass.logits, labels: labels)
    network.updateRunningStatistics(from: pass)
    // The pass's only copy goes to backward, which releases each block's activations when done.
    let gradients = stepNetwork.backward(
      consume pass, logitsGradient: dLogits,
      options: BackwardOptions(restrictedTo: chosen, parameterGradients: true, inputGradient: false))
    return (StepResult(loss: loss, correct: correct), gradients.parameters)
  }

  /// The normalized, augmented batch (N, H, W, C).
  func makeInput(indices: [Int], transforms: [ImageTransform]) -> Tensor {
    let d = trainingSet
    var scalars = [Float](repeating: 0, count: indices.count * d.imageSize)
    scalars.withUnsafeMutableBufferPointer {
      d.writeAugmentedBatch(
        indices: indices, transforms: transforms, padding: configuration.augmentation.cropPadding,
        mean: configuration.normalizationMean, std: configuration.normalizationStd, into: $0)
    }
    return Tensor(shape: [indices.count, d.height, d.width, d.channels], scalars: scalars)
  }

  /// How many rows of logits (N, K) have their largest value at the label (first maximum wins).
  public static func correctCount(logits: Tensor, labels: [Int]) -> Int {
    guard logits.shape.count == 2 else { return 0 }
    let classes = logits.shape[1]
    var correct = 0
    for (row, label) in labels.enumerated() where row < logits.shape[0] {
      var best = 0
      for k in 1..<max(1, classes) where logits.scalars[row * classes + k] > logits.scalars[row * classes + best] {
        best = k
      }
      if best == label { correct += 1 }
    }
    return correct
  }

  /// Fraction of `dataset` misclassified by `network` in inference mode (0 for an empty set).
  /// - Throws: `EngineError` when the images do not fit the network.
  /// - Complexity: one inference pass over the data set.
  public static func testError(
    of network: Network, on dataset: ImageDataset, mean: [Float], std: [Float], batchSize: Int
  ) throws -> Double {
    guard dataset.count > 0 else { return 0 }
    let session = try InferenceSession(network)
    var wrong = 0
    var start = 0
    let size = max(1, batchSize)
    while start < dataset.count {
      let indices = Array(start..<min(dataset.count, start + size))
      var scalars = [Float](repeating: 0, count: indices.count * dataset.imageSize)
      scalars.withUnsafeMutableBufferPointer { dataset.writeBatch(indices: indices, mean: mean, std: std, into: $0) }
      let input = Tensor(shape: [indices.count, dataset.height, dataset.width, dataset.channels], scalars: scalars)
      let logits = try session.logits(for: input)
      wrong += indices.count - correctCount(logits: logits, labels: indices.map { dataset.labels[$0] })
      start += size
    }
    return Double(wrong) / Double(dataset.count)
  }
}

import Engine
import Foundation

/// How the learning rate changes over a run (after the linear warm-up).
public enum LearningRateSchedule: Codable, Sendable, Equatable, CustomStringConvertible {
  /// Multiply the rate by `factor` at the start of each epoch in `milestones` (0-based epoch
  /// counts, PyTorch's `MultiStepLR`: milestone 50 means epochs 50… use the reduced rate).
  case step(milestones: [Int], factor: Float)
  /// Cosine annealing from the base rate to 0 over the iterations after the warm-up
  /// (Loshchilov & Hutter 2017 without restarts), updated every iteration.
  case cosine
  /// The base rate throughout.
  case constant

  /// `step:50,75` (factor 0.1), `step:50,75x0.2`, `cosine` or `constant`.
  public var description: String {
    switch self {
    case .step(let milestones, let factor):
      let list = milestones.map(String.init).joined(separator: ",")
      return factor == 0.1 ? "step:\(list)" : "step:\(list)x\(factor)"
    case .cosine: return "cosine"
    case .constant: return "constant"
    }
  }
}

/// Data augmentation applied to training images, on raw pixels before normalization.
public struct Augmentation: Codable, Sendable, Equatable {
  /// Zero padding P on every side before a random crop back to the original size (torchvision's
  /// `RandomCrop(size, padding=P)`); 0 disables cropping.
  public var cropPadding: Int
  /// Random horizontal flips with probability ½ (off for digits).
  public var horizontalFlip: Bool

  /// Creates an augmentation; the default does nothing.
  public init(cropPadding: Int = 0, horizontalFlip: Bool = false) {
    self.cropPadding = cropPadding
    self.horizontalFlip = horizontalFlip
  }
}

/// Everything that determines a training run (with the data and the thread count).
public struct TrainingConfiguration: Codable, Sendable, Equatable {
  /// The network to train (its `branchScales` must be nil; stochastic depth sets them at the end).
  public var architecture: NetworkConfiguration
  /// Passes over the training set.
  public var epochs: Int
  /// Images per mini-batch (the last batch of an epoch may be smaller).
  public var batchSize: Int
  /// Base learning rate (after warm-up, before the schedule).
  public var learningRate: Float
  /// SGD momentum.
  public var momentum: Float
  /// Nesterov momentum.
  public var nesterov: Bool
  /// L2 weight decay added to every gradient.
  public var weightDecay: Float
  /// The learning-rate schedule after warm-up.
  public var schedule: LearningRateSchedule
  /// Epochs of linear warm-up: iteration i of W warm-up iterations uses lr·(i+1)/W.
  public var warmupEpochs: Int
  /// Training-time augmentation.
  public var augmentation: Augmentation
  /// Per-channel mean of `pixel/255` subtracted before the network (e.g. MNIST 0.1307).
  public var normalizationMean: [Float]
  /// Per-channel standard deviation dividing it (e.g. MNIST 0.3081).
  public var normalizationStd: [Float]
  /// Seed of the run's single random stream.
  public var seed: UInt64
  /// Stochastic depth (Huang et al. 2016): survival probability P_L of the last block; block l
  /// of L survives with p_l = 1 − (l/L)(1 − P_L). Nil disables it.
  public var stochasticDepth: Float?
  /// Active-block training (Veit et al. 2016, §5.2): K residual blocks chosen uniformly per
  /// mini-batch are trained, the others deleted for it. Nil disables it.
  public var activeBlocks: Int?
  /// Gradient-path training (the Fig. 6b reading of Veit et al. 2016, §5.2): the whole network
  /// runs forward in training mode; backward goes through the branches of K residual blocks
  /// chosen uniformly per mini-batch and through the shortcuts of all blocks, so only paths
  /// through at most K branches carry gradient. The other blocks' branch parameters get no
  /// gradient and are not updated (momentum buffer and weight decay untouched), exactly as
  /// deleted blocks under `activeBlocks`; their batch norms still update their running statistics
  /// (they ran forward). Nil disables it.
  public var gradientPaths: Int?
  /// The fan He initialization divides by.
  public var fanMode: FanMode
  /// Start every residual branch's last batch norm at γ = 0 (nil or false: γ = 1 everywhere).
  public var zeroResidualBranches: Bool?
  /// Recompute the running statistics of the test-time network after each epoch
  /// (`Trainer.recalibrateNormalization`); nil means on exactly for active-block training.
  public var recalibrateNormalization: Bool?
  /// Training images used for that recalibration (nil: 2048).
  public var calibrationImageCount: Int?

  /// Whether the test-time network gets recalibrated running statistics.
  public var recalibratesNormalization: Bool { recalibrateNormalization ?? (activeBlocks != nil) }
  /// Training images used for recalibration.
  public var calibrationImages: Int { calibrationImageCount ?? 2048 }
  /// Images per evaluation batch on the test set.
  public var evaluationBatchSize: Int

  /// Creates a configuration; defaults follow akamaster's CIFAR recipe where they apply.
  public init(
    architecture: NetworkConfiguration, epochs: Int, batchSize: Int = 128,
    learningRate: Float = 0.1, momentum: Float = 0.9, nesterov: Bool = false,
    weightDecay: Float = 1e-4, schedule: LearningRateSchedule = .cosine, warmupEpochs: Int = 0,
    augmentation: Augmentation = Augmentation(), normalizationMean: [Float],
    normalizationStd: [Float], seed: UInt64 = 0, stochasticDepth: Float? = nil,
    activeBlocks: Int? = nil, gradientPaths: Int? = nil, fanMode: FanMode = .fanIn, zeroResidualBranches: Bool? = nil,
    recalibrateNormalization: Bool? = nil, calibrationImageCount: Int? = nil, evaluationBatchSize: Int = 250
  ) {
    self.architecture = architecture
    self.epochs = epochs
    self.batchSize = batchSize
    self.learningRate = learningRate
    self.momentum = momentum
    self.nesterov = nesterov
    self.weightDecay = weightDecay
    self.schedule = schedule
    self.warmupEpochs = warmupEpochs
    self.augmentation = augmentation
    self.normalizationMean = normalizationMean
    self.normalizationStd = normalizationStd
    self.seed = seed
    self.stochasticDepth = stochasticDepth
    self.activeBlocks = activeBlocks
    self.gradientPaths = gradientPaths
    self.fanMode = fanMode
    self.zeroResidualBranches = zeroResidualBranches
    self.recalibrateNormalization = recalibrateNormalization
    self.calibrationImageCount = calibrationImageCount
    self.evaluationBatchSize = evaluationBatchSize
  }

  /// Checks the settings against each other and the data.
  /// - Throws: `TrainingError.invalidSetting` naming the setting, what it needs and its value.
  public func validate(
    imageChannels: Int? = nil, imageHeight: Int? = nil, imageWidth: Int? = nil, classCount: Int? = nil
  ) throws {
    func check(_ ok: Bool, _ name: String, _ expected: String, _ found: Any) throws {
      if !ok { throw TrainingError.invalidSetting(name: name, expected: expected, found: "\(found)") }
    }
    try check(epochs >= 1, "epochs", "at least 1", epochs)
    try check(batchSize >= 2, "batch size", "at least 2 (training-mode batch norm)", batchSize)
    try check(learningRate.isFinite && learningRate > 0, "learning rate", "a positive number", learningRate)
    try check(momentum >= 0 && momentum < 1, "momentum", "a value in [0, 1)", momentum)
    try check(!nesterov || momentum > 0, "nesterov", "a positive momentum", momentum)
    try check(weightDecay >= 0 && weightDecay.isFinite, "weight decay", "a non-negative number", weightDecay)
    try check(
      warmupEpochs >= 0 && warmupEpochs < epochs, "warm-up", "fewer epochs than the run (\(epochs))", warmupEpochs)
    try check(
      augmentation.cropPadding >= 0 && augmentation.cropPadding <= 16, "crop padding", "a value in 0…16",
      augmentation.cropPadding)
    try check(evaluationBatchSize >= 1, "evaluation batch size", "at least 1", evaluationBatchSize)
    if case .step(let milestones, let factor) = schedule {
      try check(
        milestones.allSatisfy { $0 >= 1 } && milestones == milestones.sorted(), "schedule",
        "increasing positive epoch milestones", milestones)
      try check(factor > 0 && factor <= 1, "schedule factor", "a value in (0, 1]", factor)
    }
    let channels = architecture.inputChannels
    try check(
      normalizationMean.count == channels && normalizationStd.count == channels, "normalization",
      "\(channels) mean and std values", "\(normalizationMean.count) and \(normalizationStd.count)")
    try check(
      normalizationStd.allSatisfy { $0 > 0 && $0.isFinite }, "normalization std", "positive values", normalizationStd)
    try check(
      architecture.branchScales == nil, "architecture", "no branch scales (training uses full branches)",
      architecture.branchScales ?? [])
    if let p = stochasticDepth {
      try check(p > 0 && p <= 1, "stochastic depth", "a final survival probability in (0, 1]", p)
      try check(
        architecture.family != .vgg && architecture.family != .plainCIFAR, "stochastic depth",
        "a residual architecture", architecture.family.rawValue)
    }
    if let k = activeBlocks {
      try check(k >= 1 && k <= architecture.blockCount, "active blocks", "a count in 1…\(architecture.blockCount)", k)
      try check(
        architecture.family != .vgg && architecture.family != .plainCIFAR, "active blocks", "a residual architecture",
        architecture.family.rawValue)
      try check(stochasticDepth == nil, "active blocks", "no stochastic depth at the same time", "both given")
    }
    if let k = gradientPaths {
      try check(
        k >= 1 && k <= architecture.blockCount, "gradient paths", "a count in 1…\(architecture.blockCount)", k)
      try check(
        architecture.family != .vgg && architecture.family != .plainCIFAR, "gradient paths",
        "a residual architecture", architecture.family.rawValue)
      try check(
        stochasticDepth == nil && activeBlocks == nil, "gradient paths",
        "no stochastic depth or active blocks at the same time", "both given")
    }
    if let imageChannels {
      try check(imageChannels == channels, "architecture", "\(imageChannels) input channels (the data's)", channels)
    }
    if let imageHeight, let imageWidth {
      try check(
        imageHeight == architecture.inputHeight && imageWidth == architecture.inputWidth, "architecture",
        "input \(imageHeight)×\(imageWidth) (the data's)", "\(architecture.inputHeight)×\(architecture.inputWidth)")
    }
    if let classCount {
      try check(
        classCount <= architecture.classCount, "architecture", "at least \(classCount) classes (the data's)",
        architecture.classCount)
    }
  }

  /// The learning rate of iteration `iteration` (0-based over the whole run) of a run with
  /// `iterationsPerEpoch` iterations per epoch.
  ///
  /// Warm-up iterations i < W = warmupEpochs·iterationsPerEpoch use lr·(i+1)/W. Afterwards the
  /// step schedule uses the iteration's epoch; cosine uses lr·½(1 + cos(π·(i−W)/(T−W))) with T
  /// the run's total iterations.
  public func learningRate(iteration: Int, iterationsPerEpoch: Int) -> Float {
    let perEpoch = max(1, iterationsPerEpoch)
    let warmup = warmupEpochs * perEpoch
    if iteration < warmup {
      return learningRate * Float(iteration + 1) / Float(warmup)
    }
    switch schedule {
    case .constant:
      return learningRate
    case .step(let milestones, let factor):
      let epoch = iteration / perEpoch
      let drops = milestones.filter { $0 <= epoch }.count
      var rate = learningRate
      for _ in 0..<drops { rate *= factor }
      return rate
    case .cosine:
      let total = epochs * perEpoch
      let span = max(1, total - warmup)
      let progress = Double(iteration - warmup) / Double(span)
      return Float(Double(learningRate) * 0.5 * (1 + cos(Double.pi * min(1, progress))))
    }
  }
}

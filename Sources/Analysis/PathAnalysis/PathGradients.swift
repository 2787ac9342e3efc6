import Basics
import Datasets
import Engine
import Foundation
import Lesion
import Statistics

/// Where the gradient of Fig. 6b is measured.
public enum GradientLocation: String, CaseIterable, Sendable {
  /// The input of the first residual block (the stem's output), as in Veit et al. 2016.
  case block
  /// The network's input image.
  case image
}

/// Which paths a measurement at length k covers.
public enum PathGradientMode: String, CaseIterable, Sendable {
  /// The single path through exactly the k chosen branches: chosen blocks pass gradient through
  /// their branch only, the others through their shortcut only (Veit et al. 2016, Fig. 6b).
  case singlePath = "single-path"
  /// Every path that uses a subset of the k chosen branches: chosen blocks pass gradient through
  /// branch and shortcut, the others through the shortcut only.
  case subsets
}

/// Settings of the gradient-per-path-length measurement.
public struct PathGradientConfiguration: Sendable, Equatable {
  /// Random branch sets per path length, each with a fresh random batch.
  public var samples: Int
  /// Training images per batch.
  public var batchSize: Int
  public var seed: UInt64
  public var location: GradientLocation
  /// Path lengths k to measure; nil means every k = 0…n.
  public var lengths: [Int]?
  public var mode: PathGradientMode

  public init(
    samples: Int = 10, batchSize: Int = 32, seed: UInt64 = 0, location: GradientLocation = .block,
    lengths: [Int]? = nil, mode: PathGradientMode = .singlePath
  ) {
    self.mode = mode
    self.samples = samples
    self.batchSize = batchSize
    self.seed = seed
    self.location = location
    self.lengths = lengths
  }
}

/// The gradient magnitude measured at one path length.
public struct PathGradientPoint: Sendable, Equatable {
  /// k, the number of residual branches the gradient passed through.
  public var length: Int
  /// Mean L2 norm of the gradient.
  public var mean: Double
  /// Sample standard deviation of the norm.
  public var standardDeviation: Double
  /// Measurements averaged.
  public var count: Int
  /// The individual norms, in measurement order (for bootstrap intervals).
  public var measurements: [Double]
}

/// Gradient magnitude per path length, with the data to compute effective paths.
public struct PathGradientResult: Sendable {
  public var blockCount: Int
  public var points: [PathGradientPoint]
  public var configuration: PathGradientConfiguration

  /// Total gradient per length (paths × mean magnitude) and the effective-path range (Fig. 6c).
  /// - Throws: `PathLengthError` if no length has a positive magnitude.
  public func effectivePaths() throws -> EffectivePaths {
    var magnitudes = [Int: Double]()
    for point in points { magnitudes[point.length] = point.mean }
    return try EffectivePaths(blockCount: blockCount, meanGradientMagnitudes: magnitudes)
  }

  /// The norms measured at each path length, keyed by length.
  public var measurements: [Int: [Double]] {
    Dictionary(points.map { ($0.length, $0.measurements) }, uniquingKeysWith: +)
  }

  /// Bootstrap intervals for the per-length means and the effective-path ranges (Fig. 6b, 6c).
  /// - Throws: `PathLengthError` as `EffectivePaths.bootstrap`.
  public func effectivePathBootstrap<G: RandomNumberGenerator>(
    thresholds: [Double] = EffectivePaths.defaultThresholds, resamples: Int,
    confidence: Double = 0.95, generator: inout G
  ) throws -> EffectivePathBootstrap {
    try EffectivePaths.bootstrap(
      blockCount: blockCount, measurements: measurements, thresholds: thresholds,
      resamples: resamples, confidence: confidence, generator: &generator)
  }
}

/// Measures how much gradient flows through paths of each length (Veit et al. 2016, §4.2, Fig. 6b).
///
/// For each sample a fresh random batch of training images runs forward once through the intact
/// network (batch norm with running statistics); then for every path length k, k residual
/// branches are chosen at random and the mean cross-entropy loss is back-propagated through those
/// branches (only, by default: the single path of length k) and only the shortcuts of every other
/// block (the engine's restricted backward). The
/// L2 norm of the whole batch's gradient at the chosen location is one measurement. One forward
/// pass serves every k of a sample, and a restricted backward through k branches costs about
/// k/n of a full one.
public final class PathGradientMeasurement {
  /// Per-sample control of `measure` for sharded, resumable and merged runs.
  public struct SampleHooks {
    /// The norms of sample s when already known: exactly one per measured length, in order (the
    /// hook checks this; a wrong count is a programming error).
    public var known: (_ sample: Int) throws -> [Double]?
    /// Whether to compute sample s when it is not known.
    public var computes: (_ sample: Int) throws -> Bool
    /// Called with each computed sample's norms.
    public var finished: (_ sample: Int, _ norms: [Double]) throws -> Void

    public init(
      known: @escaping (Int) throws -> [Double]?, computes: @escaping (Int) throws -> Bool,
      finished: @escaping (Int, [Double]) throws -> Void
    ) {
      self.known = known
      self.computes = computes
      self.finished = finished
    }
  }

  public let network: Network
  public let dataset: ImageDataset
  public let mean: [Float]
  public let std: [Float]

  /// - Throws: `LesionError` when images or labels do not fit the network.
  public init(network: Network, dataset: ImageDataset, mean: [Float], std: [Float]) throws {
    try LesionError.validate(network: network, dataset: dataset, mean: mean, std: std)
    self.network = network
    self.dataset = dataset
    self.mean = mean
    self.std = std
  }

  /// Keys of the measurement's sub-streams ("GRAD", "BTCH", "PATH" in ASCII).
  static let streamKey: UInt64 = 0x4752_4144
  static let batchKey: UInt64 = 0x4254_4348
  static let pathKey: UInt64 = 0x5041_5448

  /// The path lengths a configuration measures.
  public static func lengths(blockCount: Int, configuration: PathGradientConfiguration) -> [Int] {
    configuration.lengths ?? Array(0...blockCount)
  }

  /// Restricted backward passes a measurement runs (for a cost estimate before a long run).
  public static func backwardCount(blockCount: Int, configuration: PathGradientConfiguration) -> Int {
    lengths(blockCount: blockCount, configuration: configuration).count * configuration.samples
  }

  /// Runs the measurement.
  ///
  /// Random draws come from keyed sub-streams of the seed (`SplitMix64.init(seed:keys:)`): sample
  /// j's batch (indices without replacement) from keys ("GRAD", "BTCH", j), the branch set of
  /// length k in sample j from ("GRAD", "PATH", j, k). So a measurement at (j, k) does not depend on
  /// which other lengths or how many samples a run asks for, nor on the thread count.
  /// - Parameters:
  ///   - samples: which samples to compute, and norms already known (a shard computes only its
  ///     samples; a resumed or merged run reads the others).
  ///   - progress: called with the number of backward passes just finished.
  /// - Throws: `LesionError.notEnoughBlocks` for a length above the number of residual blocks;
  ///   whatever the sample hooks throw.
  public func measure(
    _ configuration: PathGradientConfiguration, samples hooks: SampleHooks? = nil, progress: ((Int) -> Void)? = nil
  ) throws -> PathGradientResult {
    let residual = network.blocks.filter(\.isResidual).map(\.number)
    let n = residual.count
    let lengths = Self.lengths(blockCount: n, configuration: configuration)
    if let bad = lengths.first(where: { $0 < 0 || $0 > n }) {
      throw LesionError.notEnoughBlocks(asked: bad, available: n, what: "back-propagate through")
    }
    let batch = min(configuration.batchSize, dataset.count)
    let s = network.inputShape
    var norms = [[Double]](repeating: [], count: lengths.count)
    var buffer = [Float](repeating: 0, count: batch * s.count)
    for sample in 0..<configuration.samples {
      if let hooks {
        if let known = try hooks.known(sample) {
          precondition(known.count == lengths.count, "the hook checks one norm per measured length")
          for index in lengths.indices { norms[index].append(known[index]) }
          progress?(lengths.count)
          continue
        }
        if try !hooks.computes(sample) { continue }
      }
      var sampleNorms: [Double] = []
      let j = UInt64(sample)
      var batchGenerator = SplitMix64(seed: configuration.seed, keys: [Self.streamKey, Self.batchKey, j])
      let indices = batchGenerator.sample(batch, from: Array(0..<dataset.count))
      buffer.withUnsafeMutableBufferPointer { dataset.writeBatch(indices: indices, mean: mean, std: std, into: $0) }
      let input = Tensor(shape: [batch, s.height, s.width, s.channels], scalars: buffer)
      let pass = try network.forward(input, mode: .inference)
      let (_, dLogits) = try softmaxCrossEntropy(logits: pass.logits, labels: indices.map { dataset.labels[$0] })
      for (index, k) in lengths.enumerated() {
        var pathGenerator = SplitMix64(seed: configuration.seed, keys: [Self.streamKey, Self.pathKey, j, UInt64(k)])
        let branches = Set(pathGenerator.sample(k, from: residual))
        let gradients = network.backward(
          pass, logitsGradient: dLogits,
          options: BackwardOptions(
            restrictedTo: branches, chosenBranchesOnly: configuration.mode == .singlePath,
            parameterGradients: false, inputGradient: configuration.location == .image))
        let tensor = configuration.location == .image ? gradients.input! : gradients.firstBlockInput!
        var sum = 0.0
        for v in tensor.scalars { sum += Double(v) * Double(v) }
        norms[index].append(sum.squareRoot())
        sampleNorms.append(sum.squareRoot())
        progress?(1)
      }
      try hooks?.finished(sample, sampleNorms)
    }
    let points = zip(lengths, norms).map { k, values in
      let summary = Summary(values)
      return PathGradientPoint(
        length: k, mean: summary.mean, standardDeviation: summary.standardDeviation,
        count: summary.count, measurements: values)
    }
    return PathGradientResult(blockCount: n, points: points, configuration: configuration)
  }
}

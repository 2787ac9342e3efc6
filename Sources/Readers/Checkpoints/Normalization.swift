/// Where a model's input normalization statistics came from.
public enum NormalizationSource: Equatable, Sendable, CustomStringConvertible {
  /// Recorded in the model file's metadata.
  case metadata
  /// Given by the user (`--normalize`, `--mean`/`--std`).
  case flag
  /// The documented default for the checkpoint's family; the text says which and why.
  case familyDefault(String)

  /// A short phrase for `info`: "model metadata", "command-line flag", "default: …".
  public var description: String {
    switch self {
    case .metadata: return "model metadata"
    case .flag: return "command-line flag"
    case .familyDefault(let reason): return "default: \(reason)"
    }
  }
}

/// Named per-channel statistics in common use (as published with torchvision's ImageNet weights and the CIFAR/MNIST reference implementations), applied to pixels / 255.
public enum NormalizationPreset: String, CaseIterable, Sendable {
  /// ImageNet: mean 0.485, 0.456, 0.406; std 0.229, 0.224, 0.225 (torchvision, akamaster).
  case imagenet
  /// CIFAR-10, the popular constants: mean 0.4914, 0.4822, 0.4465; std 0.2023, 0.1994, 0.2010.
  case cifar10
  /// CIFAR-100: mean 0.5071, 0.4865, 0.4409; std 0.2673, 0.2564, 0.2762.
  case cifar100
  /// MNIST: mean 0.1307, std 0.3081 (one channel).
  case mnist
  /// No normalization: mean 0, std 1 for every channel.
  case none

  /// The per-channel mean (one value for MNIST and `none`, broadcast to every channel).
  public var mean: [Float] {
    switch self {
    case .imagenet: return [0.485, 0.456, 0.406]
    case .cifar10: return [0.4914, 0.4822, 0.4465]
    case .cifar100: return [0.5071, 0.4865, 0.4409]
    case .mnist: return [0.1307]
    case .none: return [0]
    }
  }

  /// The per-channel standard deviation (one value for MNIST and `none`).
  public var std: [Float] {
    switch self {
    case .imagenet: return [0.229, 0.224, 0.225]
    case .cifar10: return [0.2023, 0.1994, 0.2010]
    case .cifar100: return [0.2673, 0.2564, 0.2762]
    case .mnist: return [0.3081]
    case .none: return [1]
    }
  }
}

/// Statistics chosen by the user, overriding the file's metadata and the family default.
public enum NormalizationOverride: Equatable, Sendable {
  /// A named preset.
  case preset(NormalizationPreset)
  /// Explicit per-channel values (one value is broadcast to every channel).
  case explicit(mean: [Float], std: [Float])

  /// The mean and std as given (before fitting them to a channel count).
  public var values: (mean: [Float], std: [Float]) {
    switch self {
    case .preset(let preset): return (preset.mean, preset.std)
    case .explicit(let mean, let std): return (mean, std)
    }
  }
}

enum NormalizationFitting {
  /// Fits mean and std to `channels` values: equal counts pass, a single value is broadcast.
  /// - Throws: `CheckpointError.invalidNormalization` for other counts or a std that is not
  ///   positive and finite.
  static func fit(mean: [Float], std: [Float], channels: Int, what: String) throws -> (
    mean: [Float], std: [Float]
  ) {
    func fitted(_ values: [Float], _ name: String) throws -> [Float] {
      if values.count == channels { return values }
      if values.count == 1 { return Array(repeating: values[0], count: channels) }
      throw CheckpointError.invalidNormalization(
        expected: "1 or \(channels) \(name) values for a model with \(channels) input channels",
        found: "\(values.count) in \(what)")
    }
    let fittedMean = try fitted(mean, "mean")
    let fittedStd = try fitted(std, "std")
    if let bad = fittedStd.first(where: { !($0 > 0) || !$0.isFinite }) {
      throw CheckpointError.invalidNormalization(
        expected: "positive finite std values", found: "\(bad) in \(what)")
    }
    if let bad = fittedMean.first(where: { !$0.isFinite }) {
      throw CheckpointError.invalidNormalization(
        expected: "finite mean values", found: "\(bad) in \(what)")
    }
    return (fittedMean, fittedStd)
  }
}

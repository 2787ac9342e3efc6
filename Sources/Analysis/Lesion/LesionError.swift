import Datasets
import Engine

/// Errors of lesion studies: a model and a data set that do not fit, or an impossible request.
public enum LesionError: Error, Equatable, CustomStringConvertible {
  /// The data set's images do not have the model's input shape.
  case imageShapeMismatch(model: FeatureShape, data: FeatureShape, dataName: String)
  /// The data set has labels the model cannot predict.
  case labelOutOfRange(dataName: String, label: Int, classCount: Int)
  /// Normalization statistics with the wrong number of channels.
  case normalizationMismatch(channels: Int, mean: Int, std: Int)
  /// No images to evaluate.
  case emptyData(String)
  /// A random lesion asked for more blocks than can be deleted or swapped.
  case notEnoughBlocks(asked: Int, available: Int, what: String)

  public var description: String {
    switch self {
    case .imageShapeMismatch(let model, let data, let name):
      return "the model takes \(model) images but \(name) has \(data) images"
    case .labelOutOfRange(let name, let label, let classCount):
      return "\(name) has label \(label) but the model has \(classCount) classes (0–\(classCount - 1))"
    case .normalizationMismatch(let channels, let mean, let std):
      return "normalization needs \(channels) values per statistic, got \(mean) means and \(std) standard deviations"
    case .emptyData(let name):
      return "\(name) has no images to evaluate"
    case .notEnoughBlocks(let asked, let available, let what):
      return "cannot \(what) \(asked) blocks: only \(available) are available"
    }
  }
}

extension LesionError {
  /// Checks that a data set and normalization fit a network: image shape, statistics per
  /// channel, at least one image, labels within the network's classes.
  /// - Throws: the `LesionError` naming what does not fit.
  public static func validate(network: Network, dataset: ImageDataset, mean: [Float], std: [Float]) throws {
    let shape = FeatureShape(channels: dataset.channels, height: dataset.height, width: dataset.width)
    guard shape == network.inputShape else {
      throw LesionError.imageShapeMismatch(model: network.inputShape, data: shape, dataName: dataset.name)
    }
    guard mean.count == shape.channels, std.count == shape.channels else {
      throw LesionError.normalizationMismatch(channels: shape.channels, mean: mean.count, std: std.count)
    }
    guard dataset.count > 0 else { throw LesionError.emptyData(dataset.name) }
    if let bad = dataset.labels.first(where: { $0 < 0 || $0 >= network.classCount }) {
      throw LesionError.labelOutOfRange(dataName: dataset.name, label: bad, classCount: network.classCount)
    }
  }
}

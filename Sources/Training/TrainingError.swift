/// Errors of training: settings that cannot work together and unusable resume files.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
  /// A setting is out of range or conflicts with another.
  case invalidSetting(name: String, expected: String, found: String)
  /// A resume state file does not fit the run (missing key, wrong size, other settings).
  case invalidResumeState(file: String, key: String, expected: String, found: String)
  /// The loss became NaN or infinite (a learning rate too high for the network).
  case divergence(epoch: Int, iteration: Int, loss: Double)

  /// One line describing the problem.
  public var description: String {
    switch self {
    case .invalidSetting(let name, let expected, let found):
      return "invalid \(name): expected \(expected), found \(found)"
    case .invalidResumeState(let file, let key, let expected, let found):
      return "cannot resume from \(file): \(key) should be \(expected), found \(found)"
    case .divergence(let epoch, let iteration, let loss):
      return
        "training diverged in epoch \(epoch) at iteration \(iteration) (loss \(loss)); try a lower learning rate or a warm-up"
    }
  }
}

import Basics
import Checkpoints
import Engine
import Foundation
import TensorFormats

/// Checkpoints of a training run: the model file (what every other command loads) and, beside
/// it, a state file with what `--resume` needs to continue bit-identically.
///
/// The state file `<name>.state.safetensors` holds `param.<key>` (the training network's float32
/// state dictionary, full branches), `momentum.<key>` (SGD buffers, engine layouts, flat) and
/// `__metadata__`: `format` = `resnet-lesion-training-state`, `configuration` (the
/// `TrainingConfiguration` as JSON), `completed_epochs`, `generator_state` (decimal UInt64),
/// `elapsed_seconds`, `history` (the epoch reports as JSON) and the caller's `extra` entries.
public enum TrainingCheckpoint {
  /// The value of the state file's `format` metadata entry.
  public static let stateFormatName = "resnet-lesion-training-state"

  /// The state file that belongs to a model file: `x.safetensors` → `x.state.safetensors`.
  public static func stateURL(forModel url: URL) -> URL {
    let name = url.lastPathComponent
    if name.hasSuffix(".state.safetensors") { return url }
    let stem = name.hasSuffix(".safetensors") ? String(name.dropLast(".safetensors".count)) : name
    return url.deletingLastPathComponent().appendingPathComponent(stem + ".state.safetensors")
  }

  /// The provenance recorded in a model file for a run's state after `report`.
  ///
  /// Keys: `command`, `seed`, `epoch`, `epochs`, `training` (the configuration as JSON),
  /// `test_error`, `wall_time_seconds`, `images_per_second` (mean over the epochs), `train_loss`,
  /// `train_accuracy`, `training_images`, `test_images`, `engine_threads`, then `extra`.
  public static func provenance(
    configuration: TrainingConfiguration, state: TrainingState, command: String,
    trainingImages: Int, testImages: Int, extra: [String: String] = [:]
  ) -> [String: String] {
    var entries: [String: String] = [
      "command": command,
      "seed": String(configuration.seed),
      "epoch": String(state.completedEpochs),
      "epochs": String(configuration.epochs),
      "training": json(configuration),
      "training_images": String(trainingImages),
      "test_images": String(testImages),
      "engine_threads": String(EngineThreads.count),
      "wall_time_seconds": String(format: "%.1f", state.elapsed),
    ]
    if let last = state.history.last {
      entries["test_error"] = String(format: "%.4f", last.testError)
      entries["train_loss"] = String(format: "%.5f", last.loss)
      entries["train_accuracy"] = String(format: "%.4f", last.trainAccuracy)
      let rates = state.history.map(\.imagesPerSecond)
      entries["images_per_second"] = String(format: "%.1f", rates.reduce(0, +) / Double(rates.count))
    }
    for (key, value) in extra { entries[key] = value }
    return entries
  }

  /// Writes the test-time model (`trainer.latestTestNetwork`, else `trainer.testNetwork`) to
  /// `url` with `metadata`, and the
  /// resume state beside it.
  /// - Throws: `CheckpointError` or `SafeTensorsError` when a file cannot be written.
  public static func write(
    trainer: Trainer, state: TrainingState, metadata: ModelMetadata, to url: URL, half: Bool,
    writeState: Bool = true, extra: [String: String] = [:]
  ) throws {
    let network = try trainer.latestTestNetwork ?? trainer.testNetwork(state.network)
    try ModelFile.write(network, metadata: metadata, to: url, half: half)
    if writeState {
      try writeTrainingState(state, configuration: trainer.configuration, to: stateURL(forModel: url), extra: extra)
    }
  }

  /// Writes a resume state file.
  /// - Throws: `SafeTensorsError` when the file cannot be written.
  public static func writeTrainingState(
    _ state: TrainingState, configuration: TrainingConfiguration, to url: URL, extra: [String: String] = [:]
  ) throws {
    var tensors: [(name: String, tensor: RawTensor)] = state.network.stateDictionary().map {
      ("param." + $0.name, RawTensor(floats: $0.tensor.scalars, shape: $0.tensor.shape))
    }
    for (key, buffer) in state.optimizer.momentumBuffers.sorted(by: { $0.key < $1.key }) {
      tensors.append(("momentum." + key, RawTensor(floats: buffer, shape: [buffer.count])))
    }
    var metadata = extra
    metadata["format"] = stateFormatName
    metadata["configuration"] = json(configuration)
    metadata["completed_epochs"] = String(state.completedEpochs)
    metadata["generator_state"] = String(state.generator.state)
    metadata["elapsed_seconds"] = String(state.elapsed)
    metadata["history"] = json(state.history)
    try SafeTensors.write(tensors, metadata: metadata, to: url)
  }

  /// Reads a resume state file: the configuration it was written with, the state, and every
  /// metadata entry (for the caller's `extra` values).
  /// - Throws: `TrainingError.invalidResumeState` naming the file and the entry that is missing
  ///   or malformed; `CheckpointError.invalidParameterValue` for a NaN or infinite parameter or
  ///   momentum value or a negative running variance; `SafeTensorsError` when the file cannot be
  ///   read.
  public static func readTrainingState(_ url: URL) throws -> (
    configuration: TrainingConfiguration, state: TrainingState, metadata: [String: String]
  ) {
    let archive = try SafeTensors.read(contentsOf: url)
    let meta = archive.metadata
    let file = url.lastPathComponent
    func entry(_ key: String) throws -> String {
      guard let value = meta[key] else {
        throw TrainingError.invalidResumeState(file: file, key: key, expected: "a metadata entry", found: "nothing")
      }
      return value
    }
    guard meta["format"] == stateFormatName else {
      throw TrainingError.invalidResumeState(
        file: file, key: "format", expected: stateFormatName, found: meta["format"] ?? "nothing")
    }
    let decoder = JSONDecoder()
    let configuration: TrainingConfiguration
    let history: [EpochReport]
    do {
      configuration = try decoder.decode(TrainingConfiguration.self, from: Data(try entry("configuration").utf8))
      history = try decoder.decode([EpochReport].self, from: Data(try entry("history").utf8))
    } catch let error as TrainingError {
      throw error
    } catch {
      throw TrainingError.invalidResumeState(
        file: file, key: "configuration/history", expected: "JSON written by resnet-lesion train", found: "\(error)")
    }
    guard let epochs = Int(try entry("completed_epochs")), epochs >= 0 else {
      throw TrainingError.invalidResumeState(
        file: file, key: "completed_epochs", expected: "a count", found: meta["completed_epochs"] ?? "")
    }
    guard let generatorState = UInt64(try entry("generator_state")) else {
      throw TrainingError.invalidResumeState(
        file: file, key: "generator_state", expected: "a decimal UInt64", found: meta["generator_state"] ?? "")
    }
    guard let elapsed = Double(try entry("elapsed_seconds")) else {
      throw TrainingError.invalidResumeState(
        file: file, key: "elapsed_seconds", expected: "a number", found: meta["elapsed_seconds"] ?? "")
    }
    var network = try Network(configuration.architecture)
    var parameters: [String: Tensor] = [:]
    var optimizer = StochasticGradientDescent(
      momentum: configuration.momentum, weightDecay: configuration.weightDecay, nesterov: configuration.nesterov)
    for (name, raw) in archive.tensors {
      guard raw.dtype == .float32 else {
        throw TrainingError.invalidResumeState(file: file, key: name, expected: "float32", found: raw.dtype.rawValue)
      }
      // The same refusal as for model files: training on from NaN or infinite parameters, SGD
      // buffers or batch-norm statistics (or a negative variance) would only spread them.
      if name.hasPrefix("param.") {
        let scalars = raw.floats()
        try ParameterValues.check(scalars, key: name, file: file)
        parameters[String(name.dropFirst(6))] = Tensor(shape: raw.shape, scalars: scalars)
      } else if name.hasPrefix("momentum.") {
        let scalars = raw.floats()
        try ParameterValues.check(scalars, key: name, file: file)
        optimizer.momentumBuffers[String(name.dropFirst(9))] = scalars
      }
    }
    try network.loadStateDictionary(parameters)
    let expectedSizes = Dictionary(uniqueKeysWithValues: network.stateDictionary().map { ($0.name, $0.tensor.count) })
    for (key, buffer) in optimizer.momentumBuffers where expectedSizes[key] != buffer.count {
      throw TrainingError.invalidResumeState(
        file: file, key: "momentum." + key,
        expected: "\(expectedSizes[key].map(String.init) ?? "no") values (a parameter of the network)",
        found: "\(buffer.count) values")
    }
    let state = TrainingState(
      network: network, optimizer: optimizer, generator: SplitMix64(seed: generatorState), completedEpochs: epochs,
      elapsed: elapsed, history: history)
    return (configuration, state, meta)
  }

  /// Compact JSON with sorted keys.
  static func json<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(value), let text = String(data: data, encoding: .utf8) else { return "{}" }
    return text
  }
}

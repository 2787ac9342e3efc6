import Basics
import Foundation

/// The `config.json` that Hugging Face hub folders keep beside their weights: transformers'
/// `ResNetConfig` (`save_pretrained`) or timm's (`save_for_hf` / `push_to_hub`).
///
/// Only what changes the network or its inputs is read: transformers' `layer_type`,
/// `downsample_in_first_stage`, `downsample_in_bottleneck`, `hidden_act` and `id2label`; timm's
/// `architecture`, `label_names` and `pretrained_cfg.mean/std`.
struct HubConfig: Equatable {
  /// Whose config it is.
  enum Origin: String { case transformers, timm }
  var origin: Origin
  /// The file it was read from.
  var file: String
  /// Class names in class order (empty when the config has none).
  var classNames: [String] = []
  /// Input statistics recorded by timm (`pretrained_cfg.mean/std`).
  var mean: [Float]?
  var std: [Float]?
  /// transformers: `layer_type` ("basic" or "bottleneck").
  var layerType: String?
  /// transformers: `downsample_in_bottleneck` (the stride in a bottleneck's first 1×1 convolution).
  var downsampleInBottleneck = false
  /// transformers: `downsample_in_first_stage` (the first stage strided too).
  var downsampleInFirstStage = false
  /// timm: `architecture`, e.g. "resnet50d".
  var architecture: String?

  /// Reads a hub `config.json`.
  /// - Throws: `CheckpointError.invalidMetadata` naming the key for settings the engine cannot
  ///   honour (an activation other than ReLU, downsampling flags that are not booleans),
  ///   `.unreadable` for a file that is not a ResNet config.
  static func read(_ url: URL) throws -> HubConfig {
    let file = url.path
    let data: Data
    do {
      data = try Data(contentsOf: url)
    } catch {
      throw CheckpointError.unreadable(file: file, reason: "\(error.localizedDescription)")
    }
    guard data.count <= 4 << 20 else {
      throw CheckpointError.unreadable(file: file, reason: "\(data.count) bytes; a config.json has at most 4 MiB")
    }
    let json: JSONValue
    do {
      json = try JSONValue.parse([UInt8](data))
    } catch {
      throw CheckpointError.unreadable(file: file, reason: "not JSON: \(error)")
    }
    func strings(_ value: JSONValue?) -> [String]? {
      value?.arrayValue.flatMap { items in
        let names = items.compactMap(\.stringValue)
        return names.count == items.count ? names : nil
      }
    }
    func floats(_ value: JSONValue?) -> [Float]? {
      value?.arrayValue.flatMap { items in
        let numbers = items.compactMap(\.doubleValue).map { Float($0) }
        return numbers.count == items.count ? numbers : nil
      }
    }
    if let architecture = json["architecture"]?.stringValue {
      var config = HubConfig(origin: .timm, file: file)
      config.architecture = architecture
      config.classNames = strings(json["label_names"]) ?? strings(json["model_args"]?["label_names"]) ?? []
      config.mean = floats(json["pretrained_cfg"]?["mean"])
      config.std = floats(json["pretrained_cfg"]?["std"])
      return config
    }
    guard let modelType = json["model_type"]?.stringValue, modelType == "resnet" else {
      throw CheckpointError.unreadable(
        file: file,
        reason: "model_type is \(json["model_type"].map { "\($0)" } ?? "missing"), expected \"resnet\" (transformers' ResNetConfig)")
    }
    var flags: [Bool] = []
    for key in ["downsample_in_bottleneck", "downsample_in_first_stage"] {
      guard let value = json[key] else {
        flags.append(false)
        continue
      }
      guard let flag = value.boolValue else {
        throw CheckpointError.invalidMetadata(file: file, key: key, expected: "true or false", found: "\(value)")
      }
      flags.append(flag)
    }
    if let act = json["hidden_act"], act.stringValue != "relu" {
      throw CheckpointError.invalidMetadata(file: file, key: "hidden_act", expected: "\"relu\"", found: "\(act)")
    }
    var config = HubConfig(origin: .transformers, file: file)
    config.layerType = json["layer_type"]?.stringValue
    config.downsampleInBottleneck = flags[0]
    config.downsampleInFirstStage = flags[1]
    if let labels = json["id2label"]?.objectValue, !labels.isEmpty {
      var names = [String](repeating: "", count: labels.count)
      for (key, name) in labels {
        guard let index = Int(key), index >= 0, index < labels.count, let text = name.stringValue else {
          throw CheckpointError.invalidMetadata(
            file: file, key: "id2label", expected: "keys 0…\(labels.count - 1) with string names", found: "\"\(key)\"")
        }
        names[index] = text
      }
      config.classNames = names
    }
    return config
  }

  /// The weights file and `config.json` of a model argument: a hub folder, its `config.json`, or
  /// a weights file (with a `config.json` beside it, if any).
  ///
  /// In a folder, `model.safetensors` is preferred to `pytorch_model.bin`.
  /// - Throws: `CheckpointError.unreadable` for a folder without weights.
  static func locate(_ url: URL) throws -> (weights: URL, config: URL?) {
    let manager = FileManager.default
    var isFolder: ObjCBool = false
    _ = manager.fileExists(atPath: url.path, isDirectory: &isFolder)
    let folder = isFolder.boolValue ? url : url.deletingLastPathComponent()
    let config = folder.appendingPathComponent("config.json")
    let hasConfig = manager.fileExists(atPath: config.path)
    guard isFolder.boolValue || url.lastPathComponent == "config.json" else {
      return (url, hasConfig ? config : nil)
    }
    let candidates = ["model.safetensors", "pytorch_model.bin"]
    guard let name = candidates.first(where: { manager.fileExists(atPath: folder.appendingPathComponent($0).path) })
    else {
      throw CheckpointError.unreadable(
        file: folder.path, reason: "a model folder needs \(candidates.joined(separator: " or ")) (beside config.json)")
    }
    return (folder.appendingPathComponent(name), hasConfig ? config : nil)
  }
}

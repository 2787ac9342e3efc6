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
  /// timm: `architecture`, e.g. "resnet50d".
  var architecture: String?

  private struct Transformers: Decodable {
    var model_type: String?
    var layer_type: String?
    var hidden_act: String?
    var downsample_in_first_stage: Bool?
    var downsample_in_bottleneck: Bool?
    var id2label: [String: String]?
  }

  private struct Timm: Decodable {
    struct Pretrained: Decodable {
      var mean: [Float]?
      var std: [Float]?
    }
    struct ModelArgs: Decodable { var label_names: [String]? }
    var architecture: String
    var label_names: [String]?
    var model_args: ModelArgs?
    var pretrained_cfg: Pretrained?
  }

  /// Reads a hub `config.json`.
  /// - Throws: `CheckpointError.invalidMetadata` naming the key for settings the engine cannot
  ///   honour (a stride in the first stage or in the first 1×1 convolution, an activation other
  ///   than ReLU), `.unreadable` for a file that is not a ResNet config.
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
    let decoder = JSONDecoder()
    if let timm = try? decoder.decode(Timm.self, from: data) {
      var config = HubConfig(origin: .timm, file: file)
      config.architecture = timm.architecture
      config.classNames = timm.label_names ?? timm.model_args?.label_names ?? []
      config.mean = timm.pretrained_cfg?.mean
      config.std = timm.pretrained_cfg?.std
      return config
    }
    let hf: Transformers
    do {
      hf = try decoder.decode(Transformers.self, from: data)
    } catch {
      throw CheckpointError.unreadable(file: file, reason: "not a transformers or timm config.json (\(error))")
    }
    guard hf.model_type == "resnet" else {
      throw CheckpointError.unreadable(
        file: file,
        reason: "model_type is \(hf.model_type.map { "\"\($0)\"" } ?? "missing"), expected \"resnet\" (transformers' ResNetConfig)")
    }
    if hf.downsample_in_first_stage == true {
      throw CheckpointError.invalidMetadata(
        file: file, key: "downsample_in_first_stage", expected: "false (the first stage keeps the resolution)",
        found: "true")
    }
    if hf.downsample_in_bottleneck == true {
      throw CheckpointError.invalidMetadata(
        file: file, key: "downsample_in_bottleneck", expected: "false (the stride in the 3×3 convolution)",
        found: "true")
    }
    if let act = hf.hidden_act, act != "relu" {
      throw CheckpointError.invalidMetadata(
        file: file, key: "hidden_act", expected: "\"relu\"", found: "\"\(act)\"")
    }
    var config = HubConfig(origin: .transformers, file: file)
    config.layerType = hf.layer_type
    if let labels = hf.id2label, !labels.isEmpty {
      var names = [String](repeating: "", count: labels.count)
      for (key, name) in labels {
        guard let index = Int(key), index >= 0, index < labels.count else {
          throw CheckpointError.invalidMetadata(
            file: file, key: "id2label", expected: "keys 0…\(labels.count - 1)", found: "\"\(key)\"")
        }
        names[index] = name
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

import _TestSupport
import Foundation
import TensorFormats
import XCTest

@testable import Engine

/// One PyTorch fixture written by `Fixtures/generate_fixtures.py`.
struct EngineFixture {
  let name: String
  let archive: TensorArchive
  let config: [String: Any]
  let plans: [(name: String, plan: LesionPlan, restricted: Set<Int>?)]

  static var directory: URL { TestFiles.fixtures() }

  init(_ name: String) throws {
    self.name = name
    archive = try SafeTensors.read(contentsOf: Self.directory.appendingPathComponent(name + ".safetensors"))
    config = try JSONSerialization.jsonObject(with: Data(archive.metadata["config"]!.utf8)) as! [String: Any]
    var plans: [(String, LesionPlan, Set<Int>?)] = []
    if let text = archive.metadata["plans"] {
      let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: [String: Any]]
      for key in object.keys.sorted() {
        let entry = object[key]!
        let order = entry["order"] as! [Int]
        let deleted = Set(entry["deleted"] as! [Int])
        let restricted = (entry["restricted"] as? [Int]).map(Set.init)
        let identity = order == Array(1...order.count)
        plans.append((key, LesionPlan(order: identity ? nil : order, deleted: deleted), restricted))
      }
    }
    self.plans = plans
  }

  func tensor(_ key: String, file: StaticString = #filePath, line: UInt = #line) throws -> Tensor {
    guard let raw = archive[key] else {
      XCTFail("fixture \(name) has no tensor \(key)", file: file, line: line)
      throw EngineError.invalidConfiguration("missing fixture key \(key)")
    }
    return Tensor(shape: raw.shape, scalars: raw.floats())
  }

  /// The network configuration the fixture describes.
  var configuration: NetworkConfiguration {
    let input = config["input"] as! [Int]
    let classes = config["classes"] as! Int
    let blocks = config["blocks_per_stage"] as! [Int]
    var widths = config["stage_widths"] as! [Int]
    let kind = config["block_kind"] as! String
    let shortcut = config["shortcut"] as! String
    let family: NetworkFamily
    var bottleneck = false
    switch kind {
    case "preact": family = .preActivationResNet
    case "plain": family = .plainCIFAR
    case "vgg": family = .vgg
    case "bottleneck":
      family = .imageNetResNet
      bottleneck = true
      widths = config["planes"] as! [Int]
    default: family = (config["stem"] as? String) == "imagenet" ? .imageNetResNet : .cifarResNet
    }
    return NetworkConfiguration(
      family: family, inputChannels: input[0], inputHeight: input[1], inputWidth: input[2],
      classCount: classes, stageWidths: widths, blocksPerStage: blocks,
      shortcut: shortcut == "A" ? .a : .b, bottleneck: bottleneck)
  }

  /// The network with the fixture's parameters loaded.
  func network() throws -> Network {
    var network = try Network(configuration)
    var entries: [String: Tensor] = [:]
    for (key, raw) in archive.tensors where key.hasPrefix("param.") {
      entries[String(key.dropFirst("param.".count))] = Tensor(shape: raw.shape, scalars: raw.floats())
    }
    try network.loadStateDictionary(entries)
    return network
  }

  /// The fixture's input batch, channels-last.
  func input(_ key: String = "input") throws -> Tensor {
    Tensor.channelsLast(fromNCHW: try tensor(key))
  }

  func labels(_ key: String = "labels") -> [Int] {
    archive[key]!.int64s().map { Int($0) }
  }
}

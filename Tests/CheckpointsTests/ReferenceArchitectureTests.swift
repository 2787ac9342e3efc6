import Checkpoints
import Engine
import Foundation
import XCTest

/// Full-size reference architectures (key → shape only, from `Fixtures/reference_shapes.json`)
/// are recognised, and the networks built from them have exactly PyTorch's keys, shapes and
/// parameter counts (torchvision.models documentation: ResNet-18 11,689,512, ResNet-50 25,557,032, …).
final class ReferenceArchitectureTests: XCTestCase {
  func testReferenceModelsAreInferredExactly() throws {
    let data = try Data(contentsOf: fixturesFolder.appendingPathComponent("reference_shapes.json"))
    let models = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]])
    let expectedDescriptions = [
      "akamaster_resnet20": "akamaster CIFAR ResNet-20 (option A)",
      "akamaster_resnet110": "akamaster CIFAR ResNet-110 (option A)",
      "chenyaofo_cifar100_resnet56": "chenyaofo CIFAR ResNet-56 (option B)",
      "torchvision_resnet18": "torchvision ResNet-18",
      "torchvision_resnet50": "torchvision ResNet-50 (bottleneck)",
      "torchvision_resnet152": "torchvision ResNet-152 (bottleneck)",
      "kuangliu_preact_resnet18": "kuangliu pre-activation ResNet-18",
    ]
    XCTAssertEqual(Set(models.keys), Set(expectedDescriptions.keys))
    for (name, entry) in models {
      let keys = try XCTUnwrap(entry["keys"] as? [String: [Int]], name)
      let parameters = try XCTUnwrap(entry["parameters"] as? Int, name)
      let inferred = try ArchitectureInference.infer(shapes: keys, file: name)
      XCTAssertEqual(inferred.familyDescription, expectedDescriptions[name], name)
      let network = try Network(inferred.configuration)
      XCTAssertEqual(network.parameterCount, parameters, name)
      let expected = keys.filter { !$0.key.hasSuffix("num_batches_tracked") }
      XCTAssertEqual(Self.parameterShapes(network), expected, name)
    }
  }

  /// Key → PyTorch shape of every parameter and running statistic, read from the layers
  /// (cheaper than `stateDictionaryShapes`, which transposes every filter).
  static func parameterShapes(_ network: Network) -> [String: [Int]] {
    var shapes: [String: [Int]] = [:]
    for layer in network.allLayers {
      switch layer {
      case .convolution(let conv):
        shapes[conv.name + ".weight"] = [conv.outputChannels, conv.inputChannels, conv.kernelSize, conv.kernelSize]
        if let bias = conv.bias { shapes[conv.name + ".bias"] = [bias.count] }
      case .batchNorm(let norm):
        for suffix in ["weight", "bias", "running_mean", "running_var"] {
          shapes[norm.name + "." + suffix] = [norm.channels]
        }
      case .relu, .maxPool, .averagePool: break
      }
    }
    let classifier = network.classifier
    shapes[classifier.name + ".weight"] = [classifier.outputCount, classifier.inputCount]
    shapes[classifier.name + ".bias"] = [classifier.outputCount]
    return shapes
  }

  func testImageNetMultiplyAccumulates() throws {
    // ResNet-18 at 224×224: 1.814 G multiply-accumulates (convolutions and classifier), the
    // figure commonly quoted as "1.8 GFLOPs".
    let data = try Data(contentsOf: fixturesFolder.appendingPathComponent("reference_shapes.json"))
    let models = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]])
    let keys = try XCTUnwrap(models["torchvision_resnet18"]?["keys"] as? [String: [Int]])
    let network = try Network(try ArchitectureInference.infer(shapes: keys, file: "resnet18").configuration)
    XCTAssertEqual(network.inputShape, FeatureShape(channels: 3, height: 224, width: 224))
    XCTAssertEqual(Double(network.multiplyAccumulates) / 1e9, 1.814, accuracy: 0.005)
  }
}

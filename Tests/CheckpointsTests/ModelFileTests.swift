import Basics
import Engine
import Foundation
import TensorFormats
import XCTest

@testable import Checkpoints

/// Round trips of resnet-lesion model files and their metadata.
final class ModelFileTests: XCTestCase {
  func testRoundTripKeepsStateAndMetadata() throws {
    var configuration = try NetworkConfiguration.cifarResNet(
      depth: 8, inputSize: 8, classCount: 3, widths: [4, 8])
    configuration.branchScales = [1, 0.75]
    let network = try randomNetwork(configuration, seed: 7)
    let metadata = ModelMetadata(
      preset: .cifar10, classNames: ["cat", "dog", "a \"quoted\"/name"],
      provenance: ["command": "resnet-lesion train --epochs 2", "seed": "42"])
    let url = temporaryFile("roundtrip.safetensors")
    try ModelFile.write(network, metadata: metadata, to: url)
    let loaded = try ModelFile.load(url)
    XCTAssertEqual(loaded.network, network)
    XCTAssertEqual(loaded.metadata, metadata)
    XCTAssertEqual(loaded.format, .safetensors)
    XCTAssertTrue(loaded.architectureFromMetadata)
    XCTAssertEqual(loaded.familyDescription, "resnet-lesion CIFAR ResNet-6 (option A), widths 4/8, stochastic depth")
    // The file's own metadata is plain strings, readable by PyTorch's safetensors.
    let archive = try SafeTensors.read(contentsOf: url)
    XCTAssertEqual(archive.metadata["format"], "resnet-lesion-model")
    XCTAssertEqual(archive.metadata["format_version"], "1")
    XCTAssertEqual(archive.metadata["normalization_mean"], "[0.4914,0.4822,0.4465]")
    XCTAssertEqual(archive.tensors.count, network.stateDictionary().count)
    XCTAssertEqual(archive["layer1.0.conv1.weight"]?.shape, [4, 4, 3, 3])
  }

  func testHalfStorageRoundsEveryParameter() throws {
    let configuration = try NetworkConfiguration.cifarResNet(depth: 8, inputSize: 8, classCount: 2, widths: [4])
    let network = try randomNetwork(configuration, seed: 3)
    let url = temporaryFile("half.safetensors")
    try ModelFile.write(network, metadata: ModelMetadata(preset: .none), to: url, half: true)
    let archive = try SafeTensors.read(contentsOf: url)
    XCTAssertTrue(archive.tensors.allSatisfy { $0.tensor.dtype == .float16 })
    let loaded = try ModelFile.load(url)
    let original = Dictionary(uniqueKeysWithValues: network.stateDictionary().map { ($0.name, $0.tensor) })
    for (name, tensor) in loaded.network.stateDictionary() {
      let reference = try XCTUnwrap(original[name])
      for (a, b) in zip(tensor.scalars, reference.scalars) {
        // binary16 keeps 11 significant bits: relative error ≤ 2^-11 for normal values.
        XCTAssertLessThanOrEqual(abs(a - b), abs(b) * 0x1p-11 + 0x1p-24, name)
      }
    }
  }

  func testMetadataTextsRoundTripExactly() {
    // Floats are written in their shortest form and read back bit for bit.
    XCTAssertEqual(JSONValue.metadataFloats([0.485, 1, 1e-7, -2.5]), "[0.485,1.0,1e-07,-2.5]")
    var generator = SplitMix64(seed: 21)
    var values: [Float] = []
    while values.count < 100_000 {
      let value = Float(bitPattern: UInt32(truncatingIfNeeded: generator.next()))
      if value.isFinite { values.append(value) }
    }
    let parsed = JSONValue.metadataFloats(parsing: JSONValue.metadataFloats(values))
    XCTAssertEqual(parsed?.map(\.bitPattern), values.map(\.bitPattern))
    XCTAssertNil(JSONValue.metadataFloats(parsing: "[1, \"a\"]"))
    XCTAssertNil(JSONValue.metadataFloats(parsing: "[1e39]"))  // not a finite Float
    XCTAssertNil(JSONValue.metadataFloats(parsing: "[1,]"))
    // Strings and objects: escapes survive; repeated keys are refused; objects are sorted.
    let names = ["cat", "say \"hi\"", "naïve\n", ""]
    XCTAssertEqual(JSONValue.metadataStrings(parsing: JSONValue.metadataStrings(names)), names)
    XCTAssertEqual(JSONValue.metadataObject(["b": "2", "a": "1"]), #"{"a":"1","b":"2"}"#)
    XCTAssertEqual(
      JSONValue.metadataObject(parsing: #"{"seed": 3, "tool": "x", "list": [1, 2.5]}"#),
      ["seed": "3", "tool": "x", "list": "[1,2.5]"])
    XCTAssertNil(JSONValue.metadataObject(parsing: #"{"a": "1", "a": "2"}"#))
    XCTAssertNil(JSONValue.metadataStrings(parsing: "[1]"))
  }

  func testWriteRefusesMismatchedMetadataAndLesionedNetworks() throws {
    let configuration = try NetworkConfiguration.cifarResNet(depth: 8, inputSize: 8, classCount: 2, widths: [4])
    let network = try randomNetwork(configuration, seed: 1)
    let url = temporaryFile("refused.safetensors")
    XCTAssertThrowsError(
      try ModelFile.write(network, metadata: ModelMetadata(preset: .none, classNames: ["one"]), to: url)
    ) { error in
      XCTAssertEqual(
        error as? CheckpointError,
        .invalidMetadata(
          file: url.path, key: "class_names", expected: "2 names (one per class) or none", found: "1 names"))
    }
    XCTAssertThrowsError(
      try ModelFile.write(
        network, metadata: ModelMetadata(normalizationMean: [0, 0], normalizationStd: [1, 1]), to: url))
    XCTAssertThrowsError(
      try ModelFile.write(try network.deletingBlocks([1]), metadata: ModelMetadata(preset: .none), to: url))
    XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
  }

  func testNormalizationOverrideWinsAndIsFitted() throws {
    let configuration = try NetworkConfiguration.cifarResNet(
      depth: 8, inputChannels: 1, inputSize: 8, classCount: 2, widths: [4])
    let network = try randomNetwork(configuration, seed: 5)
    let url = temporaryFile("mnist.safetensors")
    try ModelFile.write(network, metadata: ModelMetadata(preset: .mnist), to: url)
    let recorded = try ModelFile.load(url)
    XCTAssertEqual(recorded.metadata.normalizationSource, .metadata)
    XCTAssertEqual(recorded.metadata.normalizationMean, [0.1307])
    let overridden = try ModelFile.load(url, normalization: .preset(.none))
    XCTAssertEqual(overridden.metadata.normalizationSource, .flag)
    XCTAssertEqual(overridden.metadata.normalizationMean, [0])
    XCTAssertEqual(overridden.metadata.normalizationStd, [1])
    XCTAssertThrowsError(try ModelFile.load(url, normalization: .preset(.imagenet))) { error in
      XCTAssertEqual(
        error as? CheckpointError,
        .invalidNormalization(
          expected: "1 or 1 mean values for a model with 1 input channels", found: "3 in the given statistics"))
    }
    let resized = try ModelFile.load(url, inputSize: 12)
    XCTAssertEqual(resized.network.inputShape, FeatureShape(channels: 1, height: 12, width: 12))
  }
}

import _TestSupport
import Checkpoints
import Engine
import Foundation
import TensorFormats
import XCTest

/// Loads PyTorch-written checkpoints of every supported family (written by
/// `Fixtures/make_checkpoints.py`) and compares logits with PyTorch's, intact and lesioned.
final class FixtureCheckpointTests: XCTestCase {
  /// One family's fixtures and what inference must find.
  struct Family {
    var name: String
    var inputSize: Int
    var expected: NetworkConfiguration
    var description: String
    var normalizationMean: [Float]
  }

  static let families: [Family] = [
    Family(
      name: "akamaster", inputSize: 8,
      expected: NetworkConfiguration(
        family: .cifarResNet, inputChannels: 3, inputHeight: 8, inputWidth: 8, classCount: 10,
        stageWidths: [4, 8, 16], blocksPerStage: [1, 1, 1], shortcut: .a),
      description: "akamaster CIFAR ResNet-8 (option A), widths 4/8/16",
      normalizationMean: [0.485, 0.456, 0.406]),
    Family(
      name: "chenyaofo", inputSize: 8,
      expected: NetworkConfiguration(
        family: .cifarResNet, inputChannels: 3, inputHeight: 8, inputWidth: 8, classCount: 10,
        stageWidths: [4, 8, 16], blocksPerStage: [2, 1, 1], shortcut: .b),
      description: "chenyaofo CIFAR ResNet-10 (option B), widths 4/8/16",
      normalizationMean: [0.4914, 0.4822, 0.4465]),
    Family(
      name: "torchvision_basic", inputSize: 32,
      expected: NetworkConfiguration(
        family: .imageNetResNet, inputChannels: 3, inputHeight: 32, inputWidth: 32, classCount: 6,
        stageWidths: [4, 8, 8, 16], blocksPerStage: [1, 2, 1, 1], shortcut: .b),
      description: "torchvision ResNet-12, widths 4/8/8/16",
      normalizationMean: [0.485, 0.456, 0.406]),
    Family(
      name: "torchvision_bottleneck", inputSize: 32,
      expected: NetworkConfiguration(
        family: .imageNetResNet, inputChannels: 3, inputHeight: 32, inputWidth: 32, classCount: 5,
        stageWidths: [2, 4, 4, 8], blocksPerStage: [1, 1, 2, 1], shortcut: .b, bottleneck: true),
      description: "torchvision ResNet-17 (bottleneck), widths 2/4/4/8",
      normalizationMean: [0.485, 0.456, 0.406]),
    Family(
      name: "preact", inputSize: 8,
      expected: NetworkConfiguration(
        family: .preActivationResNet, inputChannels: 3, inputHeight: 8, inputWidth: 8,
        classCount: 10, stageWidths: [4, 8, 16], blocksPerStage: [1, 2, 1], shortcut: .b,
        finalNormalization: false),
      description: "kuangliu pre-activation ResNet-10, widths 4/8/16",
      normalizationMean: [0.4914, 0.4822, 0.4465]),
    Family(
      name: "preact_final_bn", inputSize: 8,
      expected: NetworkConfiguration(
        family: .preActivationResNet, inputChannels: 3, inputHeight: 8, inputWidth: 8,
        classCount: 3, stageWidths: [4, 8], blocksPerStage: [1, 1], shortcut: .b,
        finalNormalization: true),
      description: "kuangliu pre-activation ResNet-6, widths 4/8 (final BN)",
      normalizationMean: [0.4914, 0.4822, 0.4465]),
  ]

  /// The companion file: input, logits and the drop list.
  func expected(_ family: Family) throws -> (input: Tensor, values: TensorArchive, drops: [Int]) {
    let archive = try SafeTensors.read(
      contentsOf: fixturesFolder.appendingPathComponent(family.name + ".expected.safetensors"))
    let raw = try XCTUnwrap(archive["input"])
    let input = Tensor.channelsLast(fromNCHW: Tensor(shape: raw.shape, scalars: raw.floats()))
    let drops = (archive.metadata["drops"] ?? "").split(separator: ",").compactMap { Int($0) }
    XCTAssertFalse(drops.isEmpty)
    return (input, archive, drops)
  }

  func check(
    _ family: Family, variant: String, prefix: String, file: StaticString = #filePath,
    line: UInt = #line
  ) throws {
    let path = fixturesFolder.appendingPathComponent("\(family.name).\(variant).pt").path
    let model = try ModelLoader.load(path, normalization: nil, inputSize: family.inputSize)
    XCTAssertEqual(model.network.configuration, family.expected, "\(family.name).\(variant)", file: file, line: line)
    XCTAssertEqual(model.familyDescription, family.description, file: file, line: line)
    XCTAssertFalse(model.architectureFromMetadata)
    XCTAssertEqual(model.metadata.normalizationMean, family.normalizationMean, file: file, line: line)
    XCTAssertEqual(model.format, variant == "legacy" || variant == "wrapped" ? .torchLegacy : .torchZip)
    let (input, values, drops) = try expected(family)
    let reference = try XCTUnwrap(values[prefix + "logits"]).floats()
    let session = try InferenceSession(model.network)
    assertClose(
      try session.logits(for: input).scalars, reference, "\(family.name).\(variant) intact",
      file: file, line: line)
    // The plain forward pass agrees too.
    assertClose(
      try model.network.forward(input, mode: .inference).logits.scalars, reference,
      "\(family.name).\(variant) forward", file: file, line: line)
    for block in drops {
      let lesioned = try model.network.deletingBlocks([block])
      let expectedDrop = try XCTUnwrap(values["\(prefix)logits_drop_\(block)"]).floats()
      assertClose(
        try InferenceSession(lesioned).logits(for: input).scalars, expectedDrop,
        "\(family.name).\(variant) without block \(block)", file: file, line: line)
    }
  }

  func testZipCheckpoints() throws {
    for family in Self.families { try check(family, variant: "zip", prefix: "") }
  }

  func testLegacyCheckpoints() throws {
    for family in Self.families { try check(family, variant: "legacy", prefix: "") }
  }

  func testWrappedModulePrefixedCheckpoints() throws {
    for family in Self.families {
      try check(family, variant: "wrapped", prefix: "")
      let path = fixturesFolder.appendingPathComponent("\(family.name).wrapped.pt").path
      let model = try ModelLoader.load(path, normalization: nil, inputSize: family.inputSize)
      XCTAssertEqual(model.metadata.provenance["wrapper"], "state_dict")
      XCTAssertEqual(model.metadata.provenance["prefix_stripped"], "module.")
    }
  }

  func testHalfPrecisionCheckpoints() throws {
    for family in Self.families { try check(family, variant: "half", prefix: "half_") }
  }

  /// Converting to a model file keeps the logits; loading it needs no flags.
  func testConvertedModelFileReproducesLogits() throws {
    for family in Self.families {
      let path = fixturesFolder.appendingPathComponent("\(family.name).zip.pt").path
      let model = try ModelLoader.load(path, normalization: nil, inputSize: family.inputSize)
      let url = temporaryFile(family.name + ".safetensors")
      try ModelFile.write(model.network, metadata: model.metadata, to: url)
      let reloaded = try ModelLoader.load(url.path, normalization: nil)
      XCTAssertEqual(reloaded.network, model.network)
      XCTAssertEqual(reloaded.metadata.normalizationMean, model.metadata.normalizationMean)
      XCTAssertEqual(reloaded.metadata.normalizationSource, .metadata)
      XCTAssertTrue(reloaded.familyDescription.hasPrefix("resnet-lesion "))
      let (input, values, _) = try expected(family)
      assertClose(
        try InferenceSession(reloaded.network).logits(for: input).scalars,
        try XCTUnwrap(values["logits"]).floats(), "\(family.name) converted")
    }
  }
}

import Checkpoints
import Engine
import Foundation
import TensorFormats
import XCTest

/// Refusals: missing and unexpected keys, wrong shapes, families that need metadata, and
/// architectures that match no family.
final class CheckpointErrorTests: XCTestCase {
  /// akamaster's fixture state dict as (name, tensor) pairs.
  func akamasterState() throws -> [(name: String, tensor: RawTensor)] {
    try TorchCheckpoint.read(contentsOf: fixturesFolder.appendingPathComponent("akamaster.zip.pt"))
      .tensors
  }

  func write(_ tensors: [(name: String, tensor: RawTensor)], metadata: [String: String] = [:], _ name: String) throws
    -> URL
  {
    let url = temporaryFile(name)
    try SafeTensors.write(tensors, metadata: metadata, to: url)
    return url
  }

  func testMissingAndUnexpectedKeysAreListed() throws {
    var state = try akamasterState().filter {
      $0.name != "layer2.0.bn1.running_mean" && $0.name != "layer3.0.conv2.weight"
    }
    state.append(("layer1.0.extra.weight", RawTensor(floats: [1, 2], shape: [2])))
    let url = try write(state, "keys.safetensors")
    XCTAssertThrowsError(try ModelFile.load(url)) { error in
      XCTAssertEqual(
        error as? CheckpointError,
        .keyMismatch(
          file: url.path, missing: ["layer2.0.bn1.running_mean", "layer3.0.conv2.weight"],
          unexpected: ["layer1.0.extra.weight"]))
      XCTAssertTrue("\(error)".contains("missing keys: layer2.0.bn1.running_mean, layer3.0.conv2.weight"), "\(error)")
      XCTAssertTrue("\(error)".contains("unexpected keys: layer1.0.extra.weight"), "\(error)")
    }
  }

  func testShapeMismatchNamesTheKey() throws {
    let state = try akamasterState().map { entry -> (name: String, tensor: RawTensor) in
      entry.name == "layer2.0.conv2.weight"
        ? (entry.name, RawTensor(floats: [Float](repeating: 0, count: 8 * 8 * 1 * 1), shape: [8, 8, 1, 1]))
        : entry
    }
    let url = try write(state, "shape.safetensors")
    XCTAssertThrowsError(try ModelFile.load(url)) { error in
      XCTAssertEqual(
        error as? CheckpointError,
        .shapeMismatch(file: url.path, key: "layer2.0.conv2.weight", expected: [8, 8, 3, 3], found: [8, 8, 1, 1]))
      XCTAssertEqual(
        "\(error)", "\(url.path): tensor 'layer2.0.conv2.weight' has shape [8, 8, 1, 1], expected [8, 8, 3, 3]")
    }
  }

  func testModelFileWithoutArchitectureIsRefused() throws {
    let configuration = NetworkConfiguration(
      family: .plainCIFAR, inputChannels: 3, inputHeight: 8, inputWidth: 8, classCount: 4,
      stageWidths: [4, 8], blocksPerStage: [1, 1])
    let network = try randomNetwork(configuration, seed: 11)
    // Written by our tools: loads with no flags, as a plain net.
    let good = temporaryFile("plain.safetensors")
    try ModelFile.write(network, metadata: ModelMetadata(preset: .cifar10), to: good)
    let loaded = try ModelFile.load(good)
    XCTAssertEqual(loaded.network.configuration.family, .plainCIFAR)
    XCTAssertEqual(loaded.familyDescription, "resnet-lesion plain CIFAR network, 6 layers (no shortcuts), widths 4/8")
    // Marked as ours but without the architecture: refused.
    let tensors = network.stateDictionary().map {
      ($0.name, RawTensor(floats: $0.tensor.scalars, shape: $0.tensor.shape))
    }
    let marked = try write(
      tensors, metadata: ["format": "resnet-lesion-model", "format_version": "1"], "marked.safetensors")
    XCTAssertThrowsError(try ModelFile.load(marked)) { error in
      XCTAssertEqual(
        error as? CheckpointError,
        .metadataRequired(file: marked.path, family: "resnet-lesion model file without 'architecture'"))
    }
    // A newer format version is refused rather than misread.
    let newer = try write(
      tensors, metadata: ["format": "resnet-lesion-model", "format_version": "2"], "newer.safetensors")
    XCTAssertThrowsError(try ModelFile.load(newer)) { error in
      guard case .invalidMetadata(_, "format_version", _, "\"2\"")? = error as? CheckpointError else {
        return XCTFail("\(error)")
      }
    }
    // The bundled plain model without metadata is refused (plain nets look like option A).
    let data = temporaryFile("notebooks-data")
    let models = data.appendingPathComponent("models")
    try FileManager.default.createDirectory(at: models, withIntermediateDirectories: true)
    try SafeTensors.write(tensors, metadata: [:], to: models.appendingPathComponent("plain.safetensors"))
    setenv("RESNET_LESION_DATA", data.path, 1)
    defer { unsetenv("RESNET_LESION_DATA") }
    XCTAssertThrowsError(try ModelLoader.load("plain", normalization: nil)) { error in
      XCTAssertEqual(
        error as? CheckpointError,
        .metadataRequired(
          file: models.appendingPathComponent("plain.safetensors").path, family: "bundled model 'plain'"))
    }
    XCTAssertThrowsError(try ModelLoader.load("resnet110", normalization: nil)) { error in
      XCTAssertEqual(
        error as? CheckpointError,
        .bundledModelMissing(name: "resnet110", path: models.appendingPathComponent("resnet110.safetensors").path))
    }
    XCTAssertThrowsError(try ModelLoader.load("no-such-model.pt", normalization: nil)) { error in
      guard case .unreadable("no-such-model.pt", _)? = error as? CheckpointError else { return XCTFail("\(error)") }
    }
  }

  func testVGGWithoutMetadataIsRefused() throws {
    let configuration = NetworkConfiguration(
      family: .vgg, inputChannels: 3, inputHeight: 8, inputWidth: 8, classCount: 4,
      stageWidths: [4, 8], blocksPerStage: [2, 1])
    let network = try Network(configuration)
    let tensors = network.stateDictionary().map {
      ($0.name, RawTensor(floats: $0.tensor.scalars, shape: $0.tensor.shape))
    }
    let url = try write(tensors, "vgg.safetensors")
    XCTAssertThrowsError(try ModelFile.load(url)) { error in
      XCTAssertEqual(
        error as? CheckpointError, .metadataRequired(file: url.path, family: "VGG-style network (layers.N.conv)"))
    }
  }

  func testInferenceFromShapes() throws {
    // chenyaofo with a CIFAR-100 head: its CIFAR-100 statistics.
    var shapes: [String: [Int]] = [
      "conv1.weight": [16, 3, 3, 3], "bn1.weight": [16], "fc.weight": [100, 64], "fc.bias": [100],
    ]
    for (stage, width) in [16, 32, 64].enumerated() {
      for block in 0..<3 {
        shapes["layer\(stage + 1).\(block).conv1.weight"] = [width, stage == 0 || block > 0 ? width : width / 2, 3, 3]
      }
      if stage > 0 {
        shapes["layer\(stage + 1).0.downsample.0.weight"] = [width, width / 2, 1, 1];
        shapes["layer\(stage + 1).0.downsample.1.weight"] = [width]
      }
    }
    let chenyaofo = try ArchitectureInference.infer(shapes: shapes, file: "x")
    XCTAssertEqual(chenyaofo.familyDescription, "chenyaofo CIFAR ResNet-20 (option B)")
    XCTAssertEqual(chenyaofo.defaultMean, [0.507, 0.4865, 0.4409])
    XCTAssertEqual(chenyaofo.defaultStd, [0.2673, 0.2564, 0.2761])
    XCTAssertEqual(chenyaofo.configuration.inputHeight, 32)
    XCTAssertEqual(chenyaofo.configuration.blocksPerStage, [3, 3, 3])

    // A 5×5 stem matches nothing.
    var odd = shapes
    odd["conv1.weight"] = [16, 3, 5, 5]
    XCTAssertThrowsError(try ArchitectureInference.infer(shapes: odd, file: "x")) { error in
      XCTAssertEqual(
        error as? CheckpointError,
        .unknownArchitecture(file: "x", reason: "stem kernel 5×5; expected 3×3 (CIFAR) or 7×7 (ImageNet)"))
    }
    // A gap in the block numbers.
    var gap = shapes
    gap["layer2.4.conv1.weight"] = [32, 32, 3, 3]
    XCTAssertThrowsError(try ArchitectureInference.infer(shapes: gap, file: "x")) { error in
      XCTAssertEqual(
        error as? CheckpointError,
        .unknownArchitecture(file: "x", reason: "blocks of layer2 are [0, 1, 2, 4], expected 0…3"))
    }
    // No classifier.
    var headless = shapes
    headless["fc.weight"] = nil
    XCTAssertThrowsError(try ArchitectureInference.infer(shapes: headless, file: "x"))
    // ImageNet family defaults to 224×224 unless told otherwise.
    var imagenet = shapes
    imagenet["conv1.weight"] = [16, 3, 7, 7]
    XCTAssertEqual(try ArchitectureInference.infer(shapes: imagenet, file: "x").configuration.inputHeight, 224)
    XCTAssertEqual(
      try ArchitectureInference.infer(shapes: imagenet, file: "x", inputSize: 64).configuration.inputWidth, 64)
    // A one-channel akamaster net defaults to MNIST statistics.
    var mnist = shapes.filter { !$0.key.contains("downsample") }
    mnist["conv1.weight"] = [16, 1, 3, 3]
    mnist["linear.weight"] = [10, 64]
    mnist["fc.weight"] = nil
    let akamaster = try ArchitectureInference.infer(shapes: mnist, file: "x")
    XCTAssertEqual(akamaster.configuration.shortcut, .a)
    XCTAssertEqual(akamaster.configuration.inputChannels, 1)
    XCTAssertEqual(akamaster.defaultMean, [0.1307])
  }
}

import _TestSupport
import Checkpoints
import Engine
import Foundation
import TensorFormats
import XCTest

/// Loads the ResNets people download — transformers, timm (deep stem, `resnetv2`) and kuangliu's
/// pre-activation bottlenecks — as written by the real libraries
/// (`Fixtures/make_hub_checkpoints.py`), and compares logits and gradients with PyTorch's,
/// intact and with blocks deleted.
final class HubCheckpointTests: XCTestCase {
  struct Case {
    /// The fixture name (`hub/<name>.expected.safetensors`).
    var name: String
    /// What to pass as `--model`, relative to `Fixtures/hub/`.
    var model: String
    var inputSize: Int
    var family: NetworkFamily
    var naming: ParameterNaming?
    var bottleneck: Bool
    var blocksPerStage: [Int]
    var stageWidths: [Int]
    var stemWidths: [Int]?
    var description: String
    var classNames: [String] = []
    var firstBlockName: String
    var format: TensorArchive.Format
    /// timm's `avg_down`: projections of strided blocks start with the 2×2 average pool.
    var averagePoolShortcuts = false
  }

  static let cases: [Case] = [
    Case(
      name: "transformers_basic", model: "transformers_basic", inputSize: 16, family: .imageNetResNet,
      naming: .transformers, bottleneck: false, blocksPerStage: [1, 2, 1], stageWidths: [8, 16, 16],
      description: "transformers ResNet-10, widths 8/16/16", classNames: ["cat", "dog", "fish", "bird"],
      firstBlockName: "resnet.encoder.stages.0.layers.0", format: .safetensors),
    Case(
      name: "transformers_bottleneck", model: "transformers_bottleneck/config.json", inputSize: 16,
      family: .imageNetResNet, naming: .transformers, bottleneck: true, blocksPerStage: [2, 1],
      stageWidths: [4, 8], stemWidths: [8], description: "transformers ResNet-11 (bottleneck), widths 4/8",
      classNames: ["LABEL_0", "LABEL_1", "LABEL_2"], firstBlockName: "resnet.encoder.stages.0.layers.0",
      format: .torchZip),
    Case(
      name: "transformers_downsample", model: "transformers_downsample", inputSize: 26, family: .imageNetResNet,
      naming: .transformers, bottleneck: true, blocksPerStage: [2, 1], stageWidths: [4, 8], stemWidths: [8],
      description:
        "transformers ResNet-11 (bottleneck), widths 4/8, stride in the first 1×1 convolution, strided first stage",
      firstBlockName: "resnet.encoder.stages.0.layers.0", format: .safetensors),
    Case(
      name: "timm_resnet_deep", model: "timm_resnet_deep", inputSize: 16, family: .imageNetResNet,
      naming: nil, bottleneck: true, blocksPerStage: [1, 1, 1, 1], stageWidths: [4, 4, 8, 8],
      stemWidths: [8, 8, 16], description: "timm ResNet-14 with a deep stem (bottleneck), widths 4/4/8/8",
      classNames: ["red", "green", "blue"], firstBlockName: "layer1.0", format: .torchZip),
    Case(
      name: "timm_resnetv2_bottleneck", model: "timm_resnetv2_bottleneck.safetensors", inputSize: 16,
      family: .preActivationImageNetResNet, naming: .timmResNetV2, bottleneck: true, blocksPerStage: [1, 2],
      stageWidths: [8, 16], stemWidths: [16],
      description: "timm pre-activation ResNetV2-11 (bottleneck), widths 8/16",
      firstBlockName: "stages.0.blocks.0", format: .safetensors),
    Case(
      name: "timm_resnetv2_basic", model: "timm_resnetv2_basic.pth", inputSize: 16,
      family: .preActivationImageNetResNet, naming: .timmResNetV2, bottleneck: false, blocksPerStage: [1, 1],
      stageWidths: [8, 16], description: "timm pre-activation ResNetV2-6, widths 8/16",
      firstBlockName: "stages.0.blocks.0", format: .torchZip),
    Case(
      name: "kuangliu_preact_bottleneck", model: "kuangliu_preact_bottleneck.pth", inputSize: 8,
      family: .preActivationResNet, naming: nil, bottleneck: true, blocksPerStage: [2, 1],
      stageWidths: [4, 8], description: "kuangliu pre-activation ResNet-11 (bottleneck), widths 4/8 (final BN)",
      firstBlockName: "layer1.0", format: .torchZip),
    Case(
      name: "timm_resnet18d", model: "timm_resnet18d", inputSize: 26, family: .imageNetResNet,
      naming: nil, bottleneck: false, blocksPerStage: [1, 1, 1, 1], stageWidths: [4, 8, 8, 16],
      stemWidths: [4, 4, 8],
      description: "timm ResNet-10 with a deep stem and average-pool shortcuts, widths 4/8/8/16",
      classNames: ["a", "b", "c"], firstBlockName: "layer1.0", format: .torchZip, averagePoolShortcuts: true),
    Case(
      name: "timm_resnet26d", model: "timm_resnet26d.pth", inputSize: 26, family: .imageNetResNet,
      naming: nil, bottleneck: true, blocksPerStage: [1, 2, 1, 1], stageWidths: [4, 4, 8, 8],
      stemWidths: [4, 4, 8],
      description: "timm ResNet-17 with a deep stem and average-pool shortcuts (bottleneck), widths 4/4/8/8",
      firstBlockName: "layer1.0", format: .torchZip, averagePoolShortcuts: true),
    Case(
      name: "timm_resnetv2_50d", model: "timm_resnetv2_50d.safetensors", inputSize: 26,
      family: .preActivationImageNetResNet, naming: .timmResNetV2, bottleneck: true, blocksPerStage: [1, 2, 1],
      stageWidths: [8, 16, 16], stemWidths: [4, 4, 8],
      description:
        "timm pre-activation ResNetV2-14 (bottleneck) with a deep stem and average-pool shortcuts, widths 8/16/16",
      firstBlockName: "stages.0.blocks.0", format: .safetensors, averagePoolShortcuts: true),
  ]

  static let folder = fixturesFolder.appendingPathComponent("hub")

  func expected(_ name: String) throws -> (input: Tensor, values: TensorArchive, drops: [Int]) {
    let archive = try SafeTensors.read(contentsOf: Self.folder.appendingPathComponent(name + ".expected.safetensors"))
    let raw = try XCTUnwrap(archive["input"])
    let input = Tensor.channelsLast(fromNCHW: Tensor(shape: raw.shape, scalars: raw.floats()))
    let drops = (archive.metadata["drops"] ?? "").split(separator: ",").compactMap { Int($0) }
    XCTAssertFalse(drops.isEmpty)
    return (input, archive, drops)
  }

  func load(_ item: Case) throws -> LoadedModel {
    try ModelLoader.load(
      Self.folder.appendingPathComponent(item.model).path, normalization: nil, inputSize: item.inputSize)
  }

  func testArchitectureNamesAndClassesAreInferred() throws {
    for item in Self.cases {
      let model = try load(item)
      let c = model.network.configuration
      XCTAssertEqual(c.family, item.family, item.name)
      XCTAssertEqual(c.naming, item.naming, item.name)
      XCTAssertEqual(c.bottleneck, item.bottleneck, item.name)
      XCTAssertEqual(c.blocksPerStage, item.blocksPerStage, item.name)
      XCTAssertEqual(c.stageWidths, item.stageWidths, item.name)
      XCTAssertEqual(c.stemWidths, item.stemWidths, item.name)
      XCTAssertEqual(model.familyDescription, item.description)
      XCTAssertEqual(model.metadata.classNames, item.classNames, item.name)
      XCTAssertEqual(model.network.blocks.first?.name, item.firstBlockName, item.name)
      XCTAssertEqual(model.format, item.format, item.name)
      XCTAssertFalse(model.architectureFromMetadata)
      XCTAssertEqual(c.averagePoolShortcuts ?? false, item.averagePoolShortcuts, item.name)
      let (_, values, _) = try expected(item.name)
      XCTAssertEqual(model.network.blockCount, Int(values.metadata["blocks"] ?? ""), item.name)
    }
  }

  /// Intact and lesioned logits within 1e-4 of the libraries' own modules.
  func testLogitsIntactAndWithBlocksDeletedMatchTheLibraries() throws {
    for item in Self.cases {
      let model = try load(item)
      let (input, values, drops) = try expected(item.name)
      let reference = try XCTUnwrap(values["logits"]).floats()
      assertClose(try model.network.forward(input).logits.scalars, reference, "\(item.name) intact")
      assertClose(
        try InferenceSession(model.network).logits(for: input).scalars, reference,
        "\(item.name) intact (inference session)")
      for block in drops {
        let lesioned = try model.network.deletingBlocks([block])
        let expectedDrop = try XCTUnwrap(values["logits_drop_\(block)"]).floats()
        assertClose(
          try InferenceSession(lesioned).logits(for: input).scalars, expectedDrop,
          "\(item.name) without block \(block)")
        assertClose(
          try lesioned.forward(input).logits.scalars, expectedDrop, "\(item.name) forward without block \(block)")
      }
    }
  }

  /// Input and parameter gradients of pre-activation bottleneck networks and of networks with
  /// average-pool shortcuts, intact and lesioned.
  func testGradientsMatchAutograd() throws {
    var checked: [String] = []
    for item in Self.cases {
      let (input, values, drops) = try expected(item.name)
      guard let raw = values["grad_weights"] else { continue }
      checked.append(item.name)
      let model = try load(item)
      let weights = Tensor(shape: raw.shape, scalars: raw.floats())
      for (prefix, deleted) in [("grad", [Int]()), ("grad_drop_\(drops[0])", [drops[0]])] {
        let network = try model.network.deletingBlocks(deleted)
        let pass = try network.forward(input)
        let gradients = network.backward(pass, logitsGradient: weights)
        assertClose(
          try XCTUnwrap(gradients.input).channelsFirst().scalars,
          try XCTUnwrap(values[prefix + ".input"]).floats(), "\(item.name) \(prefix) input")
        let torch = network.torchLayoutGradients(gradients.parameters)
        var compared = 0
        for key in values.names where key.hasPrefix(prefix + ".param.") {
          let parameter = String(key.dropFirst((prefix + ".param.").count))
          let reference = try XCTUnwrap(values[key]).floats()
          let actual = torch[parameter]?.scalars ?? [Float](repeating: 0, count: reference.count)
          assertClose(actual, reference, "\(item.name) \(prefix) \(parameter)")
          compared += 1
        }
        XCTAssertGreaterThan(compared, 20, "\(item.name) \(prefix): parameters compared")
      }
    }
    XCTAssertEqual(
      checked,
      [
        "transformers_downsample", "timm_resnetv2_bottleneck", "kuangliu_preact_bottleneck", "timm_resnet18d",
        "timm_resnet26d", "timm_resnetv2_50d",
      ])
  }

  /// timm's `avg_down` shortcuts: strided projections are average pool → 1×1 stride-1 convolution
  /// (→ batch norm), stride-1 projections have no pool; `info` names the kind; odd maps (7×7 at
  /// stage 2 of a 26×26 input) pool to ⌈7/2⌉ = 4.
  func testAveragePoolShortcutsAreBuiltAsTimmBuildsThem() throws {
    for item in Self.cases where item.averagePoolShortcuts {
      let network = try load(item).network
      var pooled = 0
      for block in network.blocks {
        guard case .projection(let layers) = block.shortcut else { continue }
        let strided = block.inputShape.height != block.outputShape.height
        if case .averagePool(let pool) = layers.first {
          XCTAssertTrue(strided, "\(item.name) \(block.name)")
          XCTAssertEqual(pool, AveragePool(kernelSize: 2, stride: 2))
          XCTAssertEqual(block.shortcutKind, "average pool + projection")
          if block.inputShape.height == 7 { XCTAssertEqual(block.outputShape.height, 4, item.name) }
          pooled += 1
        } else {
          XCTAssertFalse(strided, "\(item.name) \(block.name)")
          XCTAssertEqual(block.shortcutKind, "projection")
        }
        for layer in layers {
          if case .convolution(let conv) = layer { XCTAssertEqual(conv.stride, 1, "\(item.name) \(conv.name)") }
        }
      }
      XCTAssertEqual(pooled, item.blocksPerStage.count - 1, item.name)
      XCTAssertTrue(network.blocks.contains { $0.inputShape.height == 7 && $0.outputShape.height == 4 }, item.name)
    }
  }

  /// A deleted pre-activation projection block keeps BN-ReLU and the projection (timm's
  /// `downsample(norm1(x))`); an identity block becomes the identity.
  func testDeletedPreActivationBlocksKeepTheirPreActivatedProjection() throws {
    let model = try load(Self.cases.first { $0.name == "timm_resnetv2_bottleneck" }!)
    let first = try XCTUnwrap(model.network.blocks.first)
    guard case .projection(let layers) = first.shortcut else { return XCTFail("block 1 should project") }
    XCTAssertEqual(layers.count, 1)
    XCTAssertEqual(first.preActivation.count, 2)
    let input = Tensor(
      shape: [1, 16, 16, 3], scalars: (0..<(16 * 16 * 3)).map { Float($0 % 7) / 7 - 0.4 })
    let deleted = try model.network.deletingBlocks([1])
    XCTAssertNotEqual(
      try deleted.logits(for: input).scalars, try model.network.logits(for: input).scalars)
    XCTAssertEqual(model.network.blocks[2].shortcut, .identity)
  }

  /// Converting to a resnet-lesion file keeps the names, the logits and the class names.
  func testConvertedHubModelsReload() throws {
    for item in Self.cases {
      let model = try load(item)
      let url = temporaryFile(item.name + ".safetensors")
      try ModelFile.write(model.network, metadata: model.metadata, to: url)
      let reloaded = try ModelLoader.load(url.path, normalization: nil)
      XCTAssertEqual(reloaded.network, model.network, item.name)
      XCTAssertEqual(reloaded.metadata.classNames, item.classNames, item.name)
    }
  }

  func testTimmConfigSuppliesStatisticsAndTransformersTheImageNetDefault() throws {
    let timm = try load(Self.cases.first { $0.name == "timm_resnet_deep" }!)
    XCTAssertEqual(timm.metadata.normalizationSource, .metadata)
    XCTAssertEqual(timm.metadata.provenance["hub_config"], "timm resnet50c")
    let hf = try load(Self.cases[0])
    XCTAssertEqual(hf.metadata.normalizationMean, NormalizationPreset.imagenet.mean)
    XCTAssertEqual(hf.metadata.provenance["hub_config"], "transformers")
  }

  /// Full-size timm ResNet-D models (names and shapes from `hub/reference_shapes_timm.json`) are
  /// inferred with average-pool shortcuts, and the networks built have exactly timm's keys, shapes
  /// and parameter counts (resnet50d: 25,576,264).
  func testFullSizeTimmResNetDModelsAreInferredExactly() throws {
    let data = try Data(contentsOf: Self.folder.appendingPathComponent("reference_shapes_timm.json"))
    let models = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]])
    let expected = [
      "resnet18d": "timm ResNet-18 with a deep stem and average-pool shortcuts",
      "resnet50d": "timm ResNet-50 with a deep stem and average-pool shortcuts (bottleneck)",
      "resnetv2_50d": "timm pre-activation ResNetV2-50 (bottleneck) with a deep stem and average-pool shortcuts",
    ]
    XCTAssertEqual(Set(models.keys), Set(expected.keys))
    for (name, entry) in models {
      let keys = try XCTUnwrap(entry["keys"] as? [String: [Int]], name)
      let inferred = try ArchitectureInference.infer(shapes: keys, file: name)
      XCTAssertEqual(inferred.familyDescription, expected[name], name)
      XCTAssertEqual(inferred.configuration.averagePoolShortcuts, true, name)
      let network = try Network(inferred.configuration)
      XCTAssertEqual(network.parameterCount, try XCTUnwrap(entry["parameters"] as? Int), name)
      // resnetv2's classifier is a 1×1 convolution, [classes, features, 1, 1]; the loader reshapes it.
      var expectedShapes = keys.filter { !$0.key.hasSuffix("num_batches_tracked") }
      if let head = expectedShapes["head.fc.weight"], head.count == 4 { expectedShapes["head.fc.weight"] = Array(head[..<2]) }
      XCTAssertEqual(ReferenceArchitectureTests.parameterShapes(network), expectedShapes, name)
      XCTAssertEqual(network.blocks.filter { $0.shortcutKind == "average pool + projection" }.count, 3, name)
    }
  }

  /// transformers' `downsample_in_bottleneck` puts the stride in the first 1×1 convolution and
  /// `downsample_in_first_stage` strides the first stage (26 → 13 → 7 → 4 at stage 1).
  func testTransformersDownsamplingSettingsAreHonoured() throws {
    let network = try load(Self.cases.first { $0.name == "transformers_downsample" }!).network
    XCTAssertEqual(network.configuration.strideInFirstConvolution, true)
    XCTAssertEqual(network.configuration.stridedFirstStage, true)
    XCTAssertEqual(network.blocks[0].inputShape.height, 7)
    XCTAssertEqual(network.blocks[0].outputShape.height, 4)
    var strides: [Int] = []
    for case .convolution(let conv) in network.blocks[0].branch { strides.append(conv.stride) }
    XCTAssertEqual(strides, [2, 1, 1])
    // Basic layers ignore downsample_in_bottleneck, as transformers does.
    let source = Self.folder.appendingPathComponent("transformers_basic")
    let folder = temporaryFile("hf-basic")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try FileManager.default.copyItem(
      at: source.appendingPathComponent("model.safetensors"), to: folder.appendingPathComponent("model.safetensors"))
    let config = try String(contentsOf: source.appendingPathComponent("config.json"), encoding: .utf8)
    XCTAssertTrue(config.contains("\"downsample_in_bottleneck\": false"))
    try config.replacingOccurrences(of: "\"downsample_in_bottleneck\": false", with: "\"downsample_in_bottleneck\": true")
      .write(to: folder.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
    let basic = try ModelLoader.load(folder.path, normalization: nil, inputSize: 16).network
    XCTAssertNil(basic.configuration.strideInFirstConvolution)
    XCTAssertEqual(basic, try load(Self.cases[0]).network)
  }

  /// Settings the engine cannot honour are refused naming the key.
  func testUnsupportedTransformersSettingsAreRefused() throws {
    let source = Self.folder.appendingPathComponent("transformers_basic")
    let folder = temporaryFile("hf")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try FileManager.default.copyItem(
      at: source.appendingPathComponent("model.safetensors"), to: folder.appendingPathComponent("model.safetensors"))
    let config = try String(contentsOf: source.appendingPathComponent("config.json"), encoding: .utf8)
    for (key, from, to) in [
      ("downsample_in_bottleneck", "\"downsample_in_bottleneck\": false", "\"downsample_in_bottleneck\": 1"),
      ("hidden_act", "\"hidden_act\": \"relu\"", "\"hidden_act\": \"gelu\""),
      ("layer_type", "\"layer_type\": \"basic\"", "\"layer_type\": \"bottleneck\""),
    ] {
      XCTAssertTrue(config.contains(from), key)
      try config.replacingOccurrences(of: from, with: to)
        .write(to: folder.appendingPathComponent("config.json"), atomically: true, encoding: .utf8)
      XCTAssertThrowsError(try ModelLoader.load(folder.path, normalization: nil), key) { error in
        XCTAssertTrue("\(error)".contains(key), "\(key): \(error)")
      }
    }
    try FileManager.default.removeItem(at: folder.appendingPathComponent("model.safetensors"))
    XCTAssertThrowsError(try ModelLoader.load(folder.path, normalization: nil)) { error in
      XCTAssertTrue("\(error)".contains("model.safetensors or pytorch_model.bin"), "\(error)")
    }
  }
}

import _TestSupport
import Checkpoints
import Engine
import Foundation
import TensorFormats
import XCTest

/// fb.resnet.torch networks in Torch7 `.t7` files (written by `Fixtures/torch7/make_torch7.py`
/// and checked there with the independent `torchfile` reader): architecture, and logits intact
/// and with blocks deleted against a PyTorch evaluation of the same module tree.
final class Torch7CheckpointTests: XCTestCase {
  static let folder = fixturesFolder.appendingPathComponent("torch7")

  struct Case {
    var name: String
    var inputSize: Int
    var family: NetworkFamily
    var bottleneck: Bool
    var blocksPerStage: [Int]
    var stageWidths: [Int]
    var description: String
  }

  static let cases = [
    Case(
      name: "fb_preresnet_imagenet", inputSize: 32, family: .preActivationImageNetResNet, bottleneck: true,
      blocksPerStage: [2, 1], stageWidths: [4, 8],
      description: "fb.resnet.torch pre-activation ImageNet ResNet-11 (bottleneck), widths 4/8"),
    Case(
      name: "fb_resnet_cifar_b", inputSize: 8, family: .cifarResNet, bottleneck: false, blocksPerStage: [2, 1],
      stageWidths: [4, 8], description: "fb.resnet.torch CIFAR ResNet-8 (option B), widths 4/8"),
    Case(
      name: "fb_preresnet_cifar_b", inputSize: 8, family: .preActivationResNet, bottleneck: false,
      blocksPerStage: [1, 2], stageWidths: [4, 8], description: "fb.resnet.torch pre-activation ResNet-8, widths 4/8"),
    Case(
      name: "fb_resnet_cifar_a", inputSize: 7, family: .cifarResNet, bottleneck: false, blocksPerStage: [2, 1],
      stageWidths: [4, 8],
      description: "fb.resnet.torch CIFAR ResNet-8 (option A, zero channels after the input), widths 4/8"),
  ]

  func testNetworksMatchTheReferenceIntactAndLesioned() throws {
    for item in Self.cases {
      let model = try ModelLoader.load(
        Self.folder.appendingPathComponent(item.name + ".t7").path, normalization: nil, inputSize: item.inputSize)
      let c = model.network.configuration
      XCTAssertEqual(model.format, .torch7)
      XCTAssertEqual(c.family, item.family, item.name)
      XCTAssertEqual(c.bottleneck, item.bottleneck, item.name)
      XCTAssertEqual(c.blocksPerStage, item.blocksPerStage, item.name)
      XCTAssertEqual(c.stageWidths, item.stageWidths, item.name)
      XCTAssertEqual(model.familyDescription, item.description)
      let archive = try SafeTensors.read(contentsOf: Self.folder.appendingPathComponent(item.name + ".expected.safetensors"))
      XCTAssertEqual(model.network.blockCount, Int(archive.metadata["blocks"] ?? ""), item.name)
      let raw = try XCTUnwrap(archive["input"])
      let input = Tensor.channelsLast(fromNCHW: Tensor(shape: raw.shape, scalars: raw.floats()))
      assertClose(
        try InferenceSession(model.network).logits(for: input).scalars, try XCTUnwrap(archive["logits"]).floats(),
        "\(item.name) intact")
      assertClose(
        try model.network.forward(input).logits.scalars, try XCTUnwrap(archive["logits"]).floats(),
        "\(item.name) forward")
      let drops = (archive.metadata["drops"] ?? "").split(separator: ",").compactMap { Int($0) }
      XCTAssertFalse(drops.isEmpty)
      for block in drops {
        let lesioned = try model.network.deletingBlocks([block])
        assertClose(
          try InferenceSession(lesioned).logits(for: input).scalars,
          try XCTUnwrap(archive["logits_drop_\(block)"]).floats(), "\(item.name) without block \(block)")
      }
    }
  }

  /// fb.resnet.torch's ImageNet pre-activation first block has no BN-ReLU of its own.
  func testFirstImageNetBlockHasNoPreActivation() throws {
    let model = try ModelLoader.load(
      Self.folder.appendingPathComponent("fb_preresnet_imagenet.t7").path, normalization: nil, inputSize: 32)
    XCTAssertEqual(model.network.configuration.stemNormalization, true)
    XCTAssertTrue(model.network.blocks[0].preActivation.isEmpty)
    XCTAssertEqual(model.network.blocks[1].preActivation.count, 2)
    XCTAssertEqual(model.network.blocks[2].preActivation.count, 2)
    XCTAssertEqual(model.network.stem.count, 4)
  }

  /// fb.resnet.torch's first CIFAR pre-activation block ('both_preact', equal shapes) adds the
  /// pre-activated input, not x.
  func testSharedPreActivationFeedsTheIdentityShortcut() throws {
    let model = try ModelLoader.load(
      Self.folder.appendingPathComponent("fb_preresnet_cifar_b.t7").path, normalization: nil, inputSize: 8)
    XCTAssertEqual(model.network.configuration.sharedPreActivation, true)
    XCTAssertEqual(model.network.blocks[0].shortcut, .projection([]))
    XCTAssertEqual(model.network.blocks[0].shortcutKind, "identity (pre-activated)")
    XCTAssertEqual(model.network.blocks[2].shortcut, .identity)
  }

  /// fb.resnet.torch's option A (`SpatialAveragePooling(1,1,2,2)`, `Concat(2)[Identity,
  /// MulConstant(0)]`) subsamples and appends the zero channels after the input's, unlike
  /// akamaster's option A (half before, half after); on a 7×7 map it keeps rows 0, 2, 4, 6.
  func testOptionAShortcutsAppendZeroChannels() throws {
    let model = try ModelLoader.load(
      Self.folder.appendingPathComponent("fb_resnet_cifar_a.t7").path, normalization: nil, inputSize: 7)
    XCTAssertEqual(model.network.configuration.zeroChannelsAfterInput, true)
    XCTAssertEqual(model.network.blocks[2].shortcut, .subsampleAndPad(stride: 2, before: 0, after: 4))
    XCTAssertEqual(model.network.blocks[2].outputShape, FeatureShape(channels: 8, height: 4, width: 4))
    // The placement matters: the same weights with akamaster's placement give other logits.
    var configuration = model.network.configuration
    configuration.zeroChannelsAfterInput = nil
    var akamaster = try Network(configuration)
    try akamaster.loadStateDictionary(Dictionary(uniqueKeysWithValues: model.network.stateDictionary().map { ($0.name, $0.tensor) }))
    XCTAssertEqual(akamaster.blocks[2].shortcut, .subsampleAndPad(stride: 2, before: 2, after: 2))
    let input = Tensor(shape: [1, 7, 7, 3], scalars: (0..<147).map { Float($0 % 11) / 11 - 0.5 })
    XCTAssertNotEqual(try akamaster.logits(for: input).scalars, try model.network.logits(for: input).scalars)
  }

}

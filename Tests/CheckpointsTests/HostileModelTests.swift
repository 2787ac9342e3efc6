import Engine
import Foundation
import TensorFormats
import XCTest

@testable import Checkpoints

/// Regressions for issue 12: metadata that asks for a huge network, and parameters that no
/// trained network holds. Each must be refused before anything big is allocated.
final class HostileModelTests: XCTestCase {
  /// A small ResNet-8 model file whose architecture metadata is rewritten by `edit`.
  func modelFile(
    _ name: String, function: String = #function, edit: (inout NetworkConfiguration) -> Void = { _ in },
    tensors editTensors: (inout [(name: String, tensor: RawTensor)]) -> Void = { _ in }
  ) throws -> URL {
    let configuration = try NetworkConfiguration.cifarResNet(
      depth: 8, inputSize: 8, classCount: 3, widths: [4, 8])
    let network = try randomNetwork(configuration, seed: 11)
    var hostile = configuration
    edit(&hostile)
    var tensors = network.stateDictionary().map { entry -> (name: String, tensor: RawTensor) in
      (entry.name, RawTensor(floats: entry.tensor.scalars, shape: entry.tensor.shape))
    }
    editTensors(&tensors)
    let url = temporaryFile(name, function: function)
    try SafeTensors.write(
      tensors, metadata: ModelFile.metadataEntries(hostile, ModelMetadata(preset: .cifar10)), to: url)
    return url
  }

  func assertRefused(
    _ url: URL, file: StaticString = #filePath, line: UInt = #line,
    _ check: (CheckpointError) -> Void
  ) {
    XCTAssertThrowsError(try ModelFile.load(url), file: file, line: line) { error in
      guard let error = error as? CheckpointError else {
        return XCTFail("not a CheckpointError: \(error)", file: file, line: line)
      }
      check(error)
    }
  }

  func testUntouchedFileLoads() throws {
    XCTAssertEqual(try ModelFile.load(try modelFile("ok.safetensors")).network.blockCount, 2)
  }

  /// `blocksPerStage: [1000000000, 18, 18]` used to allocate 23.7 GB before the keys were checked.
  func testBillionBlocksAreRefusedBeforeBuilding() throws {
    let url = try modelFile("blocks.safetensors") {
      $0.blocksPerStage = [1_000_000_000, 18, 18]
      $0.stageWidths = [4, 8, 16]
    }
    assertRefused(url) { error in
      XCTAssertTrue("\(error)".contains("1000000000"), "\(error)")
    }
    // Within the global limits but more blocks than the file has tensors for.
    let few = try modelFile("few.safetensors") { $0.blocksPerStage = [1, 500] }
    assertRefused(few) { error in
      guard case .invalidMetadata(_, let key, _, _) = error else { return XCTFail("\(error)") }
      XCTAssertEqual(key, ModelFileKeys.architecture)
    }
  }

  /// `stageWidths: [2147483648, 32, 64]` used to abort with no memory limit at all.
  func testHugeWidthsAreRefused() throws {
    for widths in [[2_147_483_648, 8], [4, 1 << 40], [4, Int.max], [4, -8], [4, 0]] {
      let url = try modelFile("widths.safetensors") { $0.stageWidths = widths }
      assertRefused(url) { error in
        guard case .unsupportedArchitecture = error else { return XCTFail("\(widths): \(error)") }
      }
    }
    // Plausible widths that disagree with the tensors.
    let url = try modelFile("wrong-width.safetensors") { $0.stageWidths = [4, 4096] }
    assertRefused(url) { error in
      guard case .invalidMetadata(_, _, let expected, let found) = error else { return XCTFail("\(error)") }
      XCTAssertTrue(expected.contains("8"), expected)
      XCTAssertEqual(found, "4096")
    }
  }

  /// `inputHeight: 2^40` used to be accepted, and the MAC counts wrapped.
  func testHugeInputIsRefused() throws {
    for side in [1 << 40, Int.max, 0, -3] {
      let url = try modelFile("input.safetensors") { $0.inputHeight = side }
      assertRefused(url) { error in
        guard case .unsupportedArchitecture(_, let reason) = error else { return XCTFail("\(error)") }
        XCTAssertTrue(reason.contains("input height"), reason)
      }
    }
  }

  func testClassCountMustMatchTheClassifier() throws {
    let url = try modelFile("classes.safetensors") { $0.classCount = 1 << 40 }
    assertRefused(url) { _ in }
    let wrong = try modelFile("classes2.safetensors") { $0.classCount = 7 }
    assertRefused(wrong) { error in
      guard case .invalidMetadata = error else { return XCTFail("\(error)") }
    }
  }

  func testNonFiniteParametersAreRefusedWithTheirName() throws {
    let cases: [(key: String, value: Float, what: String)] = [
      ("layer1.0.conv1.weight", .nan, "finite"), ("linear.bias", .infinity, "finite"),
      ("bn1.running_mean", -.infinity, "finite"), ("layer2.0.bn2.running_var", -0.25, "≥ 0"),
      ("layer1.0.bn1.weight", .nan, "finite"),
    ]
    for item in cases {
      let url = try modelFile(
        "nan.safetensors",
        tensors: { tensors in
          let index = tensors.firstIndex { $0.name == item.key }!
          var values = tensors[index].tensor.floats()
          values[1] = item.value
          tensors[index].tensor = RawTensor(floats: values, shape: tensors[index].tensor.shape)
        })
      assertRefused(url) { error in
        guard case .invalidParameterValue(_, let key, let element, _, let expected) = error else {
          return XCTFail("\(item.key): \(error)")
        }
        XCTAssertEqual(key, item.key)
        XCTAssertEqual(element, 1)
        XCTAssertTrue(expected.contains(item.what), expected)
        XCTAssertTrue("\(error)".contains(item.key))
      }
    }
  }

  func testConfigurationLimits() throws {
    var configuration = try NetworkConfiguration.cifarResNet(depth: 110)
    let bounds = try configuration.validate()
    let network = try Network(configuration)
    XCTAssertLessThanOrEqual(network.parameterCount, bounds.parameters)
    XCTAssertLessThanOrEqual(network.multiplyAccumulates, bounds.multiplyAccumulates)
    // ResNet-152 at 224×224 is within the defaults (its bound, not built here).
    let resnet152 = NetworkConfiguration(
      family: .imageNetResNet, inputChannels: 3, inputHeight: 224, inputWidth: 224, classCount: 1000,
      stageWidths: [64, 128, 256, 512], blocksPerStage: [3, 8, 36, 3], shortcut: .b, bottleneck: true)
    let big = try resnet152.validate()
    XCTAssertGreaterThan(big.parameters, 60_000_000)
    configuration.blocksPerStage = [18, 18, 1 << 62]
    XCTAssertThrowsError(try configuration.validate())
    configuration.blocksPerStage = [18, 18, 18]
    configuration.inputHeight = 1 << 40
    XCTAssertThrowsError(try Network(configuration))
    configuration.inputHeight = 32
    configuration.branchScales = [Float](repeating: .nan, count: 54)
    XCTAssertThrowsError(try Network(configuration))
    let small = NetworkConfiguration.Limits(parameters: 1000)
    configuration.branchScales = nil
    XCTAssertThrowsError(try Network(configuration, limits: small)) { error in
      XCTAssertTrue("\(error)".contains("1000 parameters"), "\(error)")
    }
  }

  /// A pickle, gzip or text file named `.pt` is described by what it is, not as a bad
  /// safetensors header length.
  func testFilesAreRecognisedByTheirFirstBytes() throws {
    let cases: [(bytes: [UInt8], says: String)] = [
      ([0x80, 0x04, 0x95, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x7D, 0x94, 0x2E], "bare Python pickle"),
      ([0x80, 0x02, 0x7D, 0x71, 0x00, 0x58, 0x01, 0x00, 0x00, 0x00, 0x61], "bare Python pickle"),
      ([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 255, 3, 0], "gzip"),
      (Array("hello, this is not a model\n".utf8), "text"),
      ([0x50, 0x4B, 0x05, 0x06] + [UInt8](repeating: 0, count: 18), "zip archive"),
    ]
    for item in cases {
      let url = temporaryFile("model.pt")
      try Data(item.bytes).write(to: url)
      assertRefused(url) { error in
        XCTAssertTrue("\(error)".contains(item.says), "\(error)")
        XCTAssertFalse("\(error)".contains("header"), "\(error)")
      }
    }
  }

  func testFolderAndDeviceGivenAsModel() throws {
    let folder = temporaryFile("folder.pt")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    assertRefused(folder) { error in
      XCTAssertTrue("\(error)".contains("folder"), "\(error)")
    }
    assertRefused(URL(fileURLWithPath: "/dev/zero")) { error in
      XCTAssertTrue("\(error)".contains("is a device"), "\(error)")
    }
  }
}

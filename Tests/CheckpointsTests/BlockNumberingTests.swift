import XCTest

@testable import Checkpoints

/// Blocks per stage from parameter names, for both numberings (`layer1.0.` with stages from 1,
/// timm's `stages.0.blocks.0.` with stages from 0), and the message naming the first gap.
final class BlockNumberingTests: XCTestCase {
  func testCountsBlocksPerStage() throws {
    let names = ["layer1.0.conv1.weight", "layer1.1.conv1.weight", "layer2.0.conv1.weight", "fc.weight"]
    XCTAssertEqual(try ArchitectureInference.countBlocks(names, file: "m.pt"), [2, 1])
    let timm = ["stages.0.blocks.0.conv1.weight", "stages.1.blocks.0.conv1.weight", "stages.1.blocks.1.conv1.weight"]
    XCTAssertEqual(try ArchitectureInference.countIndexedBlocks(timm, prefix: "stages.", infix: "blocks.", file: "m.pt"), [1, 2])
  }

  func testNamesTheFirstGap() {
    assertRefused(
      try ArchitectureInference.countBlocks(["layer1.0.conv1.weight", "layer3.0.conv1.weight"], file: "m.pt"),
      "residual stages [1, 3] are not numbered 1…2")
    assertRefused(
      try ArchitectureInference.countBlocks(["layer1.0.conv1.weight", "layer1.2.conv1.weight"], file: "m.pt"),
      "blocks of layer1 are [0, 2], expected 0…1")
    assertRefused(
      try ArchitectureInference.countIndexedBlocks(
        ["stages.1.blocks.0.conv1.weight"], prefix: "stages.", infix: "blocks.", file: "m.pt"),
      "stages [1] are not numbered 0…0")
    assertRefused(
      try ArchitectureInference.countIndexedBlocks(
        ["stages.0.blocks.1.conv1.weight"], prefix: "stages.", infix: "blocks.", file: "m.pt"),
      "blocks of stages.0 are [1], expected 0…0")
  }

  private func assertRefused(_ expression: @autoclosure () throws -> [Int], _ reason: String, line: UInt = #line) {
    XCTAssertThrowsError(try expression(), line: line) { error in
      XCTAssertEqual(error as? CheckpointError, .unknownArchitecture(file: "m.pt", reason: reason), line: line)
    }
  }
}

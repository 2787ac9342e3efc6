import Engine
import Foundation
import TensorFormats
import XCTest

@testable import Checkpoints

/// Replays the metadata fuzz target's committed inputs (`Tests/Fuzz/Regressions/metadata/`:
/// the issue-12 inputs that allocated whole networks before any check, and anything fuzzing
/// finds; `Tests/Fuzz/Corpus/metadata/`: the valid seeds).
final class MetadataRegressionTests: XCTestCase {
  static let fuzzFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fuzz")

  func files(_ kind: String) -> [(name: String, bytes: [UInt8])] {
    let folder = Self.fuzzFolder.appendingPathComponent(kind).appendingPathComponent("metadata")
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    return names.sorted().compactMap { name in
      (try? Data(contentsOf: folder.appendingPathComponent(name))).map { (name, [UInt8]($0)) }
    }
  }

  /// The inputs (written by make_regressions.py) are refused: configurations as JSON by
  /// `validate()`, model files by `assemble`. Inputs libFuzzer saved (`crash-`, `timeout-`,
  /// `slow-unit-` names) only need to end without a trap.
  func testRegressionsAreRefusedCheaply() throws {
    let regressions = files("Regressions")
    XCTAssertGreaterThanOrEqual(regressions.count, 5)
    let savedByFuzzer = ["crash-", "timeout-", "slow-unit-", "oom-", "leak-"]
    for (name, bytes) in regressions where savedByFuzzer.contains(where: { name.hasPrefix($0) }) {
      if let archive = try? TensorFile.parse(bytes, file: name) {
        _ = try? ModelAssembly.assemble(
          archive, file: URL(fileURLWithPath: "/" + name), normalization: nil, inputSize: nil)
      }
    }
    for (name, bytes) in regressions where !savedByFuzzer.contains(where: { name.hasPrefix($0) }) {
      if bytes.first == UInt8(ascii: "{") {
        let configuration = try JSONDecoder().decode(NetworkConfiguration.self, from: Data(bytes))
        XCTAssertThrowsError(try configuration.validate(), name)
      } else {
        let archive = try TensorFile.parse(bytes, file: name)
        XCTAssertThrowsError(
          try ModelAssembly.assemble(
            archive, file: URL(fileURLWithPath: "/" + name), normalization: nil, inputSize: nil),
          name)
      }
    }
  }

  func testSeedsBuild() throws {
    for (name, bytes) in files("Corpus") {
      if bytes.first == UInt8(ascii: "{") {
        let configuration = try JSONDecoder().decode(NetworkConfiguration.self, from: Data(bytes))
        let network = try Network(configuration)
        let bounds = try configuration.validate()
        XCTAssertLessThanOrEqual(network.parameterCount, bounds.parameters, name)
        XCTAssertLessThanOrEqual(network.multiplyAccumulates, bounds.multiplyAccumulates, name)
      } else {
        let archive = try TensorFile.parse(bytes, file: name)
        let model = try ModelAssembly.assemble(
          archive, file: URL(fileURLWithPath: "/" + name), normalization: nil, inputSize: nil)
        XCTAssertEqual(model.network.blockCount, 2, name)
      }
    }
  }
}

import Foundation
import XCTest

@testable import TensorFormats

/// Compares every fixture written by PyTorch / numpy / safetensors (make_fixtures.py) with the
/// values the generator recorded independently in expected.json.
final class FixtureTests: XCTestCase {
  struct ExpectedTensor {
    var name: String
    var dtype: String
    var shape: [Int]
    var values: [Any]
  }

  struct ExpectedFile {
    var format: String
    var metadata: [String: String]
    var tensors: [ExpectedTensor]
  }

  static let expected: [String: ExpectedFile] = {
    guard let data = try? Data(contentsOf: fixturesFolder.appendingPathComponent("expected.json")),
      let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    else { return [:] }
    var result: [String: ExpectedFile] = [:]
    for (file, value) in root where file != "generator" {
      guard let entry = value as? [String: Any], let format = entry["format"] as? String,
        let metadata = entry["metadata"] as? [String: String],
        let tensors = entry["tensors"] as? [[String: Any]]
      else { continue }
      result[file] = ExpectedFile(
        format: format, metadata: metadata,
        tensors: tensors.map {
          ExpectedTensor(
            name: $0["name"] as? String ?? "?", dtype: $0["dtype"] as? String ?? "?",
            shape: $0["shape"] as? [Int] ?? [], values: $0["values"] as? [Any] ?? [])
        })
    }
    return result
  }()

  func check(_ file: String, _ archive: TensorArchive, line: UInt = #line) {
    guard let expected = Self.expected[file] else {
      return XCTFail("no expectations for \(file)", line: line)
    }
    XCTAssertEqual(archive.format.rawValue, expected.format, file, line: line)
    XCTAssertEqual(archive.metadata, expected.metadata, file, line: line)
    XCTAssertEqual(archive.names, expected.tensors.map(\.name), file, line: line)
    for (entry, want) in zip(archive.tensors, expected.tensors) {
      let tensor = entry.tensor
      let label = "\(file) \(want.name)"
      XCTAssertEqual(tensor.dtype.rawValue, want.dtype, label, line: line)
      XCTAssertEqual(tensor.shape, want.shape, label, line: line)
      XCTAssertEqual(tensor.elementCount, want.values.count, label, line: line)
      if tensor.dtype.isFloatingPoint {
        // Expected floats are exact decimal strings; Double(String) rounds correctly.
        XCTAssertEqual(tensor.doubles(), want.values.map { Double($0 as? String ?? "") ?? .nan }, label, line: line)
      } else {
        XCTAssertEqual(
          tensor.int64s(), want.values.map { ($0 as? NSNumber)?.int64Value ?? Int64.min }, label, line: line)
      }
      XCTAssertEqual(archive[entry.name], tensor, line: line)
    }
  }

  func testExpectationsLoaded() {
    XCTAssertGreaterThanOrEqual(Self.expected.count, 20)
  }

  func testTorchZipAndLegacyFixtures() throws {
    for file in [
      "zip_plain.pt", "legacy_plain.pt", "zip_wrapped.pt", "legacy_wrapped.pt", "zip_model_key.pt",
      "zip_fp16.pt", "zip_views.pt", "legacy_views.pt", "zip_buffer.pt", "zip_parameters.pt",
      "zip_protocol4.pt", "legacy_protocol4.pt",
    ] {
      let url = fixturesFolder.appendingPathComponent(file)
      check(file, try TorchCheckpoint.read(contentsOf: url))
      check(file, try TensorFile.read(contentsOf: url))
    }
  }

  func testPlainStateDictContents() throws {
    let archive = try TorchCheckpoint.read(contentsOf: fixturesFolder.appendingPathComponent("zip_plain.pt"))
    XCTAssertEqual(
      archive.names,
      [
        "conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
        "bn1.num_batches_tracked", "fc.weight", "fc.bias",
      ])
    XCTAssertEqual(archive["bn1.num_batches_tracked"], RawTensor(int64s: [7], shape: []))
    XCTAssertEqual(archive["conv1.weight"]?.shape, [3, 2, 3, 3])
    // The legacy file holds the same values.
    let legacy = try TorchCheckpoint.read(contentsOf: fixturesFolder.appendingPathComponent("legacy_plain.pt"))
    XCTAssertEqual(legacy.tensors.map(\.tensor), archive.tensors.map(\.tensor))
  }

  func testSafeTensorsFixtureAndWriterMatchReferenceBytes() throws {
    let file = "mixed.safetensors"
    let archive = try SafeTensors.read(contentsOf: fixturesFolder.appendingPathComponent(file))
    check(file, archive)
    check(file, try TensorFile.read(contentsOf: fixturesFolder.appendingPathComponent(file)))
    // Our writer reproduces the reference writer's bytes exactly (order, header, padding).
    let rewritten = try SafeTensors.serialize(archive.tensors, metadata: archive.metadata)
    XCTAssertEqual(rewritten, try fixtureBytes(file))
  }

  func testNumPyFixtures() throws {
    let files = Self.expected.keys.filter { $0.hasSuffix(".npy") }.sorted()
    XCTAssertEqual(files.count, 12)
    for file in files {
      let url = fixturesFolder.appendingPathComponent(file)
      let array = try NumPyArray.read(contentsOf: url)
      check(file, TensorArchive(format: .numpy, tensors: [("", array.tensor)]))
      check(file, try TensorFile.read(contentsOf: url))
    }
  }

  func testNumPyWriterMatchesNumPyBytes() throws {
    for file in ["f4.npy", "f2.npy", "i4.npy", "i2.npy", "i1.npy", "u1.npy", "b1.npy", "scalar_f4.npy"] {
      let bytes = try fixtureBytes(file)
      let array = try NumPyArray.parse(bytes, file: file)
      XCTAssertEqual(NumPyArray.serialize(array.tensor), bytes, file)
    }
  }
}

import Foundation
import XCTest

/// End-to-end runs of info, predict, convert, data and paths --gradients.
final class ModelCommandTests: XCTestCase {
  static var resnet: String { LesionCommandTests.resnet }

  /// A version-1.0 .npy file of uint8 values with the given shape.
  func npy(uint8 values: [UInt8], shape: [Int]) -> Data {
    var header = "{'descr': '|u1', 'fortran_order': False, 'shape': (\(shape.map(String.init).joined(separator: ", "))\(shape.count == 1 ? "," : "")), }"
    while (10 + header.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.count & 0xFF), UInt8(header.count >> 8)])
    data.append(Data(header.utf8))
    data.append(Data(values))
    return data
  }

  func testInfoListsEveryBlock() throws {
    let result = try BinaryRunner.run(["info", "--model", Self.resnet, "--format", "json"])
    XCTAssertEqual(result.status, 0, result.standardError)
    guard result.status == 0 else { return }
    let object = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any]
    let blocks = object?["blocks"] as? [[String: Any]]
    XCTAssertEqual(blocks?.count, 3)
    XCTAssertEqual(blocks?.compactMap { $0["number"] as? Int }, [1, 2, 3])
    let table = try BinaryRunner.run(["info", "--model", Self.resnet])
    XCTAssertTrue(table.standardOutput.contains("layer2.0"), table.standardOutput)
  }

  func testPredictWritesLogitsAndRefusesBadBlocks() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("predict-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let input = folder.appendingPathComponent("images.npy")
    try npy(uint8: (0..<(2 * 784)).map { UInt8($0 % 251) }, shape: [2, 1, 28, 28]).write(to: input)
    let output = folder.appendingPathComponent("logits.npy")
    let intact = try BinaryRunner.run(["predict", "--model", Self.resnet, "--input", input.path, "--output", output.path])
    XCTAssertEqual(intact.status, 0, intact.standardError)
    guard intact.status == 0 else { return }
    let bytes = try Data(contentsOf: output)
    XCTAssertEqual(Array(bytes.prefix(6)), [0x93] + Array("NUMPY".utf8))
    let header = String(decoding: bytes.prefix(128), as: UTF8.self)
    XCTAssertTrue(header.contains("'<f4'") && header.contains("(2, 10)"), header)
    XCTAssertEqual(bytes.count % 64, (2 * 10 * 4) % 64, "64-byte aligned header then 20 floats")
    let dropped = folder.appendingPathComponent("dropped.npy")
    let lesioned = try BinaryRunner.run(["predict", "--model", Self.resnet, "--input", input.path, "--drop", "2", "--output", dropped.path])
    XCTAssertEqual(lesioned.status, 0, lesioned.standardError)
    XCTAssertNotEqual(try Data(contentsOf: dropped), bytes, "deleting a block changes the logits")
    let bad = try BinaryRunner.run(["predict", "--model", Self.resnet, "--input", input.path, "--drop", "9", "--output", dropped.path])
    XCTAssertEqual(bad.status, 64)
    XCTAssertTrue(bad.standardError.contains("valid blocks are 1–3"), bad.standardError)
  }

  func testConvertRoundTripKeepsPredictions() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("convert-\(UUID().uuidString)")
    let converted = folder.appendingPathComponent("copy.safetensors")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let result = try BinaryRunner.run(["convert", "--model", Self.resnet, "--output", converted.path])
    XCTAssertEqual(result.status, 0, result.standardError)
    let a = try BinaryRunner.run(["drop", "--model", Self.resnet, "--blocks", "1", "--limit", "100", "--format", "csv", "--quiet"])
    let b = try BinaryRunner.run(["drop", "--model", converted.path, "--blocks", "1", "--limit", "100", "--format", "csv", "--quiet"])
    func rows(_ csv: String) -> [Substring] { csv.split(separator: "\n").filter { !$0.hasPrefix("#") } }
    XCTAssertEqual(rows(a.standardOutput), rows(b.standardOutput))
    XCTAssertNotEqual(a.standardOutput, b.standardOutput, "the provenance names each model file")
    // A .pt name would promise a file torch.load reads: refused before any work (issue 19).
    let pt = try BinaryRunner.run(["convert", "--model", Self.resnet, "--output", folder.appendingPathComponent("r.pt").path])
    XCTAssertEqual(pt.status, 64, pt.standardError)
    XCTAssertTrue(pt.standardError.contains("a .safetensors file name"), pt.standardError)
    XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("r.pt").path))
  }

  func testDataInfoCountsTheBundledSet() throws {
    let result = try BinaryRunner.run(["data", "info", "--split", "train", "--format", "json"])
    XCTAssertEqual(result.status, 0, result.standardError)
    guard result.status == 0 else { return }
    let object = try JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any]
    XCTAssertEqual(object?["images"] as? Int, 4000)
    XCTAssertEqual(object?["class_counts"] as? [Int], Array(repeating: 400, count: 10))
    let unknown = try BinaryRunner.run(["data", "fetch", "imagenet"])
    XCTAssertEqual(unknown.status, 64)
  }

  func testPathGradientsAreReproducible() throws {
    let arguments = ["paths", "--gradients", "--model", Self.resnet, "--samples", "2", "--batch-size", "8", "--seed", "3", "--format", "csv", "--quiet"]
    let a = try BinaryRunner.run(arguments)
    XCTAssertEqual(a.status, 0, a.standardError)
    guard a.status == 0 else { return }
    let b = try BinaryRunner.run(arguments, environment: ["RESNET_LESION_THREADS": "1"])
    XCTAssertEqual(a.standardOutput, b.standardOutput, "same seed → same CSV bytes, whatever the thread count")
    let lines = a.standardOutput.split(separator: "\n").filter { !$0.hasPrefix("#") }
    XCTAssertEqual(
      lines.first,
      "path_length_k_blocks,paths_count,gradient_l2_mean,gradient_l2_low95,gradient_l2_high95,gradient_l2_std,measurements,log10_total_gradient,total_gradient_share_fraction")
    XCTAssertEqual(lines.count, 1 + 4)
    // A subset of lengths: the shares are over those lengths, and the output says so.
    let subset = try BinaryRunner.run(["paths", "--gradients", "--model", Self.resnet, "--samples", "2", "--batch-size", "8", "--lengths", "0-1", "--quiet"])
    XCTAssertEqual(subset.status, 0, subset.standardError)
    XCTAssertTrue(subset.standardOutput.contains("of the measured lengths 0–1 only"), subset.standardOutput)
    let model = try BinaryRunner.run(["paths", "--model", Self.resnet, "--format", "csv"])
    XCTAssertEqual(model.standardOutput.split(separator: "\n").filter { !$0.hasPrefix("#") }.count, 1 + 4, "n taken from the model")
  }
}

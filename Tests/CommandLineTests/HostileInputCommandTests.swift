import Foundation
import XCTest

/// End-to-end regressions for issue 12 that only the built binary shows: exit status and one
/// `Error:` line for hostile files, the decompression limit's environment variable.
final class HostileInputCommandTests: XCTestCase {
  func assertRuntimeError(
    _ result: BinaryRunner.Result, mentions words: [String], file: StaticString = #filePath,
    line: UInt = #line
  ) {
    XCTAssertEqual(result.status, 1, result.standardError, file: file, line: line)
    XCTAssertTrue(result.standardError.hasPrefix("Error: "), result.standardError, file: file, line: line)
    XCTAssertEqual(result.standardError.split(separator: "\n").count, 1, result.standardError, file: file, line: line)
    for word in words {
      XCTAssertTrue(result.standardError.contains(word), "\(word): \(result.standardError)", file: file, line: line)
    }
  }

  func temporaryFolder() throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
    return folder
  }

  /// `paths --blocks 100000` ran past 60 s and 0.9 GB; now it is a usage error.
  func testPathsBlockCountIsBounded() throws {
    let result = try BinaryRunner.run(["paths", "--blocks", "100000"])
    XCTAssertEqual(result.status, 64, result.standardError)
    XCTAssertTrue(result.standardError.contains("10000"), result.standardError)
  }

  /// A bundled model with one weight set to NaN is refused, naming the tensor.
  func testNaNWeightIsRefusedByName() throws {
    let source = BinaryRunner.repositoryRoot.appendingPathComponent("notebooks-data/models/plain.safetensors")
    var bytes = [UInt8](try Data(contentsOf: source))
    let headerLength = (0..<8).reduce(0) { $0 | Int(bytes[$1]) << (8 * $1) }
    let header = try XCTUnwrap(
      JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + headerLength)])) as? [String: Any])
    let name = try XCTUnwrap(header.keys.filter { $0.hasSuffix(".weight") && $0.contains("conv") }.sorted().first)
    let entry = try XCTUnwrap(header[name] as? [String: Any])
    let offsets = try XCTUnwrap(entry["data_offsets"] as? [Int])
    let start = 8 + headerLength + offsets[0]
    XCTAssertEqual(entry["dtype"] as? String, "F32")
    for (index, byte) in [UInt8]([0x00, 0x00, 0xC0, 0x7F]).enumerated() { bytes[start + index] = byte }
    let model = try temporaryFolder().appendingPathComponent("nan.safetensors")
    try Data(bytes).write(to: model)
    let result = try BinaryRunner.run(["drop", "--model", model.path, "--blocks", "1", "--limit", "10"])
    assertRuntimeError(result, mentions: [name, "nan"])
  }

  func testFolderAsModelHasAPlainMessage() throws {
    let folder = try temporaryFolder()
    let result = try BinaryRunner.run(["info", "--model", folder.path])
    assertRuntimeError(result, mentions: ["a model folder needs"])
  }

  /// A gzipped IDX file whose header declares a million 28×28 images (784 MB) is refused
  /// before inflating; the limit can be raised by the environment variable.
  func testDecompressionLimitAndItsEnvironmentVariable() throws {
    let folder = try temporaryFolder()
    func idx(_ magic: UInt32, _ sizes: [UInt32]) -> [UInt8] {
      ([magic] + sizes).flatMap { value in (0..<4).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
    }
    try Data(gzipStored(idx(0x803, [1_000_000, 28, 28]))).write(
      to: folder.appendingPathComponent("t10k-images-idx3-ubyte.gz"))
    try Data(gzipStored(idx(0x801, [1_000_000]))).write(
      to: folder.appendingPathComponent("t10k-labels-idx1-ubyte.gz"))
    let result = try BinaryRunner.run(["data", "info", "--data", folder.path])
    assertRuntimeError(result, mentions: ["RESNET_LESION_MAX_DECOMPRESSED_MB", "268435456"])
    // Raised to 1 GiB, the same file gets past the limit and is reported as truncated.
    let raised = try BinaryRunner.run(
      ["data", "info", "--data", folder.path], environment: ["RESNET_LESION_MAX_DECOMPRESSED_MB": "1024"])
    assertRuntimeError(raised, mentions: ["truncated"])
  }
}

/// `data` as one gzip member of stored DEFLATE blocks, with its CRC-32.
private func gzipStored(_ data: [UInt8]) -> [UInt8] {
  var crc: UInt32 = 0xFFFF_FFFF
  for byte in data {
    crc ^= UInt32(byte)
    for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
  }
  crc ^= 0xFFFF_FFFF
  let length = data.count
  var out: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 255, 1]
  out += [UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8((~length >> 8) & 0xFF)]
  out += data
  for shift in [0, 8, 16, 24] { out.append(UInt8(truncatingIfNeeded: crc >> UInt32(shift))) }
  for shift in [0, 8, 16, 24] { out.append(UInt8(truncatingIfNeeded: length >> shift)) }
  return out
}

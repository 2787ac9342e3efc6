import _TestSupport
import Engine
import Foundation
import XCTest


/// A network with every parameter and running statistic drawn from a seeded generator.
func randomNetwork(_ configuration: NetworkConfiguration, seed: UInt64) throws -> Network {
  var network = try Network(configuration)
  var generator = SplitMix64(seed: seed)
  var state: [String: Tensor] = [:]
  for (name, tensor) in network.stateDictionary() {
    let low: Float = name.hasSuffix("running_var") ? 0.5 : -0.5
    let scalars = (0..<tensor.count).map { _ in generator.float(low, low + 1) }
    state[name] = Tensor(shape: tensor.shape, scalars: scalars)
  }
  try network.loadStateDictionary(state)
  return network
}

/// A fresh path in a per-test temporary folder.
func temporaryFile(_ name: String, function: String = #function) -> URL {
  let folder = FileManager.default.temporaryDirectory
    .appendingPathComponent("CheckpointsTests-\(ProcessInfo.processInfo.processIdentifier)")
    .appendingPathComponent(function.filter { $0.isLetter || $0.isNumber })
  try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  let url = folder.appendingPathComponent(name)
  try? FileManager.default.removeItem(at: url)
  return url
}

/// The folder of committed fixtures, located from this source file.
let fixturesFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .appendingPathComponent("Fixtures")

/// Asserts |actual − expected| ≤ atol + rtol·|expected| element-wise (NaN-aware), reporting the
/// worst mismatches.
func assertClose(
  _ actual: [Float], _ expected: [Float], atol: Float = 1e-4, rtol: Float = 1e-4,
  _ message: String = "", file: StaticString = #filePath, line: UInt = #line
) {
  guard actual.count == expected.count else {
    XCTFail("\(message): \(actual.count) values, expected \(expected.count)", file: file, line: line)
    return
  }
  var failures: [(index: Int, excess: Float)] = []
  for i in actual.indices {
    let (a, e) = (actual[i], expected[i])
    if a.isNaN || e.isNaN {
      if !(a.isNaN && e.isNaN) { failures.append((i, .infinity)) }
      continue
    }
    let excess = abs(a - e) - (atol + rtol * abs(e))
    if excess > 0 { failures.append((i, excess)) }
  }
  if !failures.isEmpty {
    let worst = failures.sorted { $0.excess > $1.excess }.prefix(5)
      .map { "[\($0.index)] \(actual[$0.index]) vs \(expected[$0.index])" }
    XCTFail(
      "\(message): \(failures.count) of \(actual.count) values differ; worst: \(worst.joined(separator: ", "))",
      file: file, line: line)
  }
}

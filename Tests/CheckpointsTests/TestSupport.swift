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
let fixturesFolder = TestFiles.fixtures()

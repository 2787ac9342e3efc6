import _TestSupport
import Foundation
import XCTest

/// Runs the built `resnet-lesion` executable and captures what it prints.
struct BinaryRunner {
  struct Result {
    var status: Int32
    var standardOutput: String
    var standardError: String
  }

  /// The folder holding the test bundle, which is also where SwiftPM puts the executable.
  static var productsDirectory: URL {
    #if os(macOS)
      for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
        return bundle.bundleURL.deletingLastPathComponent()
      }
      fatalError("couldn't find the products directory")
    #else
      return Bundle.main.bundleURL
    #endif
  }

  /// The repository root (for the bundled notebooks-data).
  static var repositoryRoot: URL { TestFiles.repositoryRoot() }

  /// Runs `resnet-lesion arguments…` in `directory` (default: a fresh temporary folder, so tests
  /// prove the binary finds its bundled data on its own).
  static func run(
    _ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:],
    executable: String = "resnet-lesion"
  ) throws -> Result {
    let process = Process()
    process.executableURL = productsDirectory.appendingPathComponent(executable)
    process.arguments = arguments
    let folder = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("resnet-lesion-e2e-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    process.currentDirectoryURL = folder
    var env = ProcessInfo.processInfo.environment
    env["RESNET_LESION_DATA"] = repositoryRoot.appendingPathComponent("notebooks-data").path
    for (key, value) in environment { env[key] = value }
    process.environment = env
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Result(
      status: process.terminationStatus, standardOutput: String(decoding: outData, as: UTF8.self),
      standardError: String(decoding: errData, as: UTF8.self))
  }
}

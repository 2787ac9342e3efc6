import Basics
import Foundation
import XCTest

/// The one notebooks-data locator: the environment variable, then the current directory's
/// ancestors, then the executable's.
final class BundledDataTests: XCTestCase {
  func testBundledDirectorySearch() throws {
    let root = FileManager.default.temporaryDirectory
      .appendingPathComponent("BasicsTests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: root) }
    let data = root.appendingPathComponent("repo/notebooks-data")
    let nested = root.appendingPathComponent("repo/a/b/c")
    let binFolder = root.appendingPathComponent("repo/.build/release")
    for folder in [data, nested, binFolder] {
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }
    let elsewhere = root.appendingPathComponent("elsewhere")
    try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
    XCTAssertEqual(
      try BundledData.directory(environment: [:], currentDirectory: nested, executable: nil).path,
      data.path)
    XCTAssertEqual(
      try BundledData.directory(
        environment: [:], currentDirectory: elsewhere,
        executable: binFolder.appendingPathComponent("resnet-lesion")
      ).path, data.path)
    XCTAssertEqual(
      try BundledData.directory(
        environment: ["RESNET_LESION_DATA": elsewhere.path], currentDirectory: nested,
        executable: nil
      ).path, elsewhere.path)
    // A set variable must name a folder: no fallback to the search, so a typo is reported.
    let missing = elsewhere.appendingPathComponent("missing").path
    XCTAssertThrowsError(
      try BundledData.directory(
        environment: ["RESNET_LESION_DATA": missing], currentDirectory: nested, executable: nil)
    ) { error in
      XCTAssertEqual(
        error as? BundledDataNotFound,
        BundledDataNotFound(searched: ["RESNET_LESION_DATA=\(missing) (not a folder)"]))
    }
    // An empty variable counts as unset.
    XCTAssertEqual(
      try BundledData.directory(
        environment: ["RESNET_LESION_DATA": ""], currentDirectory: nested, executable: nil
      ).path, data.path)
    XCTAssertThrowsError(
      try BundledData.directory(environment: [:], currentDirectory: elsewhere, executable: nil)
    ) { error in
      guard let error = error as? BundledDataNotFound else { return XCTFail("\(error)") }
      XCTAssertEqual(error.searched, ["\(elsewhere.standardizedFileURL.path) and its parents"])
      XCTAssertTrue("\(error)".contains("set RESNET_LESION_DATA"), "\(error)")
    }
  }
}

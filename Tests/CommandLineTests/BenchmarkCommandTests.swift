import _TestSupport
import Foundation
import XCTest

/// resnet-lesion-bench times the references turn about with its own runs, through
/// pytorch_reference.py's line protocol; here a shell script that answers with fixed rates
/// stands in for Python, so the ratios are hand-checkable and no torch is needed.
final class BenchmarkCommandTests: XCTestCase {
  /// A stand-in for `$RESNET_LESION_PYTHON` that ignores the script and its arguments, logs
  /// each request to `requests.log` and answers eager 100, channels-last 50 and (forward)
  /// onnxruntime 200 images/s; or, with `failing`, exits at once.
  func fakePython(failing: Bool = false) throws -> (python: URL, log: URL) {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("resnet-lesion-bench-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let log = folder.appendingPathComponent("requests.log")
    let script =
      failing
      ? "#!/bin/sh\necho 'No module named torch' >&2\nexit 1\n"
      : """
      #!/bin/sh
      echo '{"ready": true}'
      while read -r line; do
        echo "$line" >> '\(log.path)'
        case "$line" in
          *'"forward"'*) echo '{"eager": 100, "channels_last": 50, "onnxruntime": 200}' ;;
          *) echo '{"eager": 100, "channels_last": 50}' ;;
        esac
      done

      """
    let python = folder.appendingPathComponent("python")
    try script.write(to: python, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: python.path)
    return (python, log)
  }

  /// The table's row for `workload` at `batch`, split into columns after the workload's name.
  func row(_ output: String, _ workload: String, batch: Int) -> [String]? {
    for line in output.split(separator: "\n") where line.hasPrefix(workload + " ") {
      let columns = line.dropFirst(workload.count).split(separator: " ").map(String.init)
      if columns.first == "\(batch)" { return columns }
    }
    return nil
  }

  func testReferencesAreTimedTurnAboutAndRatiosArePerRound() throws {
    let (python, log) = try fakePython()
    let result = try BinaryRunner.run(
      ["--batch", "2", "--repeats", "3", "--seconds", "0.01", "--depth", "8", "--no-memory", "--threads", "1"],
      environment: ["RESNET_LESION_PYTHON": python.path], executable: "resnet-lesion-bench")
    XCTAssertEqual(result.status, 0, result.standardError)
    XCTAssertTrue(result.standardOutput.contains("references timed turn about with ours"), result.standardOutput)
    // One request per round of each workload: 3 workloads × 3 rounds, in workload order.
    let requests = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
    XCTAssertEqual(requests.count, 9, requests.joined(separator: "\n"))
    XCTAssertEqual(requests.filter { $0.contains("\"forward\"") }.count, 3)
    XCTAssertEqual(requests.filter { $0.contains("\"training step\"") }.count, 3)
    XCTAssertTrue(requests.allSatisfy { $0.contains("\"batch\":2") }, requests.joined(separator: "\n"))
    // Columns: batch, ours, GFLOP/s, eager, ch-last, onnxrt, ours/eager, ours/ch-last, ours/onnxrt,
    // stolen (ours/references).
    // With constant reference rates the median of the rounds' ratios is ours (median) / rate.
    for workload in ["forward", "forward + input gradient", "training step"] {
      let columns = try XCTUnwrap(row(result.standardOutput, workload, batch: 2), result.standardOutput)
      XCTAssertEqual(columns.count, 10, columns.joined(separator: " "))
      assertStolen(columns[9], parts: 2)
      let ours = try XCTUnwrap(Double(columns[1]))
      XCTAssertGreaterThan(ours, 0)
      XCTAssertEqual(columns[3], "100.0")
      XCTAssertEqual(columns[4], "50.0")
      XCTAssertEqual(try XCTUnwrap(Double(columns[6])), ours / 100, accuracy: 0.0051 + 0.05 / 100)
      XCTAssertEqual(try XCTUnwrap(Double(columns[7])), ours / 50, accuracy: 0.0051 + 0.05 / 50)
      if workload == "forward" {
        XCTAssertEqual(columns[5], "200.0")
        XCTAssertEqual(try XCTUnwrap(Double(columns[8])), ours / 200, accuracy: 0.0051 + 0.05 / 200)
      } else {
        XCTAssertEqual(columns[5], "–")
        XCTAssertEqual(columns[8], "–")
      }
    }
  }

  func testAMissingReferenceLeavesItsColumnsEmpty() throws {
    let (python, _) = try fakePython(failing: true)
    let result = try BinaryRunner.run(
      ["--batch", "1", "--repeats", "1", "--seconds", "0.01", "--depth", "8", "--no-memory", "--threads", "1", "--only", "forward"],
      environment: ["RESNET_LESION_PYTHON": python.path], executable: "resnet-lesion-bench")
    XCTAssertEqual(result.status, 0, result.standardError)
    XCTAssertTrue(result.standardError.contains("PyTorch reference not available"), result.standardError)
    let columns = try XCTUnwrap(row(result.standardOutput, "forward", batch: 1), result.standardOutput)
    XCTAssertEqual(Array(columns[3..<9]), ["–", "–", "–", "–", "–", "–"])
    XCTAssertEqual(columns.count, 10, columns.joined(separator: " "))
    assertStolen(columns[9], parts: 1)
  }

  /// Bad flags are usage errors (status 64) and a model that cannot be read a runtime error
  /// (status 1): one line `Error: …` on stderr each, no trap.
  func testBadInputEndsWithOneErrorLine() throws {
    let cases: [([String], Int32, String)] = [
      (["--repeats", "x"], 64, "invalid value 'x' for '--repeats': expected an integer in 1…1000"),
      (["--batch", "1,,2"], 64, "invalid value '1,,2' for '--batch'"),
      (["--depth", "9"], 64, "invalid value '9' for '--depth': expected a depth 6n + 2"),
      (["--seconds", "nan"], 64, "invalid value 'nan' for '--seconds'"),
      (["--only", "backward"], 64, "invalid value 'backward' for '--only': expected one of forward|gradient|training"),
      (["--threads"], 64, "missing value for '--threads <n>'"),
      (["--frobnicate"], 64, "unknown option '--frobnicate'"),
      (["--sweep", "--no-pytorch", "--model", "/nonexistent/model.safetensors"], 1, "/nonexistent/model.safetensors"),
    ]
    for (arguments, status, message) in cases {
      let result = try BinaryRunner.run(arguments, executable: "resnet-lesion-bench")
      XCTAssertEqual(result.status, status, "\(arguments): \(result.standardError)")
      let lines = result.standardError.split(separator: "\n")
      XCTAssertEqual(lines.count, 1, "\(arguments): \(result.standardError)")
      XCTAssertTrue(lines.first?.hasPrefix("Error: ") == true, result.standardError)
      XCTAssertTrue(result.standardError.contains(message), "\(arguments): \(result.standardError)")
    }
  }

  /// resnet-lesion-image-bench likewise: a bad count is a usage error; a missing folder, a folder
  /// without JPEGs and a file our decoder rejects are runtime errors naming what went wrong.
  func testImageBenchBadInputEndsWithOneErrorLine() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("image-bench-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
    let empty = folder.appendingPathComponent("empty")
    try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
    let broken = folder.appendingPathComponent("broken")
    try FileManager.default.createDirectory(at: broken, withIntermediateDirectories: true)
    try Data([0xFF, 0xD8, 0xFF, 0xC0, 0x00]).write(to: broken.appendingPathComponent("cut.jpg"))
    let cases: [([String], Int32, String)] = [
      (["--images", "x"], 64, "invalid value 'x' for '--images': expected an integer in 1…100000"),
      (["--repeats", "0"], 64, "invalid value '0' for '--repeats': expected an integer in 1…1000"),
      (["--folder"], 64, "missing value for '--folder <path>'"),
      (["--folder", folder.appendingPathComponent("missing").path], 1, "missing: cannot read"),
      (["--folder", empty.path], 1, "empty: cannot read: no .jpg files"),
      (["--folder", broken.path, "--repeats", "1"], 1, "cut.jpg"),
    ]
    for (arguments, status, message) in cases {
      let result = try BinaryRunner.run(arguments, executable: "resnet-lesion-image-bench")
      XCTAssertEqual(result.status, status, "\(arguments): \(result.standardError)")
      let lines = result.standardError.split(separator: "\n")
      XCTAssertEqual(lines.count, 1, "\(arguments): \(result.standardError)")
      XCTAssertTrue(lines.first?.hasPrefix("Error: ") == true, result.standardError)
      XCTAssertTrue(result.standardError.contains(message), "\(arguments): \(result.standardError)")
    }
  }

  /// The stolen column: `parts` shares joined by "/" (ours, then the references'), each a
  /// percentage from 0% to 100%, or "–" where /proc/stat is missing or counted no tick (the
  /// stand-in server answers at once).
  func assertStolen(_ column: String, parts: Int, file: StaticString = #filePath, line: UInt = #line) {
    let values = column.split(separator: "/", omittingEmptySubsequences: false)
    XCTAssertEqual(values.count, parts, column, file: file, line: line)
    for value in values where value != "–" {
      let number = value.hasSuffix("%") ? Int(value.dropLast()) : nil
      XCTAssertTrue((0...100).contains(number ?? -1), column, file: file, line: line)
    }
  }
}

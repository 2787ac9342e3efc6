import _TestSupport
import Foundation
import LesionCLI
import XCTest

/// Every command of the README's table, run as a new user would from a temporary folder outside
/// the checkout, on small inputs; then every JSON output's `equivalent_command` is run again from
/// another folder and must write the same bytes (issue 19: "provenance cannot be re-run").
///
/// The first code span of each table row is the command. Placeholders become small real values
/// (M: a 27-block network the `train` row trains first; K, S, N, P, R, B: small counts), brackets
/// are dropped, and each command gets small-input flags (`--limit 20`, `figures --quick`).
final class ReadmeCommandsEndToEndTests: XCTestCase {
  /// The commands of the README's table: the first code span of each row.
  static func readmeCommands() throws -> [String] {
    let readme = try String(contentsOf: BinaryRunner.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
    guard let start = readme.range(of: "\n## Commands\n") else { return [] }
    let section = readme[start.upperBound...]
    let end = section.range(of: "\n## ")?.lowerBound ?? section.endIndex
    return section[..<end].split(separator: "\n").filter { $0.hasPrefix("| `") }.compactMap { line in
      line.split(separator: "`", omittingEmptySubsequences: false).dropFirst().first.map(String.init)
    }
  }

  /// Writes a uint8 `.npy` of shape (2, 1, 28, 28) (NumPy format 1.0).
  static func writeImages(to url: URL) throws {
    var header = "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 1, 28, 28), }"
    while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
    data.append(contentsOf: [UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)])
    data.append(contentsOf: Array(header.utf8))
    data.append(contentsOf: (0..<(2 * 28 * 28)).map { UInt8(truncatingIfNeeded: $0 * 7) })
    try data.write(to: url)
  }

  func folder(_ name: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("readme-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  /// The lines of a file, without the wall time (the one value that changes between runs).
  func stableLines(_ url: URL) throws -> [Substring] {
    try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
      .filter { !$0.contains("\"wall_time_seconds\"") }
  }

  func testEveryReadmeCommandRunsAndEachEquivalentCommandReproducesItsOutput() throws {
    let commands = try Self.readmeCommands()
    let names = Set(commands.compactMap { $0.split(separator: " ").first.map(String.init) })
    XCTAssertEqual(names, Set(LesionProgram.commands.map { $0.spec.name }), "one README row per command")
    let work = try folder("run")
    let model = work.appendingPathComponent("M.safetensors").path
    try Self.writeImages(to: work.appendingPathComponent("X.npy"))
    let placeholders = [
      "M": model, "IN.pt": model, "D": "mnist-5k", "K": "2", "S": "2", "N": "2", "P": "2", "R": "1", "B": "4",
      "DIR": "figs", "PART…": "P.json",
    ]
    let small = ["--limit", "20", "--quiet"]
    let extras: [String: [String]] = [
      "train": ["--depth", "56", "--widths", "2,2,2", "--epochs", "1", "--batch-size", "10", "--quiet"],
      "drop": small, "sweep": small, "reorder": small, "rank": small, "prune": small, "interactions": small,
      "figures": ["--quick", "--per-class", "2", "--plain", "none", "--quiet"], "data": ["--limit", "20"],
    ]
    // Train first: the other rows use its model.
    let ordered = commands.filter { $0.hasPrefix("train") } + commands.filter { !$0.hasPrefix("train") }
    var outputs: [URL] = []
    for command in ordered {
      var words = command.split(separator: " ").map { word -> String in
        let bare = word.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return placeholders[bare] ?? bare
      }.filter { !$0.isEmpty }
      let name = words[0]
      guard let spec = LesionProgram.commands.first(where: { $0.spec.name == name })?.spec else {
        XCTFail("README command \(command) is not a command")
        continue
      }
      let options = spec.subcommands.isEmpty ? spec.options : spec.subcommands.first { $0.name == words[1] }?.options ?? []
      let declares = { (option: String) in options.contains { $0.name == option } }
      let measuresModel = name != "paths" || words.contains("--gradients")
      if declares("model") && measuresModel && !words.contains("--model") { words += ["--model", model] }
      var added = extras[name] ?? []
      if name == "paths" && words.contains("--gradients") { added += small }
      // Options the README command already gives keep its value.
      var index = 0
      while index < added.count {
        let isFlag = index + 1 >= added.count || added[index + 1].hasPrefix("--")
        let group = Array(added[index..<(index + (isFlag ? 1 : 2))])
        if !words.contains(group[0]) { words += group }
        index += group.count
      }
      if name == "merge" {
        // The part of a one-shard sweep, which the merge turns into the sweep's own output.
        let part = try BinaryRunner.run(["sweep", "--model", model, "--shard", "0/1", "--output", "P.json"] + small, in: work)
        XCTAssertEqual(part.status, 0, part.standardError)
      }
      let writesJSON = declares("format") && !words.contains("--output")
      if writesJSON { words += ["--output", "out-\(outputs.count).json"] }
      let result = try BinaryRunner.run(words, in: work)
      XCTAssertEqual(result.status, 0, "\(words.joined(separator: " ")): \(result.standardError)")
      guard result.status == 0 else { continue }
      if writesJSON { outputs.append(work.appendingPathComponent("out-\(outputs.count).json")) }
    }
    XCTAssertTrue(FileManager.default.fileExists(atPath: work.appendingPathComponent("L.npy").path), "predict wrote")
    XCTAssertTrue(FileManager.default.fileExists(atPath: work.appendingPathComponent("OUT.safetensors").path), "convert wrote")
    let sidecars = try FileManager.default.contentsOfDirectory(atPath: work.appendingPathComponent("figs").path)
      .filter { $0.hasSuffix(".json") }.map { work.appendingPathComponent("figs/" + $0) }
    XCTAssertEqual(sidecars.count, 2, "fig3 and fig6b")
    XCTAssertGreaterThanOrEqual(outputs.count, 10)

    // Every JSON output's equivalent command, run from another folder, writes the same bytes.
    for output in outputs + sidecars {
      let object = try JSONSerialization.jsonObject(with: Data(contentsOf: output)) as? [String: Any] ?? [:]
      guard let command = object["equivalent_command"] as? String else {
        XCTFail("\(output.lastPathComponent) has no equivalent_command")
        continue
      }
      XCTAssertFalse(command.contains("'"), "no quoting needed for these paths: \(command)")
      let words = command.split(separator: " ").map(String.init)
      XCTAssertEqual(words.first, "resnet-lesion")
      let elsewhere = try folder("again")
      let again = try BinaryRunner.run(Array(words.dropFirst()), in: elsewhere)
      XCTAssertEqual(again.status, 0, "\(command): \(again.standardError)")
      guard again.status == 0 else { continue }
      if words.contains("figures") {
        let stem = output.deletingPathExtension().lastPathComponent
        let made = try FileManager.default.contentsOfDirectory(atPath: elsewhere.appendingPathComponent("figures").path)
        XCTAssertEqual(Set(made), Set(try FileManager.default.contentsOfDirectory(atPath: output.deletingLastPathComponent().path)
          .filter { $0.hasPrefix(stem) }), command)
        for file in made {
          XCTAssertEqual(
            try stableLines(elsewhere.appendingPathComponent("figures/" + file)),
            try stableLines(output.deletingLastPathComponent().appendingPathComponent(file)), "\(file) from \(command)")
        }
      } else {
        XCTAssertEqual(
          try Data(contentsOf: elsewhere.appendingPathComponent(output.lastPathComponent)), try Data(contentsOf: output),
          "\(output.lastPathComponent) from \(command)")
      }
    }
  }
}

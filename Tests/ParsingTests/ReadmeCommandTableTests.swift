import _TestSupport
import Foundation
import XCTest

@testable import LesionCLI

/// The README's command table against the commands' own specs (issue 19: README and help
/// disagreed): every command is listed, and every flag a row mentions is a documented option of
/// that row's command.
final class ReadmeCommandTableTests: XCTestCase {
  /// One row of the table: its command path and every code span of the row.
  struct Row {
    var spans: [String]
    var line: String
  }

  /// The rows of the table in the README's "## Commands" section.
  static func rows() throws -> [Row] {
    let readme = try String(
      contentsOf: TestFiles.repositoryRoot().appendingPathComponent("README.md"), encoding: .utf8)
    guard let start = readme.range(of: "\n## Commands\n") else { return [] }
    let section = readme[start.upperBound...]
    let end = section.range(of: "\n## ")?.lowerBound ?? section.endIndex
    return section[..<end].split(separator: "\n").filter { $0.hasPrefix("| `") }.map { line in
      Row(spans: codeSpans(String(line)), line: String(line))
    }
  }

  /// The text between pairs of backticks.
  static func codeSpans(_ text: String) -> [String] {
    let parts = text.split(separator: "`", omittingEmptySubsequences: false)
    return stride(from: 1, to: parts.count, by: 2).map { String(parts[$0]) }
  }

  /// The flags (`--name`) in a code span, stripped of brackets and punctuation.
  static func flags(in span: String) -> [String] {
    span.split(whereSeparator: { $0 == " " || $0 == "[" || $0 == "]" || $0 == "=" }).compactMap { word in
      guard word.hasPrefix("--") else { return nil }
      return String(word.prefix { $0.isLetter || $0.isNumber || $0 == "-" })
    }
  }

  /// The spec a row describes: its first code span starts with a command (and subcommand).
  func spec(for row: Row) -> (name: String, spec: CommandSpec)? {
    guard let first = row.spans.first else { return nil }
    let words = first.split(separator: " ").map(String.init)
    guard let command = LesionProgram.commands.first(where: { $0.spec.name == words.first })?.spec else { return nil }
    if !command.subcommands.isEmpty, words.count > 1,
      let sub = command.subcommands.first(where: { $0.name == words[1] })
    {
      // A row like `data info` / `data fetch cifar10`: flags are checked against every subcommand.
      return ("\(command.name) \(sub.name)", CommandSpec(
        name: command.name, abstract: "", options: command.subcommands.flatMap(\.options)))
    }
    return (command.name, command)
  }

  func testEveryCommandHasARow() throws {
    let rows = try Self.rows()
    XCTAssertGreaterThanOrEqual(rows.count, LesionProgram.commands.count)
    let named = Set(rows.compactMap { spec(for: $0)?.spec.name })
    for command in LesionProgram.commands {
      XCTAssertTrue(named.contains(command.spec.name), "README's command table has no row for \(command.spec.name)")
    }
  }

  func testEveryFlagInTheTableIsInTheCommandsHelp() throws {
    var checked = 0
    for row in try Self.rows() {
      guard let (name, spec) = spec(for: row) else {
        XCTFail("a row that names no command: \(row.line)")
        continue
      }
      let documented = Set(spec.options.filter { !$0.isHidden }.map(\.flagName))
      for span in row.spans {
        for flag in Self.flags(in: span) {
          XCTAssertTrue(documented.contains(flag), "README row of '\(name)' mentions \(flag), which its help does not list")
          checked += 1
        }
      }
    }
    XCTAssertGreaterThan(checked, 30, "the table's flags were found")
  }

  func testTheCheckCatchesAnUnknownFlag() {
    // The check can fail: an older spelling (hidden) or a made-up flag is not in the help.
    let row = Row(spans: ["paths --blocks 54", "--bogus"], line: "")
    guard let (_, spec) = spec(for: row) else { return XCTFail("paths not found") }
    let documented = Set(spec.options.filter { !$0.isHidden }.map(\.flagName))
    XCTAssertEqual(row.spans.flatMap(Self.flags(in:)).filter { !documented.contains($0) }, ["--blocks", "--bogus"])
  }

  func testReadmeDocumentsTheDataVariable() throws {
    let readme = try String(
      contentsOf: TestFiles.repositoryRoot().appendingPathComponent("README.md"), encoding: .utf8)
    XCTAssertTrue(readme.contains("RESNET_LESION_DATA"))
    XCTAssertTrue(LesionProgram.program.helpText().contains("RESNET_LESION_DATA"))
  }
}

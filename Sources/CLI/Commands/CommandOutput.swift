import Basics
import Foundation
import Report
import Studies

/// The output formats every measuring command offers.
public enum OutputFormat: String, CaseIterable, Sendable {
  case table, csv, json

  /// The format a file name implies: `.csv` and `.json`; anything else (or none) is the table.
  static func inferred(from url: URL) -> OutputFormat? {
    switch url.pathExtension.lowercased() {
    case "csv": return .csv
    case "json": return .json
    case "txt", "table": return .table
    default: return nil
    }
  }
}

/// Options shared by measuring commands: `--format`, `--output`, `--quiet`.
enum CommonOptions {
  static let format = OptionSpec.option(
    "format", value: "<format>", help: "Output format: table, csv or json (default: from the --output extension, else table).")
  static let output = OptionSpec.option(
    "output", value: "<path>", help: "Write the result to this file (atomically; its folder must exist) instead of stdout.")
  static let quiet = OptionSpec.flag("quiet", help: "Print no progress on standard error.")
}

/// Where and how a command writes its result, checked before any work starts.
struct OutputTarget {
  var format: OutputFormat
  var file: URL?

  /// Reads `--format` and `--output`: the format is given or inferred from the file's extension;
  /// the file may not be a folder and its folder must exist.
  /// - Throws: `CommandLineError.invalidValue` (exit 64) for a bad format, a folder, or a missing
  ///   parent folder.
  init(_ arguments: ParsedArguments) throws {
    file = try Self.file(arguments, "output")
    format = try arguments.choice("format", as: OutputFormat.self) ?? file.flatMap(OutputFormat.inferred) ?? .table
  }

  /// The file an option names, checked before any work: not a folder, in an existing folder.
  /// - Throws: `CommandLineError.invalidValue` (exit 64).
  static func file(_ arguments: ParsedArguments, _ option: String) throws -> URL? {
    guard let file = try arguments.path(option) else { return nil }
    var isFolder: ObjCBool = false
    if FileManager.default.fileExists(atPath: file.path, isDirectory: &isFolder), isFolder.boolValue {
      throw CommandLineError.invalidValue(option: "--" + option, value: file.path, expected: "a file name, not a folder")
    }
    let parent = file.deletingLastPathComponent()
    if !FileManager.default.fileExists(atPath: parent.path, isDirectory: &isFolder) || !isFolder.boolValue {
      throw CommandLineError.invalidValue(
        option: "--" + option, value: file.path, expected: "a file in an existing folder (\(parent.path) does not exist)")
    }
    return file
  }

  /// Writes `text` to the file (atomically) or standard output.
  func write(_ text: String, context: CommandContext) throws {
    if let file {
      try AtomicFile.write(text, to: file)
    } else {
      context.write(text.hasSuffix("\n") ? text : text + "\n")
    }
  }

  /// Renders `table` in the chosen format and writes it, with its provenance (`table.metadata`)
  /// as the JSON's leading keys, the CSV's `# key: value` lines, or the text table's last lines.
  func emit(_ table: ResultTable, context: CommandContext) throws {
    switch format {
    case .table:
      var text = table
      text.notes += Provenance.footerLines(table.metadata)
      try write(text.renderedText(), context: context)
    case .csv:
      var csv = table.csv()
      csv.comments = Provenance.commentLines(table.metadata)
      try write(csv.rendered(), context: context)
    case .json: try write(table.json().encoded(pretty: true) + "\n", context: context)
    }
  }
}

/// One result in three renderings, for commands whose output is not a `ResultTable`, with the
/// same provenance a table carries.
struct CommandResult {
  var table: () -> String
  var csv: () -> CSVTable
  var json: () -> JSONValue
  /// Provenance: the JSON's leading keys, the CSV's comment lines, the text's last lines.
  var metadata: [(key: String, value: JSONValue)] = []

  /// Renders in the format chosen by `--format` (or the `--output` extension) and writes it.
  func emit(_ arguments: ParsedArguments, context: CommandContext) throws {
    try emit(try OutputTarget(arguments), context: context)
  }

  /// Renders in the target's format and writes it.
  func emit(_ target: OutputTarget, context: CommandContext) throws {
    switch target.format {
    case .table:
      let footer = Provenance.footerLines(metadata).map { $0 + "\n" }.joined()
      try target.write(table() + (footer.isEmpty ? "" : "\n" + footer), context: context)
    case .csv:
      var csv = csv()
      csv.comments = Provenance.commentLines(metadata)
      try target.write(csv.rendered(), context: context)
    case .json:
      var value = json()
      if case .object(let members) = value { value = .object(metadata + members) }
      try target.write(value.encoded(pretty: true) + "\n", context: context)
    }
  }
}

import Basics
import Foundation
import Report

/// The output formats every measuring command offers.
public enum OutputFormat: String, CaseIterable, Sendable {
  case table, csv, json
}

/// Options shared by measuring commands: `--format`, `--output`, `--quiet`.
enum CommonOptions {
  static let format = OptionSpec.option(
    "format", value: "<format>", help: "Output format: table, csv or json.", default: "table")
  static let output = OptionSpec.option(
    "output", value: "<path>", help: "Write the result to this file (atomically) instead of stdout.")
  static let quiet = OptionSpec.flag("quiet", help: "Print no progress on standard error.")
}

/// One result in three renderings; the command builds all three, the user picks one.
struct CommandResult {
  var table: () -> String
  var csv: () -> String
  var json: () -> JSONValue

  /// Renders in the format chosen by `--format` and writes it to `--output` or stdout.
  func emit(_ arguments: ParsedArguments, context: CommandContext) throws {
    let format = try arguments.choice("format", as: OutputFormat.self) ?? .table
    let text: String
    switch format {
    case .table: text = table()
    case .csv: text = csv()
    case .json: text = json().encoded(pretty: true) + "\n"
    }
    if let path = try arguments.path("output") {
      try AtomicFile.write(text, to: path)
    } else {
      context.write(text.hasSuffix("\n") ? text : text + "\n")
    }
  }
}

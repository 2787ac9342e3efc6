import Foundation
import Basics

/// The top level of the command line: dispatches `<program> <command> …` to registered commands,
/// answers `--help`, `help <command>` and `--version`, and maps errors to exit codes.
///
/// ```swift
/// let program = CommandLineProgram(name: "resnet-lesion", version: "0.1.0",
///     abstract: "Lesion studies of residual networks.", commands: [dropSpec, pathsSpec])
/// exit(program.run(Array(CommandLine.arguments.dropFirst())) { parsed in
///   switch parsed.commandName { … }
/// })
/// ```
public struct CommandLineProgram: Sendable {
  /// The executable's name, used in usage lines.
  public let name: String
  /// The version printed by `--version`.
  public let version: String
  /// A one-line summary.
  public let abstract: String
  /// Longer help text (may be empty).
  public let discussion: String
  /// The commands, in help order.
  public let commands: [CommandSpec]
  /// Example invocations without the program name, shown under EXAMPLES.
  public let examples: [String]

  /// Exit status for a usage error (`EX_USAGE`).
  public static let usageErrorStatus: Int32 = 64
  /// Exit status for any other failure.
  public static let failureStatus: Int32 = 1

  /// Creates a program.
  public init(
    name: String, version: String, abstract: String, discussion: String = "",
    commands: [CommandSpec], examples: [String] = []
  ) {
    self.name = name
    self.version = version
    self.abstract = abstract
    self.discussion = discussion
    self.commands = commands
    self.examples = examples
  }

  /// Parses the arguments after the executable's name.
  ///
  /// - Throws: `CommandLineExit` for `--help`, `-h`, `help [<command>…]` and `--version`;
  ///   `CommandLineError` for a missing or unknown command and for the command's own errors.
  public func parse(_ arguments: [String]) throws -> ParsedArguments {
    guard let first = arguments.first else {
      throw CommandLineError.missingCommand(available: commands.map(\.name))
    }
    switch first {
    case "--help", "-h":
      throw CommandLineExit.help(helpText())
    case "--version":
      throw CommandLineExit.version(version)
    case "help":
      throw CommandLineExit.help(try helpText(for: Array(arguments.dropFirst())))
    default:
      break
    }
    if CommandSpec.looksLikeOption(first) {
      throw CommandLineError.unknownOption(
        first, suggestion: CommandLineError.closest(to: first, among: ["--help", "--version"]))
    }
    guard let command = commands.first(where: { $0.name == first }) else {
      throw CommandLineError.unknownCommand(
        first,
        suggestion: CommandLineError.closest(to: first, among: commands.map(\.name) + ["help"]))
    }
    return try command.parse(Array(arguments.dropFirst()), parents: [name])
  }

  /// The top-level help screen listing the commands.
  public func helpText() -> String {
    var text = "OVERVIEW: \(abstract)\n"
    if !discussion.isEmpty {
      text += "\n" + HelpLayout.wrap(discussion, indent: 0).joined(separator: "\n") + "\n"
    }
    text += "\nUSAGE: \(name) <command> [<options>]\n\nCOMMANDS:\n"
    for command in commands { text += HelpLayout.entry(command.name, command.abstract) }
    text += "\nOPTIONS:\n"
    text += HelpLayout.entry("--version", "Show the version.")
    text += HelpLayout.entry("-h, --help", "Show help information.")
    if !examples.isEmpty {
      text += "\nEXAMPLES:\n" + examples.map { "  \(name) \($0)\n" }.joined()
    }
    text += "\n  See '\(name) help <command>' for detailed help.\n"
    return text
  }

  /// The help screen for a command path such as `["paths", "histogram"]` (empty for the top level).
  ///
  /// - Throws: `CommandLineError.unknownCommand` for an unknown name.
  public func helpText(for path: [String]) throws -> String {
    guard let first = path.first else { return helpText() }
    guard var command = commands.first(where: { $0.name == first }) else {
      throw CommandLineError.unknownCommand(
        first, suggestion: CommandLineError.closest(to: first, among: commands.map(\.name)))
    }
    var parents = [name]
    for word in path.dropFirst() {
      guard let subcommand = command.subcommands.first(where: { $0.name == word }) else {
        throw CommandLineError.unknownCommand(
          word,
          suggestion: CommandLineError.closest(to: word, among: command.subcommands.map(\.name)))
      }
      parents.append(command.name)
      command = subcommand
    }
    return command.helpText(parents: parents)
  }

  /// Parses `arguments`, runs `body`, prints help or errors, and returns the exit status.
  ///
  /// Help and version go to `standardOutput` with status 0. This is the one place that maps
  /// errors to exit codes: an error that says it is the user's fault (`UsageError`: a bad flag, a
  /// block out of range, an impossible reorder) becomes one line `Error: …` on `standardError`
  /// with status 64; any other error (files, data, runtime) becomes `Error: …` with status 1.
  public func run(
    _ arguments: [String],
    standardOutput: (String) -> Void = { FileHandle.standardOutput.write(Data($0.utf8)) },
    standardError: (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) },
    body: (ParsedArguments) throws -> Void
  ) -> Int32 {
    do {
      try body(try parse(arguments))
      return 0
    } catch {
      return CommandLineProgram.exitStatus(
        reporting: error, standardOutput: standardOutput, standardError: standardError)
    }
  }

  /// Prints what `error` says and returns the exit status it calls for: help or version text
  /// (`CommandLineExit`) on `standardOutput` with 0; `Error: …` on `standardError` with 64 for a
  /// `UsageError`, with 1 for anything else.
  public static func exitStatus(
    reporting error: Error,
    standardOutput: (String) -> Void = { FileHandle.standardOutput.write(Data($0.utf8)) },
    standardError: (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }
  ) -> Int32 {
    switch error {
    case let exit as CommandLineExit:
      let text = exit.text
      standardOutput(text.hasSuffix("\n") ? text : text + "\n")
      return 0
    case is UsageError:
      standardError("Error: \(error)\n")
      return usageErrorStatus
    default:
      standardError("Error: \(error)\n")
      return failureStatus
    }
  }

  /// Runs `body` and returns its value; if it throws, ends the process as `run` would report the
  /// error (`exitStatus(reporting:)`). For single-command executables such as the benchmarks,
  /// which parse with `CommandSpec.parse(_:parents: [])` and run outside a `run` body.
  public static func valueOrExit<T>(_ body: () throws -> T) -> T {
    do { return try body() } catch { exit(exitStatus(reporting: error)) }
  }
}

import Basics
import Foundation
import Studies

/// `resnet-lesion merge PART…`: the output of a sharded run, byte-identical to the unsharded run's.
enum MergeCommand: LesionCommand {
  static let spec = CommandSpec(
    name: "merge",
    abstract: "Merge the part files of a sharded run into the output of the unsharded run.",
    discussion:
      "Checks that the parts belong to one run (same command and options, tool version, model SHA-256 and data fingerprint) with every shard exactly once, then replays the command on their evaluations: the table, CSV or JSON is byte-identical to the unsharded run's. Model and data are loaded again (to check them and for provenance); nothing is evaluated. Parts of 'figures' are merged into the folder --output.",
    options: [CommonOptions.format, CommonOptions.output, CommonOptions.quiet],
    arguments: [ArgumentSpec("part", help: "Part files written by the shards (--shard I/N --output PART).", variadic: true)],
    examples: [
      "merge part-0.json part-1.json part-2.json part-3.json --output sweep.csv",
      "merge parts/sweep-*.json --format json --output sweep.json",
      "merge figures-0.json figures-1.json figures-2.json --output figures",
    ])

  static func run(_ arguments: ParsedArguments, context: CommandContext) throws {
    _ = try OutputTarget(arguments)
    let files = arguments.variadicArguments
    let parts = try files.map { file in (file: file, part: try PartFile.read(URL(fileURLWithPath: file))) }
    let merged = try PartSet(parts)
    let (path, values, flags) = try command(of: merged.identity, file: files[0])
    guard let name = path.last, let command = LesionProgram.commands.first(where: { $0.spec.name == name }) else {
      throw ShardFileError.invalid(file: files[0], key: "run.command", expected: "a resnet-lesion command", found: path.joined(separator: " "))
    }
    for name in Array(values.keys) + Array(flags) where !command.spec.options.contains(where: { $0.name == name }) {
      throw ShardFileError.invalid(file: files[0], key: "run.options", expected: "options of '\(command.spec.name)'", found: "--\(name)")
    }
    var replayed = values
    for name in ["format", "output"] { replayed[name] = arguments.values[name] }
    let parsed = ParsedArguments(
      commandPath: path, options: command.spec.options, values: replayed,
      flags: arguments.flags.contains("quiet") ? flags.union(["quiet"]) : flags, arguments: [:])
    let replay = CommandContext(write: context.write, writeError: context.writeError, errorIsTerminal: context.errorIsTerminal)
    replay.mergedParts = merged
    try command.run(parsed, context: replay)
  }

  /// The command path, option values and flags a run's identity records.
  static func command(of identity: JSONValue, file: String) throws -> (path: [String], values: [String: [String]], flags: Set<String>) {
    func strings(_ value: JSONValue?) -> [String]? {
      guard case .array(let elements) = value else { return nil }
      let texts = elements.compactMap(\.stringValue)
      return texts.count == elements.count ? texts : nil
    }
    guard let path = strings(identity["command"]), path.count >= 2, let flags = strings(identity["flags"]),
      case .object(let options) = identity["options"]
    else {
      throw ShardFileError.invalid(file: file, key: "run", expected: "command, options and flags", found: "something else")
    }
    var values: [String: [String]] = [:]
    for (name, value) in options {
      guard let list = strings(value) else {
        throw ShardFileError.invalid(file: file, key: "run.options.\(name)", expected: "a list of strings", found: value.encoded(pretty: false))
      }
      values[name] = list
    }
    return (path, values, Set(flags))
  }
}

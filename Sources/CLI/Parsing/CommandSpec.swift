import Foundation

/// A declared option (`--name <value>`) or flag (`--quiet`) of a command.
public struct OptionSpec: Sendable, Equatable {
  /// Whether the option takes a value.
  public enum Kind: Sendable, Equatable {
    /// `--name <value>` or `--name=<value>`; `valueName` is shown in help, e.g. `<path>`.
    case option(valueName: String)
    /// `--name`, present or absent.
    case flag
  }

  /// The long name without dashes (`blocks` for `--blocks`).
  public let name: String
  /// An optional one-letter short name (`m` for `-m`).
  public let shortName: Character?
  /// Option or flag.
  public let kind: Kind
  /// A one-line description for help.
  public let help: String
  /// The value used when the option is absent; shown in help as `(default: …)`.
  public let defaultValue: String?
  /// Text shown in help as `(default: …)` when there is no literal default value
  /// (e.g. `bundled resnet110`); accessors return `nil` when the option is absent.
  public let defaultDescription: String?
  /// Whether the option may be given several times (values accumulate).
  public let isRepeatable: Bool
  /// Whether the option must be given.
  public let isRequired: Bool
  /// Older spellings (without dashes) accepted for one release and not shown in help; a value
  /// given under an alias is stored under `name`.
  public var aliases: [String] = []
  /// Whether help leaves the option out (an older option kept for one release).
  public var isHidden = false

  /// The option as written on the command line, `--name`.
  public var flagName: String { "--" + name }

  /// This option, also accepting the hidden older spellings `names` (`--random` for `--deleted`).
  public func aliased(_ names: String...) -> OptionSpec {
    var copy = self
    copy.aliases += names
    return copy
  }

  /// This option, accepted but left out of help (an older option kept for one release).
  public func hidden() -> OptionSpec {
    var copy = self
    copy.isHidden = true
    return copy
  }

  /// Whether `--word` names this option, by its name or an alias.
  func answers(to word: Substring) -> Bool { word == name || aliases.contains { word == $0 } }

  /// The value placeholder (`<path>`), empty for flags.
  public var valueName: String {
    if case .option(let valueName) = kind { return valueName }
    return ""
  }

  /// An option taking a value.
  ///
  /// - Parameters:
  ///   - name: the long name without dashes.
  ///   - short: an optional one-letter short name.
  ///   - value: the value placeholder for help (`<path>`, `<n>`, `<list>`).
  ///   - help: a one-line description.
  ///   - default: a value used when the option is absent (parsed like a given value).
  ///   - defaultDescription: help text for a default that is not a literal value.
  ///   - repeatable: whether the option may be given several times.
  ///   - required: whether the option must be given.
  public static func option(
    _ name: String, short: Character? = nil, value: String = "<value>", help: String,
    default defaultValue: String? = nil, defaultDescription: String? = nil,
    repeatable: Bool = false, required: Bool = false
  ) -> OptionSpec {
    OptionSpec(
      name: name, shortName: short, kind: .option(valueName: value), help: help,
      defaultValue: defaultValue, defaultDescription: defaultDescription,
      isRepeatable: repeatable, isRequired: required)
  }

  /// A flag: present or absent.
  public static func flag(_ name: String, short: Character? = nil, help: String) -> OptionSpec {
    OptionSpec(
      name: name, shortName: short, kind: .flag, help: help, defaultValue: nil,
      defaultDescription: nil, isRepeatable: false, isRequired: false)
  }
}

/// A declared positional argument of a command, e.g. `<checkpoint>`.
public struct ArgumentSpec: Sendable, Equatable {
  /// The name shown in help, without angle brackets.
  public let name: String
  /// A one-line description for help.
  public let help: String
  /// Whether the argument may be left out.
  public let isOptional: Bool
  /// Whether the argument takes every remaining word (`merge PART…`); only the last may.
  public let isVariadic: Bool

  /// Creates a positional argument.
  public init(_ name: String, help: String, optional: Bool = false, variadic: Bool = false) {
    self.name = name
    self.help = help
    self.isOptional = optional
    self.isVariadic = variadic
  }
}

/// A command (or subcommand) of the program: its name, help texts, options and arguments.
///
/// ```swift
/// let spec = CommandSpec(name: "drop", abstract: "Delete residual blocks and measure the error.",
///     options: [.option("blocks", value: "<list>", help: "Blocks to delete, e.g. 5,9 or 10-18."),
///               .flag("quiet", help: "Print only the result.")])
/// let parsed = try spec.parse(arguments)
/// let blocks = try parsed.blockList("blocks")
/// ```
public struct CommandSpec: Sendable {
  /// The command name as typed.
  public let name: String
  /// A one-line summary.
  public let abstract: String
  /// Longer help text shown after the overview (may be empty).
  public let discussion: String
  /// The options and flags, in help order.
  public let options: [OptionSpec]
  /// The positional arguments, in order.
  public let arguments: [ArgumentSpec]
  /// Subcommands (`resnet-lesion <command> <subcommand>`); a command with subcommands takes no
  /// options or arguments of its own.
  public let subcommands: [CommandSpec]
  /// Example invocations without the program name (`drop --blocks 5,9`), shown under EXAMPLES.
  public let examples: [String]

  /// Creates a command.
  public init(
    name: String, abstract: String, discussion: String = "", options: [OptionSpec] = [],
    arguments: [ArgumentSpec] = [], subcommands: [CommandSpec] = [], examples: [String] = []
  ) {
    self.name = name
    self.abstract = abstract
    self.discussion = discussion
    self.options = options
    self.arguments = arguments
    self.subcommands = subcommands
    self.examples = examples
  }

  /// Parses the arguments that follow the command name.
  ///
  /// Accepts `--name value`, `--name=value`, `-n value`, `-nvalue`, flags, repeated options, and
  /// `--` to end options. A value may start with `-` only if it is a number (`--offset -3`) or
  /// given with `=`. `--help`/`-h` anywhere before `--` asks for help.
  /// - Parameter parents: the words before this command, for usage lines
  ///   (`["resnet-lesion"]` for a top-level command).
  /// - Throws: `CommandLineExit.help` for a help request, `CommandLineError` for mistakes.
  /// - Complexity: O(arguments · options).
  public func parse(_ arguments: [String], parents: [String] = ["resnet-lesion"]) throws
    -> ParsedArguments
  {
    let path = parents + [name]
    let optionsEnd = arguments.firstIndex(of: "--") ?? arguments.count
    if !subcommands.isEmpty {
      guard let first = arguments.first else {
        throw CommandLineError.missingCommand(available: subcommands.map(\.name))
      }
      if first == "--help" || first == "-h" {
        throw CommandLineExit.help(helpText(parents: parents))
      }
      if first.hasPrefix("-") {
        throw CommandLineError.unknownOption(
          first, suggestion: CommandLineError.closest(to: first, among: ["--help"]))
      }
      guard let subcommand = subcommands.first(where: { $0.name == first }) else {
        throw CommandLineError.unknownCommand(
          first, suggestion: CommandLineError.closest(to: first, among: subcommands.map(\.name)))
      }
      return try subcommand.parse(Array(arguments.dropFirst()), parents: path)
    }
    if arguments[..<optionsEnd].contains(where: { $0 == "--help" || $0 == "-h" }) {
      throw CommandLineExit.help(helpText(parents: parents))
    }

    var values: [String: [String]] = [:]
    var flags = Set<String>()
    var positional: [String] = []
    var index = 0
    var optionsEnded = false
    while index < arguments.count {
      let argument = arguments[index]
      index += 1
      if optionsEnded || !CommandSpec.looksLikeOption(argument) {
        positional.append(argument)
        continue
      }
      if argument == "--" {
        optionsEnded = true
        continue
      }
      let (spec, inlineValue) = try resolve(argument)
      switch spec.kind {
      case .flag:
        if let value = inlineValue {
          throw CommandLineError.invalidValue(
            option: spec.flagName, value: value, expected: "no value (it is a flag)")
        }
        guard flags.insert(spec.name).inserted else {
          throw CommandLineError.duplicateOption(spec.flagName)
        }
      case .option(let valueName):
        let value: String
        if let inlineValue = inlineValue {
          value = inlineValue
        } else if index < arguments.count && !CommandSpec.looksLikeOption(arguments[index]) {
          value = arguments[index]
          index += 1
        } else {
          throw CommandLineError.missingValue(option: spec.flagName, valueName: valueName)
        }
        if values[spec.name] != nil && !spec.isRepeatable {
          throw CommandLineError.duplicateOption(spec.flagName)
        }
        values[spec.name, default: []].append(value)
      }
    }

    var named: [String: String] = [:]
    var variadicValues: [String] = []
    for (offset, value) in positional.enumerated() {
      if let last = self.arguments.last, last.isVariadic, offset >= self.arguments.count - 1 {
        if offset == self.arguments.count - 1 { named[last.name] = value }
        variadicValues.append(value)
        continue
      }
      guard offset < self.arguments.count else { throw CommandLineError.unexpectedArgument(value) }
      named[self.arguments[offset].name] = value
    }
    for argument in self.arguments.dropFirst(positional.count) where !argument.isOptional {
      throw CommandLineError.missingArgument("<\(argument.name)>")
    }
    for option in options where option.isRequired && values[option.name] == nil {
      throw CommandLineError.missingOption(option: option.flagName, valueName: option.valueName)
    }
    return ParsedArguments(
      commandPath: path, options: options, values: values, flags: flags, arguments: named,
      variadicArguments: variadicValues)
  }

  /// Whether `argument` is an option word rather than a value: it starts with `-`, is longer than
  /// `-`, and is not a negative number.
  static func looksLikeOption(_ argument: String) -> Bool {
    guard argument.hasPrefix("-"), argument.count > 1 else { return false }
    return Double(argument) == nil
  }

  /// Finds the declared option for an option word, with any `=value` or attached short value.
  private func resolve(_ argument: String) throws -> (OptionSpec, String?) {
    if argument.hasPrefix("--") {
      let body = argument.dropFirst(2)
      let name: Substring
      var inlineValue: String?
      if let equals = body.firstIndex(of: "=") {
        name = body[..<equals]
        inlineValue = String(body[body.index(after: equals)...])
      } else {
        name = body
      }
      guard let spec = options.first(where: { $0.answers(to: name) }) else {
        let written = "--" + name
        throw CommandLineError.unknownOption(
          written,
          suggestion: CommandLineError.closest(
            to: written, among: options.filter { !$0.isHidden }.map(\.flagName) + ["--help"]))
      }
      return (spec, inlineValue)
    }
    let letter = argument[argument.index(after: argument.startIndex)]
    let rest = String(argument.dropFirst(2))
    guard let spec = options.first(where: { $0.shortName == letter }) else {
      // Every one-letter option is one edit from every other: no suggestion.
      throw CommandLineError.unknownOption(argument, suggestion: nil)
    }
    if spec.kind == .flag && !rest.isEmpty {
      throw CommandLineError.unknownOption(argument, suggestion: "-\(letter)")
    }
    return (spec, rest.isEmpty ? nil : (rest.hasPrefix("=") ? String(rest.dropFirst()) : rest))
  }
}

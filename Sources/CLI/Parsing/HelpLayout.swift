import Foundation

/// Builds help screens in the layout of swift-argument-parser: OVERVIEW, USAGE, ARGUMENTS,
/// OPTIONS (or COMMANDS), with descriptions aligned in a column and wrapped at 80 characters.
enum HelpLayout {
  static let lineWidth = 80
  static let labelColumn = 26

  /// Wraps `text` to `lineWidth`, indenting every line by `indent` spaces.
  static func wrap(_ text: String, indent: Int) -> [String] {
    var lines: [String] = []
    for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
      var line = ""
      for word in paragraph.split(separator: " ") {
        if !line.isEmpty && indent + line.count + 1 + word.count > lineWidth {
          lines.append(String(repeating: " ", count: indent) + line)
          line = ""
        }
        line += (line.isEmpty ? "" : " ") + word
      }
      lines.append(line.isEmpty ? "" : String(repeating: " ", count: indent) + line)
    }
    return lines
  }

  /// One entry of a two-column list: `  label` then the description at `labelColumn`, on the next
  /// line when the label is too long.
  static func entry(_ label: String, _ description: String) -> String {
    let prefix = "  " + label
    var wrapped = wrap(description, indent: labelColumn)
    if wrapped.isEmpty { return prefix + "\n" }
    if prefix.count + 2 <= labelColumn {
      let first = wrapped.removeFirst().dropFirst(labelColumn)
      let head = prefix + String(repeating: " ", count: labelColumn - prefix.count) + first
      return ([head] + wrapped).joined(separator: "\n") + "\n"
    }
    return prefix + "\n" + wrapped.joined(separator: "\n") + "\n"
  }

  /// The left column for an option: `-m, --model <path>`.
  static func label(for option: OptionSpec) -> String {
    var text = option.shortName.map { "-\($0), " } ?? ""
    text += option.flagName
    if case .option(let valueName) = option.kind { text += " " + valueName }
    return text
  }

  /// The usage synopsis of an option: `--model <path>` or `[--quiet]` or `[--k <n> ...]`.
  static func synopsis(of option: OptionSpec) -> String {
    var text = option.flagName
    if case .option(let valueName) = option.kind { text += " " + valueName }
    if option.isRepeatable { text += " ..." }
    return option.isRequired ? text : "[" + text + "]"
  }
}

extension CommandSpec {
  /// The help screen for this command.
  ///
  /// - Parameter parents: the words before the command name (`["resnet-lesion"]`).
  public func helpText(parents: [String] = ["resnet-lesion"]) -> String {
    let path = (parents + [name]).joined(separator: " ")
    var text = "OVERVIEW: \(abstract)\n"
    if !discussion.isEmpty {
      text += "\n" + HelpLayout.wrap(discussion, indent: 0).joined(separator: "\n") + "\n"
    }
    if !subcommands.isEmpty {
      text += "\nUSAGE: \(path) <subcommand>\n\nSUBCOMMANDS:\n"
      for subcommand in subcommands {
        text += HelpLayout.entry(subcommand.name, subcommand.abstract)
      }
      text += "\nOPTIONS:\n" + HelpLayout.entry("-h, --help", "Show help information.")
      text += examplesSection(parents: parents)
      text += "\n  See '\(path) <subcommand> --help' for detailed help.\n"
      return text
    }
    let shown = options.filter { !$0.isHidden }
    var usage = ([path] + shown.map(HelpLayout.synopsis(of:))).joined(separator: " ")
    if usage.count + 7 > HelpLayout.lineWidth {
      let required = shown.filter(\.isRequired).map(HelpLayout.synopsis(of:))
      usage = ([path] + required + ["[<options>]"]).joined(separator: " ")
    }
    for argument in arguments {
      let word = "<\(argument.name)>" + (argument.isVariadic ? "…" : "")
      usage += argument.isOptional ? " [\(word)]" : " \(word)"
    }
    text += "\nUSAGE: \(usage)\n"
    if !arguments.isEmpty {
      text += "\nARGUMENTS:\n"
      for argument in arguments { text += HelpLayout.entry("<\(argument.name)>", argument.help) }
    }
    text += "\nOPTIONS:\n"
    for option in shown {
      var description = option.help
      if let defaultText = option.defaultValue ?? option.defaultDescription {
        description += " (default: \(defaultText))"
      }
      if option.isRepeatable { description += " (can be repeated)" }
      text += HelpLayout.entry(HelpLayout.label(for: option), description)
    }
    text += HelpLayout.entry("-h, --help", "Show help information.")
    text += examplesSection(parents: parents)
    return text
  }

  /// `EXAMPLES:` with one indented line per example, prefixed by the program name.
  func examplesSection(parents: [String]) -> String {
    guard !examples.isEmpty else { return "" }
    let program = parents.first ?? name  // no parents: the command is the program
    return "\nEXAMPLES:\n" + examples.map { "  \(program) \($0)\n" }.joined()
  }
}

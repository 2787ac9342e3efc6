import Foundation

/// The result of parsing a command line: which command, and typed access to its options.
///
/// Accessors return the given value, else the option's `defaultValue`, else `nil`; they convert
/// and check the value and throw `CommandLineError.invalidValue` naming the accepted form.
public struct ParsedArguments: Sendable {
  /// The words naming the command, e.g. `["resnet-lesion", "drop"]`.
  public let commandPath: [String]
  /// The options the command declares.
  public let options: [OptionSpec]
  /// The values given for each option name, in order.
  public let values: [String: [String]]
  /// The names of the flags that were given.
  public let flags: Set<String>
  /// The positional arguments, by declared name.
  public let arguments: [String: String]
  /// Every value of a variadic last argument (`merge a.json b.json`), in order.
  public var variadicArguments: [String] = []

  /// The command's name (the last word of `commandPath`).
  public var commandName: String { commandPath.last ?? "" }

  private func spec(_ name: String) throws -> OptionSpec {
    guard let spec = options.first(where: { $0.name == name }) else {
      throw CommandLineError.undeclaredOption("--" + name)
    }
    return spec
  }

  /// Whether the command declares the option (for helpers shared by several commands).
  public func declares(_ name: String) -> Bool { options.contains { $0.name == name } }

  /// Whether the option or flag was given on the command line (defaults do not count).
  ///
  /// - Throws: `CommandLineError.undeclaredOption` if the command does not declare it.
  public func wasGiven(_ name: String) throws -> Bool {
    _ = try spec(name)
    return values[name] != nil || flags.contains(name)
  }

  /// Whether a flag was given.
  ///
  /// - Throws: `CommandLineError.undeclaredOption`.
  public func flag(_ name: String) throws -> Bool {
    _ = try spec(name)
    return flags.contains(name)
  }

  /// The option's value (the last one if repeated), its default, or `nil`.
  ///
  /// - Throws: `CommandLineError.undeclaredOption`.
  public func string(_ name: String) throws -> String? {
    let spec = try spec(name)
    return values[name]?.last ?? spec.defaultValue
  }

  /// Every value given for a repeatable option, in order (the default alone if none was given).
  ///
  /// - Throws: `CommandLineError.undeclaredOption`.
  public func strings(_ name: String) throws -> [String] {
    let spec = try spec(name)
    return values[name] ?? spec.defaultValue.map { [$0] } ?? []
  }

  /// The positional argument's value, or `nil` if an optional argument was left out.
  public func argument(_ name: String) -> String? { arguments[name] }

  /// The option's value as an integer, checked against `range`.
  ///
  /// - Throws: `CommandLineError.invalidValue` ("an integer in 1…4096"), `.undeclaredOption`.
  public func int(_ name: String, in range: ClosedRange<Int>? = nil) throws -> Int? {
    guard let text = try string(name) else { return nil }
    let expected = range.map { "an integer in \($0.lowerBound)…\($0.upperBound)" } ?? "an integer"
    guard let value = Int(text.trimmingCharacters(in: .whitespaces)), range?.contains(value) ?? true
    else {
      throw CommandLineError.invalidValue(option: "--" + name, value: text, expected: expected)
    }
    return value
  }

  /// The option's value as a finite `Double`, checked against `range`.
  ///
  /// - Throws: `CommandLineError.invalidValue` ("a number in 0…1"), `.undeclaredOption`.
  public func double(_ name: String, in range: ClosedRange<Double>? = nil) throws -> Double? {
    guard let text = try string(name) else { return nil }
    let expected = range.map { "a number in \($0.lowerBound)…\($0.upperBound)" } ?? "a number"
    guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite,
      range?.contains(value) ?? true
    else {
      throw CommandLineError.invalidValue(option: "--" + name, value: text, expected: expected)
    }
    return value
  }

  /// The option's value as one of an enumeration's raw values (`--format csv|json|table`).
  ///
  /// - Throws: `CommandLineError.invalidValue` listing the accepted values (`one of csv|json|table`).
  public func choice<Choice: CaseIterable & RawRepresentable>(_ name: String, as type: Choice.Type)
    throws -> Choice? where Choice.RawValue == String
  {
    guard let text = try string(name) else { return nil }
    guard let value = Choice(rawValue: text) else {
      let accepted = Choice.allCases.map(\.rawValue).joined(separator: "|")
      throw CommandLineError.invalidValue(
        option: "--" + name, value: text, expected: "one of \(accepted)")
    }
    return value
  }

  /// The option's value as a file URL (`~` expanded, relative paths against the current folder).
  ///
  /// - Parameter mustExist: also require that something exists at the path.
  /// - Throws: `CommandLineError.invalidValue` for an empty path or a missing file.
  public func path(_ name: String, mustExist: Bool = false) throws -> URL? {
    guard let text = try string(name) else { return nil }
    guard !text.isEmpty else {
      throw CommandLineError.invalidValue(option: "--" + name, value: text, expected: "a path")
    }
    let expanded = NSString(string: text).expandingTildeInPath
    let url = URL(fileURLWithPath: expanded).standardizedFileURL
    if mustExist && !FileManager.default.fileExists(atPath: url.path) {
      throw CommandLineError.invalidValue(
        option: "--" + name, value: text, expected: "an existing file")
    }
    return url
  }

  /// The option's value as a block list (`5,9`, `10-18`, `1,3-5,9`), not yet checked against a
  /// block count (see `BlockList.validate(blockCount:)`).
  ///
  /// - Throws: `CommandLineError.invalidBlockList`, `.undeclaredOption`.
  public func blockList(_ name: String) throws -> BlockList? {
    guard let text = try string(name) else { return nil }
    return try BlockList(parsing: text, option: "--" + name)
  }

  /// The option's value as a list of integers with ranges (`0-20`, `1,2,4,8`), each in `range`.
  ///
  /// - Throws: `CommandLineError.invalidValue` naming the problem, `.undeclaredOption`.
  public func integerList(_ name: String, in range: ClosedRange<Int>, allowingRepeats: Bool = false) throws -> [Int]? {
    guard let text = try string(name) else { return nil }
    let expected = "a list like 1,2,5-8 of integers in \(range.lowerBound)…\(range.upperBound)"
    let values: [Int]
    do {
      values = try IntegerList.parse(text, minimum: range.lowerBound, allowingRepeats: allowingRepeats)
    } catch let problem as BlockListProblem {
      throw CommandLineError.invalidValue(
        option: "--" + name, value: text, expected: "\(expected) (\(problem))")
    }
    if let outside = values.first(where: { !range.contains($0) }) {
      throw CommandLineError.invalidValue(
        option: "--" + name, value: text, expected: "\(expected) (\(outside) is outside)")
    }
    return values
  }
}

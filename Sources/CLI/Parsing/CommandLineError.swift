import Foundation
import Basics

/// A mistake in the command line. The executable prints `Error: <description>` on standard error
/// and exits with status 64 (`EX_USAGE`).
public enum CommandLineError: UsageError, Equatable, CustomStringConvertible {
  /// No command was given to a program (or command) that needs one.
  case missingCommand(available: [String])
  /// The command name is not known; `suggestion` is the closest known name, if any is close.
  case unknownCommand(String, suggestion: String?)
  /// The option is not declared by the command; `suggestion` is the closest declared option.
  case unknownOption(String, suggestion: String?)
  /// An option that takes a value was last on the line or followed by another option.
  case missingValue(option: String, valueName: String)
  /// A required option was not given.
  case missingOption(option: String, valueName: String)
  /// A positional argument was given that the command does not take.
  case unexpectedArgument(String)
  /// A required positional argument was not given.
  case missingArgument(String)
  /// The value of an option does not have the accepted form.
  case invalidValue(option: String, value: String, expected: String)
  /// A non-repeatable option was given more than once.
  case duplicateOption(String)
  /// A block list such as `1,3-5,9` is malformed.
  case invalidBlockList(option: String?, text: String, problem: BlockListProblem)
  /// A block number exceeds the network's block count.
  case blockOutOfRange(option: String?, block: Int, blockCount: Int)
  /// The program asked for an option its command does not declare (a bug, not a user mistake).
  case undeclaredOption(String)

  /// One human-readable line, without the `Error: ` prefix.
  public var description: String {
    switch self {
    case .missingCommand(let available):
      return "missing command; expected one of: " + available.joined(separator: ", ")
    case .unknownCommand(let name, let suggestion):
      return "unknown command '\(name)'" + CommandLineError.hint(suggestion)
    case .unknownOption(let name, let suggestion):
      return "unknown option '\(name)'" + CommandLineError.hint(suggestion)
    case .missingValue(let option, let valueName):
      return "missing value for '\(option) \(valueName)'"
    case .missingOption(let option, let valueName):
      return "missing required option '\(option) \(valueName)'"
    case .unexpectedArgument(let argument):
      return "unexpected argument '\(argument)'"
    case .missingArgument(let name):
      return "missing argument '\(name)'"
    case .invalidValue(let option, let value, let expected):
      return "invalid value '\(value)' for '\(option)': expected \(expected)"
    case .duplicateOption(let option):
      return "option '\(option)' was given more than once"
    case .invalidBlockList(let option, let text, let problem):
      let source = option.map { " for '\($0)'" } ?? ""
      return "invalid block list '\(text)'\(source): \(problem)"
    case .blockOutOfRange(let option, let block, let blockCount):
      return Self.blockOutOfRangeMessage(block: block, option: option, blockCount: blockCount)
    case .undeclaredOption(let name):
      return "internal error: the command reads option '\(name)', which it does not declare"
    }
  }

  private static func hint(_ suggestion: String?) -> String {
    suggestion.map { "; did you mean '\($0)'?" } ?? ""
  }

  /// The candidate closest to `word` by edit distance, if it is close enough to be a likely typo
  /// (distance ≤ 2, or ≤ a third of the length for long words) or `word` is a prefix of it.
  ///
  /// - Complexity: O(candidates · word length · candidate length).
  public static func closest(to word: String, among candidates: [String]) -> String? {
    var best: (candidate: String, distance: Int)?
    let limit = max(2, word.count / 3)
    for candidate in candidates {
      let distance = editDistance(word, candidate)
      let isPrefix = word.count >= 3 && candidate.hasPrefix(word)
      guard distance <= limit || isPrefix else { continue }
      let score = isPrefix ? min(distance, 1) : distance
      if let current = best, current.distance <= score { continue }
      best = (candidate, score)
    }
    return best?.candidate
  }

  /// The Levenshtein distance between two strings (by `Character`).
  static func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
      current[0] = i
      for j in 1...b.count {
        let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
        current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
      }
      swap(&previous, &current)
    }
    return previous[b.count]
  }
}

/// What is wrong with a block list.
public enum BlockListProblem: Error, Equatable, Sendable, CustomStringConvertible {
  /// The list has no items at all.
  case empty
  /// An item between commas is empty (`1,,3`); `position` counts items from 1.
  case emptyItem(position: Int)
  /// An item is not a number or a range of numbers.
  case notANumber(String)
  /// A number is below the smallest allowed value (1 for blocks).
  case belowMinimum(Int, minimum: Int)
  /// A range runs backwards (`5-3`).
  case reversedRange(Int, Int)
  /// A number appears twice (directly or inside ranges).
  case duplicate(Int)

  /// One human-readable phrase.
  public var description: String {
    switch self {
    case .empty: return "the list is empty"
    case .emptyItem(let position): return "item \(position) is empty"
    case .notANumber(let item): return "'\(item)' is not a number or a range like 10-18"
    case .belowMinimum(let value, let minimum):
      return minimum == 1
        ? "block \(value) is not positive (blocks are numbered from 1)"
        : "\(value) is below the minimum \(minimum)"
    case .reversedRange(let low, let high):
      return "range \(low)-\(high) is reversed (write \(high)-\(low))"
    case .duplicate(let value): return "\(value) appears more than once"
    }
  }
}

/// Not an error: the user asked for help or the version. The caller prints `text` on standard
/// output and exits with status 0.
public enum CommandLineExit: Error, Equatable, CustomStringConvertible {
  /// `--help`, `-h` or `help <command>`: the generated help text.
  case help(String)
  /// `--version`: the version line.
  case version(String)

  /// The text to print.
  public var text: String {
    switch self {
    case .help(let text), .version(let text): return text
    }
  }

  /// The text to print.
  public var description: String { text }
}

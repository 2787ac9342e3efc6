import Basics
import Foundation

/// One CSV field: text, an integer, a number with its format, or missing.
public enum CSVValue: Equatable, Sendable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
  /// Text, quoted as needed.
  case text(String)
  /// An integer, in decimal.
  case integer(Int)
  /// A number written with `format`.
  case number(Double, NumberFormat)
  /// An empty field.
  case missing

  /// A number in the shortest round-trip form.
  public static func number(_ value: Double) -> CSVValue { .number(value, .shortest) }

  /// A text literal.
  public init(stringLiteral value: String) { self = .text(value) }
  /// An integer literal.
  public init(integerLiteral value: Int) { self = .integer(value) }

  /// The unquoted field text.
  public var text: String {
    switch self {
    case .text(let value): return value
    case .integer(let value): return String(value)
    case .number(let value, let format): return format.string(value)
    case .missing: return ""
    }
  }
}

/// Writes CSV as RFC 4180 describes it, with `\n` line ends.
///
/// A field is quoted when it contains a comma, a double quote, CR or LF; double quotes inside a
/// quoted field are doubled. Everything else (including leading spaces) is written verbatim.
public enum CSVWriter {
  /// The field as it appears in the file, quoted if needed.
  public static func escape(_ field: String) -> String {
    let needsQuotes = field.contains {
      $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n"
    }
    guard needsQuotes else { return field }
    return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }

  /// One record: the escaped fields joined by commas, followed by `\n`.
  public static func line(_ fields: [String]) -> String {
    fields.map(escape).joined(separator: ",") + "\n"
  }
}

/// A CSV table: a header row and records of the same width.
public struct CSVTable: Sendable {
  /// The column names.
  public var header: [String]
  /// Lines written before the header, each prefixed with `# ` (provenance as `key: value`); a
  /// reader skips them with pandas' `comment='#'` or R's `comment.char = "#"`.
  public var comments: [String] = []
  /// The records, each with `header.count` fields.
  public private(set) var rows: [[CSVValue]] = []

  /// Creates an empty table with the given column names.
  public init(header: [String]) {
    self.header = header
  }

  /// Appends a record; missing fields are left empty and extra fields are dropped.
  public mutating func addRow(_ values: [CSVValue]) {
    rows.append(values.fitted(to: header.count, filling: .missing))
  }

  /// The whole file: comment lines, header, then records, each line ending in `\n`.
  ///
  /// - Complexity: O(total characters).
  public func rendered() -> String {
    var output = ""
    for comment in comments {
      output += "# " + comment.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ") + "\n"
    }
    output += CSVWriter.line(header)
    for row in rows { output += CSVWriter.line(row.map(\.text)) }
    return output
  }

  /// Writes the table to `url` atomically (see `AtomicFile`).
  ///
  /// - Throws: `AtomicFileError` when the folder or file cannot be written.
  public func write(to url: URL) throws {
    try AtomicFile.write(rendered(), to: url)
  }
}

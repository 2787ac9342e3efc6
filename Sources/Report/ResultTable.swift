import Basics
import Foundation

/// One experiment's result as rows under one schema, rendered alike as a text table, CSV and JSON.
///
/// Column names carry their unit (`error_fraction`, `mean_loss_nats`, `path_length_k_blocks`) and
/// are the same in all three renderings: the text table's header, the CSV header and the keys of
/// each JSON row. Each column's `Style` fixes how its numbers are written, so a table prints a
/// fraction with four decimals everywhere and a p-value with three significant digits everywhere.
///
/// ```
/// deleted_blocks  error_fraction  error_change_fraction  mcnemar_p
/// --------------  --------------  ---------------------  ---------
/// 5 9                     0.0210                 0.0010      0.625
/// ```
public struct ResultTable: Sendable {
  /// How a column's values are written.
  public enum Style: Sendable, Equatable {
    /// Free text, left-aligned.
    case text
    /// Integers.
    case integer
    /// A fraction in [0, 1] or a difference of fractions: 4 decimals in the table, 6 in CSV.
    case fraction
    /// A real number: `digits` significant digits in the table, shortest round-trip in CSV.
    case significant(Int)
    /// A number with a fixed count of decimals in the table and in CSV.
    case fixed(Int)
  }

  /// A column: its name (with unit) and style.
  public struct Column: Sendable, Equatable {
    /// The name in every rendering, with its unit (`error_fraction`).
    public var name: String
    /// How values are written.
    public var style: Style

    /// Creates a column.
    public init(_ name: String, _ style: Style) {
      self.name = name
      self.style = style
    }
  }

  /// One cell.
  public enum Value: Sendable, Equatable {
    /// Text.
    case text(String)
    /// An integer.
    case integer(Int)
    /// A real number (written per the column's style; non-finite is `nan`/`inf` or JSON `null`).
    case number(Double)
    /// A list of integers (block numbers), written `5 9` in text and CSV, an array in JSON.
    case integers([Int])
    /// No value (an empty cell, JSON `null`).
    case missing
  }

  /// The columns, in order.
  public var columns: [Column]
  /// The rows; each has `columns.count` values.
  public private(set) var rows: [[Value]] = []
  /// Lines after the text table (settings, methods, summaries); JSON `notes`.
  public var notes: [String] = []
  /// Text printed after the notes in the text rendering only (a histogram drawn in characters).
  public var textAppendix = ""
  /// Typed facts about the whole result (model, data, seed, method), first in the JSON object.
  public var metadata: [(key: String, value: JSONValue)] = []

  /// Creates an empty table.
  public init(columns: [Column]) {
    self.columns = columns
  }

  /// Appends a row; missing values are filled with `.missing` and extra values dropped.
  public mutating func addRow(_ values: [Value]) {
    rows.append(values.fitted(to: columns.count, filling: .missing))
  }

  /// The column index of `name`, if present.
  public func index(of name: String) -> Int? { columns.firstIndex { $0.name == name } }

  /// This table with a leading column holding `value` in every row (to stack the results of
  /// several models or experiments under one header).
  public func prefixed(_ column: Column, value: Value) -> ResultTable {
    var table = ResultTable(columns: [column] + columns)
    for row in rows { table.addRow([value] + row) }
    table.notes = notes
    table.metadata = metadata
    table.textAppendix = textAppendix
    return table
  }

  /// Appends the rows of `other`, which must have the same columns.
  public mutating func append(rowsOf other: ResultTable) {
    precondition(other.columns == columns, "stacked tables need the same schema")
    rows += other.rows
  }

  // MARK: Rendering

  /// The text of `value` in a column of `style` for the text table.
  static func tableText(_ value: Value, _ style: Style) -> String {
    switch value {
    case .text(let text): return text
    case .integer(let number): return String(number)
    case .integers(let list): return list.map(String.init).joined(separator: " ")
    case .missing: return ""
    case .number(let number):
      switch style {
      case .fraction: return NumberFormat.fixed(number, decimals: 4)
      case .significant(let digits): return NumberFormat.significant(number, digits: digits)
      case .fixed(let decimals): return NumberFormat.fixed(number, decimals: decimals)
      case .text, .integer: return NumberFormat.shortest(number)
      }
    }
  }

  /// The CSV field of `value` in a column of `style`.
  static func csvValue(_ value: Value, _ style: Style) -> CSVValue {
    switch value {
    case .text(let text): return .text(text)
    case .integer(let number): return .integer(number)
    case .integers(let list): return .text(list.map(String.init).joined(separator: " "))
    case .missing: return .missing
    case .number(let number):
      switch style {
      case .fraction: return .number(number, .fixed(decimals: 6))
      case .fixed(let decimals): return .number(number, .fixed(decimals: decimals))
      case .significant, .text, .integer: return .number(number, .shortest)
      }
    }
  }

  /// The JSON of one value.
  static func jsonValue(_ value: Value) -> JSONValue {
    switch value {
    case .text(let text): return .string(text)
    case .integer(let number): return .integer(number)
    case .integers(let list): return .array(list.map { .integer($0) })
    case .missing: return .null
    case .number(let number): return .number(number)
    }
  }

  /// The aligned text table with the notes below it.
  /// - Complexity: O(total characters).
  public func renderedText() -> String {
    var table = TextTable(
      columns: columns.map { $0.style == .text ? .text($0.name) : .number($0.name) })
    for row in rows { table.addRow(zip(row, columns).map { Self.tableText($0, $1.style) }) }
    table.footer = notes
    return table.rendered() + textAppendix
  }

  /// The CSV: one header line of column names, one line per row.
  public func csv() -> CSVTable {
    var csv = CSVTable(header: columns.map(\.name))
    for row in rows { csv.addRow(zip(row, columns).map { Self.csvValue($0, $1.style) }) }
    return csv
  }

  /// The JSON object: the metadata, then `rows` (one object per row keyed by column name), then
  /// `notes`.
  public func json() -> JSONValue {
    let objects: [JSONValue] = rows.map { row in
      .object(zip(columns, row).map { ($0.name, Self.jsonValue($1)) })
    }
    return .object(metadata + [("rows", .array(objects)), ("notes", .array(notes.map { .string($0) }))])
  }
}

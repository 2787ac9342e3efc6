/// A plain-text table for standard output: aligned columns, a header rule, optional footer lines.
///
/// ```
/// block  error    Δ error
/// -----  -------  -------
///     1  0.0612   +0.0002
///    28  0.0987   +0.0377
/// mean of 3 runs
/// ```
/// Columns are separated by two spaces, numbers are right-aligned and text left-aligned, and
/// trailing spaces are removed from every line. Widths count `Character`s.
public struct TextTable: Sendable {
  /// Where a column's cells sit within its width.
  public enum Alignment: Sendable {
    /// Flush left (text).
    case left
    /// Flush right (numbers).
    case right
  }

  /// A column's title and alignment.
  public struct Column: Sendable {
    /// The title printed in the header.
    public var title: String
    /// How the title and the cells are aligned.
    public var alignment: Alignment

    /// Creates a column.
    public init(_ title: String, alignment: Alignment) {
      self.title = title
      self.alignment = alignment
    }

    /// A left-aligned text column.
    public static func text(_ title: String) -> Column { Column(title, alignment: .left) }
    /// A right-aligned number column.
    public static func number(_ title: String) -> Column { Column(title, alignment: .right) }
  }

  /// The columns, in order.
  public var columns: [Column]
  /// The body rows; each has exactly `columns.count` cells.
  public private(set) var rows: [[String]] = []
  /// Lines printed after the body, unaligned (notes, totals, confidence intervals).
  public var footer: [String] = []

  /// Creates an empty table with `columns`.
  public init(columns: [Column]) {
    self.columns = columns
  }

  /// Appends a row; missing cells are left empty and extra cells are dropped.
  public mutating func addRow(_ cells: [String]) {
    rows.append(cells.fitted(to: columns.count, filling: ""))
  }

  /// The table as text, every line ending in `\n`.
  ///
  /// - Complexity: O(total characters).
  public func rendered() -> String {
    var widths = columns.map(\.title.count)
    for row in rows {
      for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
    }
    func line(_ cells: [String]) -> String {
      var parts: [String] = []
      for (index, cell) in cells.enumerated() {
        let padding = String(repeating: " ", count: widths[index] - cell.count)
        parts.append(columns[index].alignment == .right ? padding + cell : cell + padding)
      }
      var text = parts.joined(separator: "  ")
      while text.last == " " { text.removeLast() }
      return text + "\n"
    }
    var output = line(columns.map(\.title))
    output += line(widths.map { String(repeating: "-", count: $0) })
    for row in rows { output += line(row) }
    for note in footer { output += note + "\n" }
    return output
  }
}

extension Array {
  /// The first `count` elements, followed by `filler` up to exactly `count`: how the tables fit a
  /// row to their columns.
  func fitted(to count: Int, filling filler: Element) -> [Element] {
    Array(prefix(count)) + Array(repeating: filler, count: Swift.max(0, count - self.count))
  }
}

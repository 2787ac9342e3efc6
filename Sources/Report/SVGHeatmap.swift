import Basics
import Foundation

/// A deterministic SVG heatmap of a matrix on a diverging colour scale centred at zero.
///
/// Made for pairwise block interactions: rows and columns are blocks, a cell's colour is its
/// value (blue below zero, white at zero, red above, saturated at ±`limit`), an empty cell is a
/// missing value (NaN: the diagonal, or pairs not measured), and a dot marks the cells whose
/// interval excludes zero. A colour bar with ticks explains the scale:
/// ```swift
/// var map = SVGHeatmap(title: "Interactions", rowLabels: names, columnLabels: names, values: matrix)
/// map.marked = significant
/// try map.write(to: url)
/// ```
/// The same heatmap always produces the same bytes (coordinates with two decimals).
public struct SVGHeatmap: Sendable {
  /// The title above the map (empty for none).
  public var title: String
  /// One label per row, top to bottom.
  public var rowLabels: [String]
  /// One label per column, left to right.
  public var columnLabels: [String]
  /// `values[row][column]`; NaN or infinite values leave the cell empty.
  public var values: [[Double]]
  /// `marked[row][column]` draws a dot in the cell (e.g. its interval excludes zero); may be
  /// empty or ragged (missing entries are unmarked).
  public var marked: [[Bool]] = []
  /// The colour bar's title, e.g. `"loss interaction (nats)"`.
  public var scaleLabel: String = ""
  /// What the dots mean, written under the colour bar (empty for none).
  public var markLabel: String = ""
  /// The value drawn at full saturation; `nil` uses the largest |value|.
  public var limit: Double?
  /// Axis titles.
  public var rowTitle: String = ""
  public var columnTitle: String = ""

  /// Creates a heatmap; `values` has `rowLabels.count` rows of `columnLabels.count` entries.
  public init(title: String, rowLabels: [String], columnLabels: [String], values: [[Double]]) {
    self.title = title
    self.rowLabels = rowLabels
    self.columnLabels = columnLabels
    self.values = values
  }

  /// The saturation value: `limit`, else the largest finite |value| (1 when there is none).
  public var effectiveLimit: Double {
    if let limit, limit.isFinite, limit > 0 { return limit }
    let largest = values.joined().filter(\.isFinite).map(abs).max() ?? 0
    return largest > 0 ? largest : 1
  }

  /// The fill colour of `value`: white at 0, `#b2182b` (red) at +limit, `#2166ac` (blue) at
  /// −limit, linear in between in RGB, clamped beyond.
  public static func color(_ value: Double, limit: Double) -> String {
    let t = max(-1, min(1, value / limit))
    let end: (Double, Double, Double) = t >= 0 ? (178, 24, 43) : (33, 102, 172)
    let a = abs(t)
    func channel(_ e: Double) -> Int { Int((255 + (e - 255) * a).rounded()) }
    return "#" + Hex.bytes([channel(end.0), channel(end.1), channel(end.2)].map { UInt8(clamping: $0) }, separator: "")
  }

  /// Writes the SVG document to `url` atomically.
  /// - Throws: `AtomicFileError`.
  public func write(to url: URL) throws {
    try AtomicFile.write(rendered(), to: url)
  }

  /// The SVG document (UTF-8 text ending in a newline).
  /// - Complexity: O(rows × columns).
  public func rendered() -> String {
    let f = SVGPlot.format
    let rows = rowLabels.count
    let columns = columnLabels.count
    let labelFont = rows > 40 || columns > 40 ? 7.0 : 10.0
    let rowLabelWidth = rowLabels.map { SVGPlot.textWidth($0, fontSize: labelFont) }.max() ?? 0
    let columnLabelHeight = columnLabels.map { SVGPlot.textWidth($0, fontSize: labelFont) }.max() ?? 0
    let cell = max(6, min(28, 560 / Double(max(rows, columns, 1))))
    let top = (title.isEmpty ? 12.0 : 40.0) + columnLabelHeight + (columnTitle.isEmpty ? 6 : 22)
    let left = 12 + (rowTitle.isEmpty ? 0 : 18) + rowLabelWidth + 6
    let mapWidth = cell * Double(columns)
    let mapHeight = cell * Double(rows)
    let barLeft = left + mapWidth + 24
    let barHeight = max(120, min(mapHeight, 320))
    let limit = effectiveLimit
    let ticks = AxisTicks.linear(from: -limit, to: limit, maximumCount: 4)
    let tickLabels = AxisTicks.linearLabels(ticks.ticks, step: ticks.step)
    let tickWidth = tickLabels.map { SVGPlot.textWidth($0, fontSize: 10) }.max() ?? 0
    let legendWidth = max(tickWidth + 30, SVGPlot.textWidth(markLabel, fontSize: 10) - 10)
    let width = barLeft + 14 + legendWidth + 12
    let height = max(top + mapHeight, top + barHeight + (markLabel.isEmpty ? 0 : 30)) + 16

    var svg = """
      <?xml version="1.0" encoding="UTF-8"?>
      <svg xmlns="http://www.w3.org/2000/svg" width="\(f(width))" height="\(f(height))" \
      viewBox="0 0 \(f(width)) \(f(height))" font-family="\(SVGPlot.fontFamily)" font-size="\(f(labelFont))">
      <rect x="0" y="0" width="\(f(width))" height="\(f(height))" fill="#ffffff"/>

      """
    if !title.isEmpty {
      svg += "<text x=\"\(f(width / 2))\" y=\"24.00\" text-anchor=\"middle\" font-size=\"15.00\" font-weight=\"bold\">\(SVGPlot.escape(title))</text>\n"
    }
    // Cells, then dots, then a frame.
    svg += "<g stroke=\"none\">\n"
    for (r, row) in values.prefix(rows).enumerated() {
      for (c, value) in row.prefix(columns).enumerated() where value.isFinite {
        svg += "<rect x=\"\(f(left + Double(c) * cell))\" y=\"\(f(top + Double(r) * cell))\" width=\"\(f(cell))\" height=\"\(f(cell))\" fill=\"\(SVGHeatmap.color(value, limit: limit))\"/>\n"
      }
    }
    svg += "</g>\n<g fill=\"#222222\">\n"
    for (r, row) in marked.prefix(rows).enumerated() {
      for (c, mark) in row.prefix(columns).enumerated() where mark {
        svg += "<circle cx=\"\(f(left + (Double(c) + 0.5) * cell))\" cy=\"\(f(top + (Double(r) + 0.5) * cell))\" r=\"\(f(max(1, cell / 6)))\"/>\n"
      }
    }
    svg += "</g>\n"
    svg += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(mapWidth))\" height=\"\(f(mapHeight))\" fill=\"none\" stroke=\"#222222\" stroke-width=\"1.00\"/>\n"
    // Row labels right-aligned left of the map; column labels rotated above it.
    svg += "<g fill=\"#222222\">\n"
    for (r, label) in rowLabels.enumerated() {
      svg += "<text x=\"\(f(left - 4))\" y=\"\(f(top + (Double(r) + 0.5) * cell + labelFont * 0.35))\" text-anchor=\"end\">\(SVGPlot.escape(label))</text>\n"
    }
    for (c, label) in columnLabels.enumerated() {
      let x = left + (Double(c) + 0.5) * cell + labelFont * 0.35
      let y = top - 4
      svg += "<text x=\"\(f(x))\" y=\"\(f(y))\" transform=\"rotate(-90 \(f(x)) \(f(y)))\">\(SVGPlot.escape(label))</text>\n"
    }
    if !columnTitle.isEmpty {
      svg += "<text x=\"\(f(left + mapWidth / 2))\" y=\"\(f(top - columnLabelHeight - 10))\" text-anchor=\"middle\" font-size=\"12.00\">\(SVGPlot.escape(columnTitle))</text>\n"
    }
    if !rowTitle.isEmpty {
      let x = 24.0
      let y = top + mapHeight / 2
      svg += "<text x=\"\(f(x))\" y=\"\(f(y))\" text-anchor=\"middle\" font-size=\"12.00\" transform=\"rotate(-90 \(f(x)) \(f(y)))\">\(SVGPlot.escape(rowTitle))</text>\n"
    }
    svg += "</g>\n"
    // Colour bar: 40 bands from +limit (top) to −limit (bottom), ticks on the right.
    let bands = 40
    svg += "<g stroke=\"none\">\n"
    for band in 0..<bands {
      let value = limit * (1 - 2 * (Double(band) + 0.5) / Double(bands))
      svg += "<rect x=\"\(f(barLeft))\" y=\"\(f(top + Double(band) * barHeight / Double(bands)))\" width=\"14.00\" height=\"\(f(barHeight / Double(bands) + 0.5))\" fill=\"\(SVGHeatmap.color(value, limit: limit))\"/>\n"
    }
    svg += "</g>\n"
    svg += "<rect x=\"\(f(barLeft))\" y=\"\(f(top))\" width=\"14.00\" height=\"\(f(barHeight))\" fill=\"none\" stroke=\"#222222\" stroke-width=\"1.00\"/>\n"
    svg += "<g fill=\"#222222\" font-size=\"10.00\">\n"
    for (value, label) in zip(ticks.ticks, tickLabels) {
      let y = top + (1 - (value + limit) / (2 * limit)) * barHeight
      svg += "<line x1=\"\(f(barLeft + 14))\" y1=\"\(f(y))\" x2=\"\(f(barLeft + 18))\" y2=\"\(f(y))\" stroke=\"#222222\"/>\n"
      svg += "<text x=\"\(f(barLeft + 21))\" y=\"\(f(y + 3.5))\">\(SVGPlot.escape(label))</text>\n"
    }
    if !scaleLabel.isEmpty {
      let x = barLeft + 21 + tickWidth + 12
      let y = top + barHeight / 2
      svg += "<text x=\"\(f(x))\" y=\"\(f(y))\" text-anchor=\"middle\" transform=\"rotate(-90 \(f(x)) \(f(y)))\">\(SVGPlot.escape(scaleLabel))</text>\n"
    }
    if !markLabel.isEmpty {
      let y = top + barHeight + 22
      svg += "<circle cx=\"\(f(barLeft + 4))\" cy=\"\(f(y - 3.5))\" r=\"3.00\"/>\n"
      svg += "<text x=\"\(f(barLeft + 12))\" y=\"\(f(y))\">\(SVGPlot.escape(markLabel))</text>\n"
    }
    svg += "</g>\n</svg>\n"
    return svg
  }
}

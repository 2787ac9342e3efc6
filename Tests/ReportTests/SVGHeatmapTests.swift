import Foundation
import Report
import XCTest

final class SVGHeatmapTests: XCTestCase {
  /// White at zero, the end colours at ±limit, linear in between, clamped beyond.
  func testDivergingColours() {
    XCTAssertEqual(SVGHeatmap.color(0, limit: 2), "#ffffff")
    XCTAssertEqual(SVGHeatmap.color(2, limit: 2), "#b2182b")
    XCTAssertEqual(SVGHeatmap.color(-2, limit: 2), "#2166ac")
    XCTAssertEqual(SVGHeatmap.color(7, limit: 2), "#b2182b")
    // Halfway to red: 255 + (178 − 255)/2 = 216.5 → 217 (d9), 139.5 → 140 (8c), 149 (95).
    XCTAssertEqual(SVGHeatmap.color(1, limit: 2), "#d98c95")
  }

  /// A 3×3 map with an empty diagonal draws 6 cells in their colours, a dot per marked cell,
  /// escaped labels, and the same bytes every time.
  func testCellsMarksAndLabels() {
    let nan = Double.nan
    var map = SVGHeatmap(
      title: "a<b", rowLabels: ["1", "2", "3↓"], columnLabels: ["1", "2", "3↓"],
      values: [[nan, 0.5, -0.25], [0.5, nan, 0], [-0.25, 0, nan]])
    map.marked = [[false, true, false], [true, false, false]]
    map.markLabel = "excludes 0"
    XCTAssertEqual(map.effectiveLimit, 0.5)
    let svg = map.rendered()
    XCTAssertEqual(svg, map.rendered())
    XCTAssertTrue(svg.hasPrefix("<?xml"))
    XCTAssertTrue(svg.hasSuffix("</svg>\n"))
    XCTAssertTrue(svg.contains(">a&lt;b</text>"))
    XCTAssertTrue(svg.contains(">3↓</text>"))
    let cells = svg.components(separatedBy: "\n").filter { $0.hasPrefix("<rect") && $0.contains("width=\"28.00\"") }
    XCTAssertEqual(cells.count, 6, svg)
    XCTAssertEqual(cells.filter { $0.contains("fill=\"#b2182b\"") }.count, 2)  // +0.5 = +limit
    XCTAssertEqual(cells.filter { $0.contains("fill=\"#ffffff\"") }.count, 2)  // 0
    XCTAssertEqual(cells.filter { $0.contains("fill=\"\(SVGHeatmap.color(-0.25, limit: 0.5))\"") }.count, 2)
    // Two marked cells and the legend's dot.
    XCTAssertEqual(svg.components(separatedBy: "<circle").count - 1, 3)
    XCTAssertTrue(svg.contains(">excludes 0</text>"))
  }

  /// An explicit limit saturates; without finite values the limit falls back to 1.
  func testLimit() {
    var map = SVGHeatmap(title: "", rowLabels: ["a"], columnLabels: ["b"], values: [[3]])
    map.limit = 1
    XCTAssertEqual(map.effectiveLimit, 1)
    XCTAssertTrue(map.rendered().contains("fill=\"#b2182b\""))
    XCTAssertEqual(SVGHeatmap(title: "", rowLabels: ["a"], columnLabels: ["b"], values: [[.nan]]).effectiveLimit, 1)
  }
}

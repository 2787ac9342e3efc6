import Foundation
import XCTest

@testable import Report

#if canImport(FoundationXML)
  import FoundationXML
#endif

final class SVGPlotTests: XCTestCase {
  /// Parses `svg` as XML and returns the element names in document order.
  private func parseXML(_ svg: String, file: StaticString = #filePath, line: UInt = #line)
    -> [String]
  {
    final class Collector: NSObject, XMLParserDelegate {
      var names: [String] = []
      var texts: [String] = []
      func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
        qualifiedName: String?, attributes: [String: String] = [:]
      ) {
        names.append(elementName)
      }
      func parser(_ parser: XMLParser, foundCharacters string: String) { texts.append(string) }
    }
    let parser = XMLParser(data: Data(svg.utf8))
    let collector = Collector()
    parser.delegate = collector
    XCTAssertTrue(
      parser.parse(), "not well-formed: \(String(describing: parser.parserError))", file: file,
      line: line)
    return collector.names
  }

  private func samplePlot() -> SVGPlot {
    var plot = SVGPlot(
      title: "Error <k> & \"friends\"", x: .init("blocks deleted"), y: .init("test error"))
    let ks = (0...10).map(Double.init)
    plot.series.append(
      .init(
        "ResNet-110", x: ks, y: ks.map { 0.06 + 0.002 * $0 * $0 },
        errors: ks.map { _ in 0.01 }))
    plot.series.append(
      .init(
        "plain", x: ks, y: ks.map { 0.07 + 0.05 * $0 }, style: .line, dashed: true,
        bandLower: ks.map { 0.06 + 0.05 * $0 }, bandUpper: ks.map { 0.08 + 0.05 * $0 }))
    plot.shadedRanges.append(.init(x: 2...4, label: "range 2–4"))
    plot.referenceLines.append(.horizontal(at: 0.061, label: "full model"))
    return plot
  }

  func testDeterministicAndWellFormed() {
    let first = samplePlot().rendered()
    let second = samplePlot().rendered()
    XCTAssertEqual(first, second)
    let names = parseXML(first)
    XCTAssertEqual(names.first, "svg")
    XCTAssertTrue(names.contains("polyline"))
    XCTAssertTrue(names.contains("polygon"))
    XCTAssertEqual(names.filter { $0 == "circle" }.count, 11 + 1)  // points + legend marker
    XCTAssertTrue(first.contains("<title>Error &lt;k&gt; &amp; &quot;friends&quot;</title>"))
    XCTAssertTrue(first.contains("stroke-dasharray"))
    XCTAssertTrue(first.hasSuffix("</svg>\n"))
    // Every coordinate has exactly two decimals.
    XCTAssertNil(first.range(of: #"x="-?\d+""#, options: .regularExpression))
    XCTAssertNil(first.range(of: #"\d\.\d{3,}""#, options: .regularExpression))
  }

  func testBarsLogAxisAndSkippedPoints() {
    var plot = SVGPlot(
      title: "Paths", x: .init("k"), y: .init("paths", scale: .log10), width: 500, height: 300)
    plot.bars.append(
      .init(
        "C(4, k)", x: [0, 1, 2, 3, 4], heights: [1, 4, 6, 4, 1], highlighted: [2],
        highlightName: "mode"))
    plot.series.append(.init("with gaps", x: [0, 1, 2, 3, 4], y: [1, .nan, 2, -1, 3]))
    plot.legend = .outsideRight
    let svg = plot.rendered()
    let names = parseXML(svg)
    // 5 bars + background + frame + clip + legend box + 2 legend swatches.
    XCTAssertEqual(names.filter { $0 == "rect" }.count, 11)
    XCTAssertEqual(svg.components(separatedBy: "fill=\"#d62728\"").count - 1, 2)  // bar + legend
    // NaN and the negative value (log axis) are skipped: 3 markers plus the legend's, and no
    // line, since every run of usable points has a single point.
    XCTAssertEqual(names.filter { $0 == "circle" }.count, 4)
    XCTAssertEqual(names.filter { $0 == "polyline" }.count, 0)
    // The smallest bar (1) sits on a decade, so the axis starts one decade lower.
    XCTAssertTrue(svg.contains(">0.1</text>"))
    XCTAssertTrue(svg.contains(">10</text>"))
    XCTAssertTrue(svg.contains("width=\"500.00\""))
  }

  func testEmptyPlotStillRenders() {
    let svg = SVGPlot(title: "", x: .init(""), y: .init("")).rendered()
    let names = parseXML(svg)
    XCTAssertEqual(names.first, "svg")
    XCTAssertFalse(names.contains("g") && svg.contains("class=\"legend\""))
  }

  func testLinearTicks() {
    XCTAssertEqual(AxisTicks.niceStep(span: 1, maximumCount: 5), 0.2)
    XCTAssertEqual(AxisTicks.niceStep(span: 0.274, maximumCount: 6), 0.05)
    XCTAssertEqual(AxisTicks.niceStep(span: 1000, maximumCount: 10), 100)
    XCTAssertEqual(AxisTicks.niceStep(span: 54, maximumCount: 6), 10)
    XCTAssertEqual(AxisTicks.niceStep(span: 7, maximumCount: 6), 2)
    let (step, ticks) = AxisTicks.linear(from: -0.1, to: 0.3, maximumCount: 4)
    XCTAssertEqual(step, 0.1)
    XCTAssertEqual(ticks.count, 5)
    XCTAssertEqual(ticks[1], 0)  // exactly zero, not 1e-17
    XCTAssertEqual(AxisTicks.linearLabels(ticks, step: step), ["-0.1", "0.0", "0.1", "0.2", "0.3"])
    XCTAssertEqual(
      AxisTicks.linear(from: 0.6, to: 54.4, maximumCount: 6).ticks, [10, 20, 30, 40, 50])
    XCTAssertTrue(AxisTicks.niceRange(from: 0, to: 0.274) == (0, 0.3))
    XCTAssertTrue(AxisTicks.niceRange(from: 0.061, to: 0.42) == (0, 0.5))
    XCTAssertTrue(AxisTicks.niceRange(from: 3, to: 3) == (2.7, 3.3))
    XCTAssertEqual(AxisTicks.linearLabels([0, 2e6, 4e6], step: 2e6), ["0", "2×10⁶", "4×10⁶"])
  }

  func testLogTicks() {
    XCTAssertEqual(
      AxisTicks.log10(from: 1e-8, to: 1e-2), [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2])
    // 17 decades: every 2nd decade would give 9 ticks > 8, so every 5th.
    XCTAssertEqual(AxisTicks.log10(from: 1, to: 1e16), [1, 1e5, 1e10, 1e15])
    XCTAssertEqual(AxisTicks.log10(from: 1, to: 1e6, maximumCount: 4), [1, 1e2, 1e4, 1e6])
    XCTAssertEqual(AxisTicks.log10(from: 1, to: 10), [1, 2, 5, 10])
    XCTAssertEqual(AxisTicks.log10(from: 0.3, to: 40), [0.5, 1, 2, 5, 10, 20])
    XCTAssertEqual(AxisTicks.logLabels([0.01, 0.1, 1, 10]), ["0.01", "0.1", "1", "10"])
    XCTAssertEqual(AxisTicks.logLabels([1e-8, 1e-6, 2e-6]), ["10⁻⁸", "10⁻⁶", "2×10⁻⁶"])
    XCTAssertEqual(AxisTicks.scientific(1e15), "10¹⁵")
    XCTAssertEqual(AxisTicks.scientific(-2.5e-7), "-2.5×10⁻⁷")
    XCTAssertEqual(AxisTicks.scientific(0), "0")
    XCTAssertTrue(AxisTicks.log10(from: -1, to: 10).isEmpty)
  }

  func testWriteProducesTheRenderedBytes() throws {
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("svg-\(getpid())-\(UInt32.random(in: 0...UInt32.max))/plot.svg")
    defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
    let plot = samplePlot()
    try plot.write(to: url)
    XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), plot.rendered())
  }
}

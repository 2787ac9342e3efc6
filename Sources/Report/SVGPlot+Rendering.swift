import Foundation

/// A resolved axis: its domain, ticks and the mapping from values to pixels.
struct PlotScale {
  var scale: SVGPlot.Scale
  var lower: Double
  var upper: Double
  var pixelStart: Double
  var pixelEnd: Double

  /// Whether `value` can be placed on this axis.
  func accepts(_ value: Double) -> Bool {
    value.isFinite && (scale == .linear || value > 0)
  }

  /// The pixel position of `value` (which must be accepted).
  func position(_ value: Double) -> Double {
    let fraction: Double
    switch scale {
    case .linear: fraction = (value - lower) / (upper - lower)
    case .log10: fraction = (log10(value) - log10(lower)) / (log10(upper) - log10(lower))
    }
    return pixelStart + fraction * (pixelEnd - pixelStart)
  }
}

extension SVGPlot {
  static let fontFamily = "DejaVu Sans, Helvetica, Arial, sans-serif"

  /// Approximate rendered width of `text` at `fontSize` (average glyph ≈ 0.6 em).
  static func textWidth(_ text: String, fontSize: Double) -> Double {
    Double(text.count) * fontSize * 0.6
  }

  static func format(_ value: Double) -> String { NumberFormat.fixed(value, decimals: 2) }

  /// Escapes text for SVG content and attribute values.
  static func escape(_ text: String) -> String {
    var output = ""
    for character in text {
      switch character {
      case "&": output += "&amp;"
      case "<": output += "&lt;"
      case ">": output += "&gt;"
      case "\"": output += "&quot;"
      case "'": output += "&#39;"
      default:
        if let scalar = character.unicodeScalars.first, character.unicodeScalars.count == 1,
          scalar.value < 0x20 && scalar != "\t"
        {
          output += " "  // control characters are not allowed in XML 1.0
        } else {
          output.append(character)
        }
      }
    }
    return output
  }

  private func color(forSeries index: Int) -> String {
    series[index].color ?? SVGPlot.palette[index % SVGPlot.palette.count]
  }

  private func color(forBars index: Int) -> String {
    bars[index].color ?? SVGPlot.palette[(series.count + index) % SVGPlot.palette.count]
  }

  private func barWidth(_ bar: Bars) -> Double {
    let sorted = bar.x.filter(\.isFinite).sorted()
    var spacing = Double.infinity
    for index in sorted.indices.dropFirst() where sorted[index] > sorted[index - 1] {
      spacing = min(spacing, sorted[index] - sorted[index - 1])
    }
    if !spacing.isFinite { spacing = 1 }
    return spacing * min(1, max(0.05, bar.widthFraction))
  }

  // MARK: Domains

  private func dataValues() -> (x: [Double], y: [Double]) {
    var xs: [Double] = []
    var ys: [Double] = []
    for line in series {
      for index in 0..<min(line.x.count, line.y.count) {
        xs.append(line.x[index])
        ys.append(line.y[index])
        if let errors = line.errors, index < errors.count, errors[index].isFinite {
          ys.append(line.y[index] - abs(errors[index]))
          ys.append(line.y[index] + abs(errors[index]))
        }
        if let lower = line.bandLower, index < lower.count { ys.append(lower[index]) }
        if let upper = line.bandUpper, index < upper.count { ys.append(upper[index]) }
      }
    }
    for bar in bars {
      let half = barWidth(bar) / 2
      for index in 0..<min(bar.x.count, bar.heights.count) {
        xs.append(bar.x[index] - half)
        xs.append(bar.x[index] + half)
        ys.append(bar.heights[index])
      }
      if yAxis.scale == .linear && !bar.x.isEmpty { ys.append(0) }
    }
    for line in referenceLines {
      if line.orientation == .vertical { xs.append(line.value) } else { ys.append(line.value) }
    }
    for range in shadedRanges {
      xs.append(range.x.lowerBound)
      xs.append(range.x.upperBound)
    }
    return (xs, ys)
  }

  /// The domain of an axis: fixed limits where given, otherwise the data range (x: tight;
  /// y: widened to nice ticks), or decades on a log axis.
  private static func domain(
    of values: [Double], axis: Axis, nice: Bool, padding: Double = 0, bars: Bool = false
  )
    -> (Double, Double)
  {
    let usable = values.filter { $0.isFinite && (axis.scale == .linear || $0 > 0) }
    var lower = axis.minimum ?? usable.min() ?? (axis.scale == .log10 ? 1 : 0)
    var upper = axis.maximum ?? usable.max() ?? (axis.scale == .log10 ? 10 : 1)
    switch axis.scale {
    case .linear:
      if !(upper > lower) {
        let pad = lower == 0 ? 1 : abs(lower) * 0.1
        if axis.minimum == nil { lower -= pad }
        if axis.maximum == nil || !(upper > lower) { upper = lower + 2 * pad }
      }
      if nice {
        let widened = AxisTicks.niceRange(from: lower, to: upper)
        if axis.minimum == nil { lower = widened.lower }
        if axis.maximum == nil { upper = widened.upper }
      } else if padding > 0 {
        let span = upper - lower
        if axis.minimum == nil { lower -= span * padding }
        if axis.maximum == nil { upper += span * padding }
      }
    case .log10:
      if !(lower > 0) { lower = 1 }
      if !(upper > lower) { upper = lower * 10 }
      if nice || log10(upper / lower) < 1 {
        if axis.minimum == nil { lower = pow(10, (log10(lower) + 1e-9).rounded(.down)) }
        if axis.maximum == nil { upper = pow(10, (log10(upper) - 1e-9).rounded(.up)) }
        if !(upper > lower) { upper = lower * 10 }
      } else if padding > 0 {
        let factor = pow(upper / lower, padding)
        if axis.minimum == nil { lower /= factor }
        if axis.maximum == nil { upper *= factor }
      }
      // Bars rise from the bottom edge: keep the smallest bar visible.
      if bars && axis.minimum == nil, let smallest = usable.min(), smallest <= lower * (1 + 1e-9) {
        lower /= 10
      }
    }
    return (lower, upper)
  }

  private static func ticks(for scale: PlotScale, maximumCount: Int, integers: Bool) -> (
    values: [Double], labels: [String]
  ) {
    switch scale.scale {
    case .linear:
      var (step, values) = AxisTicks.linear(
        from: scale.lower, to: scale.upper, maximumCount: maximumCount)
      if integers && step < 1 {
        step = 1
        values = AxisTicks.multiples(of: 1, from: scale.lower, to: scale.upper)
      }
      return (values, AxisTicks.linearLabels(values, step: step))
    case .log10:
      let values = AxisTicks.log10(from: scale.lower, to: scale.upper, maximumCount: maximumCount)
      return (values, AxisTicks.logLabels(values))
    }
  }

  // MARK: Document

  /// The SVG document (UTF-8 text ending in a newline).
  ///
  /// - Complexity: O(total number of points).
  public func rendered() -> String {
    // `.automatic` tries the inside corners; when every corner would hide data, the legend goes
    // outside to the right instead.
    let (svg, hidesData) = render(legendPosition: legend)
    if legend == .automatic && hidesData { return render(legendPosition: .outsideRight).svg }
    return svg
  }

  private func render(legendPosition legend: LegendPosition) -> (svg: String, hidesData: Bool) {
    let tickFont = 11.0
    let (xValues, yValues) = dataValues()
    // Points at the very edge of the x range would sit on the frame: pad line/marker plots a bit.
    let xPadding = series.isEmpty ? 0 : 0.02
    let (xLower, xUpper) = SVGPlot.domain(of: xValues, axis: xAxis, nice: false, padding: xPadding)
    let (yLower, yUpper) = SVGPlot.domain(of: yValues, axis: yAxis, nice: true, bars: !bars.isEmpty)
    let entries = legend == .none ? [] : legendEntries()
    let legendSize = SVGPlot.legendSize(entries)

    // Y ticks first: their label width sets the left margin.
    let top = title.isEmpty ? 16.0 : 40.0
    let bottom = height - 52
    var yScale = PlotScale(
      scale: yAxis.scale, lower: yLower, upper: yUpper, pixelStart: bottom, pixelEnd: top)
    let yMaximumCount = max(2, min(8, Int((bottom - top) / 40)))
    let yTicks = SVGPlot.ticks(for: yScale, maximumCount: yMaximumCount, integers: false)
    let yLabelWidth = yTicks.labels.map { SVGPlot.textWidth($0, fontSize: tickFont) }.max() ?? 0
    let left = (yAxis.label.isEmpty ? 12.0 : 30.0) + yLabelWidth + 8
    let right =
      width - 20 - (legend == .outsideRight && !entries.isEmpty ? legendSize.width + 8 : 0)
    yScale.pixelStart = bottom
    var xScale = PlotScale(
      scale: xAxis.scale, lower: xLower, upper: xUpper, pixelStart: left, pixelEnd: right)
    let barsOnIntegers = !bars.isEmpty && bars.allSatisfy { $0.x.allSatisfy { $0 == $0.rounded() } }
    var xTicks = SVGPlot.ticks(for: xScale, maximumCount: 10, integers: barsOnIntegers)
    for count in [8, 6, 5, 4, 3, 2] {
      let widest = xTicks.labels.map { SVGPlot.textWidth($0, fontSize: tickFont) }.max() ?? 0
      if (widest + 12) * Double(xTicks.values.count) <= right - left { break }
      xTicks = SVGPlot.ticks(for: xScale, maximumCount: count, integers: barsOnIntegers)
    }
    xScale.pixelEnd = right

    var svg = """
      <?xml version="1.0" encoding="UTF-8"?>
      <svg xmlns="http://www.w3.org/2000/svg" width="\(SVGPlot.format(width))" \
      height="\(SVGPlot.format(height))" viewBox="0 0 \(SVGPlot.format(width)) \(SVGPlot.format(height))" \
      font-family="\(SVGPlot.fontFamily)" font-size="\(SVGPlot.format(tickFont))">

      """
    svg += "<title>\(SVGPlot.escape(title))</title>\n"
    svg +=
      "<rect x=\"0.00\" y=\"0.00\" width=\"\(SVGPlot.format(width))\" height=\"\(SVGPlot.format(height))\" fill=\"#ffffff\"/>\n"
    // The clip rectangle is a little larger than the plot area so edge markers stay whole.
    let pad = 4.0
    svg +=
      "<defs><clipPath id=\"plot-area\"><rect x=\"\(SVGPlot.format(left - pad))\" y=\"\(SVGPlot.format(top - pad))\" "
    svg +=
      "width=\"\(SVGPlot.format(right - left + 2 * pad))\" height=\"\(SVGPlot.format(bottom - top + 2 * pad))\"/></clipPath></defs>\n"

    // Grid.
    svg += "<g stroke=\"#e6e6e6\" stroke-width=\"1\">\n"
    for value in yTicks.values {
      let y = SVGPlot.format(yScale.position(value))
      svg +=
        "<line x1=\"\(SVGPlot.format(left))\" y1=\"\(y)\" x2=\"\(SVGPlot.format(right))\" y2=\"\(y)\"/>\n"
    }
    for value in xTicks.values {
      let x = SVGPlot.format(xScale.position(value))
      svg +=
        "<line x1=\"\(x)\" y1=\"\(SVGPlot.format(top))\" x2=\"\(x)\" y2=\"\(SVGPlot.format(bottom))\"/>\n"
    }
    svg += "</g>\n"

    svg += "<g clip-path=\"url(#plot-area)\">\n"
    svg += shadedRangesSVG(xScale: xScale, top: top, bottom: bottom)
    svg += barsSVG(xScale: xScale, yScale: yScale, bottom: bottom)
    svg += seriesSVG(xScale: xScale, yScale: yScale)
    svg += referenceLinesSVG(
      xScale: xScale, yScale: yScale, left: left, right: right, top: top, bottom: bottom)
    svg += "</g>\n"

    svg += axesSVG(
      xScale: xScale, yScale: yScale, xTicks: xTicks, yTicks: yTicks, left: left, right: right,
      top: top, bottom: bottom, tickFont: tickFont)
    var hidesData = false
    if !entries.isEmpty {
      let origin = legendOrigin(
        legend, size: legendSize, xScale: xScale, yScale: yScale, left: left, right: right,
        top: top,
        bottom: bottom)
      svg += SVGPlot.legendSVG(entries, x: origin.x, y: origin.y, size: legendSize)
      hidesData = origin.hiddenCount > 0
    }
    svg += "</svg>\n"
    return (svg, hidesData)
  }

  // MARK: Layers

  private func shadedRangesSVG(xScale: PlotScale, top: Double, bottom: Double) -> String {
    var svg = ""
    for range in shadedRanges {
      guard xScale.accepts(range.x.lowerBound), xScale.accepts(range.x.upperBound) else { continue }
      let x1 = xScale.position(range.x.lowerBound)
      let x2 = xScale.position(range.x.upperBound)
      svg += "<rect x=\"\(SVGPlot.format(min(x1, x2)))\" y=\"\(SVGPlot.format(top))\" "
      svg += "width=\"\(SVGPlot.format(abs(x2 - x1)))\" height=\"\(SVGPlot.format(bottom - top))\" "
      svg +=
        "fill=\"\(SVGPlot.escape(range.color))\" fill-opacity=\"\(SVGPlot.format(range.opacity))\"/>\n"
    }
    return svg
  }

  private func barsSVG(xScale: PlotScale, yScale: PlotScale, bottom: Double) -> String {
    var svg = ""
    for (barIndex, bar) in bars.enumerated() {
      let half = barWidth(bar) / 2
      let baseline =
        yScale.scale == .linear && yScale.accepts(0)
        ? yScale.position(max(yScale.lower, min(0, yScale.upper))) : bottom
      for index in 0..<min(bar.x.count, bar.heights.count) {
        let center = bar.x[index]
        let height = bar.heights[index]
        guard xScale.accepts(center - half), xScale.accepts(center + half), yScale.accepts(height)
        else { continue }
        let x1 = xScale.position(center - half)
        let x2 = xScale.position(center + half)
        let y = yScale.position(height)
        let fill = bar.highlighted.contains(index) ? bar.highlightColor : color(forBars: barIndex)
        svg +=
          "<rect x=\"\(SVGPlot.format(min(x1, x2)))\" y=\"\(SVGPlot.format(min(y, baseline)))\" "
        svg +=
          "width=\"\(SVGPlot.format(abs(x2 - x1)))\" height=\"\(SVGPlot.format(abs(baseline - y)))\" "
        svg += "fill=\"\(SVGPlot.escape(fill))\"/>\n"
      }
    }
    return svg
  }

  private func seriesSVG(xScale: PlotScale, yScale: PlotScale) -> String {
    var svg = ""
    for (seriesIndex, line) in series.enumerated() {
      let stroke = SVGPlot.escape(color(forSeries: seriesIndex))
      let count = min(line.x.count, line.y.count)

      // Shaded band: one polygon per run of usable points.
      if let lower = line.bandLower, let upper = line.bandUpper {
        var run: [(x: Double, low: Double, high: Double)] = []
        func flush() {
          if run.count >= 2 {
            let points =
              run.map { "\(SVGPlot.format($0.x)),\(SVGPlot.format($0.high))" }
              + run.reversed().map { "\(SVGPlot.format($0.x)),\(SVGPlot.format($0.low))" }
            svg +=
              "<polygon points=\"\(points.joined(separator: " "))\" fill=\"\(stroke)\" fill-opacity=\"0.18\" stroke=\"none\"/>\n"
          }
          run = []
        }
        for index in 0..<min(count, lower.count, upper.count) {
          if xScale.accepts(line.x[index]), yScale.accepts(lower[index]),
            yScale.accepts(upper[index])
          {
            run.append(
              (
                xScale.position(line.x[index]), yScale.position(lower[index]),
                yScale.position(upper[index])
              ))
          } else {
            flush()
          }
        }
        flush()
      }

      // Line: one polyline per run of usable points.
      if line.style != .markers {
        var run: [String] = []
        let dash = line.dashed ? " stroke-dasharray=\"6 4\"" : ""
        func flush() {
          if run.count >= 2 {
            svg +=
              "<polyline points=\"\(run.joined(separator: " "))\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"1.8\" stroke-linejoin=\"round\"\(dash)/>\n"
          }
          run = []
        }
        for index in 0..<count {
          if xScale.accepts(line.x[index]), yScale.accepts(line.y[index]) {
            run.append(
              "\(SVGPlot.format(xScale.position(line.x[index]))),\(SVGPlot.format(yScale.position(line.y[index])))"
            )
          } else {
            flush()
          }
        }
        flush()
      }

      // Error bars with caps; a lower end below a log axis is clipped to the axis.
      if let errors = line.errors {
        svg += "<g stroke=\"\(stroke)\" stroke-width=\"1.2\">\n"
        for index in 0..<min(count, errors.count) {
          let x = line.x[index]
          let y = line.y[index]
          let error = abs(errors[index])
          guard xScale.accepts(x), yScale.accepts(y), error.isFinite, error > 0 else { continue }
          let px = xScale.position(x)
          let high = yScale.position(y + error)
          let low = yScale.accepts(y - error) ? yScale.position(y - error) : yScale.pixelStart
          let xs = (SVGPlot.format(px - 3), SVGPlot.format(px), SVGPlot.format(px + 3))
          svg +=
            "<line x1=\"\(xs.1)\" y1=\"\(SVGPlot.format(low))\" x2=\"\(xs.1)\" y2=\"\(SVGPlot.format(high))\"/>"
          svg +=
            "<line x1=\"\(xs.0)\" y1=\"\(SVGPlot.format(low))\" x2=\"\(xs.2)\" y2=\"\(SVGPlot.format(low))\"/>"
          svg +=
            "<line x1=\"\(xs.0)\" y1=\"\(SVGPlot.format(high))\" x2=\"\(xs.2)\" y2=\"\(SVGPlot.format(high))\"/>\n"
        }
        svg += "</g>\n"
      }

      if line.style != .line {
        let marker = line.marker ?? Marker.allCases[seriesIndex % Marker.allCases.count]
        svg += "<g fill=\"\(stroke)\" stroke=\"#ffffff\" stroke-width=\"0.8\">\n"
        for index in 0..<count where xScale.accepts(line.x[index]) && yScale.accepts(line.y[index])
        {
          svg +=
            SVGPlot.markerSVG(
              marker, x: xScale.position(line.x[index]), y: yScale.position(line.y[index]),
              size: 3.5) + "\n"
        }
        svg += "</g>\n"
      }
    }
    return svg
  }

  static func markerSVG(_ marker: Marker, x: Double, y: Double, size: Double) -> String {
    let f = SVGPlot.format
    switch marker {
    case .circle:
      return "<circle cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"\(f(size))\"/>"
    case .square:
      let side = size * 1.7
      return
        "<rect x=\"\(f(x - side / 2))\" y=\"\(f(y - side / 2))\" width=\"\(f(side))\" height=\"\(f(side))\"/>"
    case .triangle:
      let r = size * 1.25
      return
        "<polygon points=\"\(f(x)),\(f(y - r)) \(f(x + r * 0.866)),\(f(y + r * 0.5)) \(f(x - r * 0.866)),\(f(y + r * 0.5))\"/>"
    case .diamond:
      let r = size * 1.3
      return
        "<polygon points=\"\(f(x)),\(f(y - r)) \(f(x + r)),\(f(y)) \(f(x)),\(f(y + r)) \(f(x - r)),\(f(y))\"/>"
    }
  }

  private func referenceLinesSVG(
    xScale: PlotScale, yScale: PlotScale, left: Double, right: Double, top: Double, bottom: Double
  ) -> String {
    var svg = ""
    for line in referenceLines {
      let dash = line.dashed ? " stroke-dasharray=\"5 4\"" : ""
      let attributes = "stroke=\"\(SVGPlot.escape(line.color))\" stroke-width=\"1.4\"\(dash)"
      switch line.orientation {
      case .vertical:
        guard xScale.accepts(line.value) else { continue }
        let x = SVGPlot.format(xScale.position(line.value))
        svg +=
          "<line x1=\"\(x)\" y1=\"\(SVGPlot.format(top))\" x2=\"\(x)\" y2=\"\(SVGPlot.format(bottom))\" \(attributes)/>\n"
      case .horizontal:
        guard yScale.accepts(line.value) else { continue }
        let y = SVGPlot.format(yScale.position(line.value))
        svg +=
          "<line x1=\"\(SVGPlot.format(left))\" y1=\"\(y)\" x2=\"\(SVGPlot.format(right))\" y2=\"\(y)\" \(attributes)/>\n"
      }
    }
    return svg
  }

  private func axesSVG(
    xScale: PlotScale, yScale: PlotScale, xTicks: (values: [Double], labels: [String]),
    yTicks: (values: [Double], labels: [String]), left: Double, right: Double, top: Double,
    bottom: Double, tickFont: Double
  ) -> String {
    let f = SVGPlot.format
    var svg =
      "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(right - left))\" height=\"\(f(bottom - top))\" fill=\"none\" stroke=\"#333333\" stroke-width=\"1\"/>\n"
    svg += "<g stroke=\"#333333\" stroke-width=\"1\">\n"
    for value in xTicks.values {
      let x = f(xScale.position(value))
      svg += "<line x1=\"\(x)\" y1=\"\(f(bottom))\" x2=\"\(x)\" y2=\"\(f(bottom + 5))\"/>\n"
    }
    for value in yTicks.values {
      let y = f(yScale.position(value))
      svg += "<line x1=\"\(f(left - 5))\" y1=\"\(y)\" x2=\"\(f(left))\" y2=\"\(y)\"/>\n"
    }
    // Minor ticks at 2…9 × 10ⁿ on log axes that show whole decades.
    if yScale.scale == .log10 && log10(yScale.upper / yScale.lower) <= 8 && yTicks.values.count >= 2
      && yTicks.values.allSatisfy({ abs(log10($0) - log10($0).rounded()) < 1e-9 })
    {
      let lowDecade = Int(log10(yScale.lower).rounded(.down))
      let highDecade = Int(log10(yScale.upper).rounded(.up))
      for decade in lowDecade..<highDecade {
        for multiplier in 2...9 {
          let value = Double(multiplier) * pow(10, Double(decade))
          guard value > yScale.lower, value < yScale.upper else { continue }
          let y = f(yScale.position(value))
          svg += "<line x1=\"\(f(left - 3))\" y1=\"\(y)\" x2=\"\(f(left))\" y2=\"\(y)\"/>\n"
        }
      }
    }
    svg += "</g>\n"
    svg += "<g fill=\"#222222\" font-size=\"\(f(tickFont))\">\n"
    for (value, label) in zip(xTicks.values, xTicks.labels) {
      svg +=
        "<text x=\"\(f(xScale.position(value)))\" y=\"\(f(bottom + 18))\" text-anchor=\"middle\">\(SVGPlot.escape(label))</text>\n"
    }
    for (value, label) in zip(yTicks.values, yTicks.labels) {
      svg +=
        "<text x=\"\(f(left - 8))\" y=\"\(f(yScale.position(value) + tickFont * 0.35))\" text-anchor=\"end\">\(SVGPlot.escape(label))</text>\n"
    }
    svg += "</g>\n"
    if !xAxis.label.isEmpty {
      svg +=
        "<text x=\"\(f((left + right) / 2))\" y=\"\(f(height - 12))\" text-anchor=\"middle\" font-size=\"12.00\">\(SVGPlot.escape(xAxis.label))</text>\n"
    }
    if !yAxis.label.isEmpty {
      let x = 16.0
      let y = (top + bottom) / 2
      svg +=
        "<text x=\"\(f(x))\" y=\"\(f(y))\" text-anchor=\"middle\" font-size=\"12.00\" transform=\"rotate(-90 \(f(x)) \(f(y)))\">\(SVGPlot.escape(yAxis.label))</text>\n"
    }
    if !title.isEmpty {
      svg +=
        "<text x=\"\(f(width / 2))\" y=\"24.00\" text-anchor=\"middle\" font-size=\"15.00\" font-weight=\"bold\">\(SVGPlot.escape(title))</text>\n"
    }
    return svg
  }

  private enum LegendSwatch {
    case line(color: String, marker: Marker?, dashed: Bool, showsLine: Bool)
    case box(color: String, opacity: Double)
  }

  private func legendEntries() -> [(String, LegendSwatch)] {
    var entries: [(String, LegendSwatch)] = []
    for (index, bar) in bars.enumerated() {
      if !bar.name.isEmpty {
        entries.append((bar.name, .box(color: color(forBars: index), opacity: 1)))
      }
      if !bar.highlightName.isEmpty && !bar.highlighted.isEmpty {
        entries.append((bar.highlightName, .box(color: bar.highlightColor, opacity: 1)))
      }
    }
    for (index, line) in series.enumerated() where !line.name.isEmpty {
      let marker =
        line.style == .line ? nil : (line.marker ?? Marker.allCases[index % Marker.allCases.count])
      entries.append(
        (
          line.name,
          .line(
            color: color(forSeries: index), marker: marker, dashed: line.dashed,
            showsLine: line.style != .markers)
        ))
    }
    for line in referenceLines where !line.label.isEmpty {
      entries.append(
        (line.label, .line(color: line.color, marker: nil, dashed: line.dashed, showsLine: true)))
    }
    for range in shadedRanges where !range.label.isEmpty {
      entries.append((range.label, .box(color: range.color, opacity: range.opacity)))
    }
    return entries
  }

  private static func legendSize(_ entries: [(String, LegendSwatch)]) -> (
    width: Double, height: Double
  ) {
    let widest = entries.map { textWidth($0.0, fontSize: 11) }.max() ?? 0
    return (40 + widest, Double(entries.count) * 16 + 8)
  }

  /// The top-left corner of the legend box for the configured position.
  private func legendOrigin(
    _ legend: LegendPosition, size: (width: Double, height: Double), xScale: PlotScale,
    yScale: PlotScale, left: Double,
    right: Double, top: Double, bottom: Double
  ) -> (x: Double, y: Double, hiddenCount: Int) {
    let margin = 8.0
    let corners: [LegendPosition: (x: Double, y: Double)] = [
      .topRight: (right - margin - size.width, top + margin),
      .topLeft: (left + margin, top + margin),
      .bottomRight: (right - margin - size.width, bottom - margin - size.height),
      .bottomLeft: (left + margin, bottom - margin - size.height),
    ]
    switch legend {
    case .outsideRight: return (right + 8, top, 0)
    case .topRight, .topLeft, .bottomRight, .bottomLeft:
      let corner = corners[legend] ?? (left, top)
      return (corner.x, corner.y, 0)
    case .automatic, .none: break
    }
    // Score each corner by the data it would hide: points, and bars whose rectangle it overlaps.
    var points: [(Double, Double)] = []
    for line in series {
      for index in 0..<min(line.x.count, line.y.count)
      where xScale.accepts(line.x[index]) && yScale.accepts(line.y[index]) {
        points.append((xScale.position(line.x[index]), yScale.position(line.y[index])))
      }
    }
    var rectangles: [(x1: Double, x2: Double, y: Double)] = []
    for bar in bars {
      let half = barWidth(bar) / 2
      for index in 0..<min(bar.x.count, bar.heights.count)
      where xScale.accepts(bar.x[index] - half) && xScale.accepts(bar.x[index] + half)
        && yScale.accepts(bar.heights[index])
      {
        let a = xScale.position(bar.x[index] - half)
        let b = xScale.position(bar.x[index] + half)
        rectangles.append((min(a, b), max(a, b), yScale.position(bar.heights[index])))
      }
    }
    var best: (position: LegendPosition, score: Int)?
    for position in [LegendPosition.topRight, .topLeft, .bottomRight, .bottomLeft] {
      guard let corner = corners[position] else { continue }
      let x2 = corner.x + size.width
      let y2 = corner.y + size.height
      var score = points.filter {
        $0.0 >= corner.x - 4 && $0.0 <= x2 + 4 && $0.1 >= corner.y - 4 && $0.1 <= y2 + 4
      }.count
      // A bar spans from its top down to the bottom of the plot.
      score += rectangles.filter { $0.x2 >= corner.x && $0.x1 <= x2 && $0.y <= y2 }.count
      if let current = best, score >= current.score { continue }
      best = (position, score)
    }
    let corner = corners[best?.position ?? .topRight] ?? (left, top)
    return (corner.x, corner.y, best?.score ?? 0)
  }

  private static func legendSVG(
    _ entries: [(String, LegendSwatch)], x: Double, y: Double, size: (width: Double, height: Double)
  ) -> String {
    let f = SVGPlot.format
    let rowHeight = 16.0
    var svg = "<g class=\"legend\">\n"
    svg +=
      "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(size.width))\" height=\"\(f(size.height))\" fill=\"#ffffff\" fill-opacity=\"0.9\" stroke=\"#bbbbbb\" stroke-width=\"0.8\"/>\n"
    for (row, entry) in entries.enumerated() {
      let centerY = y + 4 + rowHeight * (Double(row) + 0.5)
      switch entry.1 {
      case .line(let color, let marker, let dashed, let showsLine):
        let stroke = SVGPlot.escape(color)
        if showsLine {
          let dash = dashed ? " stroke-dasharray=\"5 3\"" : ""
          svg +=
            "<line x1=\"\(f(x + 6))\" y1=\"\(f(centerY))\" x2=\"\(f(x + 28))\" y2=\"\(f(centerY))\" stroke=\"\(stroke)\" stroke-width=\"1.8\"\(dash)/>\n"
        }
        if let marker = marker {
          svg +=
            "<g fill=\"\(stroke)\" stroke=\"#ffffff\" stroke-width=\"0.8\">"
            + SVGPlot.markerSVG(marker, x: x + 17, y: centerY, size: 3.5) + "</g>\n"
        }
      case .box(let color, let opacity):
        svg +=
          "<rect x=\"\(f(x + 8))\" y=\"\(f(centerY - 5))\" width=\"18.00\" height=\"10.00\" fill=\"\(SVGPlot.escape(color))\" fill-opacity=\"\(f(opacity))\"/>\n"
      }
      svg +=
        "<text x=\"\(f(x + 32))\" y=\"\(f(centerY + 4))\" font-size=\"11.00\">\(SVGPlot.escape(entry.0))</text>\n"
    }
    svg += "</g>\n"
    return svg
  }
}

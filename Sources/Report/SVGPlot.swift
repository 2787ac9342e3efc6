import Basics
import Foundation

/// A small, deterministic SVG writer for scientific line, scatter and bar plots.
///
/// A plot has a title, an x and a y axis (linear or log10, with 1-2-5 or decade ticks), any number
/// of line/marker series (optionally with ± error bars and shaded bands), bar series (histograms,
/// per-block errors with highlighted bars), reference lines, shaded x-ranges and a legend:
/// ```swift
/// var plot = SVGPlot(title: "Deleting blocks", x: .init("blocks deleted"), y: .init("test error"))
/// plot.series.append(.init("ResNet-110", x: ks, y: errors, errors: halfWidths))
/// plot.shadedRanges.append(.init(x: 5...17, label: "effective paths"))
/// try plot.write(to: url)
/// ```
/// The same plot always produces the same bytes: coordinates are written with two decimals, and
/// nothing depends on time, locale or hashing. Non-finite points (and non-positive ones on a log
/// axis) are skipped; a line is broken where a point is skipped. Several bar series are drawn on
/// top of each other in order.
public struct SVGPlot: Sendable {
  /// How values map to positions along an axis.
  public enum Scale: Sendable {
    /// Proportional.
    case linear
    /// Proportional to log10 of the value (values must be positive).
    case log10
  }

  /// An axis: its label, scale and optional fixed limits (automatic when `nil`).
  public struct Axis: Sendable {
    /// The axis title, e.g. `"path length k (blocks)"`.
    public var label: String
    /// Linear or log10.
    public var scale: Scale
    /// The lower limit, or `nil` to fit the data.
    public var minimum: Double?
    /// The upper limit, or `nil` to fit the data.
    public var maximum: Double?

    /// Creates an axis.
    public init(
      _ label: String, scale: Scale = .linear, minimum: Double? = nil, maximum: Double? = nil
    ) {
      self.label = label
      self.scale = scale
      self.minimum = minimum
      self.maximum = maximum
    }
  }

  /// How a series is drawn.
  public enum SeriesStyle: Sendable {
    /// A polyline through the points.
    case line
    /// A marker at each point.
    case markers
    /// Both.
    case lineAndMarkers
  }

  /// A marker shape.
  public enum Marker: Sendable, CaseIterable {
    /// A circle.
    case circle
    /// A square.
    case square
    /// A triangle pointing up.
    case triangle
    /// A diamond.
    case diamond
  }

  /// A line/scatter series with optional error bars and a shaded band.
  public struct Series: Sendable {
    /// The legend entry (empty for none).
    public var name: String
    /// The x values.
    public var x: [Double]
    /// The y values, one per x.
    public var y: [Double]
    /// Line, markers or both.
    public var style: SeriesStyle
    /// A CSS colour, or `nil` for the next palette colour.
    public var color: String?
    /// The marker shape, or `nil` to cycle through the shapes by series index.
    public var marker: Marker?
    /// Whether the line is dashed.
    public var dashed: Bool
    /// Half-widths of vertical error bars (± per point), or `nil`.
    public var errors: [Double]?
    /// Lower edges of a shaded band, one per point, or `nil`.
    public var bandLower: [Double]?
    /// Upper edges of a shaded band, one per point, or `nil`.
    public var bandUpper: [Double]?

    /// Creates a series.
    public init(
      _ name: String, x: [Double], y: [Double], style: SeriesStyle = .lineAndMarkers,
      color: String? = nil, marker: Marker? = nil, dashed: Bool = false, errors: [Double]? = nil,
      bandLower: [Double]? = nil, bandUpper: [Double]? = nil
    ) {
      self.name = name
      self.x = x
      self.y = y
      self.style = style
      self.color = color
      self.marker = marker
      self.dashed = dashed
      self.errors = errors
      self.bandLower = bandLower
      self.bandUpper = bandUpper
    }
  }

  /// Bars rising from the bottom of the plot (from 0 on a linear y axis).
  public struct Bars: Sendable {
    /// The legend entry for ordinary bars (empty for none).
    public var name: String
    /// The bar centres.
    public var x: [Double]
    /// The bar heights, one per centre.
    public var heights: [Double]
    /// Indices (into `x`) of bars drawn in `highlightColor`.
    public var highlighted: Set<Int>
    /// The legend entry for highlighted bars (empty for none).
    public var highlightName: String
    /// A CSS colour, or `nil` for the next palette colour.
    public var color: String?
    /// The colour of highlighted bars.
    public var highlightColor: String
    /// Bar width as a fraction of the smallest spacing between centres.
    public var widthFraction: Double

    /// Creates a bar series.
    public init(
      _ name: String, x: [Double], heights: [Double], highlighted: Set<Int> = [],
      highlightName: String = "", color: String? = nil, highlightColor: String = "#d62728",
      widthFraction: Double = 0.8
    ) {
      self.name = name
      self.x = x
      self.heights = heights
      self.highlighted = highlighted
      self.highlightName = highlightName
      self.color = color
      self.highlightColor = highlightColor
      self.widthFraction = widthFraction
    }
  }

  /// A vertical or horizontal line across the plot, e.g. the full model's error.
  public struct ReferenceLine: Sendable {
    /// Which way the line runs.
    public enum Orientation: Sendable {
      /// At a fixed x.
      case vertical
      /// At a fixed y.
      case horizontal
    }
    /// Which way the line runs.
    public var orientation: Orientation
    /// The x (vertical) or y (horizontal) value.
    public var value: Double
    /// The legend entry (empty for none).
    public var label: String
    /// A CSS colour.
    public var color: String
    /// Whether the line is dashed.
    public var dashed: Bool

    /// A vertical line at `x`.
    public static func vertical(
      at x: Double, label: String = "", color: String = "#555555", dashed: Bool = true
    ) -> ReferenceLine {
      ReferenceLine(orientation: .vertical, value: x, label: label, color: color, dashed: dashed)
    }

    /// A horizontal line at `y`.
    public static func horizontal(
      at y: Double, label: String = "", color: String = "#555555", dashed: Bool = true
    ) -> ReferenceLine {
      ReferenceLine(orientation: .horizontal, value: y, label: label, color: color, dashed: dashed)
    }
  }

  /// A shaded vertical strip over a range of x, e.g. "effective paths 5–17".
  public struct ShadedRange: Sendable {
    /// The x range covered.
    public var x: ClosedRange<Double>
    /// The legend entry (empty for none).
    public var label: String
    /// A CSS colour.
    public var color: String
    /// Fill opacity in 0…1.
    public var opacity: Double

    /// Creates a shaded range.
    public init(
      x: ClosedRange<Double>, label: String = "", color: String = "#ffbf00", opacity: Double = 0.25
    ) {
      self.x = x
      self.label = label
      self.color = color
      self.opacity = opacity
    }
  }

  /// Where the legend box goes.
  public enum LegendPosition: Sendable {
    /// The inside corner that hides the fewest data points (top right, top left, bottom right,
    /// bottom left on ties).
    case automatic
    /// To the right of the plot area, which is narrowed to make room.
    case outsideRight
    /// Top right corner.
    case topRight
    /// Top left corner.
    case topLeft
    /// Bottom right corner.
    case bottomRight
    /// Bottom left corner.
    case bottomLeft
    /// No legend.
    case none
  }

  /// The colours given to series and bars without an explicit colour, in order.
  public static let palette = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
  ]

  /// The title above the plot (empty for none).
  public var title: String
  /// The horizontal axis.
  public var xAxis: Axis
  /// The vertical axis.
  public var yAxis: Axis
  /// The image width in pixels.
  public var width: Double
  /// The image height in pixels.
  public var height: Double
  /// Line and scatter series, drawn in order over the bars.
  public var series: [Series] = []
  /// Bar series, drawn first.
  public var bars: [Bars] = []
  /// Reference lines, drawn over the data.
  public var referenceLines: [ReferenceLine] = []
  /// Shaded x-ranges, drawn under the data.
  public var shadedRanges: [ShadedRange] = []
  /// Where the legend goes.
  public var legend: LegendPosition = .automatic

  /// Creates an empty plot.
  public init(title: String, x: Axis, y: Axis, width: Double = 640, height: Double = 400) {
    self.title = title
    self.xAxis = x
    self.yAxis = y
    self.width = width
    self.height = height
  }

  /// Writes the SVG document to `url` atomically.
  ///
  /// - Throws: `AtomicFileError`.
  public func write(to url: URL) throws {
    try AtomicFile.write(rendered(), to: url)
  }
}

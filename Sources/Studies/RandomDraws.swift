import Basics
import Foundation
import Engine
import Lesion
import Report
import Statistics

/// How many random draws an experiment makes per point (per k deleted blocks, per swap count).
public enum DrawCount: Sendable, Equatable {
  /// Exactly this many draws per point.
  case fixed(Int)
  /// Draw until the 95% t interval of the point's mean error has half-width ≤ `precision`
  /// (a fraction: 0.01 is one percentage point), with at least `minimum` and at most `maximum`
  /// draws (`--samples auto --precision P --max-samples M`).
  case auto(precision: Double, minimum: Int, maximum: Int)

  /// The draws of the first round.
  var initial: Int {
    switch self {
    case .fixed(let n): return n
    case .auto(_, let minimum, let maximum): return min(minimum, maximum)
    }
  }

  /// Words for notes: "10 draws per point" or "draws until the 95% half-width ≤ 0.01 (5–200)".
  public var description: String {
    switch self {
    case .fixed(let n): return "\(n) draws per point"
    case .auto(let precision, let minimum, let maximum):
      return "draws per point until the 95% half-width of the mean error is ≤ \(NumberFormat.shortest(precision)) (at least \(minimum), at most \(maximum))"
    }
  }
}

/// The random stream of one draw: keyed by (seed, experiment, point, draw), so a draw does not
/// depend on which other points or how many other draws a run makes (`--deleted 1,3` and
/// `--deleted 3` draw the same sets for k = 3), and two models compared at the same k draw the
/// same sets (common random numbers).
enum DrawKey {
  /// Experiment identifiers mixed into every key ("DELE", "REOR" in ASCII).
  static let deletion: UInt64 = 0x4445_4C45
  static let reordering: UInt64 = 0x5245_4F52

  static func generator(seed: Int, experiment: UInt64, point: Int, draw: Int) -> SplitMix64 {
    SplitMix64(seed: UInt64(truncatingIfNeeded: seed), keys: [experiment, UInt64(truncatingIfNeeded: point), UInt64(truncatingIfNeeded: draw)])
  }
}

/// One point's draws (all lesions of one k or one swap count) and their summary.
public struct DrawPoint: Sendable {
  /// k deleted blocks, or the number of swaps.
  public var point: Int
  /// Each draw's lesion, in draw order.
  public var draws: [LesionComparison]
  /// Whether the precision asked for was reached (nil for a fixed count: none was asked).
  public var reachedPrecision: Bool?

  /// Mean error over the draws with its 95% Student-t interval.
  public var errorMean: MeanInterval { MeanInterval(draws.map(\.error)) }
  /// Summary (SD, min, max) of the draws' errors.
  public var errorSummary: Summary { Summary(draws.map(\.error)) }
}

/// Evaluates draws in rounds until every point is precise enough or at its maximum.
///
/// Round 1 evaluates `count.initial` draws of every point; later rounds add draws only to points
/// whose half-width is still above the precision: the estimated need (1.2·(t·s/P)², at most twice
/// the draws so far, at most the maximum). Each round is one pass of the evaluator, which shares the
/// intact activations of all its lesions.
func drawUntilPrecise(
  points: [Int], count: DrawCount, forcedCounts: [Int: Int]?, study: Study, task: String,
  plan: (_ point: Int, _ draw: Int) throws -> LesionPlan
) throws -> (intact: LesionComparison, points: [DrawPoint]) {
  // Sharding: with a sequential rule each point is one configuration (its rule must see all of
  // its draws); with fixed counts each (point, draw) is one, numbered point after point.
  let sequential: Bool
  if case .auto = count, forcedCounts == nil { sequential = true } else { sequential = false }
  let points = sequential ? study.owned(points) : points
  var draws: [Int: [LesionComparison]] = [:]
  var intact: LesionComparison?
  var wanted: [Int: Int] = [:]
  for point in points { wanted[point] = forcedCounts?[point] ?? count.initial }
  var round = 0
  while true {
    round += 1
    var plans: [LesionPlan] = []
    var owners: [Int] = []
    var position = 0
    for point in points {
      let have = draws[point]?.count ?? 0
      for draw in have..<max(have, wanted[point] ?? 0) {
        defer { position += 1 }
        guard sequential || study.owns(position) else { continue }
        plans.append(try plan(point, draw))
        owners.append(point)
      }
    }
    if plans.isEmpty && intact != nil { break }
    let (intactResult, lesions) = try study.evaluate(plans, task: round == 1 ? task : "\(task), round \(round)")
    if intact == nil { intact = LesionComparison(intactResult, intact: intactResult) }
    for (owner, lesion) in zip(owners, lesions) {
      draws[owner, default: []].append(LesionComparison(lesion, intact: intactResult))
    }
    guard case .auto(let precision, _, let maximum) = count, forcedCounts == nil else { break }
    var more = false
    for point in points {
      let values = (draws[point] ?? []).map(\.error)
      let estimate = MeanInterval(values)
      guard estimate.halfWidth > precision, values.count < maximum else { continue }
      let t = studentTQuantile(0.975, degreesOfFreedom: max(1, values.count - 1))
      let need = 1.2 * pow(t * estimate.standardDeviation / precision, 2)
      let next = min(maximum, 2 * values.count, max(values.count + 1, Int(need.rounded(.up))))
      wanted[point] = next
      more = true
    }
    if !more { break }
  }
  let result = points.map { point -> DrawPoint in
    let list = draws[point] ?? []
    var reached: Bool? = nil
    if case .auto(let precision, _, _) = count, forcedCounts == nil {
      reached = MeanInterval(list.map(\.error)).halfWidth <= precision
    }
    return DrawPoint(point: point, draws: list, reachedPrecision: reached)
  }
  guard let intact else { preconditionFailure("the first round always evaluates the intact network") }
  return (intact, result)
}

extension DrawPoint {
  /// The summary columns of a point, after its own leading columns.
  static let summaryColumns: [ResultTable.Column] = [
    .init("draws", .integer), .init("error_mean_fraction", .fraction), .init("error_low95_fraction", .fraction),
    .init("error_high95_fraction", .fraction), .init("half_width_fraction", .fraction),
    .init("error_std_fraction", .fraction), .init("error_min_fraction", .fraction),
    .init("error_max_fraction", .fraction), .init("error_change_mean_fraction", .fraction),
    .init("precision_reached", .text),
  ]

  /// The summary cells of this point against the intact error.
  func summaryCells(intactError: Double) -> [ResultTable.Value] {
    let mean = errorMean
    let summary = errorSummary
    return [
      .integer(draws.count), .number(mean.mean), .number(mean.lower), .number(mean.upper), .number(mean.halfWidth),
      .number(summary.standardDeviation), .number(summary.minimum), .number(summary.maximum),
      .number(mean.mean - intactError), .text(reachedPrecision.map { $0 ? "yes" : "no" } ?? "n/a"),
    ]
  }
}

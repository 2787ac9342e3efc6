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
  points: [Int], count: DrawCount, study: Study, task: String,
  plan: (_ point: Int, _ draw: Int) throws -> LesionPlan
) throws -> (intact: LesionComparison, points: [DrawPoint]) {
  let result = try drawUntilPrecise(points: points, count: count, studies: [study], task: task) { _, point, draw in
    try plan(point, draw)
  }
  return result[0]
}

/// Evaluates the same draws on one or more studies in rounds (common random numbers), until every
/// point is precise enough on all of them or at its maximum.
///
/// Each round gives every study the same draws. With two studies a point is precise when each
/// model's mean error and the mean of the per-draw differences (second − first) all have a 95%
/// half-width ≤ P, and its need is the largest of their three needs, so the compared pair, not
/// only the first model, decides how many draws are made.
/// - Parameter plan: the lesion of draw `draw` at `point` on study number `study`.
/// - Returns: per study, in order, its intact network and its points.
func drawUntilPrecise(
  points: [Int], count: DrawCount, studies: [Study], task: String,
  plan: (_ study: Int, _ point: Int, _ draw: Int) throws -> LesionPlan
) throws -> [(intact: LesionComparison, points: [DrawPoint])] {
  guard let lead = studies.first else { return [] }
  // Sharding: with a sequential rule each point is one configuration (its rule must see all of
  // its draws); with fixed counts each (point, draw) is one, numbered point after point.
  let sequential: Bool
  if case .auto = count { sequential = true } else { sequential = false }
  let points = sequential ? lead.owned(points) : points
  var draws = Array(repeating: [Int: [LesionComparison]](), count: studies.count)
  var intact = [LesionComparison?](repeating: nil, count: studies.count)
  var wanted: [Int: Int] = [:]
  for point in points { wanted[point] = count.initial }
  var round = 0
  while true {
    round += 1
    var evaluated = false
    for (index, study) in studies.enumerated() {
      var plans: [LesionPlan] = []
      var owners: [Int] = []
      var position = 0
      for point in points {
        let have = draws[index][point]?.count ?? 0
        for draw in have..<max(have, wanted[point] ?? 0) {
          defer { position += 1 }
          guard sequential || study.owns(position) else { continue }
          plans.append(try plan(index, point, draw))
          owners.append(point)
        }
      }
      if plans.isEmpty && intact[index] != nil { continue }
      evaluated = true
      let (intactResult, lesions) = try study.evaluate(plans, task: round == 1 ? task : "\(task), round \(round)")
      if intact[index] == nil { intact[index] = LesionComparison(intactResult, intact: intactResult) }
      for (owner, lesion) in zip(owners, lesions) {
        draws[index][owner, default: []].append(LesionComparison(lesion, intact: intactResult))
      }
    }
    guard evaluated, case .auto(let precision, _, let maximum) = count else { break }
    var more = false
    for point in points {
      let series = precisionSeries(draws.map { $0[point] ?? [] })
      let drawn = series.map(\.count).min() ?? 0
      guard drawn < maximum else { continue }
      let needs = series.map { values -> Double in
        let estimate = MeanInterval(values)
        guard estimate.halfWidth > precision else { return 0 }
        let t = studentTQuantile(0.975, degreesOfFreedom: max(1, values.count - 1))
        return 1.2 * pow(t * estimate.standardDeviation / precision, 2)
      }
      guard let need = needs.max(), need > 0 else { continue }
      wanted[point] = min(maximum, 2 * drawn, max(drawn + 1, Int(need.rounded(.up))))
      more = true
    }
    if !more { break }
  }
  // Whether each point reached the precision: one verdict per point, shared by every study.
  var reached: [Int: Bool] = [:]
  if case .auto(let precision, _, _) = count {
    for point in points {
      reached[point] = precisionSeries(draws.map { $0[point] ?? [] }).allSatisfy { MeanInterval($0).halfWidth <= precision }
    }
  }
  return studies.indices.map { index in
    let result = points.map { DrawPoint(point: $0, draws: draws[index][$0] ?? [], reachedPrecision: reached[$0]) }
    guard let intactComparison = intact[index] else {
      preconditionFailure("the first round always evaluates every study's intact network")
    }
    return (intactComparison, result)
  }
}

/// The error series whose intervals the draw rule watches: each study's errors and, for two
/// studies, the per-draw differences (second − first) of the draws both made.
private func precisionSeries(_ perStudy: [[LesionComparison]]) -> [[Double]] {
  var series = perStudy.map { $0.map(\.error) }
  if perStudy.count == 2 {
    series.append(zip(perStudy[0], perStudy[1]).map { $1.error - $0.error })
  }
  return series
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

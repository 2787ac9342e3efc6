import Checkpoints
import Datasets
import Lesion
import Statistics
import XCTest

@testable import Studies

/// The sequential draw rule when two models are compared under the same random deletions
/// (Fig. 8): the pair, not only the first model, decides how many draws a k gets.
final class PairedDrawRuleTests: XCTestCase {
  /// The bundled standard and stochastic-depth ResNet-110 on 20 test digits.
  func studies() throws -> (standard: Study, stochastic: Study) {
    let data = try DatasetLoader.load("mnist-5k", split: .test).selecting(offset: 0, limit: nil, perClass: 2)
    func study(_ name: String) throws -> Study {
      try Study(model: try ModelLoader.load(name, normalization: nil), modelArgument: name, dataset: data, dataArgument: "mnist-5k")
    }
    return (try study("resnet110"), try study("resnet110-stochastic-depth"))
  }

  func testPairedDrawsStopOnlyWhenBothModelsAndTheirDifferenceArePrecise() throws {
    let (standard, stochastic) = try studies()
    let precision = 0.02
    let experiment = RandomDeletion(
      counts: [1, 2, 3, 12], draws: .auto(precision: precision, minimum: 3, maximum: 8), seed: 7)
    let pair = try RandomDeletionComparison.run(experiment, first: standard, second: stochastic, labels: ("a", "b"))
    let alone = try experiment.run(on: standard)

    var pairDrewMore = false
    for ((a, b), single) in zip(zip(pair.first.points, pair.second.points), alone.points) {
      // Common random numbers: the same draws, block set for block set.
      XCTAssertEqual(a.draws.count, b.draws.count)
      XCTAssertEqual(a.draws.map(\.deletedBlocks), b.draws.map(\.deletedBlocks))
      // Draw j at k is keyed by (seed, k, j): the first model's draws are the single-model
      // run's, as far as both go.
      let common = min(a.draws.count, single.draws.count)
      XCTAssertEqual(Array(single.draws.map(\.error).prefix(common)), Array(a.draws.map(\.error).prefix(common)))
      if a.draws.count > single.draws.count { pairDrewMore = true }

      let halfWidths = [
        a.errorMean.halfWidth, b.errorMean.halfWidth,
        MeanInterval(zip(a.draws, b.draws).map { $1.error - $0.error }).halfWidth,
      ]
      let precise = halfWidths.allSatisfy { $0 <= precision }
      XCTAssertEqual(a.reachedPrecision, precise, "k = \(a.point): \(halfWidths)")
      XCTAssertEqual(b.reachedPrecision, precise)
      // A k stops early only when all three intervals are narrow enough.
      XCTAssertTrue(precise || a.draws.count == 8, "k = \(a.point) stopped at \(a.draws.count) draws: \(halfWidths)")
      XCTAssertGreaterThanOrEqual(a.draws.count, 3)
    }
    // The models differ, so at some k the pair needs more draws than the first model alone.
    XCTAssertTrue(pairDrewMore, "pair \(pair.first.points.map(\.draws.count)), alone \(alone.points.map(\.draws.count))")
  }
}

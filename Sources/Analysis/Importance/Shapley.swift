import Basics
import Foundation
import Lesion
import Statistics

/// Shapley values of the deletable blocks for the mean calibration loss: block j's value is its
/// mean marginal contribution L(S ∪ {j}) − L(S) over the orders in which blocks are deleted.
///
/// With every ordering weighted equally they sum exactly to L(all deletable blocks deleted) −
/// L(intact) (efficiency); permutation sampling keeps that per permutation, since a permutation's
/// marginal contributions telescope.
public struct ShapleyValues: Sendable {
  /// Deletable block numbers, in forward order.
  public var blocks: [Int]
  /// Per block (same order): mean marginal loss contribution, nats, with its Student-t interval
  /// over permutations (`standardError`); exact values have zero spread.
  public var values: [MeanInterval]
  /// Permutations sampled (0 for exact enumeration).
  public var permutations: Int
  /// Mean loss of the intact network and with every deletable block deleted.
  public var intactLoss: Double
  public var allDeletedLoss: Double

  /// Σ values − (allDeletedLoss − intactLoss): zero up to rounding.
  public var efficiencyGap: Double {
    values.reduce(0) { $0 + $1.mean } - (allDeletedLoss - intactLoss)
  }
}

extension DeletionScorer {
  /// The generator of Shapley permutation `index` for `seed` (a keyed sub-stream, so adding
  /// permutations never changes the earlier ones).
  public static func shapleyGenerator(seed: UInt64, permutation index: Int) -> SplitMix64 {
    SplitMix64(seed: seed, keys: [0x5348_4150_4C45_5900, UInt64(index)])  // "SHAPLEY"
  }

  /// Shapley values by permutation sampling: each permutation is one incremental pass
  /// (`chain(_:)`) that deletes the blocks in that order.
  ///
  /// - Complexity: per permutation and image, about n²/2 block evaluations for n deletable blocks.
  /// - Throws: `ImportanceError.tooFewBlocks` when no block can be deleted, `.tooFewPermutations`
  ///   below 2 permutations.
  public func shapleyValues(permutations: Int, seed: UInt64, progress: ((Int) -> Void)? = nil) throws -> ShapleyValues {
    try Self.checkShapley(blocks: deletable, permutations: permutations)
    var losses: [[Double]] = []
    for k in 0..<permutations {
      losses.append(try shapleyChainLosses(Self.shapleyOrder(blocks: deletable, seed: seed, permutation: k)))
      progress?(1)
    }
    return Self.shapleyValues(blocks: deletable, seed: seed, chainLosses: losses)
  }

  /// Checks that Shapley values can be sampled.
  /// - Throws: `ImportanceError.tooFewBlocks` without blocks, `.tooFewPermutations` below 2.
  public static func checkShapley(blocks: [Int], permutations: Int) throws {
    guard !blocks.isEmpty else { throw ImportanceError.tooFewBlocks(what: "Shapley values", needed: 1, found: 0) }
    guard permutations >= 2 else { throw ImportanceError.tooFewPermutations(found: permutations) }
  }

  /// The deletion order of Shapley permutation `index` of `blocks` (drawn from its own keyed
  /// generator, so it does not depend on which other permutations are drawn).
  public static func shapleyOrder(blocks: [Int], seed: UInt64, permutation index: Int) -> [Int] {
    var generator = shapleyGenerator(seed: seed, permutation: index)
    return generator.permutation(blocks.count).map { blocks[$0] }
  }

  /// The mean loss after deleting each prefix of `order`: ∅, {o₁}, …, all (`order.count + 1` values).
  /// - Complexity: one `chain(_:)` pass.
  public func shapleyChainLosses(_ order: [Int]) throws -> [Double] {
    try chain(order).map(\.meanLoss)
  }

  /// Shapley values from each permutation's prefix losses (`shapleyChainLosses`), permutation k
  /// being `shapleyOrder(blocks:seed:permutation: k)`.
  public static func shapleyValues(blocks: [Int], seed: UInt64, chainLosses: [[Double]]) -> ShapleyValues {
    var contributions = [[Double]](repeating: [], count: blocks.count)
    var intactLoss = 0.0, allDeletedLoss = 0.0
    let index = Dictionary(uniqueKeysWithValues: blocks.enumerated().map { ($1, $0) })
    for (k, losses) in chainLosses.enumerated() {
      let order = shapleyOrder(blocks: blocks, seed: seed, permutation: k)
      intactLoss = losses[0]
      allDeletedLoss = losses[losses.count - 1]
      for (step, block) in order.enumerated() {
        contributions[index[block]!].append(losses[step + 1] - losses[step])
      }
    }
    return ShapleyValues(
      blocks: blocks, values: contributions.map { MeanInterval($0) }, permutations: chainLosses.count,
      intactLoss: intactLoss, allDeletedLoss: allDeletedLoss)
  }

  /// Exact Shapley values by enumerating all 2ⁿ sets of deletable blocks (small networks; the
  /// oracle for `shapleyValues`).
  ///
  /// φⱼ = Σ_{S ∌ j} |S|!(n−|S|−1)!/n! · (L(S ∪ {j}) − L(S)).
  /// - Complexity: 2ⁿ forward passes per image.
  /// - Throws: `ImportanceError.tooFewBlocks` beyond 16 deletable blocks or with none.
  public func exactShapleyValues() throws -> ShapleyValues {
    let n = deletable.count
    guard n >= 1, n <= 16 else { throw ImportanceError.tooFewBlocks(what: "exact Shapley values (at most 16)", needed: 1, found: n) }
    let masks = 0..<(1 << n)
    let sets = masks.map { mask in Set((0..<n).filter { mask & (1 << $0) != 0 }.map { deletable[$0] }) }
    let losses = try evaluate(sets).map(\.meanLoss)
    func factorial(_ k: Int) -> Double { k < 2 ? 1 : (2...k).reduce(1.0) { $0 * Double($1) } }
    var values = [Double](repeating: 0, count: n)
    for mask in masks {
      let size = mask.nonzeroBitCount
      for j in 0..<n where mask & (1 << j) == 0 {
        let weight = factorial(size) * factorial(n - size - 1) / factorial(n)
        values[j] += weight * (losses[mask | (1 << j)] - losses[mask])
      }
    }
    return ShapleyValues(
      blocks: deletable, values: values.map { MeanInterval(count: 1, mean: $0, standardDeviation: 0) }, permutations: 0,
      intactLoss: losses[0], allDeletedLoss: losses[(1 << n) - 1])
  }
}

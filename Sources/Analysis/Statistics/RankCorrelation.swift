import Foundation

/// Kendall's rank correlation τ between an order and the identity order.
///
/// τ = (concordant − discordant) / C(n, 2) over all pairs of positions; 1 for the original order,
/// −1 for the reversed one (Veit et al. 2016, Fig. 5b).
/// - Complexity: O(n²).
public func kendallTau(_ order: [Int]) -> Double {
  let n = order.count
  guard n > 1 else { return 1 }
  var score = 0
  for i in 0..<n {
    for j in (i + 1)..<n {
      score += order[i] < order[j] ? 1 : -1
    }
  }
  return Double(score) / Double(n * (n - 1) / 2)
}

/// Spearman's rank correlation ρ: Pearson's correlation of the ranks of `a` and `b`.
///
/// Tied values get the average of the ranks they span (Spearman 1904; as `scipy.stats.spearmanr`).
/// Returns NaN when the lists differ in length, hold fewer than 2 values, contain NaN, or when
/// either list is constant (its ranks have no variance).
/// - Complexity: O(n log n).
public func spearmanCorrelation(_ a: [Double], _ b: [Double]) -> Double {
  guard a.count == b.count, a.count > 1, !a.contains(where: \.isNaN), !b.contains(where: \.isNaN)
  else { return .nan }
  let ra = averageRanks(a)
  let rb = averageRanks(b)
  let mean = Double(a.count + 1) / 2  // the mean of any average-rank vector
  var sab = 0.0
  var saa = 0.0
  var sbb = 0.0
  for i in ra.indices {
    let da = ra[i] - mean
    let db = rb[i] - mean
    sab += da * db
    saa += da * da
    sbb += db * db
  }
  guard saa > 0, sbb > 0 else { return .nan }
  return sab / (saa * sbb).squareRoot()
}

/// The 1-based ranks of `values`, ties sharing the average of the ranks they span.
///
/// `[10, 30, 20, 20]` gives `[1, 4, 2.5, 2.5]`. Values must not be NaN.
/// - Complexity: O(n log n).
public func averageRanks(_ values: [Double]) -> [Double] {
  let order = values.indices.sorted { values[$0] < values[$1] }
  var ranks = [Double](repeating: 0, count: values.count)
  var start = 0
  while start < order.count {
    var end = start + 1
    while end < order.count && values[order[end]] == values[order[start]] { end += 1 }
    // Positions start..<end (0-based) hold equal values: ranks start+1 … end, average (start+1+end)/2.
    let rank = Double(start + 1 + end) / 2
    for position in start..<end { ranks[order[position]] = rank }
    start = end
  }
  return ranks
}

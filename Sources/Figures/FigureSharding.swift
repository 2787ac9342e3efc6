import Basics
import Foundation
import Studies

/// `figures --shard I/N` and the `figures` side of `merge`: a whole figure is one configuration.
///
/// The runnable figures are listed in catalog order and shard I makes those at positions p with
/// p mod N = I into a scratch folder, then writes their files (CSV, SVG, sidecar JSON, exactly)
/// into its part; `merge` checks the parts (model, data, options) and writes each figure's files
/// into the output folder. Any figure in the catalog is sharded this way without code of its own.
/// Figures that share an experiment (Figs. 3 and 8 the single deletions, 5a and 8 the random
/// deletions, 6b and 6c the gradients) compute it again on each shard that makes one of them; a
/// figure's own experiments are not split (a sidecar's wall time is that of the shard that made it).
public struct FigureSharding {
  var shard: ShardSpec?
  var merged: PartSet?
  /// Where a shard writes its part.
  var partFile: URL?
  /// A shard's scratch folder for its figures' files.
  var scratch: URL?

  /// A shard that writes its figures into `partFile`, or (with `merged`) a merge of the parts;
  /// neither: the figures are made whole.
  public init(shard: ShardSpec?, partFile: URL?, merged: PartSet?) {
    self.shard = shard
    self.merged = merged
    if shard != nil {
      self.partFile = partFile
      scratch = FileManager.default.temporaryDirectory.appendingPathComponent("resnet-lesion-figures-\(UUID().uuidString)")
    }
  }

  /// The folder the figures are written to: a shard's scratch folder, else `out`.
  func folder(_ out: URL) -> URL { scratch ?? out }

  /// Whether this process makes the figure at `position` of the runnable figures.
  func makes(_ position: Int) -> Bool { shard?.owns(position) ?? true }

  /// Whether a part or the parts' identity is needed (a shard or a merge).
  var isSplit: Bool { shard != nil || merged != nil }

  /// In a merge: checks that the parts were made with this run's model, data and options.
  /// - Throws: `ShardingError.mergeMismatch` naming the first difference.
  func check(identity: JSONValue) throws {
    guard let merged else { return }
    if let key = RunIdentity.firstDifference(merged.identity, identity) {
      throw ShardingError.mergeMismatch(
        key: key, parts: RunIdentity.value(at: key, in: merged.identity), here: RunIdentity.value(at: key, in: identity))
    }
  }

  /// In a merge: writes `figure`'s files from the parts into `out` (each atomically); returns
  /// their names.
  /// - Throws: `ShardingError.missingEvaluation` when no part holds the figure.
  func writeMerged(_ figure: FigureID, to out: URL) throws -> [String] {
    guard let merged else { return [] }
    let names = merged.files.keys.filter { $0.hasPrefix(figure.stem) && Self.belongs($0, to: figure) }.sorted()
    guard names.contains(figure.stem + ".json") else { throw ShardingError.missingEvaluation(plan: "figure \(figure.rawValue)") }
    try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
    for name in names { try AtomicFile.write(merged.files[name] ?? Data(), to: out.appendingPathComponent(name)) }
    return names
  }

  /// Whether a file name is one of `figure`'s: its stem, then a suffix without another figure's
  /// stem (`fig6b-gradient-per-length-ranges.csv` is Fig. 6b's).
  static func belongs(_ name: String, to figure: FigureID) -> Bool {
    FigureID.allCases.filter { name.hasPrefix($0.stem) }.max { $0.stem.count < $1.stem.count } == figure
  }

  /// A shard: writes the files its figures made (names in `made`) into its part, then removes
  /// the scratch folder.
  func writePart(identity: JSONValue, made: [String]) throws {
    guard let shard, let partFile, let scratch else { return }
    var part = PartFile(identity: identity, shard: shard, evaluations: [])
    for name in made { part.files.append((name, try Data(contentsOf: scratch.appendingPathComponent(name)))) }
    try AtomicFile.write(part.encoded(), to: partFile)
  }

  /// Removes a shard's scratch folder (after its part is written, or after a failure).
  func removeScratch() {
    if let scratch { try? FileManager.default.removeItem(at: scratch) }
  }
}

import Basics
import Foundation
import Engine
import Lesion

/// What one shard computed: the run's identity, its shard I/N, the configurations it owned and
/// every lesion it evaluated (exactly, see `EvaluationRecord`), as JSON.
///
/// `merge` checks that a set of parts is one run with every shard once (`PartSet`) and replays
/// the unsharded command on their evaluations, so the merged output is rendered by the same code
/// as an unsharded run's and is byte-identical to it.
public struct PartFile {
  /// The run (`RunIdentity`).
  public var identity: JSONValue
  public var shard: ShardSpec
  /// The lesions this shard evaluated, the intact network first.
  public var evaluations: [LesionResult]
  /// The path-gradient samples this shard measured (`paths --gradients`).
  public var gradientSamples: [(sample: Int, norms: [Double])]
  /// The named measures this shard computed (`rank`, `prune`).
  public var measures: [(key: String, values: [Double])]
  /// The images the evaluations cover when the run is split by images (nil: every image).
  public var images: Range<Int>?
  /// Whole output files this shard made (`figures`: the files of the figures it owns), by name.
  public var files: [(name: String, bytes: Data)] = []

  static let format = "resnet-lesion-part"
  /// The largest part file read (bigger files are refused before reading).
  public static let maximumBytes = 1 << 31

  public init(
    identity: JSONValue, shard: ShardSpec, evaluations: [LesionResult], gradientSamples: [(sample: Int, norms: [Double])] = [],
    measures: [(key: String, values: [Double])] = [], images: Range<Int>? = nil
  ) {
    self.identity = identity
    self.shard = shard
    self.evaluations = evaluations
    self.gradientSamples = gradientSamples
    self.measures = measures
    self.images = images
  }

  /// The part as JSON text.
  /// - Complexity: O(evaluations × images).
  public func encoded() -> String {
    JSONValue.object([
      ("format", .string(Self.format)), ("format_version", .integer(1)), ("run", identity),
      ("shard", .object([("index", .integer(shard.index)), ("count", .integer(shard.count))])),
      ("images", images.map { .object([("start", .integer($0.lowerBound)), ("end", .integer($0.upperBound))]) } ?? .null),
      ("configurations", .array(evaluations.map { .string($0.plan.description) })),
      ("evaluations", .array(evaluations.map(EvaluationRecord.encode))),
      ("gradient_samples", .array(gradientSamples.map { EvaluationRecord.encodeGradientSample($0.sample, norms: $0.norms) })),
      ("measures", .array(measures.map { EvaluationRecord.encodeMeasure($0.key, values: $0.values) })),
      ("files", .array(files.map { .object([("name", .string($0.name)), ("bytes", .string($0.bytes.base64EncodedString()))]) })),
    ]).encoded(pretty: false) + "\n"
  }

  /// The records of the optional array at `key` (none when it is missing), each decoded by
  /// `decode`, which returns nil for a record of another kind.
  /// - Throws: `ShardFileError.invalid` naming `key` and the first record that is not one.
  private static func optionalRecords<Record>(
    _ root: JSONValue, key: String, expected: String, file: String, _ decode: (JSONValue, String) throws -> Record?
  ) throws -> [Record] {
    guard case .array(let records) = root[key] else { return [] }
    return try records.map { record in
      guard let decoded = try decode(record, file) else {
        throw ShardFileError.invalid(file: file, key: key, expected: expected, found: String(record.encoded(pretty: false).prefix(60)))
      }
      return decoded
    }
  }

  /// Reads a part file.
  /// - Throws: `ShardFileError` naming the file and key when it cannot be read or is not a part.
  public static func read(_ url: URL) throws -> PartFile {
    let file = url.path
    let data: Data
    do {
      let size = try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int ?? 0
      guard size <= maximumBytes else {
        throw ShardFileError.invalid(file: file, key: "(size)", expected: "at most \(maximumBytes) bytes", found: "\(size) bytes")
      }
      data = try Data(contentsOf: url)
    } catch let error as ShardFileError {
      throw error
    } catch {
      throw ShardFileError.unreadable(file: file, reason: (error as NSError).localizedDescription)
    }
    let root: JSONValue
    do {
      root = try JSONValue.parse([UInt8](data), limits: .init(maximumBytes: maximumBytes))
    } catch {
      throw ShardFileError.invalid(file: file, key: "(document)", expected: "JSON", found: "\(error)")
    }
    guard root["format"]?.stringValue == format, root["format_version"]?.intValue == 1 else {
      throw ShardFileError.invalid(
        file: file, key: "format", expected: "\"\(format)\" version 1",
        found: root["format"].map { $0.encoded(pretty: false) } ?? "nothing")
    }
    guard let identity = root["run"], case .object = identity else {
      throw ShardFileError.invalid(file: file, key: "run", expected: "the run's identity", found: "nothing")
    }
    guard let index = root["shard"]?["index"]?.intValue, let count = root["shard"]?["count"]?.intValue,
      let shard = try? ShardSpec(index: index, count: count)
    else {
      throw ShardFileError.invalid(file: file, key: "shard", expected: "{\"index\": I, \"count\": N} with 0 ≤ I < N", found: "something else")
    }
    guard case .array(let records) = root["evaluations"] else {
      throw ShardFileError.invalid(file: file, key: "evaluations", expected: "an array", found: "something else")
    }
    let samples = try optionalRecords(
      root, key: "gradient_samples", expected: "gradient-sample records", file: file, EvaluationRecord.decodeGradientSample)
    let measures = try optionalRecords(root, key: "measures", expected: "measure records", file: file, EvaluationRecord.decodeMeasure)
    var images: Range<Int>?
    if let range = root["images"], range != .null {
      guard let start = range["start"]?.intValue, let end = range["end"]?.intValue, start >= 0, start <= end else {
        throw ShardFileError.invalid(file: file, key: "images", expected: "{\"start\": S, \"end\": E} with 0 ≤ S ≤ E, or null", found: String(range.encoded(pretty: false).prefix(60)))
      }
      images = start..<end
    }
    let evaluations = try records.map { try EvaluationRecord.decode($0, file: file) }
    if let images, let wrong = evaluations.first(where: { $0.count != images.count }) {
      throw ShardFileError.invalid(
        file: file, key: "evaluations", expected: "results on the part's \(images.count) images", found: "\(wrong.count) images for \(wrong.plan)")
    }
    var part = PartFile(identity: identity, shard: shard, evaluations: evaluations, gradientSamples: samples, measures: measures, images: images)
    if case .array(let fileRecords) = root["files"] {
      for record in fileRecords {
        // A plain file name: merge writes it into the output folder and nowhere else.
        guard let name = record["name"]?.stringValue, !name.isEmpty, name != ".", name != "..", !name.contains("/"),
          !name.contains("\0"), let text = record["bytes"]?.stringValue, let bytes = Data(base64Encoded: text)
        else {
          throw ShardFileError.invalid(
            file: file, key: "files", expected: "{\"name\": a plain file name, \"bytes\": base64}", found: String(record.encoded(pretty: false).prefix(60)))
        }
        part.files.append((name, bytes))
      }
    }
    return part
  }
}

/// A set of parts checked to be one run with every shard exactly once.
public struct PartSet {
  /// The run they belong to.
  public var identity: JSONValue
  /// Every evaluation of every part, for replay.
  public var store: EvaluationStore
  /// Every output file of every part, by name (`figures`).
  public var files: [String: Data] = [:]

  /// Checks `parts` (file name, part) and pools their evaluations.
  /// - Throws: `ShardingError.foreignPart` for a part of another run (naming both files and the
  ///   first differing key), `.duplicatePart` for a shard given twice, `.missingParts` for shards
  ///   without a part.
  public init(_ parts: [(file: String, part: PartFile)]) throws {
    guard let reference = parts.first else { throw ShardingError.missingParts(shards: [], count: 0, given: []) }
    var byShard: [Int: [String]] = [:]
    for (file, part) in parts {
      if let key = RunIdentity.firstDifference(reference.part.identity, part.identity) {
        throw ShardingError.foreignPart(file: file, reference: reference.file, key: "run." + key)
      }
      guard part.shard.count == reference.part.shard.count else {
        throw ShardingError.foreignPart(file: file, reference: reference.file, key: "shard.count")
      }
      byShard[part.shard.index, default: []].append(file)
    }
    let count = reference.part.shard.count
    if let (index, files) = byShard.sorted(by: { $0.key < $1.key }).first(where: { $0.value.count > 1 }) {
      throw ShardingError.duplicatePart(shard: "\(index)/\(count)", files: files)
    }
    let missing = (0..<count).filter { byShard[$0] == nil }
    guard missing.isEmpty else { throw ShardingError.missingParts(shards: missing, count: count, given: parts.map(\.file)) }
    identity = reference.part.identity
    store = EvaluationStore(mode: .replay)
    var fileSource: [String: String] = [:]
    for (file, part) in parts {
      for (name, bytes) in part.files {
        if let other = fileSource[name] { throw ShardingError.inconsistentParts(files: [other, file], plan: "output file \(name)") }
        fileSource[name] = file
        files[name] = bytes
      }
    }
    if parts.contains(where: { $0.part.images != nil }) {
      try joinImageRanges(parts)
      return
    }
    var source: [LesionPlan: String] = [:]
    var measureSource: [String: String] = [:]
    for (file, part) in parts.sorted(by: { $0.part.shard.index < $1.part.shard.index }) {
      for result in part.evaluations {
        if let stored = store.result(for: result.plan) {
          // Every shard evaluates the intact network: the copies must agree bit for bit.
          guard Self.identical(stored, result) else {
            throw ShardingError.inconsistentParts(files: [source[result.plan] ?? "?", file], plan: result.plan.description)
          }
        } else {
          store.restore(result)
          source[result.plan] = file
        }
      }
      for (sample, norms) in part.gradientSamples { store.restoreGradientSample(sample, norms: norms) }
      for (key, values) in part.measures {
        if let stored = store.measure(key) {
          // Measures every shard computes (prune's static measures) must agree bit for bit.
          guard stored.map(\.bitPattern) == values.map(\.bitPattern) else {
            throw ShardingError.inconsistentParts(files: [measureSource[key] ?? "?", file], plan: "measure '\(key)'")
          }
        } else {
          store.restoreMeasure(key, values: values)
          measureSource[key] = file
        }
      }
    }
  }

  /// Whether two results are the same bit for bit.
  static func identical(_ a: LesionResult, _ b: LesionResult) -> Bool {
    a.count == b.count && a.errors == b.errors && a.agreements == b.agreements
      && a.lossSum.bitPattern == b.lossSum.bitPattern && a.correct == b.correct
      && a.losses.map(\.bitPattern) == b.losses.map(\.bitPattern)
  }

  /// Pools the parts of a run split by images: the parts' image ranges, in shard order, must
  /// tile the selection; each configuration's per-image results are concatenated in image order.
  /// - Throws: `ShardingError.foreignPart` for a part without an image range or one that does
  ///   not continue the previous shard's, `.missingEvaluation` for a configuration a part lacks.
  private func joinImageRanges(_ parts: [(file: String, part: PartFile)]) throws {
    let ordered = parts.sorted { $0.part.shard.index < $1.part.shard.index }
    let total = identity["data"]?["images"]?.intValue ?? -1
    var next = 0
    var pieces: [LesionPlan: [LesionResult]] = [:]
    var plans: [LesionPlan] = []
    for (position, (file, part)) in ordered.enumerated() {
      guard let images = part.images, images.lowerBound == next, position + 1 < ordered.count || images.upperBound == total else {
        throw ShardingError.foreignPart(file: file, reference: ordered[0].file, key: "images")
      }
      next = images.upperBound
      guard !images.isEmpty else { continue }
      if plans.isEmpty { plans = part.evaluations.map(\.plan) }
      for result in part.evaluations { pieces[result.plan, default: []].append(result) }
      for plan in plans where !part.evaluations.contains(where: { $0.plan == plan }) {
        throw ShardingError.missingEvaluation(plan: "\(plan) on images \(images.lowerBound)..<\(images.upperBound) (\(file))")
      }
    }
    for plan in plans { store.restore(Self.joined(pieces[plan] ?? [])) }
  }

  /// Results of one configuration on consecutive image ranges as one result, exactly as one
  /// pass over all the images accumulates it (the loss sum re-added image by image, in order).
  /// - Complexity: O(images).
  static func joined(_ pieces: [LesionResult]) -> LesionResult {
    var result = LesionResult(plan: pieces.first?.plan ?? .intact)
    for piece in pieces {
      result.count += piece.count
      result.errors += piece.errors
      result.agreements += piece.agreements
      result.correct += piece.correct
      result.losses += piece.losses
    }
    result.lossSum = result.losses.reduce(0, +)
    return result
  }
}

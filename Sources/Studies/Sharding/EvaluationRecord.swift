import Basics
import Engine
import Foundation
import Lesion

/// One evaluated lesion as a JSON record, exactly: per-image correctness bit-packed and per-image
/// losses as IEEE-754 bit patterns (both base64), so a result read back equals the one computed,
/// bit for bit, and everything derived from it (paired statistics, tables) is byte-identical.
///
/// `{"plan": {"deleted": [5, 9], "order": null}, "images": n, "errors": e, "loss_sum": "<hex bits>",
/// "agreements": a, "correct": "<base64 bits>", "losses": "<base64 little-endian float64>"}`
public enum EvaluationRecord {
  /// The record of `result`.
  /// - Complexity: O(images).
  public static func encode(_ result: LesionResult) -> JSONValue {
    var bits = [UInt8](repeating: 0, count: (result.correct.count + 7) / 8)
    for (i, correct) in result.correct.enumerated() where correct { bits[i / 8] |= 1 << UInt8(i % 8) }
    return .object([
      ("plan", .object([
        ("deleted", .array(result.plan.deleted.sorted().map { .integer($0) })),
        ("order", result.plan.order.map { .array($0.map { .integer($0) }) } ?? .null),
      ])),
      ("images", .integer(result.count)), ("errors", .integer(result.errors)),
      ("loss_sum", .string(String(result.lossSum.bitPattern, radix: 16))), ("agreements", .integer(result.agreements)),
      ("correct", .string(Data(bits).base64EncodedString())), ("losses", .string(base64(float64s: result.losses))),
    ])
  }

  /// The result a record holds.
  /// - Throws: `ShardFileError.invalid` naming the key when the record is malformed or its
  ///   per-image vectors do not have one entry per image.
  /// - Complexity: O(images).
  public static func decode(_ record: JSONValue, file: String) throws -> LesionResult {
    func invalid(_ key: String, _ expected: String) -> ShardFileError {
      .invalid(file: file, key: key, expected: expected, found: record[key].map { String($0.description.prefix(60)) } ?? "nothing")
    }
    func count(_ key: String) throws -> Int {
      guard let value = record[key]?.intValue, value >= 0 else { throw invalid(key, "a non-negative integer") }
      return value
    }
    func integers(_ value: JSONValue?) -> [Int]? {
      guard case .array(let elements) = value else { return nil }
      let numbers = elements.compactMap(\.intValue)
      return numbers.count == elements.count ? numbers : nil
    }
    guard let plan = record["plan"], let deleted = integers(plan["deleted"]) else { throw invalid("plan", "{\"deleted\": [...], \"order\": ...}") }
    var order: [Int]?
    if let value = plan["order"], value != .null {
      guard let numbers = integers(value) else { throw invalid("plan", "an order of block numbers or null") }
      order = numbers
    }
    let images = try count("images")
    let errors = try count("errors")
    let agreements = try count("agreements")
    guard errors <= images, agreements <= images else { throw invalid("errors", "at most \(images) errors and agreements") }
    guard let lossText = record["loss_sum"]?.stringValue, let lossBits = UInt64(lossText, radix: 16) else {
      throw invalid("loss_sum", "a float64 bit pattern in hexadecimal")
    }
    guard let bitsText = record["correct"]?.stringValue, let bits = Data(base64Encoded: bitsText), bits.count == (images + 7) / 8
    else { throw invalid("correct", "base64 of \((images + 7) / 8) bytes (one bit per image)") }
    guard let lossesText = record["losses"]?.stringValue, let losses = float64s(base64: lossesText), losses.count == images
    else { throw invalid("losses", "base64 of \(images * 8) bytes (one float64 per image)") }
    var result = LesionResult(plan: LesionPlan(order: order, deleted: Set(deleted)))
    result.count = images
    result.errors = errors
    result.lossSum = Double(bitPattern: lossBits)
    result.agreements = agreements
    let bytes = [UInt8](bits)
    result.correct = (0..<images).map { bytes[$0 / 8] & (1 << UInt8($0 % 8)) != 0 }
    result.losses = losses
    guard result.correct.filter({ !$0 }).count == errors else { throw invalid("errors", "the number of images marked wrong in 'correct'") }
    return result
  }
}

extension EvaluationRecord {
  /// The record of one path-gradient sample: its index and one norm per measured length, as
  /// float64 bit patterns (`{"gradient_sample": s, "norms": "<base64>"}`).
  public static func encodeGradientSample(_ sample: Int, norms: [Double]) -> JSONValue {
    .object([("gradient_sample", .integer(sample)), ("norms", .string(base64(float64s: norms)))])
  }

  /// The sample index and norms of a gradient-sample record, or nil for another kind of record.
  /// - Throws: `ShardFileError.invalid` for a malformed gradient-sample record.
  public static func decodeGradientSample(_ record: JSONValue, file: String) throws -> (sample: Int, norms: [Double])? {
    guard let index = record["gradient_sample"] else { return nil }
    guard let sample = index.intValue, sample >= 0, let text = record["norms"]?.stringValue, let norms = float64s(base64: text)
    else {
      throw ShardFileError.invalid(
        file: file, key: "gradient_sample", expected: "a sample index and base64 float64 norms", found: String(record.encoded(pretty: false).prefix(60)))
    }
    return (sample, norms)
  }
}

extension EvaluationRecord {
  /// The record of a named vector of measured numbers (a Shapley permutation's mean losses, a
  /// greedy pruning step, the gradient measures of `rank`), as float64 bit patterns:
  /// `{"measure": "shapley 3", "values": "<base64 little-endian float64>"}`.
  public static func encodeMeasure(_ key: String, values: [Double]) -> JSONValue {
    .object([("measure", .string(key)), ("values", .string(base64(float64s: values)))])
  }

  /// The key and values of a measure record, or nil for another kind of record.
  /// - Throws: `ShardFileError.invalid` for a malformed measure record.
  public static func decodeMeasure(_ record: JSONValue, file: String) throws -> (key: String, values: [Double])? {
    guard let name = record["measure"] else { return nil }
    guard let key = name.stringValue, let text = record["values"]?.stringValue, let values = float64s(base64: text)
    else {
      throw ShardFileError.invalid(
        file: file, key: "measure", expected: "a name and base64 float64 values", found: String(record.encoded(pretty: false).prefix(60)))
    }
    return (key, values)
  }
}

/// Lesion results already computed, by plan: filled by `Study.evaluate` as it goes (and written
/// to a journal when one is attached), or holding every result of a merged run.
///
/// A `Study` with a store evaluates only the plans the store lacks; in replay mode (a merge) a
/// missing plan is an error instead, so a merge never computes anything.
public final class EvaluationStore: @unchecked Sendable {
  /// Whether a missing plan is evaluated or is an error.
  public enum Mode: Sendable { case evaluateMissing, replay }

  public let mode: Mode
  /// Where each new result is appended durably, if anywhere.
  public let journal: Journal?
  /// Lesions per evaluator pass while a journal is attached (each pass also runs the intact
  /// network, so larger chunks cost less and lose more on a kill).
  public var chunkSize: Int = 8
  /// The images (positions in the selection) this store's results cover when a shard splits its
  /// run by images (`ShardSpec.imageRange`); nil when they cover every image.
  public var imageRange: Range<Int>?
  private var results = FirstStored<LesionPlan, LesionResult>()
  private var gradientSamples = FirstStored<Int, [Double]>()
  private var measures = FirstStored<String, [Double]>()

  public init(mode: Mode = .evaluateMissing, journal: Journal? = nil) {
    self.mode = mode
    self.journal = journal
  }

  /// The stored result of `plan`.
  public func result(for plan: LesionPlan) -> LesionResult? { results[plan] }

  /// Every stored result, in the order first stored.
  public var all: [LesionResult] { results.all.map(\.value) }

  /// Stores `result` unless its plan is already stored; appends it to the journal when new.
  /// - Throws: `ShardFileError.unreadable` when the journal cannot be written.
  public func record(_ result: LesionResult) throws {
    try record(result, for: result.plan, in: \.results, journaling: EvaluationRecord.encode(result))
  }

  /// Stores a result without journaling it (it came from the journal or a part).
  public func restore(_ result: LesionResult) { results.insert(result, for: result.plan) }

  /// Stores a journal record of either kind without journaling it again.
  /// - Throws: `ShardFileError.invalid` for a malformed record.
  public func restore(record: JSONValue, file: String) throws {
    if let (sample, norms) = try EvaluationRecord.decodeGradientSample(record, file: file) {
      restoreGradientSample(sample, norms: norms)
    } else if let (key, values) = try EvaluationRecord.decodeMeasure(record, file: file) {
      restoreMeasure(key, values: values)
    } else {
      restore(try EvaluationRecord.decode(record, file: file))
    }
  }

  // MARK: Path-gradient samples

  /// The norms of path-gradient sample `sample` (one per measured length), if stored.
  public func gradientSample(_ sample: Int) -> [Double]? { gradientSamples[sample] }

  /// Every stored path-gradient sample, in the order first stored.
  public var allGradientSamples: [(sample: Int, norms: [Double])] { gradientSamples.all.map { ($0.key, $0.value) } }

  /// Stores a computed sample and appends it to the journal when new.
  /// - Throws: `ShardFileError.unreadable` when the journal cannot be written.
  public func recordGradientSample(_ sample: Int, norms: [Double]) throws {
    try record(norms, for: sample, in: \.gradientSamples, journaling: EvaluationRecord.encodeGradientSample(sample, norms: norms))
  }

  /// Stores a sample without journaling it.
  public func restoreGradientSample(_ sample: Int, norms: [Double]) { gradientSamples.insert(norms, for: sample) }

  // MARK: Named measures

  /// The values of measure `key` (see `EvaluationRecord.encodeMeasure`), if stored.
  public func measure(_ key: String) -> [Double]? { measures[key] }

  /// Every stored measure, in the order first stored.
  public var allMeasures: [(key: String, values: [Double])] { measures.all.map { ($0.key, $0.value) } }

  /// Stores a computed measure and appends it to the journal when new.
  /// - Throws: `ShardFileError.unreadable` when the journal cannot be written.
  public func recordMeasure(_ key: String, values: [Double]) throws {
    try record(values, for: key, in: \.measures, journaling: EvaluationRecord.encodeMeasure(key, values: values))
  }

  /// Stores a measure without journaling it.
  public func restoreMeasure(_ key: String, values: [Double]) { measures.insert(values, for: key) }

  /// Stores `value` under `key` in `store` unless the key is already stored (the first value
  /// wins), and appends `record` to the journal when the value is new.
  private func record<Key: Hashable, Value>(
    _ value: Value, for key: Key, in store: ReferenceWritableKeyPath<EvaluationStore, FirstStored<Key, Value>>,
    journaling record: @autoclosure () -> JSONValue
  ) throws {
    guard self[keyPath: store][key] == nil else { return }
    try journal?.append(record())
    self[keyPath: store].insert(value, for: key)
  }
}

/// A map that keeps the first value stored under each key and remembers the order keys were first
/// stored in (so stores list their contents, and parts and merges write them, deterministically).
struct FirstStored<Key: Hashable, Value> {
  private var values: [Key: Value] = [:]
  private var order: [Key] = []

  subscript(key: Key) -> Value? { values[key] }

  /// Every stored pair, in the order first stored.
  var all: [(key: Key, value: Value)] { order.compactMap { key in values[key].map { (key, $0) } } }

  /// Stores `value` under `key` unless `key` is already stored (the first value wins).
  mutating func insert(_ value: Value, for key: Key) {
    guard values[key] == nil else { return }
    values[key] = value
    order.append(key)
  }
}

extension EvaluationRecord {
  /// Doubles as base64 of their little-endian IEEE-754 bit patterns (exact: they read back equal).
  static func base64(float64s values: [Double]) -> String {
    var bytes = [UInt8]()
    bytes.reserveCapacity(values.count * 8)
    for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
    return Data(bytes).base64EncodedString()
  }

  /// The doubles `base64(float64s:)` wrote, or nil when the text is not base64 of whole float64s.
  static func float64s(base64 text: String) -> [Double]? {
    guard let data = Data(base64Encoded: text), data.count % 8 == 0 else { return nil }
    return [UInt8](data).withUnsafeBytes { raw in
      (0..<(data.count / 8)).map { Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self))) }
    }
  }
}

import Basics
import Engine
import Foundation
import Lesion
import XCTest

@testable import Studies

/// Shard specs and the array-job environment, exact evaluation records, the journal's torn-record
/// recovery, and the checks `merge` makes on a set of parts.
final class ShardingTests: XCTestCase {
  // MARK: Shard specs

  func testShardSpecParsesIOverNAndRefusesOthers() throws {
    XCTAssertEqual(try ShardSpec.parse("2/7", shards: nil, environment: [:]), try ShardSpec(index: 2, count: 7))
    for bad in ["7/7", "-1/3", "1/0", "1", "a/b", "1/2/3", "", "1/"] {
      XCTAssertThrowsError(try ShardSpec.parse(bad, shards: nil, environment: [:]), bad) { error in
        XCTAssertTrue(error is UsageError, "\(bad): \(error)")
        guard case .invalidShard = error as? ShardingError else { return XCTFail("\(bad): \(error)") }
      }
    }
    XCTAssertThrowsError(try ShardSpec.parse("1/4", shards: 3, environment: [:]))
  }

  func testAutoReadsSlurmArrayVariables() throws {
    let counted = ["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "0"]
    XCTAssertEqual(try ShardSpec.parse("auto", shards: nil, environment: counted), try ShardSpec(index: 2, count: 4))
    // --array=1-4: ids 1…4 are shards 0…3; only MIN/MAX given.
    let ranged = ["SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "4"]
    XCTAssertEqual(try ShardSpec.fromEnvironment(ranged, shards: nil), try ShardSpec(index: 3, count: 4))
    // --array=0-6:2: ids 0, 2, 4, 6.
    let stepped = ["SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "6", "SLURM_ARRAY_TASK_STEP": "2"]
    XCTAssertEqual(try ShardSpec.fromEnvironment(stepped, shards: nil), try ShardSpec(index: 2, count: 4))
    XCTAssertThrowsError(try ShardSpec.fromEnvironment(["SLURM_ARRAY_TASK_ID": "1"], shards: nil))
    XCTAssertThrowsError(try ShardSpec.fromEnvironment(["SLURM_ARRAY_TASK_ID": "x", "SLURM_ARRAY_TASK_COUNT": "2"], shards: nil)) {
      XCTAssertEqual($0 as? ShardingError, .invalidEnvironment(variable: "SLURM_ARRAY_TASK_ID", value: "x", expected: "a non-negative integer"))
    }
    XCTAssertThrowsError(try ShardSpec.fromEnvironment(counted, shards: 5), "--shards contradicting the array")
  }

  func testAutoReadsKubernetesCompletionIndexWithShards() throws {
    XCTAssertEqual(try ShardSpec.fromEnvironment(["JOB_COMPLETION_INDEX": "3"], shards: 8), try ShardSpec(index: 3, count: 8))
    XCTAssertThrowsError(try ShardSpec.fromEnvironment(["JOB_COMPLETION_INDEX": "3"], shards: nil)) {
      XCTAssertEqual($0 as? ShardingError, .missingShardCount(index: 3))
      XCTAssertTrue("\($0)".contains("--shards"))
    }
    XCTAssertThrowsError(try ShardSpec.fromEnvironment(["JOB_COMPLETION_INDEX": "8"], shards: 8))
  }

  func testAutoWithoutAnArrayJobNamesTheVariables() {
    XCTAssertThrowsError(try ShardSpec.parse("auto", shards: nil, environment: ["HOME": "/root"])) { error in
      XCTAssertEqual(error as? ShardingError, .noShardEnvironment)
      XCTAssertTrue(error is UsageError)
      for variable in ["SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "JOB_COMPLETION_INDEX", "--shards"] {
        XCTAssertTrue("\(error)".contains(variable), variable)
      }
    }
  }

  func testShardsPartitionTheConfigurations() throws {
    let items = Array(0..<23)
    for count in [1, 2, 3, 7, 30] {
      var seen: [Int] = []
      for index in 0..<count { seen += try ShardSpec(index: index, count: count).owned(items) }
      XCTAssertEqual(seen.sorted(), items, "\(count) shards")
    }
    XCTAssertEqual(try ShardSpec(index: 1, count: 3).owned(items), [1, 4, 7, 10, 13, 16, 19, 22])
  }

  // MARK: Records

  /// A result with awkward values: NaN, −0, subnormal and huge losses, an order and deletions.
  func sampleResult(images: Int = 13, seed: UInt64 = 1, plan: LesionPlan = LesionPlan(order: [1, 3, 2, 4], deleted: [4, 2])) -> LesionResult {
    var generator = SplitMix64(seed: seed)
    var result = LesionResult(plan: plan)
    for i in 0..<images {
      let special: [Double] = [.nan, -0.0, .leastNonzeroMagnitude, 1e300]
      let loss = i % 2 == 0 ? special[(i / 2) % 4] : Double(generator.next() % 1000) / 7
      result.losses.append(loss)
      result.lossSum += loss
      let correct = generator.next() % 3 != 0
      result.correct.append(correct)
      if !correct { result.errors += 1 }
      result.count += 1
    }
    result.agreements = images / 2
    return result
  }

  func testRecordsRoundTripBitForBit() throws {
    for images in [0, 1, 8, 13, 64] {
      let result = sampleResult(images: images, seed: UInt64(images))
      let text = EvaluationRecord.encode(result).encoded(pretty: false)
      let back = try EvaluationRecord.decode(try JSONValue.parse(text), file: "x")
      XCTAssertEqual(back.plan, result.plan)
      XCTAssertEqual([back.count, back.errors, back.agreements], [result.count, result.errors, result.agreements])
      XCTAssertEqual(back.lossSum.bitPattern, result.lossSum.bitPattern)
      XCTAssertEqual(back.correct, result.correct)
      XCTAssertEqual(back.losses.map(\.bitPattern), result.losses.map(\.bitPattern))
    }
  }

  func testMalformedRecordsNameTheKey() throws {
    let good = EvaluationRecord.encode(sampleResult())
    guard case .object(var members) = good else { return XCTFail() }
    let index = members.firstIndex { $0.key == "losses" }!
    members[index].value = .string("AAAA")
    XCTAssertThrowsError(try EvaluationRecord.decode(.object(members), file: "p.json")) {
      XCTAssertTrue("\($0)".contains("p.json") && "\($0)".contains("'losses'"), "\($0)")
    }
    XCTAssertThrowsError(try EvaluationRecord.decode(.array([]), file: "p.json"))
  }

  // MARK: Journal

  /// A file in a fresh folder, removed when the test ends.
  func temporaryFile(_ name: String) -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sharding-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
    return folder.appendingPathComponent(name)
  }

  let header: JSONValue = .object([("run", .object([("seed", .string("0"))])), ("shard", .null)])

  func testJournalKeepsWholeRecordsAndDropsATornOne() throws {
    let url = temporaryFile("journal")
    do {
      let journal = try Journal(url: url, header: header)
      XCTAssertEqual(journal.records.count, 0)
      for i in 0..<3 { try journal.append(.object([("i", .integer(i))])) }
    }
    let whole = try Data(contentsOf: url)
    // Every cut inside the last record (a kill mid-write) leaves the first two.
    let last = Journal.frame(Array(JSONValue.object([("i", .integer(2))]).encoded(pretty: false).utf8)).count
    for cut in [1, 3, 4, 5, last - 4, last - 1] {
      try whole.prefix(whole.count - last + cut).write(to: url)
      let journal = try Journal(url: url, header: header)
      XCTAssertEqual(journal.records, [.object([("i", .integer(0))]), .object([("i", .integer(1))])], "cut \(cut)")
      XCTAssertEqual(journal.droppedBytes, cut)
      XCTAssertEqual(try Data(contentsOf: url).count, whole.count - last, "truncated to the whole records")
    }
    // A flipped byte in the last record's payload: its checksum fails, it is dropped.
    var corrupt = [UInt8](whole)
    corrupt[corrupt.count - 6] ^= 0x20
    try Data(corrupt).write(to: url)
    let journal = try Journal(url: url, header: header)
    XCTAssertEqual(journal.records.count, 2)
    try journal.append(.object([("i", .integer(9))]))
    XCTAssertEqual(Journal.parse([UInt8](try Data(contentsOf: url))).records.count, 3)
  }

  func testJournalOfAnotherRunIsRefused() throws {
    let url = temporaryFile("journal")
    _ = try Journal(url: url, header: header)
    let other: JSONValue = .object([("run", .object([("seed", .string("1"))])), ("shard", .null)])
    XCTAssertThrowsError(try Journal(url: url, header: other)) { error in
      XCTAssertEqual(error as? ShardingError, .journalMismatch(file: url.path, key: "run.seed", journal: "\"0\"", run: "\"1\""))
    }
    let notJournal = temporaryFile("results.csv")
    try Data("block,error\n".utf8).write(to: notJournal)
    XCTAssertThrowsError(try Journal(url: notJournal, header: header)) {
      XCTAssertTrue("\($0)".contains("journal"), "\($0)")
    }
    XCTAssertEqual(try String(contentsOf: notJournal, encoding: .utf8), "block,error\n", "a non-journal file is left alone")
  }

  func testJournalTornBeforeItsHeaderStartsOver() throws {
    let url = temporaryFile("journal")
    try Data("RLJR".utf8).write(to: url)
    let journal = try Journal(url: url, header: header)
    XCTAssertEqual(journal.records, [])
    XCTAssertEqual(Journal.parse([UInt8](try Data(contentsOf: url))).header, header)
  }

  // MARK: Parts

  func part(_ index: Int, of count: Int, seed: String = "0") throws -> PartFile {
    PartFile(
      identity: .object([("options", .object([("seed", .array([.string(seed)]))]))]),
      shard: try ShardSpec(index: index, count: count),
      evaluations: [sampleResult(seed: UInt64(index), plan: LesionPlan(deleted: [index + 1]))])
  }

  func testPartsRoundTripThroughTheirFile() throws {
    let url = temporaryFile("part.json")
    try Data(try part(1, of: 3).encoded().utf8).write(to: url)
    let back = try PartFile.read(url)
    XCTAssertEqual(back.shard, try ShardSpec(index: 1, count: 3))
    XCTAssertEqual(back.evaluations.first?.losses.map(\.bitPattern), sampleResult(seed: 1).losses.map(\.bitPattern))
    XCTAssertEqual(back.evaluations.first?.plan, LesionPlan(deleted: [2]))
    try Data("{\"format\": \"something\"}".utf8).write(to: url)
    XCTAssertThrowsError(try PartFile.read(url)) { XCTAssertTrue("\($0)".contains(url.path) && "\($0)".contains("format")) }
  }

  func testMergeRefusesMissingDuplicateAndForeignPartsByName() throws {
    XCTAssertNoThrow(try PartSet([("a", try part(0, of: 2)), ("b", try part(1, of: 2))]))
    XCTAssertThrowsError(try PartSet([("a", try part(0, of: 3)), ("c", try part(2, of: 3))])) {
      XCTAssertEqual($0 as? ShardingError, .missingParts(shards: [1], count: 3, given: ["a", "c"]))
    }
    XCTAssertThrowsError(try PartSet([("a", try part(0, of: 2)), ("b", try part(1, of: 2)), ("b2", try part(1, of: 2))])) {
      XCTAssertEqual($0 as? ShardingError, .duplicatePart(shard: "1/2", files: ["b", "b2"]))
    }
    XCTAssertThrowsError(try PartSet([("a", try part(0, of: 2)), ("x", try part(1, of: 2, seed: "5"))])) {
      XCTAssertEqual($0 as? ShardingError, .foreignPart(file: "x", reference: "a", key: "run.options.seed"))
    }
    XCTAssertThrowsError(try PartSet([("a", try part(0, of: 2)), ("y", try part(1, of: 3))])) {
      XCTAssertEqual($0 as? ShardingError, .foreignPart(file: "y", reference: "a", key: "shard.count"))
    }
    // The same plan (as the intact network is in every part) with other numbers: refused.
    var drifted = try part(1, of: 2)
    drifted.evaluations.append(try part(0, of: 2).evaluations[0])
    XCTAssertNoThrow(try PartSet([("a", try part(0, of: 2)), ("b", drifted)]), "equal copies are fine")
    drifted.evaluations[1].losses[1] = drifted.evaluations[1].losses[1].nextUp
    XCTAssertThrowsError(try PartSet([("a", try part(0, of: 2)), ("b", drifted)])) {
      XCTAssertEqual($0 as? ShardingError, .inconsistentParts(files: ["a", "b"], plan: "delete 1"))
    }
  }
}

extension ShardingTests {
  // MARK: Runs split by images

  func testImageRangesTileTheSelectionInWholeBatches() throws {
    for images in [0, 1, 120, 121] {
      for batchSize in [1, 7, 50, 200] {
        for count in [1, 2, 3, 7] {
          let ranges = try (0..<count).map { try ShardSpec(index: $0, count: count).imageRange(images: images, batchSize: batchSize) }
          XCTAssertEqual(ranges.first?.lowerBound, 0)
          XCTAssertEqual(ranges.last?.upperBound, images, "\(images) images, batch \(batchSize), \(count) shards")
          for (a, b) in zip(ranges, ranges.dropFirst()) { XCTAssertEqual(a.upperBound, b.lowerBound) }
          for range in ranges where range.upperBound < images { XCTAssertEqual(range.upperBound % batchSize, 0, "cut inside a batch") }
        }
      }
    }
    XCTAssertEqual(try ShardSpec(index: 1, count: 3).imageRange(images: 120, batchSize: 50), 50..<100)
    XCTAssertEqual(try ShardSpec(index: 5, count: 7).imageRange(images: 120, batchSize: 50), 100..<100)
  }

  /// The images `range` of `result`, accumulated as a pass over those images alone would.
  func slice(_ result: LesionResult, _ range: Range<Int>) -> LesionResult {
    var piece = LesionResult(plan: result.plan)
    for i in range {
      piece.losses.append(result.losses[i])
      piece.lossSum += result.losses[i]
      piece.correct.append(result.correct[i])
      if !result.correct[i] { piece.errors += 1 }
      piece.count += 1
    }
    piece.agreements = range.count / 2
    return piece
  }

  func testPartsSplitByImagesJoinToOnePassBitForBit() throws {
    var whole = sampleResult(images: 13, seed: 4, plan: LesionPlan(deleted: [2]))
    whole.losses = whole.losses.map { $0.isNaN ? 0.1 : $0 }
    whole.lossSum = whole.losses.reduce(0, +)
    let ranges = [0..<5, 5..<5, 5..<13]
    let identity: JSONValue = .object([("data", .object([("images", .integer(13))]))])
    func parts(_ ranges: [Range<Int>]) throws -> [(file: String, part: PartFile)] {
      try ranges.enumerated().map { index, range in
        ("p\(index)", PartFile(
          identity: identity, shard: try ShardSpec(index: index, count: ranges.count),
          evaluations: range.isEmpty ? [] : [slice(whole, range)], images: range))
      }
    }
    let joined = try PartSet(try parts(ranges)).store.result(for: whole.plan)
    XCTAssertEqual(joined?.losses.map(\.bitPattern), whole.losses.map(\.bitPattern))
    XCTAssertEqual(joined?.lossSum.bitPattern, whole.lossSum.bitPattern)
    XCTAssertEqual(joined?.correct, whole.correct)
    XCTAssertEqual(joined.map { [$0.count, $0.errors, $0.agreements] }, [13, whole.errors, 2 + 4])
    // A gap, an overlap or a short run of ranges is refused, naming the part.
    for (bad, file) in [([0..<5, 6..<13], "p1"), ([0..<5, 4..<13], "p1"), ([0..<5, 5..<12], "p1")] {
      XCTAssertThrowsError(try PartSet(try parts(bad))) {
        XCTAssertEqual($0 as? ShardingError, .foreignPart(file: file, reference: "p0", key: "images"))
      }
    }
    // A part that lacks a configuration the others hold.
    var lacking = try parts(ranges)
    lacking[2].part.evaluations = []
    XCTAssertThrowsError(try PartSet(lacking)) { XCTAssertTrue("\($0)".contains("p2"), "\($0)") }
    // Round trip through the file keeps the range.
    let url = temporaryFile("part.json")
    try Data(try parts(ranges)[2].part.encoded().utf8).write(to: url)
    XCTAssertEqual(try PartFile.read(url).images, 5..<13)
  }
}

extension ShardingTests {
  /// Agreement between two different models comes from their per-image predictions, not from the
  /// evaluator's count against the lesioned model's own intact network.
  func testComparisonAgreementUsesBothModelsPredictions() {
    var baseline = LesionResult(plan: LesionPlan(order: [1, 2], deleted: []))
    var other = baseline
    for (i, (a, b)) in zip([0, 1, 2, 3], [0, 1, 0, 3]).enumerated() {
      baseline.predictions.append(a)
      other.predictions.append(b)
      baseline.correct.append(true)
      other.correct.append(i != 2)
      baseline.losses.append(0.1)
      other.losses.append(i == 2 ? 2 : 0.1)
      baseline.count += 1
      other.count += 1
    }
    other.errors = 1
    other.agreements = 4  // what the evaluator counted against the other model's own intact network
    XCTAssertEqual(other.agreement, 1)
    XCTAssertEqual(LesionComparison(other, intact: baseline).agreement, 0.75)
    // Without predictions (e.g. results read back from old records) the evaluator's value stays.
    other.predictions = []
    XCTAssertEqual(LesionComparison(other, intact: baseline).agreement, 1)
  }
}

import _TestSupport
import Foundation
import XCTest

#if canImport(Glibc)
  import Glibc
#endif

/// Sharded runs merge to the unsharded bytes; refused part sets; `--shard auto`; a run killed at
/// random moments and resumed from its journal gives the uninterrupted run's bytes.
final class ShardingCommandTests: XCTestCase {
  static var resnet8: String { LesionCommandTests.resnet }
  /// Blocks 1 and 2 share a shape, so it can be reordered.
  static var vgg: String { LesionCommandTests.vgg }
  static var resnet110: String { TestFiles.notebooksData().appendingPathComponent("models/resnet110.safetensors").path }

  /// A fresh folder for one test's files, removed when the test ends.
  func folder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("sharding-e2e-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
  }

  /// Runs and requires exit 0; returns the result.
  @discardableResult
  func succeed(_ arguments: [String], in directory: URL, environment: [String: String] = [:]) throws -> BinaryRunner.Result {
    let result = try BinaryRunner.run(arguments, in: directory, environment: environment)
    XCTAssertEqual(result.status, 0, "\(arguments.joined(separator: " ")): \(result.standardError)")
    return result
  }

  /// For each command: the unsharded run in every format, then 1, 2, 3 and 7 shards merged
  /// (every format for 2 shards, JSON for the others). Outputs carry their equivalent command,
  /// which names the output file as given, so each is written as `out.<format>` in its own folder.
  func testShardedRunsMergeToTheUnshardedBytes() throws {
    let data = ["--limit", "120", "--batch-size", "50", "--quiet"]
    let commands: [[String]] = [
      ["sweep", "--model", Self.resnet8] + data,
      ["sweep", "--model", Self.resnet8, "--deleted", "1-3", "--samples", "4", "--seed", "3"] + data,
      ["sweep", "--model", Self.resnet8, "--deleted", "1-3", "--samples", "auto", "--min-samples", "2", "--max-samples", "6", "--precision", "0.001"] + data,
      ["drop", "--model", Self.resnet8, "--deleted", "1,2", "--samples", "5"] + data,
      ["drop", "--model", Self.resnet8, "--blocks", "1,3"] + data,
      ["paths", "--gradients", "--model", Self.resnet8, "--gradient-samples", "9", "--gradient-batch", "8", "--quiet"],
      ["interactions", "--model", Self.vgg] + data,
      ["rank", "--model", Self.resnet8, "--permutations", "3", "--seed", "2"] + data,
      ["prune", "--model", Self.resnet8, "--steps", "2", "--random-orders", "2", "--seed", "1"] + data,
      ["reorder", "--model", Self.vgg, "--swaps", "1-2", "--samples", "3"] + data,
      ["reorder", "--model", Self.vgg, "--swaps", "1-3", "--samples", "auto", "--min-samples", "2", "--max-samples", "4", "--summary"] + data,
    ]
    let formats = ["json", "csv", "table"]
    for command in commands {
      let directory = try folder()
      func sub(_ name: String) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
      }
      let name = command.prefix(6).joined(separator: " ")
      var reference: [String: Data] = [:]
      for format in formats {
        let place = try sub("unsharded-\(format)")
        try succeed(command + ["--format", format, "--output", "out.\(format)"], in: place)
        reference[format] = try Data(contentsOf: place.appendingPathComponent("out.\(format)"))
      }
      for count in [1, 2, 3, 7] {
        let parts = (0..<count).map { directory.appendingPathComponent("part-\(count)-\($0).json").path }
        for (index, part) in parts.enumerated() {
          try succeed(command + ["--shard", "\(index)/\(count)", "--output", part], in: directory)
        }
        for format in count == 2 ? formats : ["json"] {
          let place = try sub("merged-\(count)-\(format)")
          try succeed(["merge"] + parts + ["--format", format, "--output", "out.\(format)", "--quiet"], in: place)
          let bytes = try Data(contentsOf: place.appendingPathComponent("out.\(format)"))
          XCTAssertEqual(bytes, reference[format], "\(name): \(count) shards, \(format)")
          if bytes != reference[format] {
            print(String(decoding: bytes, as: UTF8.self), String(decoding: reference[format] ?? Data(), as: UTF8.self))
          }
        }
      }
      let json = String(decoding: reference["json"] ?? Data(), as: UTF8.self)
      XCTAssertTrue(json.contains("\"equivalent_command\""), name)
      XCTAssertFalse(json.contains("--shard") || json.contains("--journal") || json.contains("part-"), "\(name): provenance mentions no shard")
    }
  }

  /// `drop --blocks` is one configuration: its shards split the images in whole batches, each
  /// part holding the intact network and the lesion on its range, and merge joins them.
  func testSingleConfigurationShardsSplitTheImages() throws {
    let directory = try folder()
    let command = ["drop", "--model", Self.resnet8, "--blocks", "2", "--limit", "90", "--batch-size", "7", "--format", "csv", "--quiet"]
    let unsharded = directory.appendingPathComponent("unsharded")
    try FileManager.default.createDirectory(at: unsharded, withIntermediateDirectories: true)
    try succeed(command + ["--output", "out.csv"], in: unsharded)
    // 90 images in 13 batches of 7 (the last of 6): shard 3 of 7 gets batches 5 and 6.
    var starts: [Int] = []
    for index in 0..<7 {
      try succeed(command.filter { $0 != "--format" && $0 != "csv" } + ["--shard", "\(index)/7", "--output", "p\(index).json"], in: directory)
      let data = try Data(contentsOf: directory.appendingPathComponent("p\(index).json"))
      let part = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
      let images = part["images"] as? [String: Int] ?? [:]
      let start = images["start"] ?? -1, end = images["end"] ?? -1
      starts.append(start)
      let evaluations = part["evaluations"] as? [[String: Any]] ?? []
      XCTAssertEqual(evaluations.count, 2, "p\(index).json: intact and the lesion")
      XCTAssertTrue(evaluations.allSatisfy { $0["images"] as? Int == end - start }, "p\(index).json covers \(start)..<\(end)")
    }
    XCTAssertEqual(starts, [0, 7, 21, 35, 49, 63, 77])
    let merged = directory.appendingPathComponent("merged")
    try FileManager.default.createDirectory(at: merged, withIntermediateDirectories: true)
    try succeed(["merge"] + (0..<7).map { "../p\($0).json" } + ["--format", "csv", "--output", "out.csv", "--quiet"], in: merged)
    XCTAssertEqual(try Data(contentsOf: merged.appendingPathComponent("out.csv")), try Data(contentsOf: unsharded.appendingPathComponent("out.csv")))
  }

  /// `figures --shard I/N`: whole figures are the configurations; 1, 2, 3 and 7 shards merge to
  /// the unsharded folder: every CSV and SVG byte-identical, every sidecar too but its wall time.
  func testShardedFiguresMergeToTheUnshardedFiles() throws {
    let directory = try folder()
    let command =
      ["figures", "--only", "fig3,fig5a,fig6a,fig6b,fig8"] + FiguresCommandTests.small + FiguresCommandTests.tinyModels
    try succeed(command + ["--output", "unsharded"], in: directory)
    let unsharded = directory.appendingPathComponent("unsharded")
    let names = try FileManager.default.contentsOfDirectory(atPath: unsharded.path).sorted()
    XCTAssertEqual(names.count, 20)
    /// The file's lines, a sidecar's wall time left out.
    func content(_ url: URL) throws -> [Substring] {
      try String(decoding: Data(contentsOf: url), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        .filter { !$0.contains("\"wall_time_seconds\"") }
    }
    for count in [1, 2, 3, 7] {
      let parts = (0..<count).map { "figures-\(count)-\($0).json" }
      for (index, part) in parts.enumerated() {
        try succeed(command + ["--shard", "\(index)/\(count)", "--output", part], in: directory)
      }
      let merged = directory.appendingPathComponent("merged-\(count)")
      try succeed(["merge"] + parts + ["--output", merged.lastPathComponent, "--quiet"], in: directory)
      XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: merged.path).sorted(), names, "\(count) shards")
      for name in names {
        let (a, b) = (merged.appendingPathComponent(name), unsharded.appendingPathComponent(name))
        if name.hasSuffix(".json") {
          XCTAssertEqual(try content(a), try content(b), "\(count) shards: \(name)")
          XCTAssertFalse(try String(decoding: Data(contentsOf: a), as: UTF8.self).contains("--shard"), name)
        } else {
          XCTAssertEqual(try Data(contentsOf: a), try Data(contentsOf: b), "\(count) shards: \(name)")
        }
      }
    }
    // A missing shard is refused before anything is written.
    let missing = try BinaryRunner.run(["merge", "figures-3-0.json", "figures-3-2.json", "--output", "partial"], in: directory)
    XCTAssertEqual(missing.status, 64, missing.standardError)
    XCTAssertTrue(missing.standardError.contains("shard 1 of 3"), missing.standardError)
    XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("partial").path))
  }

  func testMergeRefusesMissingDuplicateAndForeignPartsNamingThem() throws {
    let directory = try folder()
    let command = ["sweep", "--model", Self.resnet8, "--limit", "40", "--quiet"]
    for index in 0..<3 { try succeed(command + ["--shard", "\(index)/3", "--output", "p\(index).json"], in: directory) }
    try succeed(command + ["--seed", "1", "--shard", "2/3", "--output", "seed1.json"], in: directory)
    try succeed(["sweep", "--model", Self.resnet8, "--limit", "41", "--quiet", "--shard", "2/3", "--output", "limit41.json"], in: directory)
    let cases: [([String], [String])] = [
      (["p0.json", "p2.json"], ["shard 1 of 3", "p0.json", "p2.json"]),
      (["p0.json", "p1.json", "p2.json", "p1.json"], ["shard 1/3", "p1.json, p1.json"]),
      (["p0.json", "p1.json", "seed1.json"], ["seed1.json", "p0.json", "run.options"]),
      (["p0.json", "p1.json", "limit41.json"], ["limit41.json", "p0.json", "run."]),
    ]
    for (parts, fragments) in cases {
      let result = try BinaryRunner.run(["merge"] + parts + ["--output", "out.csv"], in: directory)
      XCTAssertEqual(result.status, 64, "\(parts): \(result.standardError)")
      XCTAssertTrue(result.standardError.hasPrefix("Error: "), result.standardError)
      for fragment in fragments { XCTAssertTrue(result.standardError.contains(fragment), "\(parts): \(result.standardError) lacks \(fragment)") }
      XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("out.csv").path))
    }
    // The model file changed between the shards and the merge: refused, naming what differs.
    let model = directory.appendingPathComponent("model.safetensors")
    try FileManager.default.copyItem(atPath: Self.resnet8, toPath: model.path)
    let local = ["sweep", "--model", model.path, "--limit", "40", "--quiet"]
    for index in 0..<2 { try succeed(local + ["--shard", "\(index)/2", "--output", "m\(index).json"], in: directory) }
    try FileManager.default.removeItem(at: model)
    try FileManager.default.copyItem(atPath: Self.vgg, toPath: model.path)
    let changed = try BinaryRunner.run(["merge", "m0.json", "m1.json", "--quiet"], in: directory)
    XCTAssertEqual(changed.status, 64, changed.standardError)
    XCTAssertTrue(changed.standardError.hasPrefix("Error: the parts were computed with 'model.sha256'"), changed.standardError)
    try Data("not json".utf8).write(to: directory.appendingPathComponent("junk.json"))
    let junk = try BinaryRunner.run(["merge", "p0.json", "junk.json"], in: directory)
    XCTAssertEqual(junk.status, 1, junk.standardError)
    XCTAssertTrue(junk.standardError.contains("junk.json"), junk.standardError)
  }

  func testShardAutoReadsTheArrayJobOrSaysWhatIsMissing() throws {
    let directory = try folder()
    let command = ["sweep", "--model", Self.resnet8, "--limit", "40", "--quiet", "--shard", "auto"]
    let missing = try BinaryRunner.run(command + ["--output", "x.json"], in: directory)
    if ProcessInfo.processInfo.environment["SLURM_ARRAY_TASK_ID"] == nil && ProcessInfo.processInfo.environment["JOB_COMPLETION_INDEX"] == nil {
      XCTAssertEqual(missing.status, 64, missing.standardError)
      XCTAssertTrue(missing.standardError.contains("SLURM_ARRAY_TASK_ID") && missing.standardError.contains("JOB_COMPLETION_INDEX"), missing.standardError)
    }
    for id in 0..<2 {
      try succeed(command + ["--output", "slurm\(id).json"], in: directory,
        environment: ["SLURM_ARRAY_TASK_ID": "\(id + 5)", "SLURM_ARRAY_TASK_MIN": "5", "SLURM_ARRAY_TASK_MAX": "6"])
      try succeed(command + ["--shards", "2", "--output", "k8s\(id).json"], in: directory, environment: ["JOB_COMPLETION_INDEX": "\(id)"])
    }
    var outputs: [Data] = []
    for (place, words) in [
      ("unsharded", ["sweep", "--model", Self.resnet8, "--limit", "40", "--quiet", "--output", "out.csv"]),
      ("slurm", ["merge", "../slurm0.json", "../slurm1.json", "--output", "out.csv", "--quiet"]),
      ("k8s", ["merge", "../k8s1.json", "../k8s0.json", "--output", "out.csv", "--quiet"]),
    ] {
      let folder = directory.appendingPathComponent(place)
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      try succeed(words, in: folder)
      outputs.append(try Data(contentsOf: folder.appendingPathComponent("out.csv")))
    }
    XCTAssertEqual(outputs[1], outputs[0], "Slurm array variables")
    XCTAssertEqual(outputs[2], outputs[0], "Kubernetes completion index")
    let noIndex = try BinaryRunner.run(command + ["--output", "y.json"], in: directory, environment: ["JOB_COMPLETION_INDEX": "1"])
    XCTAssertEqual(noIndex.status, 64)
    XCTAssertTrue(noIndex.standardError.contains("--shards"), noIndex.standardError)
  }

  /// A journal cut at arbitrary byte counts (as a kill mid-write leaves it) resumes to the
  /// uninterrupted bytes, for lesion evaluations, path-gradient samples, interaction rows, and
  /// `rank`'s and `prune`'s measures (Shapley permutations, greedy steps, curves).
  func testTruncatedJournalsResumeToTheSameBytes() throws {
    let commands: [[String]] = [
      ["drop", "--model", Self.resnet8, "--deleted", "2", "--samples", "20", "--limit", "60", "--format", "json", "--quiet"],
      ["paths", "--gradients", "--model", Self.resnet8, "--gradient-samples", "6", "--gradient-batch", "8", "--format", "json", "--quiet"],
      ["interactions", "--model", Self.vgg, "--limit", "60", "--format", "json", "--quiet"],
      ["rank", "--model", Self.resnet8, "--permutations", "3", "--limit", "60", "--format", "json", "--quiet"],
      ["prune", "--model", Self.resnet8, "--random-orders", "1", "--limit", "60", "--format", "json", "--quiet"],
    ]
    for command in commands {
      let directory = try folder()
      let reference = directory.appendingPathComponent("reference")
      try FileManager.default.createDirectory(at: reference, withIntermediateDirectories: true)
      try succeed(command + ["--output", "out.json"], in: reference)
      try succeed(command + ["--journal", "run.journal", "--output", "out.json"], in: directory)
      let journal = directory.appendingPathComponent("run.journal")
      let whole = try Data(contentsOf: journal)
      for cut in [whole.count - 1, whole.count * 2 / 3, whole.count / 3, 20, 3] {
        try whole.prefix(cut).write(to: journal)
        try FileManager.default.removeItem(at: directory.appendingPathComponent("out.json"))
        try succeed(command + ["--journal", "run.journal", "--output", "out.json"], in: directory)
        XCTAssertEqual(
          try Data(contentsOf: directory.appendingPathComponent("out.json")),
          try Data(contentsOf: reference.appendingPathComponent("out.json")), "\(command[0]), journal cut to \(cut) bytes")
        XCTAssertEqual(try Data(contentsOf: journal), whole, "the resumed journal holds every record again")
      }
    }
  }

  /// Kills the built binary with SIGKILL at random moments (several times), resumes from the
  /// journal each time, and compares with an uninterrupted run: a sweep, and `rank` (single
  /// deletions in journaled chunks, the gradient pass, Shapley permutations).
  func testKilledRunsResumeFromTheJournalToTheSameBytes() throws {
    let directory = try folder()
    let command = ["sweep", "--model", Self.resnet110, "--limit", "20", "--batch-size", "20", "--format", "json", "--output", "out.json"]
    let rank = ["rank", "--model", Self.resnet110, "--limit", "6", "--batch-size", "6", "--permutations", "2", "--format", "json", "--output", "rank.json"]
    var generator = SystemRandomNumberGenerator()
    for (run, output) in [(command, "out.json"), (rank, "rank.json")] {
      let reference = directory.appendingPathComponent("reference-\(run[0])")
      try FileManager.default.createDirectory(at: reference, withIntermediateDirectories: true)
      // The kill moments are fractions of the uninterrupted run's wall time on this machine, so
      // a fast idle machine does not finish before the first kill (fixed delays of 0.2-1.5 s did).
      let started = Date()
      try succeed(run, in: reference)
      let uninterrupted = Date().timeIntervalSince(started)
      let journaled = run + ["--journal", "\(run[0]).journal"]
      var killed = 0
      for _ in 0..<6 {
        let process = Process()
        process.executableURL = BinaryRunner.productsDirectory.appendingPathComponent("resnet-lesion")
        process.arguments = journaled + ["--quiet"]
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        environment["RESNET_LESION_DATA"] = TestFiles.notebooksData().path
        process.environment = environment
        try process.run()
        usleep(UInt32(uninterrupted * Double.random(in: 0.1...0.7, using: &generator) * 1_000_000))
        if process.isRunning {
          kill(process.processIdentifier, SIGKILL)
          killed += 1
        }
        process.waitUntilExit()
        if process.terminationReason == .exit { break }
      }
      XCTAssertGreaterThan(killed, 0, "\(run[0]): at least one run was killed mid-way")
      let last = try succeed(journaled, in: directory)
      XCTAssertTrue(last.standardError.contains("journal"), last.standardError)
      XCTAssertEqual(
        try Data(contentsOf: directory.appendingPathComponent(output)),
        try Data(contentsOf: reference.appendingPathComponent(output)), run[0])
    }
    // A journal of another run is refused, naming the differing option.
    let other = try BinaryRunner.run(command + ["--seed", "9", "--journal", "sweep.journal"], in: directory)
    XCTAssertEqual(other.status, 64, other.standardError)
    XCTAssertTrue(other.standardError.contains("run.options"), other.standardError)
  }
}

import Basics
import Foundation
import Report
import Studies

/// `--shard I/N|auto`, `--shards N` and `--journal FILE` of the long commands, and what they
/// change: a shard evaluates only its configurations and writes a part file to `--output`; a
/// journal records each finished evaluation and lets a rerun skip them; under `merge` the
/// command replays the parts' evaluations instead of computing.
///
/// A measuring command reads these options and `--format`/`--output` with `init` (before any
/// work), loads its `Study` with `study()`, and writes its table with `emit` (a shard's part, or
/// the output).
struct ShardedRun {
  static let options: [OptionSpec] = [
    .option(
      "shard", value: "<i/n|auto>",
      help: "Compute only shard I of N (0-based) and write a part file to --output (merge the parts with 'merge'); 'auto': from a Slurm array job (SLURM_ARRAY_TASK_ID) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX with --shards)."),
    .option("shards", value: "<n>", help: "With --shard auto in a Kubernetes Indexed Job: the number of shards (the Job's completions)."),
    .option("journal", value: "<path>", help: "Append each finished evaluation to this file (fsync'd); rerunning the same command skips what it holds."),
  ]

  /// Options that say how a run is split and resumed, not what it computes: left out of a run's
  /// identity and of the equivalent command (so a merged output records the unsharded command).
  static let splitOptions: Set<String> = ["shard", "shards", "journal"]
  /// Options that say where and how results are written: also left out of a run's identity (the
  /// merge gives its own).
  static let outputOptions: Set<String> = ["output", "format", "quiet"]

  var shard: ShardSpec?
  var journal: URL?
  var merged: PartSet?
  /// Where the result goes (`--format`, `--output`).
  let output: OutputTarget
  let arguments: ParsedArguments
  let context: CommandContext

  /// Reads the options; checked before any work starts.
  /// - Throws: `CommandLineError` (exit 64) for a bad `--format` or `--output`; `ShardingError`
  ///   (exit 64) for a malformed `--shard`, `auto` outside an array job, `--shards` without
  ///   `--shard`, or `--shard` without `--output`.
  init(_ arguments: ParsedArguments, context: CommandContext) throws {
    output = try OutputTarget(arguments)
    self.arguments = arguments
    self.context = context
    merged = context.mergedParts
    shard = try Self.shard(arguments)
    if shard != nil {
      guard try arguments.wasGiven("output") else {
        throw ShardingError.invalidCombination(option: "--shard", reason: "needs --output PART: each shard writes its part file there")
      }
      guard try !arguments.wasGiven("format") else {
        throw ShardingError.invalidCombination(option: "--format", reason: "does not apply to a shard, which writes a part file; give it to 'merge'")
      }
    }
    journal = try arguments.path("journal")
  }

  /// The shard `--shard` (with `--shards`) names, or nil.
  /// - Throws: `ShardingError` (exit 64) for a malformed shard, `auto` outside an array job, or
  ///   `--shards` without `--shard`.
  static func shard(_ arguments: ParsedArguments) throws -> ShardSpec? {
    let shards = try arguments.int("shards", in: 1...1_000_000)
    guard let text = try arguments.string("shard") else {
      if shards != nil { throw ShardingError.invalidCombination(option: "--shards", reason: "needs --shard auto") }
      return nil
    }
    return try ShardSpec.parse(text, shards: shards, environment: ProcessInfo.processInfo.environment)
  }

  /// The study the model and data options describe, prepared for this run.
  func study() throws -> Study { try prepare(StudyArguments.load(arguments, context: context)) }

  /// The study with this run's shard and its evaluation store (the journal's or the merged
  /// parts'), after checking that a journal or the parts belong to this very run.
  /// - Throws: `ShardingError.journalMismatch` or `.mergeMismatch` when they do not,
  ///   `ShardFileError` for an unusable journal.
  func prepare(_ study: Study) throws -> Study {
    var study = study
    study.shard = shard
    guard merged != nil || shard != nil || journal != nil else { return study }
    let identity = try Self.identity(study, arguments: arguments)
    if let merged {
      if let key = RunIdentity.firstDifference(merged.identity, identity) {
        throw ShardingError.mergeMismatch(
          key: key, parts: RunIdentity.value(at: key, in: merged.identity), here: RunIdentity.value(at: key, in: identity))
      }
      study.evaluations = merged.store
      return study
    }
    var store = EvaluationStore()
    if let journal {
      let header = JSONValue.object([
        ("run", identity), ("shard", shard.map { .string($0.description) } ?? .null),
      ])
      let file = try Journal(url: journal, header: header)
      store = EvaluationStore(journal: file)
      for record in file.records { try store.restore(record: record, file: journal.path) }
      if !((try? arguments.flag("quiet")) ?? false) {
        var line = "journal \(journal.path): \(file.records.count) evaluation\(file.records.count == 1 ? "" : "s") already done"
        if file.droppedBytes > 0 { line += "; dropped a torn last record (\(file.droppedBytes) bytes)" }
        context.writeError(line + "\n")
      }
    }
    study.evaluations = store
    return study
  }

  /// Writes a shard's part file to `--output`, or else `table` as the output says: the study
  /// named first in its notes, its provenance (`provenance`, else the study's and the command
  /// line's) before the table's own metadata.
  func emit(_ table: ResultTable, study: Study, provenance: [(key: String, value: JSONValue)]? = nil) throws {
    guard !isShard else { return try writePart(study: study) }
    var table = table
    table.notes.insert(study.description, at: 0)
    table.metadata = try (provenance ?? Provenance.metadata(study, arguments: arguments)) + table.metadata
    try output.emit(table, context: context)
  }

  /// Writes the result of an experiment that a shard measures only in part: a shard runs
  /// `measure` (its share of the evaluations) and writes its part; otherwise `result` runs the
  /// whole experiment and its table is written as `emit(_:study:provenance:)` does.
  func emit(_ study: Study, measuringShard measure: () throws -> Void, result: () throws -> ResultTable) throws {
    guard !isShard else {
      try measure()
      return try writePart(study: study)
    }
    try emit(try result(), study: study)
  }

  /// Whether this process computes one shard (and writes a part, not a table).
  var isShard: Bool { shard != nil }

  /// Writes what the shard computed (the study's evaluation store) as a part file to `--output`.
  func writePart(study: Study) throws {
    guard let shard, let file = output.file else { return }
    let part = PartFile(
      identity: try Self.identity(study, arguments: arguments), shard: shard, evaluations: study.evaluations?.all ?? [],
      gradientSamples: study.evaluations?.allGradientSamples ?? [], measures: study.evaluations?.allMeasures ?? [],
      images: study.evaluations?.imageRange)
    try AtomicFile.write(part.encoded(), to: file)
  }

  /// The identity of the run `arguments` describe on `study`.
  static func identity(_ study: Study, arguments: ParsedArguments) throws -> JSONValue {
    let left = splitOptions.union(outputOptions)
    return try RunIdentity.make(
      toolVersion: Provenance.toolVersion, command: arguments.commandPath,
      options: arguments.values.filter { !left.contains($0.key) }, flags: arguments.flags.subtracting(left), study: study)
  }
}

import Basics

/// A shard, journal or part problem that is the user's fault (exit 64): a malformed `--shard`,
/// `--shard auto` outside an array job, a part set that is not one complete run.
public enum ShardingError: UsageError, Equatable, CustomStringConvertible {
  /// A `--shard`/`--shards` value that is not a shard of the run.
  case invalidShard(option: String, value: String, expected: String)
  /// `--shard auto` without `SLURM_ARRAY_TASK_ID` or `JOB_COMPLETION_INDEX`.
  case noShardEnvironment
  /// `JOB_COMPLETION_INDEX` without `--shards N`.
  case missingShardCount(index: Int)
  /// An array-job variable that is not usable.
  case invalidEnvironment(variable: String, value: String, expected: String)
  /// Parts from different runs: `file` differs from `reference` in `key`.
  case foreignPart(file: String, reference: String, key: String)
  /// The same shard in two files.
  case duplicatePart(shard: String, files: [String])
  /// Shards without a part.
  case missingParts(shards: [Int], count: Int, given: [String])
  /// A journal written by another run (another command, model, data or shard).
  case journalMismatch(file: String, key: String, journal: String, run: String)
  /// The same evaluation differs between two parts (shards built or run differently).
  case inconsistentParts(files: [String], plan: String)
  /// The model, data or tool here is not what the parts were computed with.
  case mergeMismatch(key: String, parts: String, here: String)
  /// `merge` reached a configuration that no part holds.
  case missingEvaluation(plan: String)
  /// An option that a sharded run needs or refuses.
  case invalidCombination(option: String, reason: String)

  public var description: String {
    switch self {
    case .invalidShard(let option, let value, let expected):
      return "invalid value '\(value)' for '\(option)': expected \(expected)"
    case .noShardEnvironment:
      return "'--shard auto' needs SLURM_ARRAY_TASK_ID (with SLURM_ARRAY_TASK_COUNT or SLURM_ARRAY_TASK_MIN/MAX) from a Slurm array job, or JOB_COMPLETION_INDEX with --shards N from a Kubernetes Indexed Job; neither is set"
    case .missingShardCount(let index):
      return "JOB_COMPLETION_INDEX is \(index) but '--shards N' is missing: a Kubernetes Indexed Job does not tell its completions count; pass --shards with the Job's completions"
    case .invalidEnvironment(let variable, let value, let expected):
      return "environment variable \(variable)=\(value): expected \(expected)"
    case .foreignPart(let file, let reference, let key):
      return "\(file) is not a part of the same run as \(reference): '\(key)' differs"
    case .duplicatePart(let shard, let files):
      return "shard \(shard) appears in more than one part: \(files.joined(separator: ", "))"
    case .missingParts(let shards, let count, let given):
      return "missing part\(shards.count == 1 ? "" : "s") for shard\(shards.count == 1 ? "" : "s") \(shards.map(String.init).joined(separator: ", ")) of \(count) (given: \(given.joined(separator: ", ")))"
    case .journalMismatch(let file, let key, let journal, let run):
      return "journal \(file) belongs to another run: '\(key)' is \(journal) in the journal and \(run) in this run; use another --journal file or delete it"
    case .inconsistentParts(let files, let plan):
      return "\(files.joined(separator: " and ")) hold different results for \(plan): their shards computed differently (another build or instruction set?); run every shard with the same binary on the same kind of CPU"
    case .mergeMismatch(let key, let parts, let here):
      return "the parts were computed with '\(key)' = \(parts), but here it is \(here): merge with the model, data and tool version the shards used"
    case .missingEvaluation(let plan):
      return "no part holds the evaluation of \(plan); the parts do not cover this run"
    case .invalidCombination(let option, let reason):
      return "'\(option)' \(reason)"
    }
  }
}

/// A part or journal file that cannot be read as one (exit 1): truncated, not JSON, wrong format.
public enum ShardFileError: Error, Equatable, CustomStringConvertible {
  /// The file cannot be read or written.
  case unreadable(file: String, reason: String)
  /// The file is not what was expected at `key`.
  case invalid(file: String, key: String, expected: String, found: String)

  public var description: String {
    switch self {
    case .unreadable(let file, let reason): return "cannot use \(file): \(reason)"
    case .invalid(let file, let key, let expected, let found):
      return "\(file) is not a resnet-lesion part: at '\(key)' expected \(expected), found \(found)"
    }
  }
}

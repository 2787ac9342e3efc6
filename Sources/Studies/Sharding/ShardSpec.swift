import Basics

/// Which part of a run this process computes: shard `index` of `count` (0-based, as Slurm array
/// task ids and Kubernetes completion indexes are).
///
/// A run's configurations (one lesion per block, one point per k or swap count) are enumerated
/// in the unsharded order; shard I takes those at positions p with p mod N = I (`owned(_:)`), so
/// N shards compute every configuration exactly once, each with the random draws of the
/// unsharded run (draws are keyed by seed, experiment, point and draw, never by position).
public struct ShardSpec: Hashable, Sendable, CustomStringConvertible {
  /// This shard, 0 ..< count.
  public var index: Int
  /// The number of shards.
  public var count: Int

  /// A shard; `index` must be in 0 ..< `count`.
  /// - Throws: `ShardingError.invalidShard`.
  public init(index: Int, count: Int, option: String = "--shard") throws {
    guard count >= 1, (0..<count).contains(index) else {
      throw ShardingError.invalidShard(option: option, value: "\(index)/\(count)", expected: "I/N with N ≥ 1 and 0 ≤ I < N")
    }
    self.index = index
    self.count = count
  }

  /// `I/N`, as written on the command line.
  public var description: String { "\(index)/\(count)" }

  /// The items this shard computes: those at positions p with p mod N = I, in order.
  /// - Complexity: O(items.count).
  public func owned<Item>(_ items: [Item]) -> [Item] {
    items.enumerated().filter { owns($0.offset) }.map(\.element)
  }

  /// Whether this shard takes the configuration at `position` of the unsharded order
  /// (`position mod count == index`).
  public func owns(_ position: Int) -> Bool {
    position % count == index
  }

  /// The images this shard evaluates in a run split by images (`drop --blocks`, `drop --stage`):
  /// the `images` selected images in batches of `batchSize`, the B batches cut into N contiguous
  /// runs (shard I gets batches ⌊I·B/N⌋ ..< ⌊(I+1)·B/N⌋), so every image is evaluated in the same
  /// batch as in the unsharded run. Empty for a shard beyond the batch count.
  public func imageRange(images: Int, batchSize: Int) -> Range<Int> {
    let size = max(1, batchSize)
    let batches = (images + size - 1) / size
    let first = index * batches / count
    let end = (index + 1) * batches / count
    return min(images, first * size)..<min(images, end * size)
  }

  /// Parses `--shard I/N`, or `auto` (see `fromEnvironment`).
  /// - Parameters:
  ///   - shards: `--shards N`, needed with `auto` in a Kubernetes Indexed Job.
  ///   - environment: the process environment.
  /// - Throws: `ShardingError.invalidShard` (exit 64) for a malformed value, `.noShardEnvironment`
  ///   for `auto` outside an array job.
  public static func parse(_ text: String, shards: Int?, environment: [String: String]) throws -> ShardSpec {
    if text == "auto" { return try fromEnvironment(environment, shards: shards) }
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
      throw ShardingError.invalidShard(option: "--shard", value: text, expected: "I/N (0-based, e.g. 0/4) or 'auto'")
    }
    let spec = try ShardSpec(index: index, count: count)
    if let shards, shards != count {
      throw ShardingError.invalidShard(option: "--shards", value: "\(shards)", expected: "the N of --shard \(text), or nothing")
    }
    return spec
  }

  /// The shard of a Slurm array task or a Kubernetes Indexed Job.
  ///
  /// - Slurm (`sbatch --array=A-B[:S]`): I = (`SLURM_ARRAY_TASK_ID` − `SLURM_ARRAY_TASK_MIN`) / step
  ///   (`SLURM_ARRAY_TASK_STEP`, default 1), N = `SLURM_ARRAY_TASK_COUNT`, or
  ///   (`SLURM_ARRAY_TASK_MAX` − min) / step + 1 when the count is not set.
  /// - Kubernetes (`completionMode: Indexed`): I = `JOB_COMPLETION_INDEX`, N = `shards`.
  /// - Throws: `ShardingError.noShardEnvironment` when neither is set, `.invalidEnvironment` for a
  ///   value that is not a number or out of range.
  public static func fromEnvironment(_ environment: [String: String], shards: Int?) throws -> ShardSpec {
    func number(_ name: String) throws -> Int? {
      guard let text = environment[name] else { return nil }
      guard let value = Int(text.trimmingCharacters(in: .whitespaces)), value >= 0 else {
        throw ShardingError.invalidEnvironment(variable: name, value: text, expected: "a non-negative integer")
      }
      return value
    }
    if let id = try number("SLURM_ARRAY_TASK_ID") {
      let minimum = try number("SLURM_ARRAY_TASK_MIN") ?? 0
      let step = max(1, try number("SLURM_ARRAY_TASK_STEP") ?? 1)
      guard id >= minimum, (id - minimum) % step == 0 else {
        throw ShardingError.invalidEnvironment(
          variable: "SLURM_ARRAY_TASK_ID", value: "\(id)", expected: "SLURM_ARRAY_TASK_MIN (\(minimum)) plus a multiple of the step (\(step))")
      }
      var count = try number("SLURM_ARRAY_TASK_COUNT")
      if count == nil, let maximum = try number("SLURM_ARRAY_TASK_MAX"), maximum >= minimum {
        count = (maximum - minimum) / step + 1
      }
      guard let count else {
        throw ShardingError.invalidEnvironment(
          variable: "SLURM_ARRAY_TASK_COUNT", value: "(unset)", expected: "the array's task count (or SLURM_ARRAY_TASK_MAX)")
      }
      let index = (id - minimum) / step
      guard index < count else {
        throw ShardingError.invalidEnvironment(
          variable: "SLURM_ARRAY_TASK_ID", value: "\(id)", expected: "one of the array's \(count) task ids")
      }
      if let shards, shards != count {
        throw ShardingError.invalidShard(option: "--shards", value: "\(shards)", expected: "the Slurm array's task count \(count), or nothing")
      }
      return try ShardSpec(index: index, count: count)
    }
    if let index = try number("JOB_COMPLETION_INDEX") {
      guard let shards else { throw ShardingError.missingShardCount(index: index) }
      guard index < shards else {
        throw ShardingError.invalidEnvironment(
          variable: "JOB_COMPLETION_INDEX", value: "\(index)", expected: "an index below --shards \(shards)")
      }
      return try ShardSpec(index: index, count: shards, option: "--shards")
    }
    throw ShardingError.noShardEnvironment
  }
}

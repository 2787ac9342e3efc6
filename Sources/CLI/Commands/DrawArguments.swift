import Studies

/// `--samples N|auto`, `--precision P`, `--max-samples M`, `--seed S`: how many random draws per
/// point, shared by drop, sweep, reorder and figures.
enum DrawArguments {
  static func options(defaultSamples: String) -> [OptionSpec] {
    [
      .option(
        "samples", value: "<n|auto>",
        help: "Random draws per point, or 'auto': draw until the 95% half-width of the mean error is ≤ --precision.",
        default: defaultSamples),
      .option("precision", value: "<p>", help: "With --samples auto: target half-width, a fraction (0.01 = one point).", default: "0.01"),
      .option("min-samples", value: "<n>", help: "With --samples auto: draws per point before the first check.", default: "5"),
      .option("max-samples", value: "<n>", help: "With --samples auto: most draws per point.", default: "200"),
      .option("seed", value: "<n>", help: "Seed of the random draws (each draw keyed by seed, point and index).", default: "0"),
    ]
  }

  /// The draw count the options ask for.
  /// - Throws: `CommandLineError.invalidValue` (exit 64) for a value that is neither a count nor `auto`.
  static func drawCount(_ arguments: ParsedArguments) throws -> DrawCount {
    let text = try arguments.string("samples") ?? "10"
    if text == "auto" {
      let minimum = try arguments.int("min-samples", in: 2...1_000_000) ?? 5
      let maximum = try arguments.int("max-samples", in: 2...1_000_000) ?? 200
      guard minimum <= maximum else {
        throw CommandLineError.invalidValue(option: "--min-samples", value: "\(minimum)", expected: "at most --max-samples (\(maximum))")
      }
      return .auto(precision: try arguments.double("precision", in: 1e-6...1) ?? 0.01, minimum: minimum, maximum: maximum)
    }
    guard let n = Int(text), (1...1_000_000).contains(n) else {
      throw CommandLineError.invalidValue(option: "--samples", value: text, expected: "a count in 1…1000000 or 'auto'")
    }
    return .fixed(n)
  }

  static func seed(_ arguments: ParsedArguments) throws -> Int { try arguments.int("seed", in: 0...Int.max) ?? 0 }

  /// `--permutations N`: random deletion orders for Shapley values (0: none), or nil when not given.
  /// - Throws: `CommandLineError.invalidValue` (exit 64) for 1, which gives no interval.
  static func permutations(_ arguments: ParsedArguments) throws -> Int? {
    guard let n = try arguments.int("permutations", in: 0...1_000_000) else { return nil }
    guard n != 1 else {
      throw CommandLineError.invalidValue(option: "--permutations", value: "1", expected: "0 (no Shapley values) or at least 2")
    }
    return n
  }
}

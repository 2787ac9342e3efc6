import Basics
import Figures
import Foundation
import PathAnalysis
import Studies

/// `resnet-lesion figures`: regenerate the paper's figures (Veit et al. 2016, Figs. 3, 5, 6, 8 and
/// the §5.2 table) as CSV, SVG and a JSON sidecar each, from the same experiments the single
/// commands run.
enum FiguresCommand: LesionCommand {
  static let spec = CommandSpec(
    name: "figures",
    abstract: "Regenerate the paper's figures as CSV + SVG with provenance (Figs. 3, 5a, 5b, 6a–c, 8, §5.2).",
    discussion:
      "Writes <figure>.csv (the experiment's table: the same columns as sweep, reorder and paths), <figure>.svg and a sidecar <figure>.json recording the models (path, SHA-256), data, settings, tool version, equivalent commands and wall time, into ./figures or --output. Each figure is written as soon as it is done. Lesion figures use the test split, Figs. 6b/6c the training split. Every model is checked against the data before anything is computed: a model named on the command line must fit; a bundled comparison model (plain, stochastic depth, short paths) is used only when it fits the data, else its series or figure is skipped with one line saying why; --plain none (and likewise for the others) skips it. Random draws per point: until the mean error's 95% half-width is at most --precision, or --max-samples. With --shard I/N, shard I makes the figures at positions p ≡ I (mod N) of the runnable ones (a whole figure is one configuration) and writes their files into the part file --output; 'merge' writes them into a folder. Figures: \(FigureID.allCases.map(\.rawValue).joined(separator: ", ")); without --only, the paper's (importance, pruning and interactions, which measure every block pair and greedy removal on --calibration-per-class images, only when named).",
    options: [
      .option("output", short: "o", value: "<folder>", help: "Output folder.", defaultDescription: "./figures").aliased("out"),
      .option("model", short: "m", value: "<path>", help: "Residual network (Figs. 3, 5, 6, 8, table).", defaultDescription: "bundled resnet110"),
      .option("plain", value: "<path|none>", help: "Plain network for Fig. 3.", defaultDescription: "bundled plain, if it fits the data"),
      .option("stochastic", value: "<path|none>", help: "Stochastic-depth network for Fig. 8.", defaultDescription: "bundled resnet110-stochastic-depth, if it fits"),
      .option("short-paths", value: "<path|none>", help: "Network trained with short paths for the §5.2 table.", defaultDescription: "bundled resnet110-short-paths, if it fits"),
      .option(
        "seeds", value: "<manifest>",
        help:
          "Make Fig. 8 and the §5.2 table over training seeds from this manifest (e.g. notebooks-data/models/seeds.json) instead of one model per kind."
      ),
      .option(
        "models-dir", value: "<folder>",
        help: "With --seeds: the folder the manifest's non-bundled model paths are relative to (missing seeds are skipped)."),
      .option("data", short: "d", value: "<path>", help: "Data set: a bundled name, a CIFAR or MNIST folder or archive.", default: "mnist-5k"),
      .option("only", value: "<list>", help: "Make only these figures, e.g. fig3,fig6b."),
      .flag("quick", help: "Few images and draws: a smoke run in well under a minute."),
      .option("per-class", value: "<n>", help: "Test images per class for the lesion figures.", defaultDescription: "all; 10 with --quick"),
      .option(
        "samples", value: "<n|auto>", help: "Random draws per point in Figs. 5a, 5b and 8, or auto.",
        defaultDescription: "auto; 2 with --quick"),
      .option("precision", value: "<p>", help: "With --samples auto: target 95% half-width of each mean error.", default: "0.01"),
      .option("min-samples", value: "<n>", help: "With --samples auto: draws per point before the first check.", default: "5"),
      .option(
        "max-samples", value: "<n>", help: "With --samples auto: most draws per point.",
        default: "\(FigureSettings.defaultMaximumDraws)"),
      .option("seed", value: "<n>", help: "Seed of every random choice.", default: "0"),
      .option("deleted", value: "<list>", help: "Numbers of randomly deleted blocks in Figs. 5a and 8.", defaultDescription: "1-10,12,14,16,18,20; 1,5,10,20 with --quick"),
      .option("swaps", value: "<list>", help: "Numbers of random swaps in Fig. 5b.", defaultDescription: "1-6,8,10,15,20,30; 1,5,20 with --quick"),
      .option(
        "gradient-samples", value: "<n>", help: "Random training batches in Fig. 6b (each measures every path length).",
        defaultDescription: "\(FigureSettings.defaultGradientSamples); 2 with --quick"),
      .option("gradient-batch", value: "<n>", help: "Training images per batch in Fig. 6b.", defaultDescription: "32; 8 with --quick"),
      .option("at", value: "<where>", help: "Where Fig. 6b measures the gradient: block (first block's input) or image.", default: "block"),
      .option("gradient-mode", value: "<mode>", help: "Fig. 6b paths: single-path (as the paper) or subsets.", default: "single-path"),
      .option("gradient-share", value: "<p>", help: "Share of the total gradient the effective paths of Fig. 6c carry.", default: "0.9"),
      .option("batch-size", value: "<n>", help: "Images per evaluation batch.", default: "100"),
    ] + importanceOptions + [
      CommonOptions.quiet,
    ] + ShardedRun.options.filter { $0.name != "journal" },  // figures are whole units: no journal
    examples: [
      "figures --quick --only fig3,fig6a --output smoke",
      "figures --model resnet56.th --data cifar-10-batches-bin --plain none --only fig3,fig5a",
      "figures --quick --shard 0/3 --output figures-0.json",
    ])

  /// The options of the importance figures.
  static let importanceOptions: [OptionSpec] = [
    .option(
      "calibration-per-class", value: "<n>", help: "Test images per class on which importance, pruning and interactions are measured.",
      defaultDescription: "5; 2 with --quick"),
    .option(
      "permutations", value: "<n>", help: "Random deletion orders for the Shapley values of the importance figure (0 skips them).",
      defaultDescription: "10; 2 with --quick"),
    .option(
      "greedy-steps", value: "<n>", help: "Greedy removals in the pruning figure (each re-measures every remaining block).",
      defaultDescription: "20; 5 with --quick"),
  ]

  /// Parses every option into a `FigureRequest` (all checked before any work), then makes the figures.
  static func run(_ arguments: ParsedArguments, context: CommandContext) throws {
    let quiet = try arguments.flag("quiet")
    try FigureRun.make(
      try request(arguments, context: context),
      console: FigureConsole(
        write: context.write, writeError: context.writeError, quiet: quiet,
        progress: StudyArguments.progress(quiet: quiet, context: context)))
  }

  /// The request a `figures` command line describes.
  /// - Throws: `CommandLineError`/`ShardingError` (exit 64) for a bad value or combination.
  static func request(_ arguments: ParsedArguments, context: CommandContext) throws -> FigureRequest {
    let quick = try arguments.flag("quick")
    var settings = FigureSettings.defaults(quick: quick, seed: try DrawArguments.seed(arguments))
    if let perClass = try arguments.int("per-class", in: 1...1_000_000) { settings.perClass = perClass }
    if try ["samples", "precision", "max-samples"].contains(where: arguments.wasGiven) {
      settings.draws = try DrawArguments.drawCount(arguments)
    }
    if let deleted = try arguments.integerList("deleted", in: 1...100_000) { settings.deletionCounts = deleted }
    if let swaps = try arguments.integerList("swaps", in: 1...100_000) { settings.swapCounts = swaps }
    if let samples = try arguments.int("gradient-samples", in: 1...1_000_000) { settings.gradientSamples = samples }
    if let batch = try arguments.int("gradient-batch", in: 1...100_000) { settings.gradientBatch = batch }
    settings.location = try arguments.choice("at", as: GradientLocation.self) ?? .block
    settings.gradientMode = try arguments.choice("gradient-mode", as: PathGradientMode.self) ?? .singlePath
    settings.effectiveShare = try arguments.double("gradient-share", in: 0.01...1) ?? 0.9
    settings.batchSize = try arguments.int("batch-size", in: 1...100_000) ?? 100
    var importance = ImportanceFigures.Settings.defaults(quick: quick)
    if let n = try arguments.int("calibration-per-class", in: 1...1_000_000) { importance.calibrationPerClass = n }
    if let n = try DrawArguments.permutations(arguments) { importance.permutations = n }
    if let n = try arguments.int("greedy-steps", in: 0...100_000) { importance.greedySteps = n }
    let only = try arguments.string("only").map(parseFigures)
    var modelArguments: [ModelRole: String] = [:]
    for role in ModelRole.allCases {
      if let value = try arguments.string(role.option) { modelArguments[role] = value }
    }
    if modelArguments[.residual] == "none" {
      throw CommandLineError.invalidValue(option: "--model", value: "none", expected: "a residual network: every figure needs one")
    }
    let out = try arguments.path("output")
      ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("figures")
    let shard = try ShardedRun.shard(arguments)
    var partFile: URL?
    if shard != nil {
      partFile = try OutputTarget.file(arguments, "output")
      guard partFile != nil else {
        throw ShardingError.invalidCombination(
          option: "--shard", reason: "needs --output PART: each shard writes its figures into a part file ('merge' writes the folder)")
      }
    } else {
      var isFolder: ObjCBool = false
      if FileManager.default.fileExists(atPath: out.path, isDirectory: &isFolder), !isFolder.boolValue {
        throw CommandLineError.invalidValue(option: "--output", value: out.path, expected: "a folder, not a file")
      }
    }
    let manifestFile = try arguments.path("seeds", mustExist: true)
    let modelsDirectory = try arguments.path("models-dir", mustExist: true)
    if modelsDirectory != nil && manifestFile == nil {
      throw CommandLineError.invalidValue(
        option: "--models-dir", value: modelsDirectory?.path ?? "", expected: "--seeds as well (it locates the manifest's models)")
    }
    var request = FigureRequest(
      figures: only ?? FigureID.paperFigures, settings: settings, dataSource: try arguments.string("data") ?? "mnist-5k",
      outputFolder: out)
    request.named = only != nil
    request.importance = importance
    request.modelArguments = modelArguments
    request.seedManifest = manifestFile
    request.modelsDirectory = modelsDirectory
    request.sharding = FigureSharding(shard: shard, partFile: partFile, merged: context.mergedParts)
    request.equivalentCommand = { figureCommand(arguments, figure: $0) }
    request.runIdentity = { try ShardedRun.identity($0, arguments: arguments) }
    return request
  }

  /// Parses `--only fig3,fig6b`: the named figures in catalog order (so the output does not
  /// depend on how the list was spelled).
  /// - Throws: `CommandLineError.invalidValue` naming the known figures for an unknown or empty item.
  static func parseFigures(_ text: String) throws -> [FigureID] {
    var chosen: [FigureID] = []
    for item in text.split(separator: ",", omittingEmptySubsequences: false) {
      let name = item.trimmingCharacters(in: .whitespaces).lowercased()
      guard let figure = FigureID(rawValue: name) else {
        throw CommandLineError.invalidValue(
          option: "--only", value: text,
          expected:
            "a comma-separated list of \(FigureID.allCases.map(\.rawValue).joined(separator: ", ")) ('\(name)' is not one)")
      }
      if !chosen.contains(figure) { chosen.append(figure) }
    }
    return FigureID.allCases.filter(chosen.contains)
  }

  /// The command that remakes `figure` alone from any folder, into `./figures` there: this run's
  /// options with paths made absolute, `--only` naming the figure and no `--output` (nor `--shard`).
  static func figureCommand(_ arguments: ParsedArguments, figure: FigureID) -> String {
    Provenance.equivalentCommand(arguments, leading: ["--only", figure.rawValue], omitting: ["only", "output", "shard", "shards"])
  }
}

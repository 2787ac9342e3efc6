import Basics
import Checkpoints
import Foundation
import PathAnalysis
import Report
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
    ] + ImportanceFigures.options + [
      CommonOptions.quiet,
    ] + FigureSharding.options,
    examples: [
      "figures --quick --only fig3,fig6a --output smoke",
      "figures --model resnet56.th --data cifar-10-batches-bin --plain none --only fig3,fig5a",
      "figures --quick --shard 0/3 --output figures-0.json",
    ])

  /// Parses every option, checks models against data, then makes the figures in catalog order,
  /// writing each as soon as it is done.
  static func run(_ arguments: ParsedArguments, context: CommandContext) throws {
    let wallStart = ProcessInfo.processInfo.systemUptime
    let quick = try arguments.flag("quick")
    var settings = FigureSettings.defaults(quick: quick, seed: try DrawArguments.seed(arguments))
    if let perClass = try arguments.int("per-class", in: 1...1_000_000) { settings.perClass = perClass }
    if try arguments.wasGiven("samples") || (try arguments.wasGiven("precision")) || (try arguments.wasGiven("max-samples")) {
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
    let importanceSettings = try ImportanceFigures.Settings.parse(arguments, quick: quick)
    let only = try arguments.string("only").map(FigureID.parseList)
    let figures = only ?? FigureID.paperFigures
    var modelArguments: [ModelRole: String] = [:]
    for role in ModelRole.allCases {
      if let value = try arguments.string(role.option) { modelArguments[role] = value }
    }
    if modelArguments[.residual] == "none" {
      throw CommandLineError.invalidValue(option: "--model", value: "none", expected: "a residual network: every figure needs one")
    }
    let out = try arguments.path("output")
      ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("figures")
    let sharding = try FigureSharding(arguments, context: context)
    defer { sharding.removeScratch() }
    var isFolder: ObjCBool = false
    if sharding.shard == nil, FileManager.default.fileExists(atPath: out.path, isDirectory: &isFolder), !isFolder.boolValue {
      throw CommandLineError.invalidValue(option: "--output", value: out.path, expected: "a folder, not a file")
    }
    let quiet = try arguments.flag("quiet")
    let workspace = FigureWorkspace(
      settings: settings, outputFolder: sharding.folder(out), dataSource: try arguments.string("data") ?? "mnist-5k", quiet: quiet,
      context: context)
    workspace.equivalentCommand = { figure in figureCommand(arguments, figure: figure) }
    let manifestFile = try arguments.path("seeds", mustExist: true)
    let modelsDirectory = try arguments.path("models-dir", mustExist: true)
    if modelsDirectory != nil && manifestFile == nil {
      throw CommandLineError.invalidValue(
        option: "--models-dir", value: modelsDirectory?.path ?? "", expected: "--seeds as well (it locates the manifest's models)")
    }
    // With a manifest, Fig. 8 and the §5.2 table use its models, not the single-model roles;
    // without one, each role's model is the one seed of its kind.
    let seedFigures = manifestFile == nil ? [] : figures.filter { !SeedFigures.kinds(of: $0, manifest: true).isEmpty }
    try workspace.prepare(figures: figures.filter { !seedFigures.contains($0) }, modelArguments: modelArguments)
    if manifestFile == nil { workspace.adoptRoleModels(SeedFigures.roleKinds) }
    if let manifestFile {
      let manifest = try SeedManifest.read(manifestFile)
      try workspace.prepareSeeds(
        manifest: manifest, file: manifestFile, modelsDirectory: modelsDirectory,
        kinds: seedFigures.flatMap { SeedFigures.kinds(of: $0, manifest: true) })
      for (kind, missing) in workspace.missingSeeds.sorted(by: { $0.key < $1.key }) {
        context.writeError("seeds: \(kind): skipped \(missing.joined(separator: ", "))\n")
      }
    }

    // Which figures can be made: each needs its required models.
    var runnable: [FigureID] = []
    var skipped: [String] = []
    for figure in figures {
      if seedFigures.contains(figure) {
        if let reason = SeedFigures.missingReason(figure, workspace) {
          context.writeError(reason + "\n")
          skipped.append(reason)
        } else {
          runnable.append(figure)
        }
      } else if let missing = figure.requiredRoles.first(where: { workspace.models[$0] == nil }) {
        let reason = "\(figure.rawValue) skipped: \(workspace.skippedRoles[missing] ?? "no \(missing.rawValue) model")"
        if only != nil, missing == .residual { throw FiguresError.nothingToDo(skipped: [reason]) }
        context.writeError(reason + "\n")
        skipped.append(reason)
      } else {
        runnable.append(figure)
        for role in figure.roles where workspace.models[role] == nil {
          context.writeError("\(figure.rawValue): no \(role.rawValue) series: \(workspace.skippedRoles[role] ?? "")\n")
        }
      }
    }
    guard !runnable.isEmpty else { throw FiguresError.nothingToDo(skipped: skipped) }

    let identity: JSONValue? = sharding.isSplit ? try ShardedRun.identity(workspace.study(.residual), arguments: arguments) : nil
    if let identity { try sharding.check(identity: identity) }
    let gradients = PathFigures.GradientCache()
    var written = 0
    var failures: [String] = []
    var madeFiles: [String] = []
    for (position, figure) in runnable.enumerated() where sharding.makes(position) {
      do {
        if sharding.merged != nil {
          let files = try sharding.writeMerged(figure, to: out)
          context.write("\(figure.rawValue): \(files.count) files from the parts\n")
          written += files.count
          continue
        }
        let made: (files: [String], summary: String)
        switch figure {
        case .fig3: made = try LesionFigures.fig3(workspace)
        case .fig5a: made = try LesionFigures.fig5a(workspace)
        case .fig5b: made = try LesionFigures.fig5b(workspace)
        case .fig6a: made = try PathFigures.fig6a(workspace)
        case .fig6b: made = try PathFigures.fig6b(workspace, cache: gradients)
        case .fig6c: made = try PathFigures.fig6c(workspace, cache: gradients)
        case .fig8: made = try SeedFigures.fig8(workspace)
        case .tableShortPaths: made = try SeedFigures.tableShortPaths(workspace)
        case .importance: made = try ImportanceFigures.importance(workspace, importanceSettings)
        case .pruning: made = try ImportanceFigures.pruning(workspace, importanceSettings)
        case .interactions: made = try ImportanceFigures.interactions(workspace, importanceSettings)
        }
        context.write(made.summary + "\n")
        written += made.files.count
        madeFiles += made.files
      } catch {
        context.writeError("\(figure.rawValue) failed: \(error)\n")
        failures.append("\(figure.rawValue): \(error)")
      }
    }
    if let identity, failures.isEmpty { try sharding.writePart(identity: identity, made: madeFiles) }
    let seconds = ProcessInfo.processInfo.systemUptime - wallStart
    var footer = "wrote \(written) files to \(out.path) in \(ProgressReporter.duration(seconds))"
    if !skipped.isEmpty { footer += "; skipped \(skipped.count) figure(s)" }
    context.write(footer + "\n")
    if !failures.isEmpty { throw FiguresError.figuresFailed(failures) }
  }

  /// The command that remakes `figure` alone from any folder, into `./figures` there: this run's
  /// options with paths made absolute, `--only` naming the figure and no `--output` (nor `--shard`).
  static func figureCommand(_ arguments: ParsedArguments, figure: FigureID) -> String {
    Provenance.equivalentCommand(arguments, leading: ["--only", figure.rawValue], omitting: ["only", "output", "shard", "shards"])
  }

  /// `notebooks-data/models/x.safetensors` for a path inside the data folder (messages stay short
  /// and free of machine-specific prefixes).
  static func relativeToData(_ path: String) -> String {
    guard let range = path.range(of: "notebooks-data/") else { return path }
    return String(path[range.lowerBound...])
  }
}

extension FigureID {
  /// The models without which the figure cannot be made (Fig. 3 without a plain network shows
  /// the residual one alone).
  var requiredRoles: [ModelRole] {
    [.fig3, .importance, .pruning, .interactions].contains(self) ? [.residual] : roles
  }
}

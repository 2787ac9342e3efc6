import Basics
import Checkpoints
import Foundation
import PathAnalysis
import Report

/// `resnet-lesion figures`: regenerate the paper's figures (Veit et al. 2016, Figs. 3, 5, 6, 8 and
/// the §5.2 table) as CSV, SVG and a JSON sidecar each.
///
/// Missing bundled models: with `--only`, a figure whose model is missing is an error naming the
/// model and how to train it (exit 1); without `--only`, that figure is skipped with a warning on
/// standard error and the others are made. A model named explicitly (`--plain path.safetensors`)
/// must exist either way.
enum FiguresCommand: LesionCommand {
  static let spec = CommandSpec(
    name: "figures",
    abstract: "Regenerate the paper's figures as CSV + SVG with provenance (Figs. 3, 5a, 5b, 6a–c, 8, §5.2).",
    discussion:
      "Writes <figure>.csv (header with units, one row per point), <figure>.svg and a sidecar <figure>.json recording the model files with SHA-256 checksums, data, seed, sample counts, tool version and wall time; the CSV and SVG bytes depend only on the inputs and the seed. Lesion figures use the test split, Fig. 6b the training split. Figures: \(FigureID.allCases.map(\.rawValue).joined(separator: ", ")). Without --only, a figure whose bundled model has not been trained yet is skipped with a warning; with --only it is an error. --quick uses 10 test images per class and a few samples per point.",
    options: [
      .option(
        "out", short: "o", value: "<folder>", help: "Output folder.", defaultDescription: "notebooks-data/figures"),
      .option(
        "model", short: "m", value: "<path>", help: "Residual network (Figs. 3, 5, 6, 8, table).",
        defaultDescription: "bundled resnet110"),
      .option("plain", value: "<path>", help: "Plain network for Fig. 3.", defaultDescription: "bundled plain"),
      .option(
        "stochastic", value: "<path>", help: "Stochastic-depth network for Fig. 8.",
        defaultDescription: "bundled resnet110-stochastic-depth"),
      .option(
        "short-paths", value: "<path>", help: "Network trained with short paths for the §5.2 table.",
        defaultDescription: "bundled resnet110-short-paths"),
      .option(
        "data", short: "d", value: "<path>", help: "Data set: a bundled name, a CIFAR or MNIST folder or archive.",
        default: "mnist-5k"),
      .option("seed", value: "<n>", help: "Seed of every random choice.", default: "0"),
      .option("only", value: "<list>", help: "Make only these figures, e.g. fig3,fig6b."),
      .flag("quick", help: "Few images and samples: a smoke run in well under a minute."),
      .option(
        "per-class", value: "<n>", help: "Test images per class for the lesion figures.",
        defaultDescription: "all; 10 with --quick"),
      .option(
        "samples", value: "<n>", help: "Random draws per point in Figs. 5a, 5b and 8.",
        defaultDescription: "5; 2 with --quick"),
      .option(
        "deleted", value: "<list>", help: "Numbers of randomly deleted blocks in Figs. 5a and 8.",
        defaultDescription: "1-10,12,14,16,18,20; 1,5,10,20 with --quick"),
      .option(
        "swaps", value: "<list>", help: "Numbers of random swaps in Fig. 5b.",
        defaultDescription: "1-6,8,10,15,20,30; 1,5,20 with --quick"),
      .option(
        "gradient-samples", value: "<n>", help: "Random training batches in Fig. 6b (each measures every path length).",
        defaultDescription: "20; 2 with --quick"),
      .option(
        "gradient-batch", value: "<n>", help: "Training images per batch in Fig. 6b.",
        defaultDescription: "32; 8 with --quick"),
      .option(
        "at", value: "<where>", help: "Where Fig. 6b measures the gradient: block (first block's input) or image.",
        default: "block"),
      .option(
        "gradient-mode", value: "<mode>", help: "Fig. 6b paths: single-path (as the paper) or subsets.",
        default: "single-path"),
      .option(
        "gradient-share", value: "<p>", help: "Share of the total gradient the effective paths of Fig. 6c carry.",
        default: "0.9"),
      .option("batch-size", value: "<n>", help: "Images per evaluation batch.", default: "100"),
      CommonOptions.quiet,
    ])

  /// Parses the options, decides which figures can be made, and makes them in catalog order.
  static func run(_ arguments: ParsedArguments, context: CommandContext) throws {
    let wallStart = ProcessInfo.processInfo.systemUptime
    let seed = try arguments.int("seed", in: 0...Int.max) ?? 0
    var settings = FigureSettings.defaults(quick: try arguments.flag("quick"), seed: seed)
    if let perClass = try arguments.int("per-class", in: 1...1_000_000) { settings.perClass = perClass }
    if let samples = try arguments.int("samples", in: 1...1_000_000) { settings.samples = samples }
    if let deleted = try arguments.integerList("deleted", in: 1...100_000) { settings.deletionCounts = deleted }
    if let swaps = try arguments.integerList("swaps", in: 1...100_000) { settings.swapCounts = swaps }
    if let samples = try arguments.int("gradient-samples", in: 1...1_000_000) { settings.gradientSamples = samples }
    if let batch = try arguments.int("gradient-batch", in: 1...100_000) { settings.gradientBatch = batch }
    settings.location = try arguments.choice("at", as: GradientLocation.self) ?? .block
    settings.gradientMode = try arguments.choice("gradient-mode", as: PathGradientMode.self) ?? .singlePath
    settings.effectiveShare = try arguments.double("gradient-share", in: 0.01...1) ?? 0.9
    settings.batchSize = try arguments.int("batch-size", in: 1...100_000) ?? 100
    let only = try arguments.string("only").map(FigureID.parseList)
    let figures = only ?? FigureID.allCases
    var modelArguments: [ModelRole: String] = [:]
    for role in ModelRole.allCases {
      if let value = try arguments.string(role.option) { modelArguments[role] = value }
    }
    let quiet = try arguments.flag("quiet")
    // Default: the figures folder beside the bundled models and data, else ./notebooks-data/figures.
    let out =
      try arguments.path("out")
      ?? ((try? BundledData.directory())
      ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("notebooks-data"))
      .appendingPathComponent("figures")

    // Which figures can be made: bundled models not trained yet are an error with --only, a
    // skipped figure otherwise.
    var runnable: [FigureID] = []
    var skipped: [String] = []
    for figure in figures {
      var missing: FiguresError?
      for role in figure.roles where modelArguments[role] == nil {
        do {
          _ = try ModelLoader.resolve(role.bundledName)
        } catch CheckpointError.bundledModelMissing(let name, let path) {
          missing = .modelMissing(
            figure: figure.rawValue, role: role.rawValue, model: name, path: relativeToData(path),
            hint: role.trainingHint)
          break
        }
      }
      if let missing {
        if only != nil { throw missing }
        context.writeError("Warning: skipping \(figure.rawValue): \(missing)\n")
        skipped.append(figure.rawValue)
      } else {
        runnable.append(figure)
      }
    }
    guard !runnable.isEmpty else { throw FiguresError.nothingToDo(skipped: skipped) }

    let workspace = FigureWorkspace(
      settings: settings, outputFolder: out, modelArguments: modelArguments,
      dataSource: try arguments.string("data") ?? "mnist-5k", quiet: quiet, context: context)
    let gradients = PathFigures.GradientCache()
    var written: [String] = []
    for figure in runnable {
      let made: (files: [String], summary: String)
      switch figure {
      case .fig3: made = try LesionFigures.fig3(workspace)
      case .fig5a: made = try LesionFigures.fig5a(workspace)
      case .fig5b: made = try LesionFigures.fig5b(workspace)
      case .fig6a: made = try PathFigures.fig6a(workspace)
      case .fig6b: made = try PathFigures.fig6b(workspace, cache: gradients)
      case .fig6c: made = try PathFigures.fig6c(workspace, cache: gradients)
      case .fig8: made = try LesionFigures.fig8(workspace)
      case .tableShortPaths: made = try LesionFigures.tableShortPaths(workspace)
      }
      context.write(made.summary + "\n")
      written += made.files
    }
    let seconds = ProcessInfo.processInfo.systemUptime - wallStart
    var footer = "wrote \(written.count) files to \(out.path) in \(ProgressReporter.duration(seconds))"
    if !skipped.isEmpty { footer += "; skipped \(skipped.joined(separator: ", ")) (models missing)" }
    context.write(footer + "\n")
  }

  /// `notebooks-data/models/x.safetensors` for a path inside the data folder (messages stay short
  /// and free of machine-specific prefixes).
  static func relativeToData(_ path: String) -> String {
    guard let range = path.range(of: "notebooks-data/") else { return path }
    return String(path[range.lowerBound...])
  }
}

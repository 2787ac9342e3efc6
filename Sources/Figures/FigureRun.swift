import Basics
import Foundation
import Report
import Studies

/// Where a `figures` run writes: one-line summaries on standard output; notes, warnings and
/// progress on standard error.
public struct FigureConsole {
  /// Writes to standard output.
  public var write: (String) -> Void
  /// Writes to standard error.
  public var writeError: (String) -> Void
  /// Whether notes (what is being computed) are left out; warnings and skips are always said.
  public var quiet: Bool
  /// The progress of every experiment.
  public var progress: StudyProgress

  public init(write: @escaping (String) -> Void, writeError: @escaping (String) -> Void, quiet: Bool, progress: StudyProgress) {
    self.write = write
    self.writeError = writeError
    self.quiet = quiet
    self.progress = progress
  }
}

/// Everything a `figures` run is asked to do, as parsed from its command line.
public struct FigureRequest {
  /// The figures asked for, in catalog order.
  public var figures: [FigureID]
  /// Whether the figures were named (`--only`): a named figure without a residual network stops
  /// the run instead of being skipped.
  public var named = false
  public var settings: FigureSettings
  public var importance: ImportanceFigures.Settings
  /// Model arguments by role (a bundled name, a path, or `none`); absent roles use the bundled model.
  public var modelArguments: [ModelRole: String] = [:]
  /// The data set argument (a bundled name or a path).
  public var dataSource: String
  /// The output folder (a merge's too).
  public var outputFolder: URL
  /// A seed manifest that drives Fig. 8 and the §5.2 table, and the folder its non-bundled models
  /// are relative to.
  public var seedManifest: URL?
  public var modelsDirectory: URL?
  public var sharding = FigureSharding(shard: nil, partFile: nil, merged: nil)
  /// The `figures` command that remakes one figure alone (recorded in its sidecar).
  public var equivalentCommand: (FigureID) -> String = { _ in "" }
  /// The identity of the run on the residual network's study, which a shard's part records and a
  /// merge checks (used only when sharding or merging).
  public var runIdentity: (Study) throws -> JSONValue = { _ in .null }

  /// `figures` made whole with the bundled models and the default importance settings.
  public init(figures: [FigureID], settings: FigureSettings, dataSource: String, outputFolder: URL) {
    self.figures = figures
    self.settings = settings
    importance = .defaults(quick: settings.quick)
    self.dataSource = dataSource
    self.outputFolder = outputFolder
  }
}

/// Makes the figures of a request (Veit et al. 2016, Figs. 3, 5, 6, 8 and the §5.2 table, and
/// the block-importance figures): checks every model against the data, then makes the runnable
/// figures in catalog order, writing each as soon as it is done.
public enum FigureRun {
  /// Runs `request`, printing one summary line per figure and a footer.
  /// - Throws: `CheckpointError`/`DatasetError` for unreadable files, `FiguresError` for a model
  ///   that does not fit, nothing to make, or figures that failed (after the others are written),
  ///   `SeedManifestError`, `ShardingError`.
  public static func make(_ request: FigureRequest, console: FigureConsole) throws {
    let wallStart = ProcessInfo.processInfo.systemUptime
    let sharding = request.sharding
    defer { sharding.removeScratch() }
    let figures = request.figures
    let workspace = FigureWorkspace(
      settings: request.settings, outputFolder: sharding.folder(request.outputFolder), dataSource: request.dataSource,
      console: console)
    workspace.equivalentCommand = request.equivalentCommand
    // With a manifest, Fig. 8 and the §5.2 table use its models, not the single-model roles;
    // without one, each role's model is the one seed of its kind.
    let seedFigures = request.seedManifest == nil ? [] : figures.filter { !SeedFigures.kinds(of: $0, manifest: true).isEmpty }
    try workspace.prepare(figures: figures.filter { !seedFigures.contains($0) }, modelArguments: request.modelArguments)
    if let manifestFile = request.seedManifest {
      let manifest = try SeedManifest.read(manifestFile)
      try workspace.prepareSeeds(
        manifest: manifest, file: manifestFile, modelsDirectory: request.modelsDirectory,
        kinds: seedFigures.flatMap { SeedFigures.kinds(of: $0, manifest: true) })
      for (kind, missing) in workspace.missingSeeds.sorted(by: { $0.key < $1.key }) {
        console.writeError("seeds: \(kind): skipped \(missing.joined(separator: ", "))\n")
      }
    } else {
      workspace.adoptRoleModels(SeedFigures.roleKinds)
    }

    // Which figures can be made: each needs its required models.
    var runnable: [FigureID] = []
    var skipped: [String] = []
    for figure in figures {
      if seedFigures.contains(figure) {
        if let reason = SeedFigures.missingReason(figure, workspace) {
          console.writeError(reason + "\n")
          skipped.append(reason)
        } else {
          runnable.append(figure)
        }
      } else if let missing = figure.requiredRoles.first(where: { workspace.models[$0] == nil }) {
        let reason = "\(figure.rawValue) skipped: \(workspace.skippedRoles[missing] ?? "no \(missing.rawValue) model")"
        if request.named, missing == .residual { throw FiguresError.nothingToDo(skipped: [reason]) }
        console.writeError(reason + "\n")
        skipped.append(reason)
      } else {
        runnable.append(figure)
        for role in figure.roles where workspace.models[role] == nil {
          console.writeError("\(figure.rawValue): no \(role.rawValue) series: \(workspace.skippedRoles[role] ?? "")\n")
        }
      }
    }
    guard !runnable.isEmpty else { throw FiguresError.nothingToDo(skipped: skipped) }

    let identity: JSONValue? = sharding.isSplit ? try request.runIdentity(workspace.study(.residual)) : nil
    if let identity { try sharding.check(identity: identity) }
    let gradients = PathFigures.GradientCache()
    var written = 0
    var failures: [String] = []
    var madeFiles: [String] = []
    for (position, figure) in runnable.enumerated() where sharding.makes(position) {
      do {
        if sharding.merged != nil {
          let files = try sharding.writeMerged(figure, to: request.outputFolder)
          console.write("\(figure.rawValue): \(files.count) files from the parts\n")
          written += files.count
          continue
        }
        let made = try make(figure, workspace, importance: request.importance, gradients: gradients)
        console.write(made.summary + "\n")
        written += made.files.count
        madeFiles += made.files
      } catch {
        console.writeError("\(figure.rawValue) failed: \(error)\n")
        failures.append("\(figure.rawValue): \(error)")
      }
    }
    if let identity, failures.isEmpty { try sharding.writePart(identity: identity, made: madeFiles) }
    let seconds = ProcessInfo.processInfo.systemUptime - wallStart
    var footer = "wrote \(written) files to \(request.outputFolder.path) in \(ProgressReporter.duration(seconds))"
    if !skipped.isEmpty { footer += "; skipped \(skipped.count) figure(s)" }
    console.write(footer + "\n")
    if !failures.isEmpty { throw FiguresError.figuresFailed(failures) }
  }

  /// Makes one figure: its experiments, plot and sidecar; returns the files written and a
  /// one-line summary.
  static func make(
    _ figure: FigureID, _ workspace: FigureWorkspace, importance: ImportanceFigures.Settings,
    gradients: PathFigures.GradientCache
  ) throws -> (files: [String], summary: String) {
    switch figure {
    case .fig3: return try LesionFigures.fig3(workspace)
    case .fig5a: return try LesionFigures.fig5a(workspace)
    case .fig5b: return try LesionFigures.fig5b(workspace)
    case .fig6a: return try PathFigures.fig6a(workspace)
    case .fig6b: return try PathFigures.fig6b(workspace, cache: gradients)
    case .fig6c: return try PathFigures.fig6c(workspace, cache: gradients)
    case .fig8: return try SeedFigures.fig8(workspace)
    case .tableShortPaths: return try SeedFigures.tableShortPaths(workspace)
    case .importance: return try ImportanceFigures.importance(workspace, importance)
    case .pruning: return try ImportanceFigures.pruning(workspace, importance)
    case .interactions: return try ImportanceFigures.interactions(workspace, importance)
    }
  }
}

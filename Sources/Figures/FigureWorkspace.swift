import Basics
import Checkpoints
import Datasets
import Engine
import Foundation
import Lesion
import Report
import Studies

/// Everything the figures of one `figures` run share: the models (loaded and checked against the
/// data before anything is computed), the data, experiment results reused by several figures, and
/// where files go.
///
/// Figures only combine experiments from `Studies` with a plot: single deletions and random
/// deletions are computed once per model and shared (Fig. 3 and Fig. 8 both need the standard
/// network's single deletions; Fig. 5a and Fig. 8 its random deletions). Random draws are keyed by
/// (seed, experiment, point, draw), so a figure's numbers do not depend on the other figures.
final class FigureWorkspace {
  /// One loaded model and what the sidecar records about it.
  struct Model {
    var role: ModelRole
    /// The name given on the command line (a bundled name or a path).
    var argument: String
    var loaded: LoadedModel
    /// SHA-256 of the model file, lowercase hexadecimal.
    var sha256: String
    var network: Network { loaded.network }
    /// How legends name the model: the bundled name, or the file name.
    var label: String { ModelLoaderNames.isBundled(argument) ? argument : loaded.file.lastPathComponent }
  }

  let settings: FigureSettings
  let outputFolder: URL
  let console: FigureConsole
  let dataSource: String
  private(set) var models: [ModelRole: Model] = [:]
  /// Roles without a model, with the reason (said once on standard error).
  private(set) var skippedRoles: [ModelRole: String] = [:]
  private(set) var testData: ImageDataset?
  private(set) var trainData: ImageDataset?
  /// The models Fig. 8 and the §5.2 table compare, by kind, in increasing training-seed order:
  /// those of a seed manifest (`--seeds`), or one per kind taken from the model roles.
  private(set) var seedModels: [String: [SeedModel]] = [:]
  /// Manifest entries whose file was not found or not usable, by kind (said once on standard error).
  private(set) var missingSeeds: [String: [String]] = [:]
  /// The manifest file, when one drives Fig. 8 and the §5.2 table.
  private(set) var seedManifestFile: URL?
  /// The `figures` command line that remakes one figure from any folder (set by the command).
  var equivalentCommand: (FigureID) -> String = { _ in "" }
  private var singles: [ModelRole: SingleDeletionResult] = [:]
  private var randoms: [ModelRole: RandomDeletionResult] = [:]

  init(settings: FigureSettings, outputFolder: URL, dataSource: String, console: FigureConsole) {
    self.settings = settings
    self.outputFolder = outputFolder
    self.dataSource = dataSource
    self.console = console
  }

  /// Prints a note on standard error unless quiet.
  func note(_ text: String) {
    if !console.quiet { console.writeError(text + "\n") }
  }

  // MARK: Models and data, checked before any computation

  /// Loads the data and every model the figures need, and checks each model against the data.
  ///
  /// A model named on the command line must load and fit (else the run stops before computing
  /// anything); `none` leaves its role out. A bundled model is used only when it exists and fits
  /// the data; otherwise its role is left out with one line saying why.
  /// - Throws: `CheckpointError`/`DatasetError` for unreadable files, `FiguresError` for a named
  ///   model of the wrong kind or that does not fit the data.
  func prepare(figures: [FigureID], modelArguments: [ModelRole: String]) throws {
    let test = try DatasetLoader.load(dataSource, split: .test).selecting(offset: 0, limit: nil, perClass: settings.perClass)
    testData = test
    if figures.contains(where: { $0 == .fig6b || $0 == .fig6c }) {
      if !DatasetLoader.hasSplits(dataSource) {
        console.writeError(
          "warning: \(dataSource) has no separate training split; Figs. 6b/6c measure on all of its images\n")
      }
      trainData = try DatasetLoader.load(dataSource, split: .train)
    }
    let roles = ModelRole.allCases.filter { role in figures.contains { $0.roles.contains(role) } }
    for role in roles {
      let explicit = modelArguments[role]
      if explicit == "none" {
        skippedRoles[role] = "--\(role.option) none"
        continue
      }
      let argument = explicit ?? role.bundledName
      if explicit == nil {
        do {
          _ = try ModelLoader.resolve(argument)
        } catch CheckpointError.bundledModelMissing(let name, let path) {
          skippedRoles[role] = "the bundled \(role.rawValue) model '\(name)' is not trained (\(FigureWorkspace.relativeToData(path)))"
          continue
        }
      }
      let loaded = try ModelLoader.load(argument, normalization: nil)
      var problem: String?
      if role != .plain, !loaded.network.blocks.contains(where: \.isResidual) {
        problem = "it is \(loaded.familyDescription) without residual blocks"
      } else {
        do {
          try LesionError.validate(
            network: loaded.network, dataset: test, mean: loaded.metadata.normalizationMean,
            std: loaded.metadata.normalizationStd)
          if role == .residual, let train = trainData {
            try LesionError.validate(
              network: loaded.network, dataset: train, mean: loaded.metadata.normalizationMean,
              std: loaded.metadata.normalizationStd)
          }
        } catch let error as LesionError {
          problem = "\(error)"
        }
      }
      if let problem {
        if explicit != nil { throw FiguresError.modelDoesNotFit(role: role.rawValue, model: argument, reason: problem) }
        skippedRoles[role] = "the bundled \(role.rawValue) model '\(argument)' does not fit \(dataSource): \(problem)"
        continue
      }
      let digest = try SHA256.hash(fileAt: loaded.file).hexadecimal
      models[role] = Model(role: role, argument: argument, loaded: loaded, sha256: digest)
    }
  }

  /// One model of a seed comparison, loaded and checked against the test data.
  struct SeedModel {
    var kind: String
    var seed: Int
    var entry: SeedManifest.Entry
    var loaded: LoadedModel
    var sha256: String
    /// How commands and sidecars name the file without machine-specific folders: a bundled file
    /// as `notebooks-data/models/…`, a manifest's other files as `$MODELS_DIR/…` (the
    /// `--models-dir` folder), a model given on the command line by its absolute path.
    var displayPath: String
  }

  /// Makes each role's model (after `prepare`) the only model of its kind, so Fig. 8 and the
  /// §5.2 table without a manifest are the one-seed case of the seed comparison. All of them take
  /// the residual network's training seed (0 when it records none), which keys the random block
  /// sets they share.
  func adoptRoleModels(_ kinds: [(kind: String, role: ModelRole)]) {
    let seed = models[.residual].flatMap { Int($0.loaded.metadata.provenance["seed"] ?? "") } ?? 0
    for (kind, role) in kinds {
      guard let model = models[role] else { continue }
      let bundled = ModelLoaderNames.isBundled(model.argument)
      let file = model.loaded.file.standardizedFileURL.path
      let path = bundled ? FigureWorkspace.relativeToData(file) : file
      seedModels[kind] = [
        SeedModel(
          kind: kind, seed: seed, entry: SeedManifest.Entry(seed: seed, path: path, bundled: bundled),
          loaded: model.loaded, sha256: model.sha256, displayPath: path)
      ]
    }
  }

  /// Loads the models of `kinds` that a seed manifest lists and that exist: bundled entries
  /// relative to the manifest's folder, the others relative to `modelsDirectory`. A missing file
  /// is noted and skipped; a file that does not load, does not fit the data or whose checksum
  /// differs from the recorded one stops the run (before anything is computed).
  /// - Throws: `SeedManifestError`, `CheckpointError`, `FiguresError.modelDoesNotFit`.
  func prepareSeeds(manifest: SeedManifest, file: URL, modelsDirectory: URL?, kinds: [String]) throws {
    seedManifestFile = file
    guard let test = testData else { preconditionFailure("prepare loads the data first") }
    for kind in kinds {
      var found: [SeedModel] = []
      for entry in (manifest.kinds[kind] ?? []).sorted(by: { $0.seed < $1.seed }) {
        let base = entry.bundled == true ? file.deletingLastPathComponent() : modelsDirectory
        guard let base else {
          missingSeeds[kind, default: []].append("seed \(entry.seed) (\(entry.path): not bundled, no --models-dir)")
          continue
        }
        let url = URL(fileURLWithPath: entry.path, relativeTo: base).standardizedFileURL
        guard FileManager.default.fileExists(atPath: url.path) else {
          missingSeeds[kind, default: []].append("seed \(entry.seed) (\(entry.path) not found)")
          continue
        }
        let loaded = try ModelLoader.load(url.path, normalization: nil)
        let provenance = loaded.metadata.provenance
        if let epoch = provenance["epoch"], let epochs = provenance["epochs"], epoch != epochs {
          missingSeeds[kind, default: []].append("seed \(entry.seed) (\(url.lastPathComponent) still training: epoch \(epoch) of \(epochs))")
          continue
        }
        do {
          try LesionError.validate(
            network: loaded.network, dataset: test, mean: loaded.metadata.normalizationMean,
            std: loaded.metadata.normalizationStd)
        } catch let error as LesionError {
          throw FiguresError.modelDoesNotFit(role: "\(kind) seed \(entry.seed)", model: url.path, reason: "\(error)")
        }
        let digest = try SHA256.hash(fileAt: url).hexadecimal
        if let expected = entry.sha256, expected.lowercased() != digest {
          throw SeedManifestError.checksumMismatch(
            file: url.path, kind: kind, seed: entry.seed, expected: expected, found: digest)
        }
        if entry.sha256 == nil { note("\(kind) seed \(entry.seed): \(url.lastPathComponent) SHA-256 \(digest) (not in the manifest yet)") }
        let display = entry.bundled == true ? FigureWorkspace.relativeToData(url.path) : "$MODELS_DIR/" + entry.path
        found.append(
          SeedModel(kind: kind, seed: entry.seed, entry: entry, loaded: loaded, sha256: digest, displayPath: display))
      }
      seedModels[kind] = found
    }
  }

  /// Studies of every found model of `kind` on the test images.
  func seededStudies(_ kind: String) throws -> [SeededStudy] {
    guard let data = testData else { preconditionFailure("prepare loads the data first") }
    return try (seedModels[kind] ?? []).map { model in
      SeededStudy(
        seed: model.seed,
        study: try Study(
          model: model.loaded, modelArgument: model.loaded.file.path, dataset: data, dataArgument: dataSource,
          batchSize: settings.batchSize, progress: console.progress))
    }
  }

  /// The sidecar records of the manifest models of `kinds`, and the missing ones.
  func seedRecords(_ kinds: [String]) -> [(key: String, value: JSONValue)] {
    var models: [JSONValue] = []
    for kind in kinds {
      for model in seedModels[kind] ?? [] {
        var object: [(key: String, value: JSONValue)] = [
          ("kind", .string(kind)), ("seed", .integer(model.seed)), ("file", .string(model.displayPath)),
          ("bundled", .bool(model.entry.bundled == true)), ("sha256", .string(model.sha256)),
          ("family", .string(model.loaded.familyDescription)),
        ]
        if let command = model.entry.command { object.append(("command", .string(command))) }
        if let error = model.loaded.metadata.provenance["test_error"] { object.append(("test_error", .string(error))) }
        models.append(.object(object))
      }
    }
    let missing = kinds.flatMap { kind in (missingSeeds[kind] ?? []).map { JSONValue.string("\(kind) \($0)") } }
    var records: [(key: String, value: JSONValue)] = []
    if let seedManifestFile { records.append(("seed_manifest", .string(FigureWorkspace.relativeToData(seedManifestFile.path)))) }
    return records + [("seed_models", .array(models)), ("missing_seed_models", .array(missing))]
  }

  /// The model for `role` (after `prepare`).
  func model(_ role: ModelRole) throws -> Model {
    guard let model = models[role] else {
      throw FiguresError.nothingToDo(skipped: [skippedRoles[role] ?? "no \(role.rawValue) model"])
    }
    return model
  }

  /// A study of `role`'s model on the test split (or the training split).
  func study(_ role: ModelRole, training: Bool = false) throws -> Study {
    let model = try model(role)
    guard let data = training ? trainData : testData else { preconditionFailure("prepare loads the data first") }
    return try Study(
      model: model.loaded, modelArgument: model.argument, dataset: data, dataArgument: dataSource,
      batchSize: settings.batchSize, progress: console.progress)
  }

  // MARK: Shared experiments

  /// Every deletable block of `role`'s network deleted alone (Fig. 3, Fig. 8).
  func singleDeletion(_ role: ModelRole) throws -> SingleDeletionResult {
    if let cached = singles[role] { return cached }
    note("single deletions: \(try model(role).label)")
    let result = try SingleDeletionSweep().run(on: try study(role))
    singles[role] = result
    return result
  }

  /// The random-deletion experiment of the settings, for `network` (counts above its deletable
  /// blocks left out).
  func randomExperiment(for network: Network) -> RandomDeletion {
    let available = RandomLesions.deletableBlocks(of: network).count
    return RandomDeletion(
      counts: settings.deletionCounts.filter { $0 <= available }, draws: settings.draws, seed: settings.seed)
  }

  /// Random deletions of the standard network (Fig. 5a, Fig. 8).
  func randomDeletion(_ role: ModelRole) throws -> RandomDeletionResult {
    if let cached = randoms[role] { return cached }
    note("random deletions: \(try model(role).label), \(settings.draws.description)")
    let study = try study(role)
    let result = try randomExperiment(for: study.network).run(on: study)
    randoms[role] = result
    return result
  }

  /// The data options of the equivalent single commands (empty for the defaults).
  var dataArguments: String { dataArguments(perClass: settings.perClass) }

  /// The data options of an equivalent single command that selects `perClass` test images per class.
  func dataArguments(perClass: Int?) -> String {
    var text = dataSource == "mnist-5k" ? "" : " --data \(Provenance.shellQuoted(Provenance.absolute(dataSource)))"
    if let perClass { text += " --per-class \(perClass)" }
    return text
  }

  /// `--model <absolute path>` for an equivalent command that runs from any folder.
  func modelArgument(_ role: ModelRole) -> String {
    guard let model = models[role] else { return "" }
    return " --model \(Provenance.shellQuoted(model.loaded.file.standardizedFileURL.path))"
  }

  // MARK: Output

  /// The sidecar record of a model: name as given, absolute path, checksum, family, provenance.
  func modelRecord(_ model: Model) -> JSONValue {
    var object: [(key: String, value: JSONValue)] = [
      ("role", .string(model.role.rawValue)), ("argument", .string(model.argument)),
      ("path", .string(model.loaded.file.standardizedFileURL.path)), ("sha256", .string(model.sha256)),
      ("family", .string(model.loaded.familyDescription)), ("blocks", .integer(model.network.blockCount)),
      ("residual_blocks", .integer(model.network.blocks.filter(\.isResidual).count)),
      ("parameters", .integer(model.network.parameterCount)),
    ]
    let provenance = model.loaded.metadata.provenance
    if !provenance.isEmpty {
      object.append(("provenance", .object(provenance.keys.sorted().map { ($0, Provenance.typed(provenance[$0] ?? "")) })))
    }
    return .object(object)
  }

  /// The sidecar record of the data a figure used.
  func dataRecord(training: Bool) -> JSONValue {
    let data = training ? trainData : testData
    return .object([
      ("argument", .string(dataSource)), ("name", .string(data?.name ?? "")), ("split", .string(training ? "train" : "test")),
      ("images", .integer(data?.count ?? 0)), ("per_class", training ? .null : (settings.perClass.map { .integer($0) } ?? .null)),
    ])
  }

  /// Writes `<stem>.csv` (and any extra CSVs), its SVGs and the sidecar `<stem>.json`, at once.
  ///
  /// The sidecar records the models with paths and checksums, the data, the settings, the tool
  /// version, the `figures` command that remakes the figure (`equivalent_command`), the single
  /// commands of its experiments (`experiment_commands`) and the wall time (the only field that changes between runs
  /// with the same seed).
  func write(
    _ figure: FigureID, tables: [(suffix: String, table: ResultTable)], plots: [(suffix: String, plot: SVGPlot)],
    heatmaps: [(suffix: String, heatmap: SVGHeatmap)] = [], roles: [ModelRole], training: Bool = false, commands: [String], details: [(key: String, value: JSONValue)],
    seconds: Double
  ) throws -> [String] {
    try FileManager.default.createDirectory(at: outputFolder, withIntermediateDirectories: true)
    var files: [String] = []
    for (suffix, table) in tables {
      let name = figure.stem + suffix + ".csv"
      try table.csv().write(to: outputFolder.appendingPathComponent(name))
      files.append(name)
    }
    var svgs: [String] = []
    for (suffix, plot) in plots {
      let name = figure.stem + suffix + ".svg"
      try plot.write(to: outputFolder.appendingPathComponent(name))
      svgs.append(name)
    }
    for (suffix, heatmap) in heatmaps {
      let name = figure.stem + suffix + ".svg"
      try heatmap.write(to: outputFolder.appendingPathComponent(name))
      svgs.append(name)
    }
    var object: [(key: String, value: JSONValue)] = [
      ("figure", .string(figure.rawValue)), ("title", .string(figure.title)),
      ("csv", .array(files.map { .string($0) })), ("svg", .array(svgs.map { .string($0) })),
      ("tool", .string("resnet-lesion")), ("tool_version", .string(Provenance.toolVersion)),
      ("models", .array(roles.compactMap { models[$0] }.map(modelRecord))),
      ("skipped_models", .array(roles.compactMap { skippedRoles[$0] }.map { .string($0) })),
      ("data", dataRecord(training: training)), ("settings", settings.json),
      ("equivalent_command", .string(equivalentCommand(figure))),
      ("experiment_commands", .array(commands.map { .string($0) })),
    ]
    if let first = tables.first { object.append(("notes", .array(first.table.notes.map { .string($0) }))) }
    object += details
    object.append(("wall_time_seconds", .number((seconds * 1000).rounded() / 1000)))
    let jsonName = figure.stem + ".json"
    try AtomicFile.write(
      JSONValue.object(object).encoded(pretty: true) + "\n", to: outputFolder.appendingPathComponent(jsonName))
    return files + svgs + [jsonName]
  }
}

extension FigureWorkspace {
  /// `notebooks-data/models/x.safetensors` for a path inside the data folder (messages stay short
  /// and free of machine-specific prefixes).
  static func relativeToData(_ path: String) -> String {
    guard let range = path.range(of: "notebooks-data/") else { return path }
    return String(path[range.lowerBound...])
  }
}

/// Whether a model argument is a bundled name (and not a file of that name).
enum ModelLoaderNames {
  /// True for `resnet110` etc. unless a file of that name exists (which `ModelLoader` prefers).
  static func isBundled(_ argument: String) -> Bool {
    ModelLoader.bundledNames.contains(argument)
      && !FileManager.default.fileExists(atPath: argument)
  }
}

import Basics
import Checkpoints
import Datasets
import Engine
import Foundation
import Lesion
import Report

/// Everything the figures share while one `figures` run makes them: the loaded models, the data,
/// evaluations reused by several figures, and where files go.
///
/// Models and data load lazily, on first use; single-deletion and random-deletion results are
/// computed once per model and shared (Fig. 3 and Fig. 8 both need the standard network's single
/// deletions; Fig. 5a and Fig. 8 its random deletions). Every figure draws its random choices
/// from its own generator seeded with `settings.seed`, so a figure's numbers do not depend on
/// which other figures are made in the same run.
final class FigureWorkspace {
  /// One loaded model and what the sidecar records about it.
  struct Model {
    var role: ModelRole
    /// The name given on the command line (a bundled name or a path).
    var argument: String
    var loaded: LoadedModel
    /// SHA-256 of the model file, lowercase hexadecimal.
    var sha256: String
    var bytes: Int
    var network: Network { loaded.network }
  }

  /// Single-deletion results of one model: the intact result and one result per deletable block.
  struct SingleDeletion {
    var intact: LesionResult
    var byBlock: [Int: LesionResult]
  }

  /// Random-deletion results of one model: for each k, its samples.
  struct RandomDeletion {
    var intact: LesionResult
    var groups: [(k: Int, results: [LesionResult])]
  }

  let settings: FigureSettings
  let outputFolder: URL
  let context: CommandContext
  let quiet: Bool
  let dataSource: String
  private let modelArguments: [ModelRole: String]
  private var models: [ModelRole: Model] = [:]
  private var testData: ImageDataset?
  private var trainData: ImageDataset?
  private var singleDeletions: [ModelRole: SingleDeletion] = [:]
  private var randomDeletions: [ModelRole: RandomDeletion] = [:]
  private var intactResults: [ModelRole: LesionResult] = [:]

  init(
    settings: FigureSettings, outputFolder: URL, modelArguments: [ModelRole: String], dataSource: String,
    quiet: Bool, context: CommandContext
  ) {
    self.settings = settings
    self.outputFolder = outputFolder
    self.modelArguments = modelArguments
    self.dataSource = dataSource
    self.quiet = quiet
    self.context = context
  }

  /// The model argument for `role`: the option's value, else the bundled name.
  func argument(for role: ModelRole) -> String { modelArguments[role] ?? role.bundledName }

  /// Whether the user named the model for `role` explicitly.
  func isExplicit(_ role: ModelRole) -> Bool { modelArguments[role] != nil }

  /// Prints a note on standard error unless quiet.
  func note(_ text: String) {
    if !quiet { context.writeError(text + "\n") }
  }

  /// Prints a warning on standard error (even when quiet).
  func warn(_ text: String) {
    context.writeError("Warning: " + text + "\n")
  }

  // MARK: Models and data

  /// The model for `role`, loaded and checksummed on first use.
  /// - Throws: `CheckpointError` for an unreadable file, `FiguresError.wrongModelKind` for a
  ///   network without residual blocks in a residual role.
  func model(_ role: ModelRole) throws -> Model {
    if let model = models[role] { return model }
    let name = argument(for: role)
    let loaded = try ModelLoader.load(name, normalization: nil)
    if role != .plain, !loaded.network.blocks.contains(where: \.isResidual) {
      throw FiguresError.wrongModelKind(
        role: role.rawValue, model: name, expected: "a residual network",
        found: "\(loaded.familyDescription) without residual blocks")
    }
    let digest = try SHA256.hash(fileAt: loaded.file)
    let size = (try? FileManager.default.attributesOfItem(atPath: loaded.file.path)[.size] as? Int) ?? 0
    let model = Model(role: role, argument: name, loaded: loaded, sha256: digest.hexadecimal, bytes: size)
    models[role] = model
    return model
  }

  /// The test split used by every lesion figure (`perClass` images of each class in quick mode).
  func testSet() throws -> ImageDataset {
    if let testData { return testData }
    let data = try DatasetLoader.load(dataSource, split: .test).selecting(
      offset: 0, limit: nil, perClass: settings.perClass)
    testData = data
    return data
  }

  /// The training split, from which Fig. 6b draws its random batches.
  func trainingSet() throws -> ImageDataset {
    if let trainData { return trainData }
    let data = try DatasetLoader.load(dataSource, split: .train)
    trainData = data
    return data
  }

  // MARK: Evaluations

  /// Evaluates `plans` (and the intact network) on the test set with a progress display.
  func evaluate(_ role: ModelRole, _ plans: [LesionPlan], what: String) throws -> (
    intact: LesionResult, lesions: [LesionResult]
  ) {
    let model = try model(role)
    let data = try testSet()
    let evaluator = try LesionEvaluator(
      network: model.network, dataset: data, mean: model.loaded.metadata.normalizationMean,
      std: model.loaded.metadata.normalizationStd, batchSize: settings.batchSize)
    note("\(what): \(model.argument), \(plans.count + 1) configurations × \(data.count) images")
    let reporter = progressReporter(total: (plans.count + 1) * data.count, unit: "image evaluations")
    defer { reporter.finish() }
    let result = try evaluator.evaluate(plans) { images in reporter.advance(by: images, images: images) }
    intactResults[role] = result.intact
    return result
  }

  /// A progress reporter on the command's standard error.
  func progressReporter(total: Int, unit: String) -> ProgressReporter {
    let mode: ProgressReporter.Mode = quiet ? .quiet : (context.errorIsTerminal ? .bar : .lines)
    return ProgressReporter(
      total: total, unit: unit, mode: mode, interval: 10, output: context.writeError,
      clock: { ProcessInfo.processInfo.systemUptime })
  }

  /// The intact network's test result.
  func intact(_ role: ModelRole) throws -> LesionResult {
    if let result = intactResults[role] { return result }
    return try evaluate(role, [], what: "intact \(role.rawValue) network").intact
  }

  /// Every deletable block of `role`'s network deleted alone (Fig. 3).
  func singleDeletion(_ role: ModelRole) throws -> SingleDeletion {
    if let cached = singleDeletions[role] { return cached }
    let network = try model(role).network
    let deletable = network.blocks.filter(\.isDeletable).map(\.number)
    let (intact, results) = try evaluate(role, deletable.map { LesionPlan(deleted: [$0]) }, what: "single deletions")
    let value = SingleDeletion(intact: intact, byBlock: Dictionary(uniqueKeysWithValues: zip(deletable, results)))
    singleDeletions[role] = value
    return value
  }

  /// The deletion counts actually used for `network`: the settings' counts that do not exceed its
  /// deletable blocks.
  func deletionCounts(for network: Network) -> [Int] {
    let available = RandomLesions.deletableBlocks(of: network).count
    return settings.deletionCounts.filter { $0 <= available }
  }

  /// `samples` random sets of k deleted blocks for each k (Fig. 5a), drawn exactly as
  /// `sweep --random <ks> --samples <n> --seed <seed>` draws them.
  func randomDeletion(_ role: ModelRole) throws -> RandomDeletion {
    if let cached = randomDeletions[role] { return cached }
    let network = try model(role).network
    let ks = deletionCounts(for: network)
    var generator = SplitMix64(seed: UInt64(settings.seed))
    var plans: [LesionPlan] = []
    for k in ks {
      plans += try RandomLesions.deletionPlans(network: network, k: k, samples: settings.samples, generator: &generator)
    }
    let (intact, results) = try evaluate(role, plans, what: "random deletions")
    let n = settings.samples
    let groups = ks.enumerated().map { index, k in (k: k, results: Array(results[(index * n)..<((index + 1) * n)])) }
    let value = RandomDeletion(intact: intact, groups: groups)
    randomDeletions[role] = value
    return value
  }

  /// The data options of the equivalent single commands (empty for the defaults).
  var dataArguments: String {
    var text = dataSource == "mnist-5k" ? "" : " --data \(dataSource)"
    if let perClass = settings.perClass { text += " --per-class \(perClass)" }
    return text
  }

  // MARK: Output

  /// The sidecar record of a model: name, file, checksum, family, blocks and training provenance.
  func modelRecord(_ model: Model) -> JSONValue {
    let bundled = ModelLoaderNames.isBundled(model.argument)
    var object: [(key: String, value: JSONValue)] = [
      ("role", .string(model.role.rawValue)),
      ("name", .string(bundled ? model.argument : model.loaded.file.lastPathComponent)),
      ("bundled", .bool(bundled)),
      (
        "file",
        .string(
          bundled ? "notebooks-data/models/\(model.loaded.file.lastPathComponent)" : model.loaded.file.lastPathComponent
        )
      ),
      ("sha256", .string(model.sha256)), ("bytes", .integer(model.bytes)),
      ("family", .string(model.loaded.familyDescription)),
      ("blocks", .integer(model.network.blockCount)),
      ("residual_blocks", .integer(model.network.blocks.filter(\.isResidual).count)),
      ("parameters", .integer(model.network.parameterCount)),
    ]
    let provenance = model.loaded.metadata.provenance
    if !provenance.isEmpty {
      object.append(("provenance", .object(provenance.keys.sorted().map { ($0, .string(provenance[$0] ?? "")) })))
    }
    return .object(object)
  }

  /// The sidecar record of a data set.
  func dataRecord(_ data: ImageDataset, split: String, perClass: Int?) -> JSONValue {
    .object([
      ("source", .string(dataSource)), ("name", .string(data.name)), ("split", .string(split)),
      ("images", .integer(data.count)),
      ("per_class", perClass.map { .integer($0) } ?? .null),
    ])
  }

  /// Writes `<stem>.csv`, its SVGs and the sidecar `<stem>.json` for `figure`.
  ///
  /// The sidecar records the models with checksums, data, seed, samples, the tool version and the
  /// wall time (the only field that changes between runs with the same seed).
  func write(
    _ figure: FigureID, csv: CSVTable, plots: [(suffix: String, plot: SVGPlot)], roles: [ModelRole],
    data: [JSONValue], details: [(key: String, value: JSONValue)], seconds: Double
  ) throws -> [String] {
    var files: [String] = []
    let csvName = figure.stem + ".csv"
    try csv.write(to: outputFolder.appendingPathComponent(csvName))
    files.append(csvName)
    for (suffix, plot) in plots {
      let name = figure.stem + suffix + ".svg"
      try plot.write(to: outputFolder.appendingPathComponent(name))
      files.append(name)
    }
    var object: [(key: String, value: JSONValue)] = [
      ("figure", .string(figure.rawValue)), ("title", .string(figure.title)), ("csv", .string(csvName)),
      ("svg", .array(files.dropFirst().map { .string($0) })), ("tool", .string("resnet-lesion")),
      ("tool_version", .string(LesionProgram.version)), ("seed", .integer(settings.seed)),
      ("quick", .bool(settings.quick)),
      ("models", .array(try roles.map { modelRecord(try model($0)) })), ("data", .array(data)),
    ]
    object += details
    object.append(("wall_time_seconds", .number((seconds * 1000).rounded() / 1000)))
    let jsonName = figure.stem + ".json"
    try AtomicFile.write(
      JSONValue.object(object).encoded(pretty: true) + "\n", to: outputFolder.appendingPathComponent(jsonName))
    files.append(jsonName)
    return files
  }
}

extension FigureWorkspace.Model {
  /// How the model is named in legends and commands: the bundled name, or the file name.
  var argumentLabel: String {
    ModelLoaderNames.isBundled(argument) ? argument : loaded.file.lastPathComponent
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

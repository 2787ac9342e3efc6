import Checkpoints
import Datasets
import Engine
import Foundation
import Report
import Studies
import Training

/// `resnet-lesion train`: trains a residual (or plain / VGG-style) network with SGD and saves it
/// as a model file, optionally with stochastic depth (Huang et al. 2016) or active-block training
/// (Veit et al. 2016, §5.2).
enum TrainCommand: LesionCommand {
  /// The architectures `--arch` accepts.
  enum Architecture: String, CaseIterable {
    case resnet, preact, plain, vgg
  }

  /// The normalization choices `--normalize` accepts.
  enum NormalizationChoice: String, CaseIterable {
    case auto, mnist, cifar10, cifar100, imagenet, none, computed
  }

  static let spec = CommandSpec(
    name: "train",
    abstract: "Train a network with SGD on a data set and save it as a model file.",
    discussion:
      "Trains with mini-batch SGD (momentum, optional Nesterov, weight decay) and batch norm in training mode, evaluating the test split after every epoch. --stochastic-depth P drops block l of L with probability (l/L)(1-P) per mini-batch and scales branches by their survival probability at test time; --active-blocks K trains K randomly chosen residual blocks per mini-batch (the others are deleted for it); --gradient-paths K keeps the whole network in the forward pass and back-propagates through K randomly chosen branches plus every shortcut (the others' parameters are left alone, as with --active-blocks). A checkpoint (model file plus a .state.safetensors beside it for --resume) is written after every epoch; the state file is removed when the run finishes unless --keep-state is given. Same seed, data and RESNET_LESION_THREADS give bit-identical weights.",
    options: [
      .option(
        "arch", value: "<name>", help: "Architecture: resnet (CIFAR ResNet), preact, plain (no shortcuts) or vgg.",
        default: "resnet"),
      .option(
        "depth", value: "<n>", help: "Depth 6n+2 of a CIFAR-style net (n blocks per stage; 110 → 18).",
        defaultDescription: "110 (resnet, preact, plain)"),
      .option(
        "blocks-per-stage", value: "<list>",
        help: "Blocks per stage, e.g. 18 or 5,5,4 (instead of --depth; required for vgg)."),
      .option("widths", value: "<list>", help: "Channels of each stage.", default: "16,32,64"),
      .flag(
        "no-bn",
        help:
          "VGG without batch normalization: conv (with bias)-ReLU layers, as the paper's VGG-style net (--arch vgg only)."),
      .option(
        "shortcut", value: "<A|B>", help: "Shortcut where shapes change: A (zero padding) or B (projection).",
        default: "A"),
      .option(
        "data", value: "<source>", help: "Data set: a bundled name or a path DatasetLoader reads.", default: "mnist-5k"),
      .option("per-class", value: "<n>", help: "Train on the first n training images of every class (a class-balanced subset)."),
      .option("limit", value: "<n>", help: "Older spelling: n training images in all, the first ⌈n/classes⌉ of each class.").hidden(),
      .option(
        "normalize", value: "<name>",
        help:
          "Input normalization: auto, mnist, cifar10, cifar100, imagenet, none or computed (from the training images).",
        default: "auto"),
      .option("epochs", value: "<n>", help: "Passes over the training set.", default: "10"),
      .option("batch-size", value: "<n>", help: "Images per mini-batch.", default: "128"),
      .option("lr", value: "<rate>", help: "Base learning rate.", default: "0.1"),
      .option("momentum", value: "<m>", help: "SGD momentum.", default: "0.9"),
      .flag("nesterov", help: "Use Nesterov momentum."),
      .option("weight-decay", value: "<wd>", help: "L2 weight decay on every parameter.", default: "0.0001"),
      .option(
        "schedule", value: "<schedule>",
        help:
          "Learning-rate schedule: cosine, constant, or step:50,75 (×0.1 at those epochs; step:50,75x0.2 for another factor).",
        default: "cosine"),
      .option("warmup", value: "<epochs>", help: "Epochs of linear learning-rate warm-up.", default: "0"),
      .option(
        "crop-padding", value: "<p>", help: "Random crops from images zero-padded by p pixels (0: none).", default: "0"),
      .flag("flip", help: "Random horizontal flips (not for digits)."),
      .option(
        "seed", value: "<n>", help: "Seed of every random choice (initialization, order, augmentation, masks).",
        default: "0"),
      .option("stochastic-depth", value: "<P>", help: "Stochastic depth with final survival probability P (e.g. 0.5)."),
      .option("active-blocks", value: "<K>", help: "Train K randomly chosen residual blocks per mini-batch."),
      .option(
        "gradient-paths", value: "<K>",
        help:
          "Run the whole network forward but back-propagate only through K randomly chosen residual branches per mini-batch (and every shortcut); the other branches are not updated."
      ),
      .option(
        "fan", value: "<mode>", help: "He initialization fan: fan_in (PyTorch default) or fan_out.", default: "fan_in"),
      .flag(
        "recalibrate-bn",
        help:
          "Recompute the test-time network's batch-norm statistics after each epoch (always on with --active-blocks)."),
      .flag(
        "zero-init-residual",
        help: "Start each residual branch's last batch norm at γ = 0 (every block begins as its shortcut)."),
      .option("output", value: "<file>", help: "Model file to write (checkpointed every epoch); default <arch><depth>-seed<seed>.safetensors here, never overwriting."),
      .flag("half", help: "Store the model's tensors as float16."),
      .option(
        "resume", value: "<file>",
        help:
          "Continue the run whose model (or .state.safetensors) file this is, with its saved settings (only --epochs may change)."
      ),
      .flag("keep-state", help: "Keep the .state.safetensors resume file after the run finishes."),
      .flag("allow-overlap", help: "Allow a data set without a test split: test errors are then measured on the training images."),
      CommonOptions.quiet,
    ],
    examples: [
      "train --depth 20 --epochs 2 --per-class 100 --output r20.safetensors",
      "train --data cifar-10-batches-bin --depth 56 --epochs 160 --schedule step:80,120 --crop-padding 4 --flip --output r56.safetensors",
      "train --resume r56.safetensors --epochs 200",
    ])

  static func run(_ arguments: ParsedArguments, context: CommandContext) throws {
    let quiet = try arguments.flag("quiet")
    let requestedOutput = try OutputTarget.file(arguments, "output")
    let half = try arguments.flag("half")
    var configuration: TrainingConfiguration
    var state: TrainingState? = nil
    var dataSource = try arguments.string("data") ?? "mnist-5k"
    var limit = try arguments.int("limit", in: 2...Int.max)
    var perClass = try arguments.int("per-class", in: 1...Int.max)
    if limit != nil && perClass != nil {
      throw CommandLineError.invalidValue(
        option: "--limit", value: try arguments.string("limit") ?? "", expected: "either --per-class or --limit, not both")
    }
    var command = commandLine(arguments)
    if let resume = try arguments.path("resume", mustExist: true) {
      let stateFile = TrainingCheckpoint.stateURL(forModel: resume)
      guard FileManager.default.fileExists(atPath: stateFile.path) else {
        throw CommandLineError.invalidValue(
          option: "--resume", value: resume.lastPathComponent,
          expected: "a model file with its \(stateFile.lastPathComponent) beside it (written during training)")
      }
      let saved = try TrainingCheckpoint.readTrainingState(stateFile)
      configuration = saved.configuration
      state = saved.state
      if let epochs = try arguments.int("epochs", in: 1...100_000), try arguments.wasGiven("epochs") {
        configuration.epochs = epochs
      }
      if !(try arguments.wasGiven("data")) { dataSource = saved.metadata["data"] ?? dataSource }
      if try !arguments.wasGiven("limit") && !arguments.wasGiven("per-class") {
        limit = saved.metadata["limit"].flatMap { Int($0) }
        perClass = saved.metadata["per_class"].flatMap { Int($0) }
      }
      if let original = saved.metadata["command"] { command = original }
    } else {
      configuration = try configurationFromOptions(arguments, data: nil)
    }
    if let available = DatasetLoader.splits(of: dataSource), available != DatasetSplit.allCases {
      let missing = DatasetSplit.allCases.first { !available.contains($0) } ?? .train
      throw DataSplitError.missingSplit(source: dataSource, requested: missing, available: available)
    }
    if !DatasetLoader.hasSplits(dataSource) {
      guard try arguments.flag("allow-overlap") else { throw DataSplitError.trainingOverlap(source: dataSource) }
      if !quiet {
        context.writeError("warning: \(dataSource) has no test split; test errors are measured on the training images\n")
      }
    }
    var trainingSet = try DatasetLoader.load(dataSource, split: .train)
    let testSet = try DatasetLoader.load(dataSource, split: .test)
    if let perClass {
      trainingSet = try trainingSet.selecting(offset: 0, limit: nil, perClass: perClass)
    } else if let limit {
      // Data sets may be sorted by class (mnist-5k is): take the first images of every class.
      let perClass = (limit + max(1, trainingSet.classCount) - 1) / max(1, trainingSet.classCount)
      trainingSet = try trainingSet.selecting(offset: 0, limit: limit, perClass: perClass)
    }
    if state == nil {
      configuration = try configurationFromOptions(arguments, data: trainingSet)
    }
    let output: URL? = try requestedOutput ?? arguments.path("resume") ?? defaultOutput(configuration)
    let trainer: Trainer
    if let state {
      trainer = try Trainer(configuration: configuration, trainingSet: trainingSet, testSet: testSet, state: state)
    } else {
      trainer = try Trainer(configuration: configuration, trainingSet: trainingSet, testSet: testSet)
    }
    let network = trainer.state.network
    if !quiet {
      context.writeError(
        "training \(network.configuration.family.rawValue) with \(network.blockCount) blocks, \(network.parameterCount) parameters on \(trainingSet.count) images of \(dataSource) (test: \(testSet.count)); \(trainer.batchesPerEpoch) batches of \(configuration.batchSize) per epoch, \(EngineThreads.count) threads\n"
      )
      if !(try arguments.wasGiven("output")), let output {
        context.writeError("note: no --output given; the model is saved as \(output.lastPathComponent)\n")
      }
    }
    var extra = ["data": dataSource, "command": command]
    if let limit { extra["limit"] = String(limit) }
    if let perClass { extra["per_class"] = String(perClass) }
    let metadata = { (state: TrainingState) -> ModelMetadata in
      ModelMetadata(
        normalizationMean: configuration.normalizationMean, normalizationStd: configuration.normalizationStd,
        classNames: trainingSet.classNames.count == configuration.architecture.classCount ? trainingSet.classNames : [],
        provenance: TrainingCheckpoint.provenance(
          configuration: configuration, state: state, command: command, trainingImages: trainingSet.count,
          testImages: testSet.count, extra: ["data": dataSource, "tool_version": LesionProgram.version]))
    }
    var progress: ProgressReporter? = nil
    trainer.batchFinished = { done, total, images in
      guard context.errorIsTerminal, !quiet else { return }
      if progress == nil {
        progress = ProgressReporter(
          total: total, unit: "batches", mode: .bar, interval: 10, output: context.writeError,
          clock: { ProcessInfo.processInfo.systemUptime })
      }
      progress?.advance(by: 1, images: images)
      if done == total { progress?.finish(); progress = nil }
    }
    trainer.epochFinished = { report, state in
      if !quiet { context.writeError(epochLine(report) + "\n") }
      if let output {
        try TrainingCheckpoint.write(
          trainer: trainer, state: state, metadata: metadata(state), to: output, half: half, extra: extra)
      }
    }
    let trained = try trainer.fit()
    let final = trainer.state
    let testError: Double
    if let last = final.history.last {
      testError = last.testError
    } else {
      testError = try Trainer.testError(
        of: trained, on: testSet, mean: configuration.normalizationMean, std: configuration.normalizationStd,
        batchSize: configuration.evaluationBatchSize)
    }
    let wrong = Int((testError * Double(testSet.count)).rounded())
    context.write(
      "test error \(NumberFormat.percent(testError)) (\(wrong)/\(testSet.count)) after \(final.completedEpochs) epochs in \(ProgressReporter.duration(final.elapsed))\n"
    )
    if let output {
      if final.history.isEmpty {
        try TrainingCheckpoint.write(
          trainer: trainer, state: final, metadata: metadata(final), to: output, half: half, extra: extra)
      }
      if !(try arguments.flag("keep-state")) {
        try? FileManager.default.removeItem(at: TrainingCheckpoint.stateURL(forModel: output))
      }
      context.write("saved \(output.lastPathComponent)\n")
    }
  }

  /// Where a run without --output saves its model: `<arch><depth>-seed<seed>.safetensors` in the
  /// current folder (`resnet110-seed0.safetensors`; `vgg-2-2-2-seed0…` when there is no 6n+2 depth).
  /// - Throws: `CommandLineError.invalidValue` (exit 64) when that file exists: a run never
  ///   overwrites a model it was not told to write.
  static func defaultOutput(_ configuration: TrainingConfiguration) throws -> URL {
    let architecture = configuration.architecture
    let blocks = architecture.blocksPerStage
    let arch: String
    switch architecture.family {
    case .preActivationResNet: arch = "preact"
    case .plainCIFAR: arch = "plain"
    case .vgg: arch = "vgg"
    default: arch = "resnet"
    }
    let uniform = blocks.count == 3 && Set(blocks).count == 1 && architecture.family != .vgg
    let shape = uniform ? "\(arch)\(6 * blocks[0] + 2)" : ([arch] + blocks.map(String.init)).joined(separator: "-")
    let name = "\(shape)-seed\(configuration.seed).safetensors"
    let url = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(name)
    if FileManager.default.fileExists(atPath: url.path) {
      throw CommandLineError.invalidValue(
        option: "--output", value: "(not given)",
        expected: "a file name: the default \(name) exists in this folder and is not overwritten")
    }
    return url
  }

  /// One progress line per epoch.
  static func epochLine(_ r: EpochReport) -> String {
    "epoch \(r.epoch)/\(r.epochs)  loss \(NumberFormat.fixed(r.loss, decimals: 4))  train accuracy \(NumberFormat.percent(r.trainAccuracy))  test error \(NumberFormat.percent(r.testError))  lr \(NumberFormat.fixed(Double(r.learningRate), decimals: 5))  \(NumberFormat.fixed(r.imagesPerSecond, decimals: 1)) images/s  elapsed \(ProgressReporter.duration(r.elapsed))  ETA \(ProgressReporter.duration(r.estimatedRemaining))"
  }

  /// The command as typed (options in declaration order, input paths absolute), for the model's
  /// provenance: it reruns the training from any folder.
  static func commandLine(_ arguments: ParsedArguments) -> String {
    Provenance.equivalentCommand(arguments)
  }

  /// Builds the training configuration from the options (`data` fixes the input shape, class
  /// count and automatic normalization; nil only validates the options early).
  static func configurationFromOptions(_ arguments: ParsedArguments, data: ImageDataset?) throws
    -> TrainingConfiguration
  {
    let arch = try arguments.choice("arch", as: Architecture.self) ?? .resnet
    let widths = try arguments.integerList("widths", in: 1...4096, allowingRepeats: true) ?? [16, 32, 64]
    guard !widths.isEmpty else {
      throw CommandLineError.invalidValue(option: "--widths", value: "", expected: "at least one width")
    }
    var blocks: [Int]
    if let list = try arguments.integerList("blocks-per-stage", in: 1...10_000, allowingRepeats: true) {
      if try arguments.wasGiven("depth") {
        throw CommandLineError.invalidValue(
          option: "--depth", value: try arguments.string("depth") ?? "",
          expected: "either --depth or --blocks-per-stage, not both")
      }
      if list.count == 1 {
        blocks = Array(repeating: list[0], count: widths.count)
      } else {
        guard list.count == widths.count else {
          throw CommandLineError.invalidValue(
            option: "--blocks-per-stage", value: list.map(String.init).joined(separator: ","),
            expected:
              "one count, or one per stage (\(widths.count) for --widths \(widths.map(String.init).joined(separator: ",")))"
          )
        }
        blocks = list
      }
    } else {
      if arch == .vgg {
        throw CommandLineError.missingOption(option: "--blocks-per-stage", valueName: "<list>")
      }
      let depth = try arguments.int("depth", in: 8...100_000) ?? 110
      guard (depth - 2) % 6 == 0 else {
        throw CommandLineError.invalidValue(
          option: "--depth", value: String(depth), expected: "a depth 6n+2 (20, 32, 44, 56, 110, …)")
      }
      blocks = Array(repeating: (depth - 2) / 6, count: widths.count)
    }
    let shortcutText = (try arguments.string("shortcut") ?? "A").uppercased()
    guard let shortcut = NetworkConfiguration.ShortcutOption(rawValue: shortcutText) else {
      throw CommandLineError.invalidValue(option: "--shortcut", value: shortcutText, expected: "A or B")
    }
    let family: NetworkFamily
    switch arch {
    case .resnet: family = .cifarResNet
    case .preact: family = .preActivationResNet
    case .plain: family = .plainCIFAR
    case .vgg: family = .vgg
    }
    let epochs = try arguments.int("epochs", in: 1...100_000) ?? 10
    let batchSize = try arguments.int("batch-size", in: 2...100_000) ?? 128
    let rate = try arguments.double("lr", in: 1e-9...100) ?? 0.1
    let momentum = try arguments.double("momentum", in: 0...0.999999) ?? 0.9
    let nesterov = try arguments.flag("nesterov")
    if nesterov && momentum == 0 {
      throw CommandLineError.invalidValue(
        option: "--momentum", value: "0", expected: "a positive momentum with --nesterov")
    }
    let decay = try arguments.double("weight-decay", in: 0...1) ?? 1e-4
    let schedule = try parseSchedule(try arguments.string("schedule") ?? "cosine")
    let warmup = try arguments.int("warmup", in: 0...100_000) ?? 0
    if warmup >= epochs {
      throw CommandLineError.invalidValue(
        option: "--warmup", value: String(warmup), expected: "fewer warm-up epochs than --epochs (\(epochs))")
    }
    let padding = try arguments.int("crop-padding", in: 0...16) ?? 0
    let flip = try arguments.flag("flip")
    let seedText = try arguments.string("seed") ?? "0"
    guard let seed = UInt64(seedText) else {
      throw CommandLineError.invalidValue(
        option: "--seed", value: seedText, expected: "a non-negative integer below 2^64")
    }
    let survival = try arguments.double("stochastic-depth", in: 0.000001...1).map(Float.init)
    let blockCount = blocks.reduce(0, +)
    let active = try arguments.int("active-blocks", in: 1...max(1, blockCount))
    let paths = try arguments.int("gradient-paths", in: 1...max(1, blockCount))
    let sampling = [("stochastic-depth", survival != nil), ("active-blocks", active != nil), ("gradient-paths", paths != nil)]
      .filter(\.1).map(\.0)
    if let first = sampling.first {
      if arch == .plain || arch == .vgg {
        throw CommandLineError.invalidValue(
          option: "--" + first, value: try arguments.string(first) ?? "",
          expected: "a residual architecture (--arch resnet or preact)")
      }
      if sampling.count > 1 {
        let second = sampling[1]
        throw CommandLineError.invalidValue(
          option: "--" + second, value: try arguments.string(second) ?? "",
          expected: "no --\(first) at the same time")
      }
    }
    guard let fan = FanMode(rawValue: try arguments.string("fan") ?? "fan_in") else {
      throw CommandLineError.invalidValue(
        option: "--fan", value: try arguments.string("fan") ?? "", expected: "fan_in or fan_out")
    }
    let normalizeChoice = try arguments.choice("normalize", as: NormalizationChoice.self) ?? .auto
    let channels = data?.channels ?? 1
    let (mean, std) = normalization(normalizeChoice, data: data)
    let withoutBatchNorm = try arguments.flag("no-bn")
    if withoutBatchNorm && arch != .vgg {
      throw CommandLineError.invalidValue(
        option: "--no-bn", value: "", expected: "--arch vgg (the other architectures always use batch norm)")
    }
    let architecture = NetworkConfiguration(
      family: family, inputChannels: channels, inputHeight: data?.height ?? 28, inputWidth: data?.width ?? 28,
      classCount: max(1, data?.classCount ?? 10), stageWidths: widths, blocksPerStage: blocks, shortcut: shortcut,
      batchNormalization: withoutBatchNorm ? false : nil)
    if data != nil {
      _ = try Network(architecture)  // reports an input too small for the stages, before loading more
    }
    return TrainingConfiguration(
      architecture: architecture, epochs: epochs, batchSize: batchSize, learningRate: Float(rate),
      momentum: Float(momentum), nesterov: nesterov, weightDecay: Float(decay), schedule: schedule,
      warmupEpochs: warmup, augmentation: Augmentation(cropPadding: padding, horizontalFlip: flip),
      normalizationMean: mean, normalizationStd: std, seed: seed, stochasticDepth: survival,
      activeBlocks: active, gradientPaths: paths, fanMode: fan,
      zeroResidualBranches: try arguments.flag("zero-init-residual") ? true : nil,
      recalibrateNormalization: try arguments.flag("recalibrate-bn") ? true : nil)
  }

  /// Mean and std for `choice`; `auto` picks MNIST statistics for one-channel 28×28 data, the
  /// CIFAR-10/100 ones by class count for three-channel 32×32 data, else computes them.
  static func normalization(_ choice: NormalizationChoice, data: ImageDataset?) -> ([Float], [Float]) {
    let channels = data?.channels ?? 1
    func fitted(_ preset: NormalizationPreset) -> ([Float], [Float]) {
      let mean = preset.mean.count == channels ? preset.mean : Array(repeating: preset.mean[0], count: channels)
      let std = preset.std.count == channels ? preset.std : Array(repeating: preset.std[0], count: channels)
      return (mean, std)
    }
    func computed() -> ([Float], [Float]) {
      guard let data else { return fitted(.none) }
      let (mean, std) = data.pixelStatistics()
      return (mean.map(Float.init), std.map { Float($0 > 0 ? $0 : 1) })
    }
    switch choice {
    case .mnist: return fitted(.mnist)
    case .cifar10: return fitted(.cifar10)
    case .cifar100: return fitted(.cifar100)
    case .imagenet: return fitted(.imagenet)
    case .none: return fitted(.none)
    case .computed: return computed()
    case .auto:
      guard let data else { return fitted(.none) }
      if data.channels == 1 && data.height == 28 && data.width == 28 { return fitted(.mnist) }
      if data.channels == 3 && data.height == 32 && data.width == 32 {
        return fitted(data.classCount == 100 ? .cifar100 : .cifar10)
      }
      return computed()
    }
  }

  /// Parses `cosine`, `constant`, `step:50,75` or `step:50,75x0.2`.
  static func parseSchedule(_ text: String) throws -> LearningRateSchedule {
    let expected = "cosine, constant, or step:<epochs> such as step:50,75 or step:50,75x0.2"
    switch text {
    case "cosine": return .cosine
    case "constant": return .constant
    default:
      guard text.hasPrefix("step:") else {
        throw CommandLineError.invalidValue(option: "--schedule", value: text, expected: expected)
      }
      var body = String(text.dropFirst(5))
      var factor: Float = 0.1
      if let x = body.firstIndex(of: "x") {
        guard let value = Float(body[body.index(after: x)...]), value > 0, value <= 1 else {
          throw CommandLineError.invalidValue(option: "--schedule", value: text, expected: "a factor in (0, 1] after x")
        }
        factor = value
        body = String(body[..<x])
      }
      let milestones = body.split(separator: ",", omittingEmptySubsequences: false).map { Int($0) }
      guard !milestones.isEmpty, milestones.allSatisfy({ ($0 ?? 0) >= 1 }) else {
        throw CommandLineError.invalidValue(option: "--schedule", value: text, expected: expected)
      }
      let values = milestones.compactMap { $0 }
      guard values == values.sorted() else {
        throw CommandLineError.invalidValue(option: "--schedule", value: text, expected: "increasing milestones")
      }
      return .step(milestones: values, factor: factor)
    }
  }
}

import Basics
import Checkpoints
import Datasets
import Engine
import Foundation
import Lesion
import Report
import Studies

/// The data options shared by commands that evaluate a network on labelled images.
enum DataArguments {
  static let data = OptionSpec.option(
    "data", short: "d", value: "<path>",
    help: "Data set: a bundled name (mnist-5k), a CIFAR .bin/.tar.gz/folder, an MNIST IDX folder, an images .npy, or a folder of JPEG/PNG images (class subfolders, or flat with --labels).",
    default: "mnist-5k")
  static let split = OptionSpec.option("split", value: "<split>", help: "train or test.", default: "test")
  static let labels = OptionSpec.option("labels", value: "<path>", help: "Labels .npy for an images .npy, or a text file of \"filename label\" lines for a flat image folder.")
  static let layout = OptionSpec.option("layout", value: "<layout>", help: "Layout of an images .npy: nchw or nhwc (inferred when unambiguous).")
  static let limit = OptionSpec.option("limit", value: "<n>", help: "Evaluate at most this many images.")
  static let offset = OptionSpec.option("offset", value: "<n>", help: "Skip this many images first.", default: "0")
  static let perClass = OptionSpec.option("per-class", value: "<n>", help: "Keep the first n images of every class (a class-balanced subset).")
  static let batchSize = OptionSpec.option("batch-size", value: "<n>", help: "Images per batch.", default: "100")

  static let resize = OptionSpec.option("resize", value: "<n>", help: "Image folders: resize the shorter side to n (torchvision Resize, Pillow bilinear). Default from the model: 256 for ImageNet models, none for images already at its input size.")
  static let crop = OptionSpec.option("crop", value: "<n>", help: "Image folders: centre crop n×n (torchvision CenterCrop). Default: the model's input size.")
  static let skipBad = OptionSpec.flag("skip-bad", help: "Image folders: count and list undecodable files instead of failing.")

  static var all: [OptionSpec] { [data, split, labels, layout, limit, offset, perClass, batchSize, resize, crop, skipBad] }

  /// Loads and selects the data set the options name; image folders are transformed for a
  /// model of input side `inputSize` and summarized on standard error (unless --quiet).
  /// - Throws: `StudyError.emptySelection` (exit 64) when `--offset` is at or beyond the data.
  static func load(_ arguments: ParsedArguments, inputSize: Int? = nil, context: CommandContext? = nil) throws -> ImageDataset {
    let source = try arguments.string("data") ?? "mnist-5k"
    let split = try arguments.choice("split", as: DatasetSplit.self) ?? .test
    let layout = try arguments.choice("layout", as: NumPyLayout.self)
    let offset = try arguments.int("offset", in: 0...Int.max) ?? 0
    let limit = try arguments.int("limit", in: 1...Int.max)
    let perClass = try arguments.int("per-class", in: 1...Int.max)
    let quiet = (try? arguments.flag("quiet")) ?? false
    let labels = try arguments.string("labels")
    let available = DatasetLoader.splits(of: source, labels: labels)
    if let available, !available.contains(split) {
      throw DataSplitError.missingSplit(source: source, requested: split, available: available)
    }
    if available == nil {
      if try arguments.wasGiven("split") {
        throw DataSplitError.noSplits(source: source, requested: split)
      }
      if split == .train {
        context?.writeError(
          "warning: \(source) has no separate training split; using all of its images (the default --split train needs a data set with train and test images)\n")
      }
    }
    let decoding = quiet ? nil : context.map { DecodingProgress(StudyArguments.progress(quiet: false, context: $0)) }
    defer { decoding?.finish() }
    let images = ImageFolderOptions(
      resize: try arguments.int("resize", in: 1...65_536), crop: try arguments.int("crop", in: 1...65_536),
      skipBad: try arguments.flag("skip-bad"), inputSize: inputSize,
      onSummary: quiet ? nil : context.map { context in { context.writeError($0.description + "\n") } },
      onProgress: decoding.map { decoding in { decoding.update(done: $0, total: $1) } })
    // Without a per-class quota, only the first offset + limit images are needed.
    var needed: Int?
    if perClass == nil, let limit, case let (sum, false) = offset.addingReportingOverflow(limit) { needed = sum }
    let dataset = try DatasetLoader.load(
      source, split: split, labels: labels, layout: layout, images: images,
      maximumImages: needed)
    guard offset < dataset.count else {
      throw StudyError.emptySelection(option: "--offset", value: offset, available: dataset.count)
    }
    return try dataset.selecting(offset: offset, limit: limit, perClass: perClass)
  }
}

/// A data set used in a way its splits do not allow (exit 64).
enum DataSplitError: UsageError, Equatable, CustomStringConvertible {
  /// `--split` asked for a half of a data set that is one set of images.
  case noSplits(source: String, requested: DatasetSplit)
  /// The data set has splits, but not the one asked for.
  case missingSplit(source: String, requested: DatasetSplit, available: [DatasetSplit])
  /// Training on a data set without a separate test split would evaluate on the training images.
  case trainingOverlap(source: String)

  var description: String {
    switch self {
    case .noSplits(let source, let requested):
      return "--split \(requested.rawValue): \(source) is one set of images without train and test splits (splits exist only for CIFAR and MNIST folders, CIFAR archives and bundled data sets); leave out --split to use all of its images"
    case .missingSplit(let source, let requested, let available):
      let names = available.map(\.rawValue).joined(separator: " and ")
      return "--split \(requested.rawValue): \(source) has no \(requested.rawValue) split, only \(names)"
    case .trainingOverlap(let source):
      return "--data \(source) is one set of images without train and test splits, so training would be evaluated on its own training images; give a CIFAR or MNIST folder or archive with both splits, or --allow-overlap to accept that"
    }
  }
}

extension NumPyLayout: CaseIterable {
  public static var allCases: [NumPyLayout] { [.nchw, .nhwc] }
}

/// Builds the `Study` a command's options describe, with progress on standard error.
enum StudyArguments {
  /// The options of a command that measures a study: model and data, the command's own
  /// `specific` ones, sharding, `--format`, `--output` and `--quiet`.
  static func options(_ specific: [OptionSpec]) -> [OptionSpec] {
    ModelArguments.all() + DataArguments.all + specific + ShardedRun.options
      + [CommonOptions.format, CommonOptions.output, CommonOptions.quiet]
  }

  /// Loads model and data and checks that they fit.
  static func load(_ arguments: ParsedArguments, context: CommandContext) throws -> Study {
    let model = try ModelArguments.load(arguments)
    let dataset = try DataArguments.load(arguments, inputSize: model.network.inputShape.height, context: context)
    return try Study(
      model: model, modelArgument: try arguments.string("model") ?? ModelLoader.defaultBundledName, dataset: dataset,
      dataArgument: try arguments.string("data") ?? "mnist-5k",
      batchSize: arguments.declares("batch-size") ? try arguments.int("batch-size", in: 1...100_000) ?? 100 : 100,
      progress: progress(quiet: try arguments.flag("quiet"), context: context))
  }

  /// Progress bars (terminal) or lines (otherwise) on the context's standard error.
  static func progress(quiet: Bool, context: CommandContext) -> StudyProgress {
    .console(quiet: quiet, isTerminal: context.errorIsTerminal, write: { context.writeError($0) })
  }
}

/// The progress of decoding an image folder, begun at the first image (when the folder's size is
/// known). Called from the one thread that consumes the decoded images.
private final class DecodingProgress: @unchecked Sendable {
  private let progress: StudyProgress
  private var handle: StudyProgress.Handle?
  private var reported = 0

  init(_ progress: StudyProgress) { self.progress = progress }

  func update(done: Int, total: Int) {
    if handle == nil { handle = progress.begin("decoding images", total, "images") }
    handle?.advance(done - reported)
    reported = done
  }

  func finish() { handle?.finish() }
}

/// The provenance records made from a command line (the rest is `Provenance` in Studies).
extension Provenance {
  /// The typed provenance of a study.
  static func metadata(_ study: Study, arguments: ParsedArguments) throws -> [(key: String, value: JSONValue)] {
    var record = tool + [
      ("model", try model(study.model, argument: study.modelArgument)),
      ("data", data(study.dataset, argument: study.dataArgument)),
      ("selection", try selection(arguments)),
    ]
    if arguments.declares("seed"), let seed = try arguments.int("seed", in: 0...Int.max) {
      record.append(("seed", .integer(seed)))
    }
    record.append(("equivalent_command", .string(equivalentCommand(arguments, omitting: ShardedRun.splitOptions))))
    return record
  }

  /// Which images of the data set were used: split, offset, limit and per-class quota.
  static func selection(_ arguments: ParsedArguments) throws -> JSONValue {
    func integer(_ name: String) throws -> JSONValue {
      guard arguments.declares(name), let value = try arguments.int(name, in: 0...Int.max) else { return .null }
      return .integer(value)
    }
    let split = arguments.declares("split") ? try arguments.string("split") : nil
    return .object([
      ("split", split.map { .string($0) } ?? .null), ("offset", try integer("offset")),
      ("limit", try integer("limit")), ("per_class", try integer("per-class")),
    ])
  }

  /// The command line as parsed, with every value that names an existing file made absolute and
  /// quoted for a POSIX shell.
  ///
  /// - Parameters:
  ///   - leading: words placed right after the command (`--only fig3`).
  ///   - omitting: options left out (by name).
  static func equivalentCommand(
    _ arguments: ParsedArguments, leading: [String] = [], omitting: Set<String> = []
  ) -> String {
    var words = ["resnet-lesion"] + arguments.commandPath.dropFirst() + leading
    for option in arguments.options where !omitting.contains(option.name) {
      if arguments.flags.contains(option.name) {
        words.append("--" + option.name)
      } else if let values = arguments.values[option.name] {
        for value in values {
          // The output keeps its spelling: a re-run writes beside it, or where it is run from.
          words += ["--" + option.name, option.name == "output" ? value : absolute(value)]
        }
      }
    }
    return words.map(shellQuoted).joined(separator: " ")
  }
}

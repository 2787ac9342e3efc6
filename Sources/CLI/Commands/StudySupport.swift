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
    if !DatasetLoader.hasSplits(source, labels: labels) {
      if try arguments.wasGiven("split") {
        throw DataSplitError.noSplits(source: source, requested: split)
      }
      if split == .train {
        context?.writeError(
          "warning: \(source) has no separate training split; using all of its images (the default --split train needs a data set with train and test images)\n")
      }
    }
    let images = ImageFolderOptions(
      resize: try arguments.int("resize", in: 1...65_536), crop: try arguments.int("crop", in: 1...65_536),
      skipBad: try arguments.flag("skip-bad"), inputSize: inputSize,
      onSummary: quiet ? nil : context.map { context in { context.writeError($0.description + "\n") } })
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
  /// Training on a data set without a separate test split would evaluate on the training images.
  case trainingOverlap(source: String)

  var description: String {
    switch self {
    case .noSplits(let source, let requested):
      return "--split \(requested.rawValue): \(source) is one set of images without train and test splits (splits exist only for CIFAR and MNIST folders, CIFAR archives and bundled data sets); leave out --split to use all of its images"
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
    StudyProgress { task, total, unit in
      let mode: ProgressReporter.Mode = quiet ? .quiet : (context.errorIsTerminal ? .bar : .lines)
      if !quiet { context.writeError("\(task): \(total) \(unit)\n") }
      let reporter = ProgressReporter(
        total: total, unit: unit, mode: mode, interval: 10, output: context.writeError,
        clock: { ProcessInfo.processInfo.systemUptime })
      return StudyProgress.Handle(advance: { reporter.advance(by: $0) }, finish: { reporter.finish() })
    }
  }
}

/// What every output records about how it was made: tool version, model (as given, absolute
/// path, SHA-256), data, and a command that reproduces it from any folder.
enum Provenance {
  /// The typed provenance of a study.
  static func metadata(_ study: Study, arguments: ParsedArguments) throws -> [(key: String, value: JSONValue)] {
    [
      ("tool", .string("resnet-lesion")), ("tool_version", .string(LesionProgram.version)),
      ("model", try model(study.model, argument: study.modelArgument)),
      ("data", .object([
        ("argument", .string(study.dataArgument)), ("name", .string(study.dataset.name)),
        ("images", .integer(study.dataset.count)),
      ])),
      ("command", .string(equivalentCommand(arguments))),
    ]
  }

  /// The record of one model file.
  static func model(_ model: LoadedModel, argument: String) throws -> JSONValue {
    .object([
      ("argument", .string(argument)), ("path", .string(model.file.standardizedFileURL.path)),
      ("sha256", .string(try SHA256.hash(fileAt: model.file).hexadecimal)), ("family", .string(model.familyDescription)),
      ("blocks", .integer(model.network.blockCount)),
    ])
  }

  /// The command line as parsed, with every value that names an existing file made absolute and
  /// quoted for a POSIX shell. Where the output went, how the run was split and whether it showed
  /// progress (`--output`, `--shard`, `--shards`, `--journal`, `--quiet`) is left out, so an
  /// unsharded run and a merge of its shards record the same command; the format an `--output`
  /// extension implied is written as `--format`.
  static func equivalentCommand(_ arguments: ParsedArguments) -> String {
    var words = ["resnet-lesion"] + arguments.commandPath.dropFirst()
    let inferredFormat = arguments.values["format"] == nil
      ? arguments.values["output"]?.last.flatMap { OutputFormat.inferred(from: URL(fileURLWithPath: $0)) } : nil
    for option in arguments.options where !ShardedRun.placementOptions.contains(option.name) && option.name != "quiet" {
      if option.name == "format", let inferredFormat, inferredFormat != .table {
        words += ["--format", inferredFormat.rawValue]
      } else if arguments.flags.contains(option.name) {
        words.append("--" + option.name)
      } else if let values = arguments.values[option.name] {
        for value in values {
          words += ["--" + option.name, absolute(value)]
        }
      }
    }
    return words.map(shellQuoted).joined(separator: " ")
  }

  /// `value` as an absolute path when it names an existing file or folder; else unchanged.
  static func absolute(_ value: String) -> String {
    guard FileManager.default.fileExists(atPath: value) else { return value }
    return URL(fileURLWithPath: value).standardizedFileURL.path
  }

  /// `word` quoted for a POSIX shell when it holds anything but safe characters.
  static func shellQuoted(_ word: String) -> String {
    let safe = word.allSatisfy { $0.isLetter || $0.isNumber || "-_./,=:+@%".contains($0) }
    return safe && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }
}

import Basics
import Checkpoints
import Datasets
import Engine
import Foundation
import Lesion
import Report

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
  static func load(_ arguments: ParsedArguments, inputSize: Int? = nil, context: CommandContext? = nil) throws -> ImageDataset {
    let source = try arguments.string("data") ?? "mnist-5k"
    let split = try arguments.choice("split", as: DatasetSplit.self) ?? .test
    let layout = try arguments.choice("layout", as: NumPyLayout.self)
    let quiet = (try? arguments.flag("quiet")) ?? false
    let images = ImageFolderOptions(
      resize: try arguments.int("resize", in: 1...65_536), crop: try arguments.int("crop", in: 1...65_536),
      skipBad: try arguments.flag("skip-bad"), inputSize: inputSize,
      onSummary: quiet ? nil : context.map { context in { context.writeError($0.description + "\n") } })
    let dataset = try DatasetLoader.load(source, split: split, labels: try arguments.string("labels"), layout: layout, images: images)
    return try dataset.selecting(
      offset: try arguments.int("offset", in: 0...Int.max) ?? 0,
      limit: try arguments.int("limit", in: 1...Int.max),
      perClass: try arguments.int("per-class", in: 1...Int.max))
  }
}

extension NumPyLayout: CaseIterable {
  public static var allCases: [NumPyLayout] { [.nchw, .nhwc] }
}

/// A loaded model and data set ready for lesion studies, with what outputs record about them.
struct LesionStudy {
  var model: LoadedModel
  var dataset: ImageDataset
  var evaluator: LesionEvaluator
  var quiet: Bool
  var context: CommandContext

  init(_ arguments: ParsedArguments, context: CommandContext) throws {
    model = try ModelArguments.load(arguments)
    dataset = try DataArguments.load(arguments, inputSize: model.network.inputShape.height, context: context)
    evaluator = try LesionEvaluator(
      network: model.network, dataset: dataset, mean: model.metadata.normalizationMean,
      std: model.metadata.normalizationStd, batchSize: try arguments.int("batch-size", in: 1...100_000) ?? 100)
    quiet = try arguments.flag("quiet")
    self.context = context
  }

  var network: Network { model.network }

  /// Evaluates the intact network and `plans` with a progress display on stderr.
  func evaluate(_ plans: [LesionPlan]) throws -> (intact: LesionResult, lesions: [LesionResult]) {
    let reporter = ProgressReporter(total: (plans.count + 1) * dataset.count, unit: "image evaluations", quiet: quiet, interval: 10)
    defer { reporter.finish() }
    return try evaluator.evaluate(plans) { images in reporter.advance(by: images, images: images) }
  }

  /// One line describing model and data, for the table footer and JSON.
  var description: String {
    "model \(model.file.lastPathComponent) (\(model.familyDescription)), data \(dataset.name) (\(dataset.count) images)"
  }

  /// The `model`/`data` part of every JSON output.
  var json: [(key: String, value: JSONValue)] {
    [
      ("model", .string(model.file.lastPathComponent)), ("family", .string(model.familyDescription)),
      ("blocks", .integer(network.blockCount)), ("data", .string(dataset.name)), ("images", .integer(dataset.count)),
      ("tool_version", .string(LesionProgram.version)),
    ]
  }

  /// Checks user block numbers: in range (usage error with the valid range) and deletable.
  func validateDeletion(_ blocks: [Int], option: String) throws {
    try BlockList(blocks: blocks, option: option).validate(blockCount: network.blockCount)
    for number in blocks {
      let block = network.blocks[number - 1]
      guard block.isDeletable else {
        throw CommandLineError.invalidValue(
          option: option, value: "\(number)",
          expected: "a deletable block: block \(number) (\(block.name)) has no shortcut and maps \(block.inputShape) to \(block.outputShape)")
      }
    }
  }
}

/// Formatting of lesion results shared by drop, sweep and reorder.
enum LesionFormat {
  static func percent(_ value: Double) -> String { NumberFormat.fixed(100 * value, decimals: 2) }

  static func interval(_ result: LesionResult) -> String {
    let w = result.errorInterval
    return "\(percent(w.lower))–\(percent(w.upper))"
  }

  static func change(_ result: LesionResult, _ intact: LesionResult) -> String {
    let d = 100 * (result.error - intact.error)
    return (d >= 0 ? "+" : "") + NumberFormat.fixed(d, decimals: 2)
  }

  /// Table columns for one result: error %, 95% interval, change, loss, agreement, images.
  static func cells(_ result: LesionResult, _ intact: LesionResult) -> [String] {
    [
      percent(result.error), interval(result), change(result, intact), NumberFormat.fixed(result.meanLoss, decimals: 4),
      percent(result.agreement), "\(result.count)",
    ]
  }

  static let columns: [TextTable.Column] = [
    .number("error %"), .number("95% interval"), .number("Δ error"), .number("loss"), .number("agree %"), .number("images"),
  ]

  static let csvHeader = ["error", "error_low95", "error_high95", "error_change", "mean_loss", "agreement", "images"]

  static func csv(_ result: LesionResult, _ intact: LesionResult) -> [CSVValue] {
    let w = result.errorInterval
    return [
      .number(result.error, .fixed(decimals: 6)), .number(w.lower, .fixed(decimals: 6)), .number(w.upper, .fixed(decimals: 6)),
      .number(result.error - intact.error, .fixed(decimals: 6)), .number(result.meanLoss, .fixed(decimals: 6)),
      .number(result.agreement, .fixed(decimals: 6)), .integer(result.count),
    ]
  }

  static func json(_ result: LesionResult, _ intact: LesionResult) -> [(key: String, value: JSONValue)] {
    let w = result.errorInterval
    return [
      ("error", .number(result.error)), ("error_low95", .number(w.lower)), ("error_high95", .number(w.upper)),
      ("error_change", .number(result.error - intact.error)), ("errors", .integer(result.errors)),
      ("mean_loss", .number(result.meanLoss)), ("agreement", .number(result.agreement)), ("images", .integer(result.count)),
    ]
  }
}

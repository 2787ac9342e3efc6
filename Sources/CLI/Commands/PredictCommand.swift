import Checkpoints
import Datasets
import Engine
import Foundation
import Lesion
import TensorFormats

/// `resnet-lesion predict`: logits of a model, intact or lesioned, for images in a `.npy` file.
enum PredictCommand: LesionCommand {
  static let spec = CommandSpec(
    name: "predict",
    abstract: "Compute logits for images in a .npy file or a data set, optionally with blocks deleted.",
    discussion:
      "With --data, the images of a data set (as every measuring command reads it, with --split, --offset, --limit, --per-class) are normalized with the model's statistics and their logits written in the data set's order. With --input, the input is a .npy array of shape (N, C, H, W) (or (C, H, W) for one image), channels first like PyTorch. float32 or float64 input is taken as already normalized and fed to the network as is; uint8 input is taken as raw pixels 0–255 and normalized with the model's statistics: (pixel/255 − mean)/std. The output is a float32 .npy of shape (N, classes), written atomically. Without --input-size, a square input sets the model's input size.",
    options: ModelArguments.all(required: true) + [
      .option("input", short: "i", value: "<path>", help: "Images as .npy: float32 normalized, or uint8 pixels (or give --data)."),
      .option(
        "blocks", short: "b", value: "<list>", help: "Residual blocks to delete, e.g. 5,9 or 10-18 (1-based, as 'info' numbers them)."
      ).aliased("drop"),
      .option(
        "output", short: "o", value: "<path>", help: "Where to write the logits (.npy, float32 (N, classes)).",
        required: true),
      .option("batch-size", value: "<n>", help: "Images per forward pass.", default: "128"),
      CommonOptions.quiet,
    ] + DataArguments.all.filter { $0.name != "batch-size" }.map { $0.name == "data" ? dataOption : $0 },
    examples: [
      "predict --model resnet110 --input images.npy --output logits.npy",
      "predict --model resnet56.th --input batch.npy --blocks 5,9 --output lesioned.npy",
      "predict --model resnet110 --data mnist-5k --limit 100 --output logits.npy",
    ])

  /// `--data` without a default: predict reads either --input or --data.
  static let dataOption = OptionSpec.option(
    "data", short: "d", value: "<path>",
    help: "Data set instead of --input: a bundled name, a CIFAR/MNIST file, folder or archive, an images .npy, or an image folder.")

  static func run(_ arguments: ParsedArguments, context: CommandContext) throws {
    guard let outputURL = try OutputTarget.file(arguments, "output") else {
      throw CommandLineError.missingOption(option: "--output", valueName: "<path>")
    }
    let drop = try arguments.blockList("blocks")
    let batchSize = try arguments.int("batch-size", in: 1...65_536) ?? 128
    switch (try arguments.wasGiven("input"), try arguments.wasGiven("data")) {
    case (true, true):
      throw CommandLineError.invalidValue(
        option: "--data", value: try arguments.string("data") ?? "", expected: "either --input or --data, not both")
    case (false, false):
      throw CommandLineError.missingOption(option: "--input", valueName: "<path> (or --data <path>)")
    case (false, true):
      try runOnData(arguments, drop: drop, batchSize: batchSize, output: outputURL, context: context)
      return
    case (true, false):
      break
    }
    guard let inputURL = try arguments.path("input", mustExist: true) else { return }
    let array = try InputArray.read(contentsOf: inputURL)
    var shape = array.tensor.shape
    if shape.count == 3 { shape.insert(1, at: 0) }
    let inputText = try arguments.string("input") ?? inputURL.path
    guard shape.count == 4, shape.allSatisfy({ $0 > 0 }) else {
      throw CommandLineError.invalidValue(
        option: "--input", value: inputText,
        expected: "an array of shape (N, C, H, W) or (C, H, W), found shape \(array.tensor.shape)")
    }
    let isPixels: Bool
    switch array.tensor.dtype {
    case .uint8: isPixels = true
    case .float32, .float64: isPixels = false
    default:
      throw CommandLineError.invalidValue(
        option: "--input", value: inputText,
        expected: "float32/float64 (normalized) or uint8 (pixels) values, found \(array.tensor.dtype.rawValue)")
    }
    let (count, channels, height, width) = (shape[0], shape[1], shape[2], shape[3])
    let squareSize = height == width ? height : nil
    let model = try ModelArguments.load(arguments, inputSize: try ModelArguments.inputSize(arguments) ?? squareSize)
    var network = model.network
    guard network.inputShape == FeatureShape(channels: channels, height: height, width: width) else {
      throw CommandLineError.invalidValue(
        option: "--input", value: inputText,
        expected: "images of \(network.inputShape) (C×H×W) for this model, found \(channels)×\(height)×\(width)")
    }
    if let drop {
      try drop.validate(blockCount: network.blockCount)
      network = try network.deletingBlocks(drop.blocks)
    }
    var values = array.tensor.floats()
    if isPixels {
      let mean = model.metadata.normalizationMean
      let std = model.metadata.normalizationStd
      let plane = height * width
      for index in values.indices {
        let channel = (index / plane) % channels
        values[index] = (values[index] / 255 - mean[channel]) / std[channel]
      }
    }
    let session = try InferenceSession(network)
    let imageSize = channels * height * width
    var logits: [Float] = []
    logits.reserveCapacity(count * network.classCount)
    var start = 0
    while start < count {
      let end = min(count, start + batchSize)
      let batch = Tensor(
        shape: [end - start, channels, height, width],
        scalars: Array(values[(start * imageSize)..<(end * imageSize)]))
      logits += try session.logits(for: Tensor.channelsLast(fromNCHW: batch)).scalars
      start = end
    }
    try NumPyArray.write(RawTensor(floats: logits, shape: [count, network.classCount]), to: outputURL)
    let lesion = drop.map { "blocks \($0) deleted" } ?? "intact"
    context.write(
      "wrote \(count)×\(network.classCount) logits to \(outputURL.path) (\(model.familyDescription), \(lesion), input \(isPixels ? "uint8 pixels normalized with the model's statistics" : "taken as normalized"))\n"
    )
  }

  /// `predict --data`: logits of a data set's selected images, in its order.
  static func runOnData(
    _ arguments: ParsedArguments, drop: BlockList?, batchSize: Int, output: URL, context: CommandContext
  ) throws {
    let model = try ModelArguments.load(arguments)
    var network = model.network
    let dataset = try DataArguments.load(arguments, inputSize: network.inputShape.height, context: context)
    if let drop {
      try drop.validate(blockCount: network.blockCount)
      network = try network.deletingBlocks(drop.blocks)
    }
    let mean = model.metadata.normalizationMean
    let std = model.metadata.normalizationStd
    try LesionError.validate(network: network, dataset: dataset, mean: mean, std: std)
    let session = try InferenceSession(network)
    let s = network.inputShape
    var logits: [Float] = []
    logits.reserveCapacity(dataset.count * network.classCount)
    var buffer = [Float](repeating: 0, count: min(batchSize, dataset.count) * s.count)
    var start = 0
    while start < dataset.count {
      let end = min(dataset.count, start + batchSize)
      buffer.withUnsafeMutableBufferPointer { dataset.writeBatch(indices: start..<end, mean: mean, std: std, into: $0) }
      let batch = Tensor(shape: [end - start, s.height, s.width, s.channels], scalars: Array(buffer[0..<((end - start) * s.count)]))
      logits += try session.logits(for: batch).scalars
      start = end
    }
    try NumPyArray.write(RawTensor(floats: logits, shape: [dataset.count, network.classCount]), to: output)
    let lesion = drop.map { "blocks \($0) deleted" } ?? "intact"
    context.write(
      "wrote \(dataset.count)×\(network.classCount) logits to \(output.path) (\(model.familyDescription), \(lesion), \(dataset.name), normalized with the model's statistics)\n")
  }
}

import Checkpoints
import Datasets
import Engine
import Foundation
import TensorFormats

/// `resnet-lesion predict`: logits of a model, intact or lesioned, for images in a `.npy` file.
enum PredictCommand: LesionCommand {
  static let spec = CommandSpec(
    name: "predict",
    abstract: "Compute logits for images in a .npy file, optionally with blocks deleted.",
    discussion:
      "The input is a .npy array of shape (N, C, H, W) (or (C, H, W) for one image), channels first like PyTorch. float32 or float64 input is taken as already normalized and fed to the network as is; uint8 input is taken as raw pixels 0–255 and normalized with the model's statistics: (pixel/255 − mean)/std. The output is a float32 .npy of shape (N, classes), written atomically. Without --input-size, a square input sets the model's input size.",
    options: ModelArguments.all(required: true) + [
      .option(
        "input", short: "i", value: "<path>", help: "Images as .npy: float32 normalized, or uint8 pixels.",
        required: true),
      .option(
        "blocks", short: "b", value: "<list>", help: "Residual blocks to delete, e.g. 5,9 or 10-18 (1-based, as 'info' numbers them)."
      ).aliased("drop"),
      .option(
        "output", short: "o", value: "<path>", help: "Where to write the logits (.npy, float32 (N, classes)).",
        required: true),
      .option("batch-size", value: "<n>", help: "Images per forward pass.", default: "128"),
    ],
    examples: [
      "predict --model resnet110 --input images.npy --output logits.npy",
      "predict --model resnet56.th --input batch.npy --blocks 5,9 --output lesioned.npy",
    ])

  static func run(_ arguments: ParsedArguments, context: CommandContext) throws {
    guard let inputURL = try arguments.path("input", mustExist: true),
      let outputURL = try arguments.path("output")
    else {
      throw CommandLineError.missingOption(option: "--input", valueName: "<path>")
    }
    let drop = try arguments.blockList("blocks")
    let batchSize = try arguments.int("batch-size", in: 1...65_536) ?? 128
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
}

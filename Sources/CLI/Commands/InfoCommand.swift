import Basics
import Checkpoints
import Foundation
import Studies

/// The model options shared by commands that load a network: `--model`, `--normalize`,
/// `--mean`/`--std`, `--input-size`.
enum ModelArguments {
  static let model = OptionSpec.option(
    "model", short: "m", value: "<path>",
    help:
      "Model file (resnet-lesion .safetensors, torch .pt/.pth/.th) or bundled name (\(ModelLoader.bundledNames.joined(separator: ", "))).",
    defaultDescription: "bundled \(ModelLoader.defaultBundledName)")
  static let requiredModel = OptionSpec.option(
    "model", short: "m", value: "<path>",
    help:
      "Model file (resnet-lesion .safetensors, torch .pt/.pth/.th) or bundled name (\(ModelLoader.bundledNames.joined(separator: ", "))).",
    required: true)
  static let normalize = OptionSpec.option(
    "normalize", value: "<preset>",
    help:
      "Input statistics: \(NormalizationPreset.allCases.map(\.rawValue).joined(separator: ", ")) (overrides the file's metadata and the family default)."
  )
  static let mean = OptionSpec.option(
    "mean", value: "<list>", help: "Per-channel mean on pixels/255, e.g. 0.4914,0.4822,0.4465 (with --std).")
  static let std = OptionSpec.option(
    "std", value: "<list>", help: "Per-channel standard deviation, e.g. 0.2023,0.1994,0.2010 (with --mean).")
  static let inputSize = OptionSpec.option(
    "input-size", value: "<n>",
    help:
      "Input height and width (default: the file's metadata, else 32 for CIFAR-style and 224 for ImageNet-style nets).")

  /// The options in help order (`required` makes `--model` mandatory).
  static func all(required: Bool = false) -> [OptionSpec] {
    [required ? requiredModel : model, normalize, mean, std, inputSize]
  }

  /// The normalization asked for on the command line, if any.
  /// - Throws: `CommandLineError` for a bad preset, a malformed list, `--mean` without `--std`,
  ///   or `--normalize` together with `--mean`/`--std`.
  static func normalization(_ arguments: ParsedArguments) throws -> NormalizationOverride? {
    let preset = try arguments.choice("normalize", as: NormalizationPreset.self)
    let mean = try floats(arguments, "mean")
    let std = try floats(arguments, "std")
    switch (preset, mean, std) {
    case (nil, nil, nil): return nil
    case (let preset?, nil, nil): return .preset(preset)
    case (nil, let mean?, let std?):
      guard mean.count == std.count else {
        throw CommandLineError.invalidValue(
          option: "--std", value: try arguments.string("std") ?? "",
          expected: "\(mean.count) values, one per --mean value")
      }
      return .explicit(mean: mean, std: std)
    case (nil, _?, nil):
      throw CommandLineError.missingOption(option: "--std", valueName: "<list>")
    case (nil, nil, _?):
      throw CommandLineError.missingOption(option: "--mean", valueName: "<list>")
    default:
      throw CommandLineError.invalidValue(
        option: "--normalize", value: try arguments.string("normalize") ?? "",
        expected: "either --normalize or --mean/--std, not both")
    }
  }

  private static func floats(_ arguments: ParsedArguments, _ name: String) throws -> [Float]? {
    guard let text = try arguments.string(name) else { return nil }
    let items = text.split(separator: ",", omittingEmptySubsequences: false)
    var values: [Float] = []
    for item in items {
      guard let value = Float(item.trimmingCharacters(in: .whitespaces)), value.isFinite else {
        throw CommandLineError.invalidValue(
          option: "--" + name, value: text, expected: "comma-separated numbers, e.g. 0.5,0.5,0.5")
      }
      values.append(value)
    }
    if name == "std", values.contains(where: { $0 <= 0 }) {
      throw CommandLineError.invalidValue(
        option: "--std", value: text, expected: "positive numbers")
    }
    return values
  }

  /// The `--input-size` value, if given.
  static func inputSize(_ arguments: ParsedArguments) throws -> Int? {
    try arguments.int("input-size", in: 1...4096)
  }

  /// Loads the model named by `--model` with the normalization and input size asked for.
  /// - Throws: `CommandLineError` for malformed options, `CheckpointError` for the file.
  static func load(_ arguments: ParsedArguments, inputSize: Int? = nil) throws -> LoadedModel {
    let normalization = try normalization(arguments)
    let size = try inputSize ?? self.inputSize(arguments)
    return try ModelLoader.load(
      try arguments.string("model"), normalization: normalization, inputSize: size)
  }
}

/// `resnet-lesion info`: what a model is — family, input, classes, normalization — and every
/// residual block with its shapes, parameters and multiply-accumulates.
enum InfoCommand: LesionCommand {
  static let spec = CommandSpec(
    name: "info",
    abstract: "Describe a model: family, input, normalization and every residual block.",
    discussion:
      "Blocks are numbered from 1 in forward order; these are the numbers --blocks and --order take. MACs are multiply-accumulates per image (convolutions and classifier). For checkpoints without resnet-lesion metadata the architecture is inferred from tensor names and shapes.",
    options: ModelArguments.all() + [CommonOptions.format, CommonOptions.output],
    examples: ["info", "info --model resnet56-4bfd9763.th --format json", "info --model resnet110 --output blocks.csv"])

  static func run(_ arguments: ParsedArguments, context: CommandContext) throws {
    let output = try OutputTarget(arguments)
    let model = try ModelArguments.load(arguments)
    let result = CommandResult(
      table: { ModelReport.table(model) }, csv: { ModelReport.csv(model) }, json: { ModelReport.json(model) },
      metadata: Provenance.tool + [
        ("model", try Provenance.model(model, argument: try arguments.string("model") ?? ModelLoader.defaultBundledName)),
        ("equivalent_command", .string(Provenance.equivalentCommand(arguments))),
      ])
    try result.emit(output, context: context)
  }
}

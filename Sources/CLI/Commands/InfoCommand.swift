import Basics
import Checkpoints
import Engine
import Foundation
import Report
import Studies
import TensorFormats

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

  /// "torch zip", "torch legacy", "safetensors".
  static func formatName(_ format: TensorArchive.Format) -> String {
    switch format {
    case .safetensors: return "safetensors"
    case .torchZip: return "torch zip"
    case .torchLegacy: return "torch legacy"
    case .torch7: return "Torch7 .t7"
    case .numpy: return "npy"
    }
  }

  /// The `Double` whose shortest text is the `Float`'s (0.485, not 0.48500001430511475).
  static func decimal(_ value: Float) -> Double {
    Double("\(value)") ?? Double(value)
  }

  /// "0.485, 0.456, 0.406".
  static func list(_ values: [Float]) -> String {
    values.map { "\($0)" }.joined(separator: ", ")
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
      table: { table(model) }, csv: { csv(model) }, json: { json(model) },
      metadata: Provenance.tool + [
        ("model", try Provenance.model(model, argument: try arguments.string("model") ?? ModelLoader.defaultBundledName)),
        ("equivalent_command", .string(Provenance.equivalentCommand(arguments))),
      ])
    try result.emit(output, context: context)
  }

  /// One CSV row per block: the block table of the text report.
  static func csv(_ model: LoadedModel) -> CSVTable {
    var csv = CSVTable(header: [
      "block", "name", "stage", "input_chw", "output_chw", "downsampling", "shortcut", "branch_scale", "parameters",
      "multiply_accumulates",
    ])
    for block in model.network.blocks {
      csv.addRow([
        .integer(block.number), .text(block.name), .integer(block.stage), .text("\(block.inputShape)"),
        .text("\(block.outputShape)"), .text(block.isDownsampling ? "yes" : "no"), .text(block.shortcutKind),
        .number(ModelArguments.decimal(block.branchScale)), .integer(block.parameterCount),
        .integer(block.multiplyAccumulates),
      ])
    }
    return csv
  }

  /// The text report.
  static func table(_ model: LoadedModel) -> String {
    let network = model.network
    let metadata = model.metadata
    var summary = TextTable(columns: [.text("property"), .text("value")])
    summary.addRow(["file", "\(model.file.path) (\(ModelArguments.formatName(model.format)))"])
    summary.addRow(["family", model.familyDescription])
    summary.addRow([
      "architecture",
      model.architectureFromMetadata ? "from the file's metadata" : "inferred from tensor names and shapes",
    ])
    summary.addRow(["input", "\(network.inputShape) (C×H×W)"])
    var classes = "\(network.classCount)"
    if !metadata.classNames.isEmpty {
      let shown = metadata.classNames.prefix(10).joined(separator: ", ")
      classes += " (" + shown + (metadata.classNames.count > 10 ? ", …" : "") + ")"
    }
    summary.addRow(["classes", classes])
    summary.addRow([
      "normalization",
      "mean \(ModelArguments.list(metadata.normalizationMean)); std \(ModelArguments.list(metadata.normalizationStd)) (\(metadata.normalizationSource))",
    ])
    for key in metadata.provenance.keys.sorted() {
      // Long values (the training configuration as JSON) are shortened here; --format json has them whole.
      let value = metadata.provenance[key] ?? ""
      summary.addRow(["provenance." + key, value.count > 100 ? String(value.prefix(97)) + "…" : value])
    }
    let scaled = network.configuration.branchScales != nil
    var columns: [TextTable.Column] = [
      .number("block"), .text("name"), .number("stage"), .text("input"), .text("output"),
      .text("downsampling"), .text("shortcut"),
    ]
    if scaled { columns.append(.number("scale")) }
    columns += [.number("parameters"), .number("MACs")]
    var blocks = TextTable(columns: columns)
    for block in network.blocks {
      var row = [
        "\(block.number)", block.name, "\(block.stage)", "\(block.inputShape)", "\(block.outputShape)",
        block.isDownsampling ? "yes" : "no", block.shortcutKind,
      ]
      if scaled { row.append(NumberFormat.shortest(Double(block.branchScale))) }
      row += ["\(block.parameterCount)", "\(block.multiplyAccumulates)"]
      blocks.addRow(row)
    }
    blocks.footer = [
      "\(network.blockCount) blocks; parameters \(network.parameterCount); multiply-accumulates per image \(network.multiplyAccumulates)"
    ]
    return summary.rendered() + "\n" + blocks.rendered()
  }

  /// The JSON report.
  static func json(_ model: LoadedModel) -> JSONValue {
    let network = model.network
    let metadata = model.metadata
    func shape(_ s: FeatureShape) -> JSONValue {
      .object([("channels", .integer(s.channels)), ("height", .integer(s.height)), ("width", .integer(s.width))])
    }
    let source: JSONValue
    switch metadata.normalizationSource {
    case .metadata: source = .object([("kind", "metadata")])
    case .flag: source = .object([("kind", "flag")])
    case .familyDefault(let reason): source = .object([("kind", "family-default"), ("reason", .string(reason))])
    }
    let blocks: [JSONValue] = network.blocks.map { block in
      .object([
        ("number", .integer(block.number)), ("name", .string(block.name)), ("stage", .integer(block.stage)),
        ("input", shape(block.inputShape)), ("output", shape(block.outputShape)),
        ("downsampling", .bool(block.isDownsampling)), ("shortcut", .string(block.shortcutKind)),
        ("branch_scale", .number(ModelArguments.decimal(block.branchScale))),
        ("parameters", .integer(block.parameterCount)),
        ("multiply_accumulates", .integer(block.multiplyAccumulates)),
      ])
    }
    let c = network.configuration
    return .object([
      ("file", .string(model.file.path)),
      ("file_format", .string(model.format.rawValue)),
      ("family", .string(model.familyDescription)),
      ("architecture_source", .string(model.architectureFromMetadata ? "metadata" : "inferred")),
      (
        "configuration",
        .object([
          ("family", .string(c.family.rawValue)), ("stage_widths", .integers(c.stageWidths)),
          ("blocks_per_stage", .integers(c.blocksPerStage)), ("shortcut", .string(c.shortcut.rawValue)),
          ("bottleneck", .bool(c.bottleneck)),
        ])
      ),
      ("input", shape(network.inputShape)),
      ("classes", .integer(network.classCount)),
      ("class_names", .array(metadata.classNames.map { .string($0) })),
      (
        "normalization",
        .object([
          ("mean", .numbers(metadata.normalizationMean.map(ModelArguments.decimal))),
          ("std", .numbers(metadata.normalizationStd.map(ModelArguments.decimal))), ("source", source),
        ])
      ),
      ("provenance", .object(metadata.provenance.keys.sorted().map { ($0, Provenance.typed(metadata.provenance[$0] ?? "")) })),
      ("blocks", .array(blocks)),
      ("parameters", .integer(network.parameterCount)),
      ("multiply_accumulates", .integer(network.multiplyAccumulates)),
    ])
  }
}

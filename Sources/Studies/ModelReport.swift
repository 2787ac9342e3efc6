import Basics
import Checkpoints
import Engine
import Foundation
import Report
import TensorFormats

/// What `info` reports about a model: family, input, classes, normalization, provenance, and
/// every block with its shapes, parameters and multiply-accumulates, as a text report, a CSV
/// (one row per block) and JSON.
public enum ModelReport {
  /// "torch zip", "torch legacy", "safetensors".
  public static func formatName(_ format: TensorArchive.Format) -> String {
    switch format {
    case .safetensors: return "safetensors"
    case .torchZip: return "torch zip"
    case .torchLegacy: return "torch legacy"
    case .torch7: return "Torch7 .t7"
    case .numpy: return "npy"
    }
  }

  /// The `Double` whose shortest text is the `Float`'s (0.485, not 0.48500001430511475).
  public static func decimal(_ value: Float) -> Double {
    Double("\(value)") ?? Double(value)
  }

  /// "0.485, 0.456, 0.406".
  public static func list(_ values: [Float]) -> String {
    values.map { "\($0)" }.joined(separator: ", ")
  }

  /// One CSV row per block: the block table of the text report.
  public static func csv(_ model: LoadedModel) -> CSVTable {
    var csv = CSVTable(header: [
      "block", "name", "stage", "input_chw", "output_chw", "downsampling", "shortcut", "branch_scale", "parameters",
      "multiply_accumulates",
    ])
    for block in model.network.blocks {
      csv.addRow([
        .integer(block.number), .text(block.name), .integer(block.stage), .text("\(block.inputShape)"),
        .text("\(block.outputShape)"), .text(block.isDownsampling ? "yes" : "no"), .text(block.shortcutKind),
        .number(decimal(block.branchScale)), .integer(block.parameterCount),
        .integer(block.multiplyAccumulates),
      ])
    }
    return csv
  }

  /// The text report.
  public static func table(_ model: LoadedModel) -> String {
    let network = model.network
    let metadata = model.metadata
    var summary = TextTable(columns: [.text("property"), .text("value")])
    summary.addRow(["file", "\(model.file.path) (\(formatName(model.format)))"])
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
      "mean \(list(metadata.normalizationMean)); std \(list(metadata.normalizationStd)) (\(metadata.normalizationSource))",
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
  public static func json(_ model: LoadedModel) -> JSONValue {
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
        ("branch_scale", .number(decimal(block.branchScale))),
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
          ("mean", .numbers(metadata.normalizationMean.map(decimal))),
          ("std", .numbers(metadata.normalizationStd.map(decimal))), ("source", source),
        ])
      ),
      ("provenance", .object(metadata.provenance.keys.sorted().map { ($0, Provenance.typed(metadata.provenance[$0] ?? "")) })),
      ("blocks", .array(blocks)),
      ("parameters", .integer(network.parameterCount)),
      ("multiply_accumulates", .integer(network.multiplyAccumulates)),
    ])
  }
}

import Checkpoints
import Foundation
import Studies

/// `resnet-lesion convert`: any supported checkpoint → a resnet-lesion model file that loads
/// with no flags (architecture, normalization, class names and provenance in its metadata).
enum ConvertCommand: LesionCommand {
  static let spec = CommandSpec(
    name: "convert",
    abstract: "Convert a checkpoint to a resnet-lesion model file (.safetensors with metadata).",
    discussion:
      "Reads a resnet-lesion .safetensors file or a torch.save checkpoint (zip or legacy, plain state dict or training checkpoint, 'module.' prefixes stripped), infers the architecture when the file does not record it, and writes the tensors in PyTorch keys and layouts with the architecture, normalization statistics and provenance in the safetensors metadata. Record the statistics the checkpoint was trained with: --normalize or --mean/--std override the family default (akamaster's CIFAR checkpoints used ImageNet statistics).",
    options: ModelArguments.all(required: true) + [
      .option("output", short: "o", value: "<path>", help: "The model file to write; its name must end in .safetensors.", required: true),
      .flag("half", help: "Store tensors as float16 (half the size; values rounded to nearest)."),
    ],
    examples: [
      "convert --model resnet56-4bfd9763.th --normalize cifar10 --output resnet56.safetensors",
      "convert --model checkpoint.pt --half --output small.safetensors",
    ])

  static func run(_ arguments: ParsedArguments, context: CommandContext) throws {
    guard let output = try OutputTarget.file(arguments, "output") else {
      throw CommandLineError.missingOption(option: "--output", valueName: "<path>")
    }
    guard output.pathExtension.lowercased() == "safetensors" else {
      // A .pt name would promise a file torch.load reads; convert writes safetensors only.
      throw CommandLineError.invalidValue(
        option: "--output", value: try arguments.string("output") ?? output.path,
        expected: "a .safetensors file name (convert writes safetensors with metadata; PyTorch reads it with safetensors.torch.load_file)")
    }
    let half = try arguments.flag("half")
    let model = try ModelArguments.load(arguments)
    var metadata = model.metadata
    metadata.normalizationSource = .metadata
    var provenance = metadata.provenance
    if !model.architectureFromMetadata {
      // The checkpoint's own facts (wrapper, epoch, …) are kept; record its family too.
      provenance["source_family"] = model.familyDescription
    }
    provenance["converted_from"] = model.file.lastPathComponent
    provenance["converted_by"] = "resnet-lesion \(LesionProgram.version) convert"
    provenance["normalization"] = "\(model.metadata.normalizationSource)"
    metadata.provenance = provenance
    try ModelFile.write(model.network, metadata: metadata, to: output, half: half)
    context.write(
      "wrote \(output.path): \(model.familyDescription), input \(model.network.inputShape), \(model.network.classCount) classes, \(model.network.parameterCount) parameters as \(half ? "float16" : "float32"); normalization mean \(ModelReport.list(metadata.normalizationMean)), std \(ModelReport.list(metadata.normalizationStd)) (\(model.metadata.normalizationSource))\n"
    )
  }
}

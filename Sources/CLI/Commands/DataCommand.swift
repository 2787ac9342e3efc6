import Datasets
import Foundation
import Report
import Studies

/// `resnet-lesion data`: look at a data set, or download an official one.
enum DataCommand: LesionCommand {
  static let infoSpec = CommandSpec(
    name: "info", abstract: "Count, image shape, classes, class counts and pixel statistics of a data set.",
    options: DataArguments.all.filter { $0.name != "batch-size" } + [CommonOptions.format, CommonOptions.output],
    examples: ["data info", "data info --data cifar-10-batches-bin --split train --format json"])

  static let fetchSpec = CommandSpec(
    name: "fetch",
    abstract: "Download cifar10, cifar100 or mnist (official archives), verify size and MD5, resume partial files.",
    discussion:
      "Files are written to a temporary .part name and renamed only after their size and MD5 match the published checksums; an interrupted download resumes. The result can be passed to --data.",
    options: [
      .option("dir", value: "<path>", help: "Cache folder.", defaultDescription: "$XDG_CACHE_HOME/resnet-lesion or ~/.cache/resnet-lesion"),
      .option("from", value: "<url>", help: "Mirror to fetch the same file names from instead of the official address."),
      CommonOptions.quiet,
    ],
    arguments: [ArgumentSpec("name", help: "cifar10, cifar100 or mnist.")],
    examples: ["data fetch cifar10", "data fetch mnist --dir ./data"])

  static let spec = CommandSpec(
    name: "data", abstract: "Inspect a data set (data info) or download one (data fetch).",
    subcommands: [infoSpec, fetchSpec],
    examples: ["data info --data mnist-5k", "data fetch cifar10"])

  static func run(_ arguments: ParsedArguments, context: CommandContext) throws {
    switch arguments.commandName {
    case "fetch": try fetch(arguments, context: context)
    default: try info(arguments, context: context)
    }
  }

  static func info(_ arguments: ParsedArguments, context: CommandContext) throws {
    let dataset = try DataArguments.load(arguments, context: context)
    let counts = dataset.classCounts()
    let (mean, std) = dataset.pixelStatistics()
    let result = CommandResult(
      table: {
        var table = TextTable(columns: [.number("class"), .text("name"), .number("images")])
        for (label, count) in counts.enumerated() { table.addRow(["\(label)", dataset.classNames[label], "\(count)"]) }
        table.footer = [
          "\(dataset.name): \(dataset.count) images of \(dataset.channels)×\(dataset.height)×\(dataset.width), \(dataset.classCount) classes",
          "pixel mean (on pixels/255) \(mean.map { NumberFormat.fixed($0, decimals: 4) }.joined(separator: ", ")); std \(std.map { NumberFormat.fixed($0, decimals: 4) }.joined(separator: ", "))",
        ]
        return table.rendered()
      },
      csv: {
        var csv = CSVTable(header: ["class", "name", "images"])
        for (label, count) in counts.enumerated() { csv.addRow([.integer(label), .text(dataset.classNames[label]), .integer(count)]) }
        return csv
      },
      json: {
        .object([
          ("name", .string(dataset.name)), ("images", .integer(dataset.count)),
          ("shape", .array([.integer(dataset.channels), .integer(dataset.height), .integer(dataset.width)])),
          ("classes", .array(dataset.classNames.map { .string($0) })), ("class_counts", .array(counts.map { .integer($0) })),
          ("pixel_mean", .array(mean.map { .number($0) })), ("pixel_std", .array(std.map { .number($0) })),
        ])
      },
      metadata: Provenance.tool + [
        ("data", Provenance.data(dataset, argument: try arguments.string("data") ?? "mnist-5k")),
        ("selection", try Provenance.selection(arguments)),
        ("equivalent_command", .string(Provenance.equivalentCommand(arguments))),
      ])
    try result.emit(arguments, context: context)
  }

  static func fetch(_ arguments: ParsedArguments, context: CommandContext) throws {
    guard let name = arguments.argument("name") else {
      throw CommandLineError.invalidValue(option: "<name>", value: "", expected: "cifar10, cifar100 or mnist")
    }
    guard var files = DatasetDownloader.catalog[name.lowercased()] else {
      throw CommandLineError.invalidValue(option: "<name>", value: name, expected: DatasetDownloader.catalog.keys.sorted().joined(separator: ", "))
    }
    if let mirror = try arguments.string("from") {
      guard let base = URL(string: mirror), base.scheme != nil else {
        throw CommandLineError.invalidValue(option: "--from", value: mirror, expected: "an http(s) URL")
      }
      files = files.map { RemoteFile(url: base.appendingPathComponent($0.fileName), fileName: $0.fileName, md5: $0.md5, size: $0.size) }
    }
    let environment = ProcessInfo.processInfo.environment
    let defaultCache = URL(fileURLWithPath: environment["XDG_CACHE_HOME"] ?? (NSHomeDirectory() + "/.cache"))
      .appendingPathComponent("resnet-lesion")
    let cache: URL = try arguments.path("dir") ?? defaultCache
    let quiet = try arguments.flag("quiet")
    let write = context.writeError
    let terminal = context.errorIsTerminal
    var paths: [URL] = []
    for file in files {
      let printer = DownloadPrinter(write: write, terminal: terminal)
      var progress: (@Sendable (DownloadProgress) -> Void)? = nil
      if !quiet { progress = { @Sendable (update: DownloadProgress) in printer.show(update) } }
      paths.append(try DatasetDownloader.download(file, into: cache, progress: progress))
      if !quiet { write((terminal ? "\r" : "") + "\(file.fileName): verified (MD5 \(file.md5))\n") }
    }
    let dataPath = name.lowercased() == "mnist" ? cache.path : (paths.first?.path ?? cache.path)
    context.write("\(dataPath)\n")
  }
}

/// Draws download progress on a terminal (plain output gets only the final line per file).
final class DownloadPrinter: @unchecked Sendable {
  let write: (String) -> Void
  let terminal: Bool

  init(write: @escaping (String) -> Void, terminal: Bool) {
    self.write = write
    self.terminal = terminal
  }

  func show(_ progress: DownloadProgress) {
    guard terminal else { return }
    let total = progress.totalBytes.map { " of \($0 / 1_000_000) MB" } ?? ""
    write("\r\(progress.fileName): \(progress.receivedBytes / 1_000_000) MB\(total)")
  }
}

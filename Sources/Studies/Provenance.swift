import Basics
import Checkpoints
import Datasets
import Foundation
import Report

/// What every output records about how it was made: tool version, model (as given, absolute
/// path, SHA-256), data (as given, absolute path, fingerprint of the images used), the selection,
/// the seed, and `equivalent_command`, a command line that reproduces it from any folder.
///
/// The same record is the JSON output's leading keys, the CSV's `# key: value` comment lines
/// (nested keys joined with dots) and the text table's last lines. The command line adds the
/// records made from parsed options (selection, equivalent command).
public enum Provenance {
  /// The tool's version, recorded in every output file's metadata.
  public static let toolVersion = "0.1.0"

  /// Tool name and version.
  public static var tool: [(key: String, value: JSONValue)] {
    [("tool", .string("resnet-lesion")), ("tool_version", .string(toolVersion))]
  }

  /// The record of one model file.
  public static func model(_ model: LoadedModel, argument: String) throws -> JSONValue {
    .object([
      ("argument", .string(argument)), ("path", .string(model.file.standardizedFileURL.path)),
      ("sha256", .string(try SHA256.hash(fileAt: model.file).hexadecimal)), ("family", .string(model.familyDescription)),
      ("blocks", .integer(model.network.blockCount)),
    ])
  }

  /// The record of the images a result was computed on.
  public static func data(_ dataset: ImageDataset, argument: String) -> JSONValue {
    .object([
      ("argument", .string(argument)), ("path", dataPath(argument).map { .string($0) } ?? .null),
      ("name", .string(dataset.name)), ("images", .integer(dataset.count)),
      ("fingerprint_sha256", .string(fingerprint(dataset))),
    ])
  }

  /// The absolute path of a data argument: the file or folder it names, or the bundled data set.
  public static func dataPath(_ argument: String) -> String? {
    if FileManager.default.fileExists(atPath: argument) { return absolute(argument) }
    guard !argument.contains("/"), let folder = try? BundledData.directory() else { return nil }
    let bundled = folder.appendingPathComponent(argument)
    return FileManager.default.fileExists(atPath: bundled.path) ? bundled.standardizedFileURL.path : nil
  }

  /// SHA-256 of the selected images as evaluated: their pixels (uint8, CHW, image after image)
  /// followed by their labels (int64, little-endian). The same images give the same fingerprint
  /// whatever file format they were read from.
  /// - Complexity: O(pixels).
  public static func fingerprint(_ dataset: ImageDataset) -> String {
    var hash = SHA256()
    for index in 0..<dataset.count { dataset.withImage(index) { hash.update($0) } }
    var labels: [UInt8] = []
    labels.reserveCapacity(dataset.count * 8)
    for label in dataset.labels {
      let value = UInt64(bitPattern: Int64(label)).littleEndian
      withUnsafeBytes(of: value) { labels.append(contentsOf: $0) }
    }
    hash.update(labels)
    return hash.finalize().hexadecimal
  }

  /// Provenance values recorded as text (model-file metadata is string to string): numbers,
  /// booleans, objects and arrays written as JSON become typed values; anything else stays text.
  public static func typed(_ text: String) -> JSONValue {
    guard let value = try? JSONValue.parse(text) else { return .string(text) }
    switch value {
    case .number, .integer, .bool, .object, .array: return value
    case .string, .null: return .string(text)
    }
  }

  /// `# key: value` lines of a record, nested keys joined with dots (`model.sha256`), for the
  /// head of a CSV file; values on one line.
  public static func commentLines(_ record: [(key: String, value: JSONValue)], prefix: String = "") -> [String] {
    record.flatMap { key, value -> [String] in
      let name = prefix + key
      switch value {
      case .object(let members): return commentLines(members, prefix: name + ".")
      case .string(let text): return ["\(name): " + text.replacingOccurrences(of: "\n", with: " ")]
      case .null: return ["\(name):"]
      default: return ["\(name): " + value.encoded(pretty: false)]
      }
    }
  }

  /// The provenance lines under a text table: tool, model, data, seed and equivalent command.
  public static func footerLines(_ record: [(key: String, value: JSONValue)]) -> [String] {
    let values = Dictionary(record.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
    var lines: [String] = []
    if let version = values["tool_version"]?.stringValue { lines.append("resnet-lesion \(version)") }
    if let model = values["model"], let path = model["path"]?.stringValue {
      lines.append("model: \(path) (SHA-256 \(model["sha256"]?.stringValue ?? "?"))")
    }
    if let data = values["data"], let name = data["name"]?.stringValue {
      var line = "data: \(name)"
      if let images = data["images"]?.intValue { line += ", \(images) images" }
      if let fingerprint = data["fingerprint_sha256"]?.stringValue { line += " (fingerprint \(fingerprint.prefix(16))…)" }
      lines.append(line)
    }
    if let seed = values["seed"]?.intValue { lines.append("seed: \(seed)") }
    if let command = values["equivalent_command"]?.stringValue { lines.append("equivalent command: \(command)") }
    return lines
  }

  /// `value` as an absolute path when it names an existing file or folder; else unchanged.
  public static func absolute(_ value: String) -> String {
    guard FileManager.default.fileExists(atPath: value) else { return value }
    return URL(fileURLWithPath: value).standardizedFileURL.path
  }

  /// `word` quoted for a POSIX shell when it holds anything but safe characters.
  public static func shellQuoted(_ word: String) -> String {
    let safe = word.allSatisfy { $0.isLetter || $0.isNumber || "-_./,=:+@%".contains($0) }
    return safe && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }
}

extension StudyProgress {
  /// Progress on a console's standard error: a bar on a terminal, else a line every 10 seconds,
  /// each task announced by one line; nothing when `quiet`.
  public static func console(quiet: Bool, isTerminal: Bool, write: @escaping @Sendable (String) -> Void) -> StudyProgress {
    StudyProgress { task, total, unit in
      let mode: ProgressReporter.Mode = quiet ? .quiet : (isTerminal ? .bar : .lines)
      if !quiet { write("\(task): \(total) \(unit)\n") }
      let reporter = ProgressReporter(
        total: total, unit: unit, mode: mode, interval: 10, output: write,
        clock: { ProcessInfo.processInfo.systemUptime })
      return StudyProgress.Handle(advance: { reporter.advance(by: $0) }, finish: { reporter.finish() })
    }
  }
}

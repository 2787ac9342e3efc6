import Basics
import Datasets
import Foundation

/// What makes two processes parts of one run: tool version, the command and every option that
/// changes what is computed (not `--shard`, `--journal`, `--output`, `--format`, `--quiet`), the
/// model file's SHA-256 and the selected data's fingerprint. Part files and journal headers carry
/// it; `merge` and a resumed run compare it key by key.
public enum RunIdentity {
  /// The identity of a run of `command` (e.g. `["resnet-lesion", "sweep"]`) with `options` (name →
  /// values as given) and `flags` on `study`.
  /// - Throws: `CocoaError` when the model file cannot be read for hashing.
  /// - Complexity: O(model file + selected pixels), for the two hashes.
  public static func make(
    toolVersion: String, command: [String], options: [String: [String]], flags: Set<String>, study: Study
  ) throws -> JSONValue {
    .object([
      ("format", .string("resnet-lesion-run")), ("tool_version", .string(toolVersion)),
      ("command", .array(command.map { .string($0) })),
      ("options", .object(options.sorted { $0.key < $1.key }.map { ($0.key, .array($0.value.map { .string($0) })) })),
      ("flags", .array(flags.sorted().map { .string($0) })),
      ("model", .object([
        ("argument", .string(study.modelArgument)), ("sha256", .string(try SHA256.hash(fileAt: study.model.file).hexadecimal)),
      ])),
      ("data", .object([
        ("argument", .string(study.dataArgument)), ("name", .string(study.dataset.name)),
        ("images", .integer(study.dataset.count)), ("sha256", .string(dataFingerprint(study.dataset))),
      ])),
    ])
  }

  /// SHA-256 of the selected images' shape, labels and pixels: equal exactly when every image
  /// and label of the selection is. Reads one image at a time (spooled image folders stay on disk).
  /// - Complexity: O(count × imageSize).
  public static func dataFingerprint(_ dataset: ImageDataset) -> String {
    var hash = SHA256()
    for number in [dataset.count, dataset.channels, dataset.height, dataset.width] + dataset.labels {
      withUnsafeBytes(of: UInt64(truncatingIfNeeded: number).littleEndian) { hash.update($0) }
    }
    for index in 0..<dataset.count { dataset.withImage(index) { hash.update($0) } }
    return hash.finalize().hexadecimal
  }

  /// The first key path (`model.sha256`, `options.seed`) where `a` and `b` differ, or nil.
  public static func firstDifference(_ a: JSONValue, _ b: JSONValue, path: String = "") -> String? {
    switch (a, b) {
    case (.object(let x), .object(let y)):
      let keys = x.map(\.key) + y.map(\.key).filter { key in !x.contains { $0.key == key } }
      for key in keys {
        let child = path.isEmpty ? key : path + "." + key
        guard let u = a[key], let v = b[key] else { return child }
        if let difference = firstDifference(u, v, path: child) { return difference }
      }
      return nil
    default:
      return a == b ? nil : (path.isEmpty ? "(whole header)" : path)
    }
  }

  /// The value at a key path, for messages (`(none)` when absent).
  public static func value(at path: String, in value: JSONValue) -> String {
    var current: JSONValue? = value
    for key in path.split(separator: ".") { current = current?[String(key)] }
    return current.map { String($0.encoded(pretty: false).prefix(80)) } ?? "(none)"
  }
}

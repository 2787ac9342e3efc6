import Basics
import Checkpoints
import Foundation

/// The models of each kind, one per training seed, that Fig. 8 and the §5.2 table compare
/// (`notebooks-data/models/seeds.json`).
///
/// JSON: `{"kinds": {"standard": [{"seed": 1, "path": "resnet110.safetensors", "bundled": true,
/// "sha256": "…", "command": "…", "wall_seconds": 1446.3, "test_error": 0.02}, …], …}}`. A bundled
/// entry's path is relative to the manifest's folder; any other entry's path is relative to
/// `--models-dir` (trained runs whose weights are not committed). `sha256` null means the run had
/// not finished when the manifest was written: any file found is used and its checksum printed.
struct SeedManifest {
  struct Entry {
    var seed: Int
    var path: String
    var bundled: Bool?
    var sha256: String?
    var command: String?
    var wall_seconds: Double?
    var test_error: Double?
  }

  var kinds: [String: [Entry]]

  /// Reads a manifest with the project's strict JSON parser (a repeated key is an error).
  /// - Throws: `SeedManifestError.unreadable` / `.invalid` naming the file and what is wrong.
  static func read(_ url: URL) throws -> SeedManifest {
    let data: Data
    do {
      data = try Data(contentsOf: url)
    } catch {
      throw SeedManifestError.unreadable(file: url.path, reason: error.localizedDescription)
    }
    guard data.count <= 1 << 22 else {
      throw SeedManifestError.invalid(file: url.path, reason: "\(data.count) bytes, expected at most 4 MiB")
    }
    func invalid(_ reason: String) -> SeedManifestError { .invalid(file: url.path, reason: reason) }
    let root: JSONValue
    do {
      root = try JSONValue.parse(data)
    } catch {
      throw invalid("\(error)")
    }
    guard let kinds = root["kinds"]?.objectValue else {
      throw invalid("expected an object \"kinds\", found \(root["kinds"]?.kindName ?? "nothing")")
    }
    var manifest = SeedManifest(kinds: [:])
    for (kind, list) in kinds {
      guard let items = list.arrayValue else { throw invalid("kind '\(kind)': expected an array, found \(list.kindName)") }
      var entries: [Entry] = []
      for (index, item) in items.enumerated() {
        let at = "kind '\(kind)', entry \(index + 1)"
        guard let seed = item["seed"]?.intValue, let path = item["path"]?.stringValue else {
          throw invalid("\(at): expected an integer \"seed\" and a string \"path\"")
        }
        // Optional members: absent or null; any other kind is an error.
        func optional<T>(_ key: String, _ read: (JSONValue) -> T?, _ what: String) throws -> T? {
          guard let value = item[key], value != .null else { return nil }
          guard let typed = read(value) else { throw invalid("\(at): \"\(key)\" should be \(what), found \(value.kindName)") }
          return typed
        }
        entries.append(Entry(
          seed: seed, path: path, bundled: try optional("bundled", \.boolValue, "a Boolean"),
          sha256: try optional("sha256", \.stringValue, "a string"), command: try optional("command", \.stringValue, "a string"),
          wall_seconds: try optional("wall_seconds", \.doubleValue, "a number"),
          test_error: try optional("test_error", \.doubleValue, "a number")))
      }
      let seeds = entries.map(\.seed)
      if Set(seeds).count != seeds.count {
        throw invalid("kind '\(kind)' lists a seed twice: \(seeds)")
      }
      manifest.kinds[kind] = entries
    }
    return manifest
  }
}

/// A seed manifest that cannot be used.
enum SeedManifestError: Error, Equatable, CustomStringConvertible {
  case unreadable(file: String, reason: String)
  case invalid(file: String, reason: String)
  /// A finished run's file whose checksum is not the one recorded.
  case checksumMismatch(file: String, kind: String, seed: Int, expected: String, found: String)
  /// A kind a figure needs has no model at all.
  case noModels(kind: String, missing: [String])

  var description: String {
    switch self {
    case .unreadable(let file, let reason): return "cannot read the seed manifest \(file): \(reason)"
    case .invalid(let file, let reason): return "invalid seed manifest \(file): \(reason)"
    case .checksumMismatch(let file, let kind, let seed, let expected, let found):
      return "\(file) (\(kind), seed \(seed)) has SHA-256 \(found), but the manifest records \(expected)"
    case .noModels(let kind, let missing):
      return "no '\(kind)' model found (missing: \(missing.joined(separator: ", ")))"
    }
  }
}

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
struct SeedManifest: Decodable {
  struct Entry: Decodable {
    var seed: Int
    var path: String
    var bundled: Bool?
    var sha256: String?
    var command: String?
    var wall_seconds: Double?
    var test_error: Double?
  }

  var kinds: [String: [Entry]]

  /// Reads a manifest.
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
    do {
      let manifest = try JSONDecoder().decode(SeedManifest.self, from: data)
      for (kind, entries) in manifest.kinds {
        let seeds = entries.map(\.seed)
        if Set(seeds).count != seeds.count {
          throw SeedManifestError.invalid(file: url.path, reason: "kind '\(kind)' lists a seed twice: \(seeds)")
        }
      }
      return manifest
    } catch let error as SeedManifestError {
      throw error
    } catch {
      throw SeedManifestError.invalid(file: url.path, reason: "\(error)")
    }
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

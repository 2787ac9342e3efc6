import Foundation

/// The overall cap on decompressed bytes, so a small hostile file cannot expand without bound.
///
/// Every decompressing reader takes an explicit `limit` parameter; its default is `current`:
/// `RESNET_LESION_MAX_DECOMPRESSED_MB` megabytes (MiB) when that environment variable holds a
/// positive whole number, else `defaultBytes` (256 MiB: the official CIFAR-10/100 archives
/// expand to about 180 MB, full MNIST to 55 MB).
public enum DecompressionLimit {
  /// The environment variable that raises (or lowers) the cap, in MiB.
  public static let environmentVariable = "RESNET_LESION_MAX_DECOMPRESSED_MB"
  /// The cap when the environment does not set one: 256 MiB.
  public static let defaultBytes = 256 << 20

  /// The cap in bytes for this process (read once).
  public static let current: Int = bytes(environment: ProcessInfo.processInfo.environment)

  /// The cap in bytes that `environment` asks for (`defaultBytes` when unset or invalid; at
  /// most 2^40 bytes).
  public static func bytes(environment: [String: String]) -> Int {
    guard let text = environment[environmentVariable], let megabytes = Int(text), megabytes > 0
    else { return defaultBytes }
    return min(megabytes, 1 << 20) << 20
  }
}

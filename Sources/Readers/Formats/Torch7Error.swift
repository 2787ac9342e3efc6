/// Why a Torch7 `.t7` file was refused.
///
/// `offset` is the byte offset in the file where the offending value starts.
public enum Torch7Error: Error, CustomStringConvertible, Equatable {
  /// The data ends before a complete value.
  case truncated(file: String, offset: Int, expected: String)
  /// A value is malformed: an unknown type tag, a negative size, a bad UTF-8 class name…
  case invalid(file: String, offset: Int, expected: String, found: String)
  /// A Torch class outside the allow-list (functions are never loaded either).
  case forbiddenClass(file: String, offset: Int, className: String)
  /// A safety limit (nesting depth, object count, tensor rank…) was exceeded.
  case limitExceeded(file: String, offset: Int, limit: String, maximum: Int, found: Int)
  /// A tensor's offset, sizes and strides reach outside its storage.
  case tensorOutOfBounds(file: String, offset: Int, storageElements: Int, neededElements: Int)
  /// Bytes follow the top-level object.
  case trailingBytes(file: String, offset: Int, count: Int)
  /// The objects are readable but do not form a supported network; `path` names the module
  /// (e.g. `modules[5].modules[1]`).
  case unsupportedNetwork(file: String, path: String, reason: String)

  /// One human-readable line.
  public var description: String {
    switch self {
    case .truncated(let file, let offset, let expected):
      return "\(file): Torch7 data ends at byte \(offset), expected \(expected)"
    case .invalid(let file, let offset, let expected, let found):
      return "\(file): invalid Torch7 data at byte \(offset): expected \(expected), found \(found)"
    case .forbiddenClass(let file, let offset, let className):
      return
        "\(file): Torch7 class '\(className)' at byte \(offset) is not on the allow-list (tensors, storages and the nn/cudnn modules of ResNets)"
    case .limitExceeded(let file, let offset, let limit, let maximum, let found):
      return "\(file): Torch7 \(limit) at byte \(offset) is \(found), at most \(maximum) allowed"
    case .tensorOutOfBounds(let file, let offset, let storageElements, let neededElements):
      return
        "\(file): Torch7 tensor at byte \(offset) needs \(neededElements) storage elements, its storage has \(storageElements)"
    case .trailingBytes(let file, let offset, let count):
      return "\(file): \(count) bytes follow the Torch7 object at byte \(offset)"
    case .unsupportedNetwork(let file, let path, let reason):
      return "\(file): Torch7 network at \(path.isEmpty ? "the top module" : path): \(reason)"
    }
  }
}

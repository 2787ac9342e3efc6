/// Why a `torch.save` file (zip or legacy) or a pickle stream was refused.
///
/// `file` names the file (for zip archives followed by the record, e.g. `x.pt [archive/data.pkl]`);
/// offsets are byte offsets in that file or record.
public enum TorchFileError: Error, CustomStringConvertible, Equatable {
  /// The file could not be read.
  case fileAccess(file: String, message: String)
  /// Neither a zip archive nor a legacy torch file nor a pickle.
  case unrecognizedFormat(file: String, found: String)
  /// The first bytes belong to no tensor format (they may name another one: gzip, a bare pickle…).
  case notATensorFile(file: String, found: String)
  /// The data ends before a complete structure.
  case truncated(file: String, offset: Int, expected: String)
  /// The zip container is malformed.
  case invalidZip(file: String, offset: Int, expected: String, found: String)
  /// A record the format needs is missing from the archive.
  case missingRecord(file: String, record: String)
  /// A zip entry is compressed or encrypted (torch.save only writes stored entries).
  case unsupportedCompression(file: String, record: String, method: Int)
  /// A zip entry's CRC-32 does not match its data.
  case checksumMismatch(file: String, record: String, expected: UInt32, found: UInt32)
  /// The `byteorder` record holds something other than `little` or `big`.
  case unsupportedByteOrder(file: String, found: String)
  /// A TorchScript archive (`torch.jit.save`), which holds code rather than a state dict.
  case torchScriptArchive(file: String)
  /// A pickle GLOBAL outside the allow-list; nothing is ever imported or executed.
  case forbiddenGlobal(file: String, offset: Int, module: String, name: String)
  /// REDUCE, NEWOBJ or BUILD applied to something that may not be called or built.
  case forbiddenCall(file: String, offset: Int, callable: String, reason: String)
  /// A pickle opcode this loader does not implement.
  case unsupportedOpcode(file: String, offset: Int, opcode: UInt8)
  /// The pickle stream is malformed (stack underflow, wrong operand type, bad memo index…).
  case invalidPickle(file: String, offset: Int, expected: String, found: String)
  /// A safety limit (nesting depth, memo size, string length, stack size…) was exceeded.
  case limitExceeded(file: String, offset: Int, limit: String, maximum: Int, found: Int)
  /// A persistent id that is not a `('storage', type, key, location, numel[, view])` tuple.
  case invalidPersistentID(file: String, offset: Int, found: String)
  /// A storage type without a supported dtype (complex, quantized, untyped).
  case unsupportedStorage(file: String, offset: Int, storageType: String)
  /// A tensor's offset, sizes and strides reach outside its storage.
  case tensorOutOfBounds(
    file: String, offset: Int, storage: String, storageElements: Int, neededElements: Int)
  /// A storage's bytes do not match the size its references declare.
  case storageSizeMismatch(file: String, storage: String, expectedBytes: Int, foundBytes: Int)
  /// A tensor references a storage the file does not contain (or with conflicting types).
  case missingStorage(file: String, storage: String)
  /// The legacy format's magic number, protocol version, sys_info or key list is wrong.
  case invalidLegacyHeader(file: String, offset: Int, expected: String, found: String)
  /// Bytes follow the end of the data.
  case trailingBytes(file: String, offset: Int, count: Int)
  /// The unpickled object is not a usable state dict at `key`.
  case invalidStateDict(file: String, key: String, expected: String, found: String)
  /// No tensors were found at the top level or under a known wrapper key.
  case noTensors(file: String, topLevelKeys: [String])
  /// Materialized tensors would exceed the memory budget derived from the file size.
  case tooMuchData(file: String, limit: Int)

  /// One human-readable line.
  public var description: String {
    switch self {
    case .fileAccess(let file, let message):
      return "torch file \(file): \(message)"
    case .unrecognizedFormat(let file, let found):
      return
        "torch file \(file): not a torch.save file (expected a zip archive 'PK\\3\\4' or a legacy pickle '80 02 8a 0a'), found \(found)"
    case .notATensorFile(let file, let found):
      return
        "\(file): not a tensor file: found \(found); expected safetensors, a PyTorch torch.save"
        + " file (zip or legacy) or a NumPy .npy file (recognised by their first bytes, not the name)"
    case .truncated(let file, let offset, let expected):
      return "torch file \(file): truncated at offset \(offset), expected \(expected)"
    case .invalidZip(let file, let offset, let expected, let found):
      return "torch file \(file): invalid zip at offset \(offset): expected \(expected), found \(found)"
    case .missingRecord(let file, let record):
      return "torch file \(file): archive has no record \"\(record)\""
    case .unsupportedCompression(let file, let record, let method):
      return
        "torch file \(file): record \"\(record)\" uses zip method \(method); only stored (uncompressed, unencrypted) records are supported — re-save with torch.save"
    case .checksumMismatch(let file, let record, let expected, let found):
      return
        "torch file \(file): record \"\(record)\" CRC-32 is \(String(found, radix: 16)), expected \(String(expected, radix: 16)) (corrupt file)"
    case .unsupportedByteOrder(let file, let found):
      return "torch file \(file): byteorder record is \"\(found)\", expected \"little\" or \"big\""
    case .torchScriptArchive(let file):
      return
        "torch file \(file): is a TorchScript archive (torch.jit.save); save the model's state_dict() with torch.save instead"
    case .forbiddenGlobal(let file, let offset, let module, let name):
      return
        "torch file \(file): refused pickle GLOBAL \(module).\(name) at offset \(offset): only tensor-rebuilding globals are allowed and nothing is ever executed"
    case .forbiddenCall(let file, let offset, let callable, let reason):
      return "torch file \(file): refused to call \(callable) at offset \(offset): \(reason)"
    case .unsupportedOpcode(let file, let offset, let opcode):
      let printable = (0x21..<0x7F).contains(opcode) ? " '\(Character(Unicode.Scalar(opcode)))'" : ""
      return
        "torch file \(file): unsupported pickle opcode 0x\(String(opcode, radix: 16))\(printable) at offset \(offset)"
    case .invalidPickle(let file, let offset, let expected, let found):
      return "torch file \(file): invalid pickle at offset \(offset): expected \(expected), found \(found)"
    case .limitExceeded(let file, let offset, let limit, let maximum, let found):
      return "torch file \(file): \(limit) \(found) exceeds the limit of \(maximum) at offset \(offset)"
    case .invalidPersistentID(let file, let offset, let found):
      return
        "torch file \(file): persistent id at offset \(offset) is \(found), expected a ('storage', type, key, location, numel) tuple"
    case .unsupportedStorage(let file, let offset, let storageType):
      return
        "torch file \(file): storage type \(storageType) at offset \(offset) is not supported (supported: Double, Float, Half, BFloat16, Long, Int, Short, Char, Byte, Bool)"
    case .tensorOutOfBounds(let file, let offset, let storage, let storageElements, let neededElements):
      return
        "torch file \(file): tensor at offset \(offset) needs \(neededElements) elements of storage \"\(storage)\", which has \(storageElements)"
    case .storageSizeMismatch(let file, let storage, let expectedBytes, let foundBytes):
      return "torch file \(file): storage \"\(storage)\" has \(foundBytes) bytes, expected \(expectedBytes)"
    case .missingStorage(let file, let storage):
      return "torch file \(file): storage \"\(storage)\" is missing or referenced with conflicting types/sizes"
    case .invalidLegacyHeader(let file, let offset, let expected, let found):
      return "torch file \(file): invalid legacy header at offset \(offset): expected \(expected), found \(found)"
    case .trailingBytes(let file, let offset, let count):
      return "torch file \(file): \(count) unexpected trailing bytes at offset \(offset)"
    case .invalidStateDict(let file, let key, let expected, let found):
      return "torch file \(file): state dict entry \"\(key)\": expected \(expected), found \(found)"
    case .noTensors(let file, let topLevelKeys):
      let keys = topLevelKeys.isEmpty ? "none" : topLevelKeys.prefix(10).joined(separator: ", ")
      return
        "torch file \(file): no tensors found at the top level or under state_dict/model/net/model_state_dict/state_dict_ema (top-level keys: \(keys))"
    case .tooMuchData(let file, let limit):
      return "torch file \(file): tensors would need more than \(limit) bytes (views expand far beyond the file size)"
    }
  }
}

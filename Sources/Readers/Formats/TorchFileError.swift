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

  /// The file the error refers to (for zip archives followed by the record).
  public var file: String {
    switch self {
    case .fileAccess(let file, _), .unrecognizedFormat(let file, _), .notATensorFile(let file, _),
      .truncated(let file, _, _), .invalidZip(let file, _, _, _), .missingRecord(let file, _),
      .unsupportedCompression(let file, _, _), .checksumMismatch(let file, _, _, _),
      .unsupportedByteOrder(let file, _), .torchScriptArchive(let file), .forbiddenGlobal(let file, _, _, _),
      .forbiddenCall(let file, _, _, _), .unsupportedOpcode(let file, _, _),
      .invalidPickle(let file, _, _, _), .limitExceeded(let file, _, _, _, _),
      .invalidPersistentID(let file, _, _), .unsupportedStorage(let file, _, _),
      .tensorOutOfBounds(let file, _, _, _, _), .storageSizeMismatch(let file, _, _, _),
      .missingStorage(let file, _), .invalidLegacyHeader(let file, _, _, _), .trailingBytes(let file, _, _),
      .invalidStateDict(let file, _, _, _), .noTensors(let file, _), .tooMuchData(let file, _):
      return file
    }
  }

  /// One human-readable line: `torch file FILE: PROBLEM` (`FILE: PROBLEM` for a file that starts
  /// like no tensor format).
  public var description: String {
    if case .notATensorFile = self { return "\(file): \(problem)" }
    return "torch file \(file): \(problem)"
  }

  /// What is wrong with the file.
  private var problem: String {
    switch self {
    case .fileAccess(_, let message):
      return message
    case .unrecognizedFormat(_, let found):
      return
        "not a torch.save file (expected a zip archive 'PK\\3\\4' or a legacy pickle '80 02 8a 0a'), found \(found)"
    case .notATensorFile(_, let found):
      return
        "not a tensor file: found \(found); expected safetensors, a PyTorch torch.save"
        + " file (zip or legacy) or a NumPy .npy file (recognised by their first bytes, not the name)"
    case .truncated(_, let offset, let expected):
      return "truncated at offset \(offset), expected \(expected)"
    case .invalidZip(_, let offset, let expected, let found):
      return "invalid zip at offset \(offset): expected \(expected), found \(found)"
    case .missingRecord(_, let record):
      return "archive has no record \"\(record)\""
    case .unsupportedCompression(_, let record, let method):
      return
        "record \"\(record)\" uses zip method \(method); only stored (uncompressed, unencrypted) records are supported — re-save with torch.save"
    case .checksumMismatch(_, let record, let expected, let found):
      return
        "record \"\(record)\" CRC-32 is \(String(found, radix: 16)), expected \(String(expected, radix: 16)) (corrupt file)"
    case .unsupportedByteOrder(_, let found):
      return "byteorder record is \"\(found)\", expected \"little\" or \"big\""
    case .torchScriptArchive:
      return
        "is a TorchScript archive (torch.jit.save); save the model's state_dict() with torch.save instead"
    case .forbiddenGlobal(_, let offset, let module, let name):
      return
        "refused pickle GLOBAL \(module).\(name) at offset \(offset): only tensor-rebuilding globals are allowed and nothing is ever executed"
    case .forbiddenCall(_, let offset, let callable, let reason):
      return "refused to call \(callable) at offset \(offset): \(reason)"
    case .unsupportedOpcode(_, let offset, let opcode):
      let printable = (0x21..<0x7F).contains(opcode) ? " '\(Character(Unicode.Scalar(opcode)))'" : ""
      return
        "unsupported pickle opcode 0x\(String(opcode, radix: 16))\(printable) at offset \(offset)"
    case .invalidPickle(_, let offset, let expected, let found):
      return "invalid pickle at offset \(offset): expected \(expected), found \(found)"
    case .limitExceeded(_, let offset, let limit, let maximum, let found):
      return "\(limit) \(found) exceeds the limit of \(maximum) at offset \(offset)"
    case .invalidPersistentID(_, let offset, let found):
      return
        "persistent id at offset \(offset) is \(found), expected a ('storage', type, key, location, numel) tuple"
    case .unsupportedStorage(_, let offset, let storageType):
      return
        "storage type \(storageType) at offset \(offset) is not supported (supported: Double, Float, Half, BFloat16, Long, Int, Short, Char, Byte, Bool)"
    case .tensorOutOfBounds(_, let offset, let storage, let storageElements, let neededElements):
      return
        "tensor at offset \(offset) needs \(neededElements) elements of storage \"\(storage)\", which has \(storageElements)"
    case .storageSizeMismatch(_, let storage, let expectedBytes, let foundBytes):
      return "storage \"\(storage)\" has \(foundBytes) bytes, expected \(expectedBytes)"
    case .missingStorage(_, let storage):
      return "storage \"\(storage)\" is missing or referenced with conflicting types/sizes"
    case .invalidLegacyHeader(_, let offset, let expected, let found):
      return "invalid legacy header at offset \(offset): expected \(expected), found \(found)"
    case .trailingBytes(_, let offset, let count):
      return "\(count) unexpected trailing bytes at offset \(offset)"
    case .invalidStateDict(_, let key, let expected, let found):
      return "state dict entry \"\(key)\": expected \(expected), found \(found)"
    case .noTensors(_, let topLevelKeys):
      let keys = topLevelKeys.isEmpty ? "none" : topLevelKeys.prefix(10).joined(separator: ", ")
      return
        "no tensors found at the top level or under state_dict/model/net/model_state_dict/state_dict_ema (top-level keys: \(keys))"
    case .tooMuchData(_, let limit):
      return "tensors would need more than \(limit) bytes (views expand far beyond the file size)"
    }
  }
}

import Foundation
#if canImport(Basics)
  import Basics  // the fuzz script (Tests/Fuzz) compiles Sources/Basics into this module instead
#endif

/// Reads `torch.save` files — the zip format (PyTorch ≥ 1.6) and the legacy format — without
/// executing anything (layout of torch/serialization.py).
///
/// The pickle is decoded by a restricted unpickler (`Pickle`); tensors are materialized as
/// contiguous C-order little-endian bytes from their storages, honouring offsets and strides,
/// so views sharing a storage load correctly.
public enum TorchCheckpoint {
  /// Keys of a training-checkpoint dict that may hold the state dict, in priority order.
  public static let wrapperKeys = ["state_dict", "model", "net", "model_state_dict", "state_dict_ema"]

  /// Reads a torch.save file (zip or legacy), unwraps training-checkpoint dicts, strips `module.`.
  /// - Throws: `TorchFileError`.
  /// - Complexity: O(file size + total tensor bytes).
  public static func read(contentsOf url: URL) throws -> TensorArchive {
    try parse(readFileBytes(url, orThrow: TorchFileError.fileAccess), file: url.path)
  }

  /// Parses a torch.save file held in memory (see `read(contentsOf:)`); `file` is for errors.
  ///
  /// The state dict is the top-level dict, or the dict under the first of `wrapperKeys` that
  /// holds tensors (recorded in `metadata["wrapper"]`; scalar siblings such as `epoch` become
  /// `metadata["checkpoint.epoch"]`). Non-tensor entries are ignored. If every name starts with
  /// `module.` it is stripped (`metadata["prefix_stripped"] = "module."`).
  /// - Throws: `TorchFileError`.
  public static func parse(_ bytes: [UInt8], file: String) throws -> TensorArchive {
    let loaded: LoadedObject
    let format: TensorArchive.Format
    if bytes.matches([0x50, 0x4B, 0x03, 0x04], at: 0) {
      loaded = try loadZip(bytes, file: file)
      format = .torchZip
    } else if isLegacyStart(bytes) {
      loaded = try loadLegacy(bytes, file: file)
      format = .torchLegacy
    } else {
      throw TorchFileError.unrecognizedFormat(file: file, found: hexPrefix(bytes))
    }
    var (entries, metadata) = try extractStateDict(loaded.object, file: file)
    if !entries.isEmpty, entries.allSatisfy({ $0.name.hasPrefix("module.") }) {
      entries = entries.map { (String($0.name.dropFirst("module.".count)), $0.tensor) }
      metadata["prefix_stripped"] = "module."
    }
    var budget = 4 * bytes.count + 64 << 20
    let tensors = try entries.map { entry -> (name: String, tensor: RawTensor) in
      (entry.name, try materialize(entry.tensor, from: loaded, bytes: bytes, budget: &budget, file: file))
    }
    return TensorArchive(format: format, tensors: tensors, metadata: metadata)
  }

  /// The unpickled object plus where each storage's bytes are in the file.
  struct LoadedObject {
    var object: PickleValue
    /// Storage key → first byte of element 0 in the file, and the declared reference.
    var storages: [String: (start: Int, reference: TorchStorageReference)]
    var byteSwap: Bool
    var label: String
  }

  // MARK: Zip format

  static func loadZip(_ bytes: [UInt8], file: String) throws -> LoadedObject {
    let directory = try ZipDirectory(bytes: bytes, file: file)
    guard let first = directory.entries.first, let slash = first.name.firstIndex(of: "/") else {
      throw TorchFileError.invalidZip(
        file: file, offset: 0, expected: "entries inside one archive folder",
        found: directory.entries.first.map { "\"\($0.name)\"" } ?? "an empty archive")
    }
    let folder = String(first.name[..<slash])
    if directory.entry(named: "\(folder)/constants.pkl") != nil
      || directory.entries.contains(where: { $0.name.hasPrefix("\(folder)/code/") })
    {
      throw TorchFileError.torchScriptArchive(file: file)
    }
    func record(_ name: String) throws -> ZipDirectory.Entry? {
      guard let entry = directory.entry(named: "\(folder)/\(name)") else { return nil }
      guard entry.method == 0, entry.flags & 1 == 0 else {
        throw TorchFileError.unsupportedCompression(file: file, record: entry.name, method: entry.method)
      }
      let found = CRC32.checksum(bytes[entry.dataStart..<(entry.dataStart + entry.size)])
      guard found == entry.crc32 else {
        throw TorchFileError.checksumMismatch(
          file: file, record: entry.name, expected: entry.crc32, found: found)
      }
      return entry
    }
    guard let pickleEntry = try record("data.pkl") else {
      throw TorchFileError.missingRecord(file: file, record: "\(folder)/data.pkl")
    }
    var byteSwap = false
    if let order = try record("byteorder") {
      let text = String(decoding: bytes[order.dataStart..<(order.dataStart + order.size)], as: UTF8.self)
      switch text.trimmingCharacters(in: .whitespacesAndNewlines) {
      case "little": byteSwap = false
      case "big": byteSwap = true
      default: throw TorchFileError.unsupportedByteOrder(file: file, found: String(text.prefix(20)))
      }
    }
    let label = "\(file) [\(folder)/data.pkl]"
    let pickle = Array(bytes[pickleEntry.dataStart..<(pickleEntry.dataStart + pickleEntry.size)])
    var machine = Unpickler(bytes: pickle, start: 0, file: label, limits: PickleLimits())
    let object = try machine.run()
    if machine.position != pickle.count {
      throw TorchFileError.trailingBytes(
        file: label, offset: machine.position, count: pickle.count - machine.position)
    }
    var storages: [String: (start: Int, reference: TorchStorageReference)] = [:]
    for (key, reference) in machine.storages {
      let name = "data/\(key)"
      guard let entry = try record(name) else {
        throw TorchFileError.missingRecord(file: file, record: "\(folder)/\(name)")
      }
      let expected = reference.elementCount * reference.dtype.byteCount
      guard entry.size == expected else {
        throw TorchFileError.storageSizeMismatch(
          file: file, storage: key, expectedBytes: expected, foundBytes: entry.size)
      }
      storages[key] = (entry.dataStart, reference)
    }
    return LoadedObject(object: object, storages: storages, byteSwap: byteSwap, label: file)
  }

  // MARK: Legacy format

  /// True if the bytes start like a legacy file: the magic-number pickle in protocol 2/3
  /// (`80 02 8A 0A`) or protocol 4/5 (`80 04 95`, a FRAME).
  static func isLegacyStart(_ bytes: [UInt8]) -> Bool {
    bytes.matches([0x80, 0x02, 0x8A, 0x0A], at: 0) || bytes.matches([0x80, 0x03, 0x8A, 0x0A], at: 0)
      || bytes.matches([0x80, 0x04, 0x95], at: 0) || bytes.matches([0x80, 0x05, 0x95], at: 0)
  }

  static let legacyMagic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]

  static func loadLegacy(_ bytes: [UInt8], file: String) throws -> LoadedObject {
    var position = 0
    func nextPickle() throws -> (PickleValue, Unpickler) {
      var machine = Unpickler(bytes: bytes, start: position, file: file, limits: PickleLimits())
      let value = try machine.run()
      position = machine.position
      return (value, machine)
    }
    var start = position
    let (magic, _) = try nextPickle()
    guard magic == .bigInt(legacyMagic) else {
      if position >= bytes.count {
        // One whole pickle and nothing else: pickle.dump, not torch.save.
        throw TorchFileError.notATensorFile(
          file: file,
          found: "a bare Python pickle (\(magic.summary)), not a torch.save checkpoint:"
            + " save the state dict with torch.save or as safetensors")
      }
      throw TorchFileError.invalidLegacyHeader(
        file: file, offset: start, expected: "magic number 0x1950a86a20f9469cfc6c", found: magic.summary)
    }
    start = position
    let (protocolVersion, _) = try nextPickle()
    guard protocolVersion == .int(1001) else {
      throw TorchFileError.invalidLegacyHeader(
        file: file, offset: start, expected: "protocol version 1001", found: protocolVersion.summary)
    }
    start = position
    let (systemInfo, _) = try nextPickle()
    guard case .dict = systemInfo else {
      throw TorchFileError.invalidLegacyHeader(
        file: file, offset: start, expected: "a sys_info dict", found: systemInfo.summary)
    }
    let (object, machine) = try nextPickle()
    start = position
    let (keyList, _) = try nextPickle()
    guard case .list(let keyValues) = keyList else {
      throw TorchFileError.invalidLegacyHeader(
        file: file, offset: start, expected: "a list of storage keys", found: keyList.summary)
    }
    let known = Dictionary(machine.storages.map { ($0.key, $0.reference) }, uniquingKeysWith: { a, _ in a })
    var storages: [String: (start: Int, reference: TorchStorageReference)] = [:]
    for keyValue in keyValues {
      guard case .string(let key) = keyValue else {
        throw TorchFileError.invalidLegacyHeader(
          file: file, offset: start, expected: "string storage keys", found: keyValue.summary)
      }
      guard let reference = known[key], storages[key] == nil else {
        throw TorchFileError.missingStorage(file: file, storage: key)
      }
      guard let count = bytes.le64(at: position) else {
        throw TorchFileError.truncated(
          file: file, offset: position, expected: "the element count of storage \"\(key)\"")
      }
      guard count == UInt64(reference.elementCount) else {
        throw TorchFileError.storageSizeMismatch(
          file: file, storage: key, expectedBytes: reference.elementCount * reference.dtype.byteCount,
          foundBytes: count > UInt64(Int.max / 16) ? Int.max : Int(count) * reference.dtype.byteCount)
      }
      let byteCount = reference.elementCount * reference.dtype.byteCount
      guard byteCount <= bytes.count - position - 8 else {
        throw TorchFileError.truncated(
          file: file, offset: position + 8, expected: "\(byteCount) bytes of storage \"\(key)\"")
      }
      storages[key] = (position + 8, reference)
      position += 8 + byteCount
    }
    guard position == bytes.count else {
      throw TorchFileError.trailingBytes(file: file, offset: position, count: bytes.count - position)
    }
    return LoadedObject(object: object, storages: storages, byteSwap: false, label: file)
  }

  // MARK: State dict

  static func scalarText(_ value: PickleValue) -> String? {
    switch value {
    case .int(let number): return String(number)
    case .float(let number): return String(number)
    case .bool(let flag): return flag ? "true" : "false"
    case .string(let text): return text
    default: return nil
    }
  }

  static func extractStateDict(
    _ object: PickleValue, file: String
  ) throws -> ([(name: String, tensor: TorchTensorReference)], [String: String]) {
    guard case .dict(let topEntries) = object else {
      throw TorchFileError.invalidStateDict(
        file: file, key: "(top level)", expected: "a dict or OrderedDict", found: object.summary)
    }
    func holdsTensors(_ entries: [PickleDictEntry]) -> Bool {
      entries.contains { if case .tensor = $0.value { return true } else { return false } }
    }
    var metadata: [String: String] = [:]
    var chosen = topEntries
    for key in wrapperKeys {
      if case .dict(let inner)? = object[key], holdsTensors(inner) {
        chosen = inner
        metadata["wrapper"] = key
        for entry in topEntries {
          if case .string(let name) = entry.key, let text = scalarText(entry.value) {
            metadata["checkpoint.\(name)"] = text
          }
        }
        break
      }
    }
    var result: [(name: String, tensor: TorchTensorReference)] = []
    for entry in chosen {
      guard case .tensor(let tensor) = entry.value else { continue }
      guard case .string(let name) = entry.key else {
        throw TorchFileError.invalidStateDict(
          file: file, key: entry.key.summary, expected: "a string key", found: entry.key.summary)
      }
      result.append((name, tensor))
    }
    guard !result.isEmpty else {
      let keys = topEntries.map { entry -> String in
        if case .string(let name) = entry.key { return name }
        return entry.key.summary
      }
      throw TorchFileError.noTensors(file: file, topLevelKeys: keys)
    }
    return (result, metadata)
  }

  // MARK: Materializing

  static func materialize(
    _ reference: TorchTensorReference, from loaded: LoadedObject, bytes: [UInt8], budget: inout Int,
    file: String
  ) throws -> RawTensor {
    let storage = reference.storage
    guard let located = loaded.storages[storage.key], located.reference.dtype == storage.dtype,
      located.reference.elementCount == storage.elementCount
    else { throw TorchFileError.missingStorage(file: file, storage: storage.key) }
    let elementSize = storage.dtype.byteCount
    guard let byteCount = checkedByteCount(reference.shape, storage.dtype), byteCount <= budget else {
      throw TorchFileError.tooMuchData(file: file, limit: 4 * bytes.count + 64 << 20)
    }
    budget -= byteCount
    let elementCount = byteCount / elementSize
    // Element 0 of the (possibly viewed) storage, in file bytes. Bounds were checked against
    // the storage when the tensor was rebuilt; the storage was checked against the file.
    let base = located.start + ((storage.view?.offset ?? 0) + reference.storageOffset) * elementSize
    // An empty tensor needs no storage (and its other sizes may be huge: no products below).
    guard elementCount > 0 else {
      return RawTensor(dtype: storage.dtype, shape: reference.shape, bytes: [])
    }
    // Every partial product of the sizes is at most elementCount, so nothing here overflows.
    var contiguous = true
    var expectedStride = 1
    for (size, stride) in zip(reference.shape, reference.strides).reversed() {
      if size != 1 && stride != expectedStride { contiguous = false }
      expectedStride *= size
    }
    var output: [UInt8]
    do {
      if contiguous {
        output = Array(bytes[base..<(base + byteCount)])
      } else {
        output = [UInt8](repeating: 0, count: byteCount)
        let rank = reference.shape.count
        var index = [Int](repeating: 0, count: rank)
        var source = 0
        output.withUnsafeMutableBufferPointer { target in
          for element in 0..<elementCount {
            let from = base + source * elementSize
            let to = element * elementSize
            for b in 0..<elementSize { target[to + b] = bytes[from + b] }
            // Advance the odometer (last dimension fastest).
            var dimension = rank - 1
            while dimension >= 0 {
              index[dimension] += 1
              source += reference.strides[dimension]
              if index[dimension] < reference.shape[dimension] { break }
              source -= reference.strides[dimension] * index[dimension]
              index[dimension] = 0
              dimension -= 1
            }
          }
        }
      }
      if loaded.byteSwap && elementSize > 1 {
        for start in stride(from: 0, to: byteCount, by: elementSize) {
          output[start..<(start + elementSize)].reverse()
        }
      }
    }
    return RawTensor(dtype: storage.dtype, shape: reference.shape, bytes: output)
  }
}

import Foundation
#if canImport(Basics)
  import Basics  // the fuzz script (Tests/Fuzz) compiles Sources/Basics into this module instead
#endif

/// Why a safetensors file was refused, naming the file and the offending key, offset or value.
public enum SafeTensorsError: Error, CustomStringConvertible, Equatable {
  /// The file could not be read or written.
  case fileAccess(file: String, message: String)
  /// The file is shorter than the 8-byte header length.
  case fileTooSmall(file: String, size: Int)
  /// The declared header length exceeds the reference reader's 100,000,000-byte cap.
  case headerTooLarge(file: String, declared: UInt64, limit: Int)
  /// The declared header extends past the end of the file.
  case headerPastEnd(file: String, declared: UInt64, fileSize: Int)
  /// The header is not valid UTF-8.
  case invalidUTF8(file: String)
  /// The header is not JSON of the expected shape; `offset` is a file offset.
  case invalidHeader(file: String, offset: Int, expected: String, found: String)
  /// A tensor name appears twice in the header.
  case duplicateName(file: String, name: String)
  /// A tensor entry has a missing, unknown or mistyped field.
  case invalidEntry(file: String, tensor: String, field: String, expected: String, found: String)
  /// A dtype string this library does not support (or that safetensors does not define).
  case unsupportedDType(file: String, tensor: String, dtype: String)
  /// Offsets are not contiguous from 0 when sorted (gap, overlap or reversed range).
  case invalidOffsets(file: String, tensor: String, expectedBegin: UInt64, found: [UInt64])
  /// The byte range does not match dtype size × element count.
  case sizeMismatch(file: String, tensor: String, expectedBytes: Int, foundBytes: UInt64)
  /// The element or byte count overflows.
  case overflow(file: String, tensor: String, shape: [UInt64])
  /// A `__metadata__` value is not a string.
  case invalidMetadata(file: String, key: String, found: String)
  /// The data buffer is shorter or longer than the tensors need (no trailing bytes allowed).
  case lengthMismatch(file: String, expectedFileSize: Int, foundFileSize: Int)
  /// A tensor handed to the writer is malformed or its name repeats.
  case invalidTensorToWrite(name: String, problem: String)

  /// What the error is about: the file, or `writer` for a tensor handed to the writer.
  private var subject: String {
    switch self {
    case .fileAccess(let file, _), .fileTooSmall(let file, _), .headerTooLarge(let file, _, _),
      .headerPastEnd(let file, _, _), .invalidUTF8(let file), .invalidHeader(let file, _, _, _),
      .duplicateName(let file, _), .invalidEntry(let file, _, _, _, _), .unsupportedDType(let file, _, _),
      .invalidOffsets(let file, _, _, _), .sizeMismatch(let file, _, _, _), .overflow(let file, _, _),
      .invalidMetadata(let file, _, _), .lengthMismatch(let file, _, _):
      return file
    case .invalidTensorToWrite:
      return "writer"
    }
  }

  /// One human-readable line: `safetensors FILE: PROBLEM`.
  public var description: String { "safetensors \(subject): \(problem)" }

  /// What is wrong.
  private var problem: String {
    switch self {
    case .fileAccess(_, let message):
      return message
    case .fileTooSmall(_, let size):
      return "file is \(size) bytes, expected at least 8 (header length)"
    case .headerTooLarge(_, let declared, let limit):
      return "header length \(declared) exceeds the limit of \(limit) bytes"
    case .headerPastEnd(_, let declared, let fileSize):
      return "header length \(declared) runs past the end of the \(fileSize)-byte file"
    case .invalidUTF8:
      return "header is not valid UTF-8"
    case .invalidHeader(_, let offset, let expected, let found):
      return "invalid header JSON at offset \(offset): expected \(expected), found \(found)"
    case .duplicateName(_, let name):
      return "name \"\(name)\" appears more than once in the header"
    case .invalidEntry(_, let tensor, let field, let expected, let found):
      return "tensor \"\(tensor)\" field \"\(field)\": expected \(expected), found \(found)"
    case .unsupportedDType(_, let tensor, let dtype):
      return
        "tensor \"\(tensor)\" has unsupported dtype \"\(dtype)\" (supported: F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL)"
    case .invalidOffsets(_, let tensor, let expectedBegin, let found):
      return
        "tensor \"\(tensor)\" data_offsets \(found) are invalid: expected [\(expectedBegin), END ≥ \(expectedBegin)] (offsets must be contiguous, non-overlapping, from 0)"
    case .sizeMismatch(_, let tensor, let expectedBytes, let foundBytes):
      return
        "tensor \"\(tensor)\" needs \(expectedBytes) bytes for its dtype and shape, but data_offsets span \(foundBytes)"
    case .overflow(_, let tensor, let shape):
      return "tensor \"\(tensor)\" shape \(shape) overflows the element count"
    case .invalidMetadata(_, let key, let found):
      return "__metadata__ value for \"\(key)\" must be a string, found \(found)"
    case .lengthMismatch(_, let expectedFileSize, let foundFileSize):
      return "header and tensors account for \(expectedFileSize) bytes but the file has \(foundFileSize)"
    case .invalidTensorToWrite(let name, let problem):
      return "tensor \"\(name)\": \(problem)"
    }
  }
}

/// Reads and writes safetensors files (huggingface/safetensors layout).
///
/// Layout: u64 little-endian header length N, N bytes of JSON header, then the data buffer;
/// each header entry `{"dtype", "shape", "data_offsets": [begin, end]}` addresses the buffer.
public enum SafeTensors {
  /// The reference reader's maximum header length (`MAX_HEADER_SIZE`).
  public static let maxHeaderSize = 100_000_000

  /// Reads and validates a safetensors file.
  /// - Throws: `SafeTensorsError` naming the file and the first problem found.
  /// - Complexity: O(file size).
  public static func read(contentsOf url: URL) throws -> TensorArchive {
    try parse(readFileBytes(url, orThrow: SafeTensorsError.fileAccess), file: url.path)
  }

  /// Parses a safetensors file held in memory, applying the reference reader's seven checks
  /// plus: duplicate names, unsupported dtypes and unknown entry fields are refused.
  ///
  /// Tensors are returned sorted by data offset (file order); `file` is used in errors only.
  /// - Throws: `SafeTensorsError`.
  /// - Complexity: O(bytes.count).
  public static func parse(_ bytes: [UInt8], file: String) throws -> TensorArchive {
    // 1. Header length.
    guard let declared = bytes.le64(at: 0) else {
      throw SafeTensorsError.fileTooSmall(file: file, size: bytes.count)
    }
    // 2. Header cap.
    guard declared <= UInt64(maxHeaderSize) else {
      throw SafeTensorsError.headerTooLarge(file: file, declared: declared, limit: maxHeaderSize)
    }
    let headerLength = Int(declared)
    // 3. Header inside the file.
    guard 8 + headerLength <= bytes.count else {
      throw SafeTensorsError.headerPastEnd(file: file, declared: declared, fileSize: bytes.count)
    }
    let headerBytes = Array(bytes[8..<(8 + headerLength)])
    // 4. UTF-8 and JSON.
    guard String(validating: headerBytes, as: UTF8.self) != nil else {
      throw SafeTensorsError.invalidUTF8(file: file)
    }
    let json: JSONValue
    do {
      json = try JSONValue.parse(headerBytes, limits: JSONValue.ParseLimits(maximumDepth: 64, maximumBytes: maxHeaderSize))
    } catch let error as JSONParseError {
      if let name = error.duplicateKey {
        throw SafeTensorsError.duplicateName(file: file, name: name)
      }
      throw SafeTensorsError.invalidHeader(
        file: file, offset: 8 + error.offset, expected: error.expected, found: error.found)
    }
    guard case .object(let members) = json else {
      throw SafeTensorsError.invalidHeader(
        file: file, offset: 8, expected: "a JSON object", found: json.kindName)
    }

    struct Entry {
      var name: String
      var dtype: TensorDType
      var shape: [Int]
      var begin: UInt64
      var end: UInt64
    }
    var entries: [Entry] = []
    var metadata: [String: String] = [:]
    for member in members {
      if member.key == "__metadata__" {
        guard case .object(let fields) = member.value else {
          throw SafeTensorsError.invalidMetadata(
            file: file, key: "__metadata__", found: member.value.kindName)
        }
        for field in fields {
          guard case .string(let text) = field.value else {
            throw SafeTensorsError.invalidMetadata(
              file: file, key: field.key, found: field.value.kindName)
          }
          metadata[field.key] = text
        }
        continue
      }
      entries.append(try parseEntry(member.key, member.value, file: file))
    }

    func parseEntry(_ name: String, _ value: JSONValue, file: String) throws -> Entry {
      guard case .object(let fields) = value else {
        throw SafeTensorsError.invalidEntry(
          file: file, tensor: name, field: "", expected: "an object", found: value.kindName)
      }
      var dtypeName: String?
      var shapeValues: [UInt64]?
      var offsets: [UInt64]?
      for field in fields {
        switch field.key {
        case "dtype":
          guard case .string(let text) = field.value else {
            throw SafeTensorsError.invalidEntry(
              file: file, tensor: name, field: "dtype", expected: "a string",
              found: field.value.kindName)
          }
          dtypeName = text
        case "shape":
          shapeValues = try unsignedArray(field.value, name: name, field: "shape", file: file)
        case "data_offsets":
          let values = try unsignedArray(field.value, name: name, field: "data_offsets", file: file)
          guard values.count == 2 else {
            throw SafeTensorsError.invalidEntry(
              file: file, tensor: name, field: "data_offsets", expected: "[BEGIN, END]",
              found: "\(values.count) numbers")
          }
          offsets = values
        default:
          throw SafeTensorsError.invalidEntry(
            file: file, tensor: name, field: field.key,
            expected: "only dtype, shape, data_offsets", found: "unknown field")
        }
      }
      guard let dtypeName else {
        throw SafeTensorsError.invalidEntry(
          file: file, tensor: name, field: "dtype", expected: "a dtype", found: "nothing")
      }
      guard let shapeValues else {
        throw SafeTensorsError.invalidEntry(
          file: file, tensor: name, field: "shape", expected: "a shape", found: "nothing")
      }
      guard let offsets else {
        throw SafeTensorsError.invalidEntry(
          file: file, tensor: name, field: "data_offsets", expected: "[BEGIN, END]",
          found: "nothing")
      }
      guard let dtype = TensorDType(safeTensorsName: dtypeName) else {
        throw SafeTensorsError.unsupportedDType(file: file, tensor: name, dtype: dtypeName)
      }
      var shape: [Int] = []
      for dimension in shapeValues {
        guard dimension <= UInt64(Int.max) else {
          throw SafeTensorsError.overflow(file: file, tensor: name, shape: shapeValues)
        }
        shape.append(Int(dimension))
      }
      return Entry(name: name, dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1])
    }

    // 5. Contiguous offsets in sorted order.
    let sorted = entries.enumerated().sorted {
      ($0.element.begin, $0.element.end, $0.offset) < ($1.element.begin, $1.element.end, $1.offset)
    }.map(\.element)
    var expectedBegin: UInt64 = 0
    let dataStart = 8 + headerLength
    var tensors: [(name: String, tensor: RawTensor)] = []
    tensors.reserveCapacity(sorted.count)
    for entry in sorted {
      guard entry.begin == expectedBegin, entry.end >= entry.begin else {
        throw SafeTensorsError.invalidOffsets(
          file: file, tensor: entry.name, expectedBegin: expectedBegin,
          found: [entry.begin, entry.end])
      }
      // 6. Size agrees with dtype × shape.
      guard let byteCount = checkedByteCount(entry.shape, entry.dtype) else {
        throw SafeTensorsError.overflow(
          file: file, tensor: entry.name, shape: entry.shape.map { UInt64($0) })
      }
      guard UInt64(byteCount) == entry.end - entry.begin else {
        throw SafeTensorsError.sizeMismatch(
          file: file, tensor: entry.name, expectedBytes: byteCount,
          foundBytes: entry.end - entry.begin)
      }
      expectedBegin = entry.end
      // The range must lie inside the file before it is sliced.
      guard entry.end <= UInt64(bytes.count - dataStart) else {
        throw SafeTensorsError.lengthMismatch(
          file: file, expectedFileSize: dataStart + byteCount + Int(entry.begin),
          foundFileSize: bytes.count)
      }
      let start = dataStart + Int(entry.begin)
      let tensor = RawTensor(
        dtype: entry.dtype, shape: entry.shape, bytes: Array(bytes[start..<(start + byteCount)]))
      tensors.append((entry.name, tensor))
    }
    // 7. Exact file length.
    guard UInt64(dataStart) + expectedBegin == UInt64(bytes.count) else {
      throw SafeTensorsError.lengthMismatch(
        file: file, expectedFileSize: dataStart + Int(expectedBegin), foundFileSize: bytes.count)
    }
    return TensorArchive(format: .safetensors, tensors: tensors, metadata: metadata)
  }

  private static func unsignedArray(
    _ value: JSONValue, name: String, field: String, file: String
  ) throws -> [UInt64] {
    guard case .array(let elements) = value else {
      throw SafeTensorsError.invalidEntry(
        file: file, tensor: name, field: field, expected: "an array of integers",
        found: value.kindName)
    }
    return try elements.map { element in
      guard case .integer(let value) = element, let number = UInt64(exactly: value) else {
        throw SafeTensorsError.invalidEntry(
          file: file, tensor: name, field: field, expected: "a non-negative integer below 2^63",
          found: element.kindName)
      }
      return number
    }
  }

  /// Serializes tensors the way the reference writer does.
  ///
  /// Tensors are ordered by dtype (the reference alignment order, widest first) then by name,
  /// laid out back to back; the header is compact JSON with `__metadata__` first (keys sorted),
  /// padded with spaces to a multiple of 8 bytes.
  /// - Throws: `SafeTensorsError.invalidTensorToWrite` for a repeated name, the reserved name
  ///   `__metadata__`, or bytes that do not fit the shape.
  /// - Complexity: O(total bytes + n log n).
  public static func serialize(
    _ tensors: [(name: String, tensor: RawTensor)], metadata: [String: String]
  ) throws -> [UInt8] {
    var seen = Set<String>()
    for entry in tensors {
      guard entry.name != "__metadata__" else {
        throw SafeTensorsError.invalidTensorToWrite(
          name: entry.name, problem: "the name is reserved for metadata")
      }
      guard seen.insert(entry.name).inserted else {
        throw SafeTensorsError.invalidTensorToWrite(
          name: entry.name, problem: "the name appears more than once")
      }
      guard checkedByteCount(entry.tensor.shape, entry.tensor.dtype) == entry.tensor.bytes.count
      else {
        throw SafeTensorsError.invalidTensorToWrite(
          name: entry.name,
          problem: "\(entry.tensor.bytes.count) bytes do not fit shape \(entry.tensor.shape)")
      }
    }
    let ordered = tensors.sorted { lhs, rhs in
      let (l, r) = (lhs.tensor.dtype.safeTensorsAlignmentRank, rhs.tensor.dtype.safeTensorsAlignmentRank)
      if l != r { return l > r }
      return lhs.name.utf8.lexicographicallyPrecedes(rhs.name.utf8)
    }
    var header = "{"
    var first = true
    if !metadata.isEmpty {
      header += "\"__metadata__\":{"
      for (i, key) in metadata.keys.sorted().enumerated() {
        if i > 0 { header += "," }
        header += JSONValue.string(key).description + ":"
        header += JSONValue.string(metadata[key] ?? "").description
      }
      header += "}"
      first = false
    }
    var offset = 0
    for entry in ordered {
      if !first { header += "," }
      first = false
      header += JSONValue.string(entry.name).description
      let shape = entry.tensor.shape.map(String.init).joined(separator: ",")
      let end = offset + entry.tensor.bytes.count
      header +=
        ":{\"dtype\":\"\(entry.tensor.dtype.safeTensorsName)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}"
      offset = end
    }
    header += "}"
    var headerBytes = Array(header.utf8)
    let padding = (8 - headerBytes.count % 8) % 8
    headerBytes.append(contentsOf: repeatElement(0x20, count: padding))
    var output = [UInt8]()
    output.reserveCapacity(8 + headerBytes.count + offset)
    appendLittleEndian(UInt64(headerBytes.count), to: &output)
    output.append(contentsOf: headerBytes)
    for entry in ordered { output.append(contentsOf: entry.tensor.bytes) }
    return output
  }

  /// Serializes tensors (see `serialize`) and writes them atomically (temporary file in the
  /// same folder, then rename).
  /// - Throws: `SafeTensorsError`.
  public static func write(
    _ tensors: [(name: String, tensor: RawTensor)], metadata: [String: String], to url: URL
  ) throws {
    try writeFileAtomically(serialize(tensors, metadata: metadata), to: url, orThrow: SafeTensorsError.fileAccess)
  }
}

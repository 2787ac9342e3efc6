import Foundation

/// Why a `.npy` file was refused.
public enum NumPyError: Error, CustomStringConvertible, Equatable {
  /// The file could not be read or written.
  case fileAccess(file: String, message: String)
  /// The file does not start with `\x93NUMPY`.
  case badMagic(file: String, found: String)
  /// A format version other than 1.0, 2.0 or 3.0.
  case unsupportedVersion(file: String, major: Int, minor: Int)
  /// The declared header is longer than the limit (numpy's default is 10,000).
  case headerTooLarge(file: String, length: Int, limit: Int)
  /// The file ends inside the preamble or header.
  case truncated(file: String, expectedBytes: Int, foundBytes: Int)
  /// The header dict literal is malformed; `offset` is a file offset.
  case invalidHeader(file: String, offset: Int, expected: String, found: String)
  /// A `descr` this reader does not support (object arrays are always refused: they hold pickles).
  case unsupportedDType(file: String, descr: String)
  /// The data length differs from `prod(shape) × itemsize`.
  case dataLengthMismatch(file: String, expectedBytes: Int, foundBytes: Int)
  /// The shape's element count overflows.
  case overflow(file: String, shape: String)

  /// The file the error refers to.
  public var file: String {
    switch self {
    case .fileAccess(let file, _), .badMagic(let file, _), .unsupportedVersion(let file, _, _),
      .headerTooLarge(let file, _, _), .truncated(let file, _, _), .invalidHeader(let file, _, _, _),
      .unsupportedDType(let file, _), .dataLengthMismatch(let file, _, _), .overflow(let file, _):
      return file
    }
  }

  /// One human-readable line: `npy FILE: PROBLEM`.
  public var description: String { "npy \(file): \(problem)" }

  /// What is wrong with the file.
  private var problem: String {
    switch self {
    case .fileAccess(_, let message): return message
    case .badMagic(_, let found): return "expected magic \\x93NUMPY, found \(found)"
    case .unsupportedVersion(_, let major, let minor):
      return "format version \(major).\(minor) is not supported (expected 1.0, 2.0 or 3.0)"
    case .headerTooLarge(_, let length, let limit): return "header of \(length) bytes exceeds the limit of \(limit)"
    case .truncated(_, let expectedBytes, let foundBytes):
      return "file is \(foundBytes) bytes, expected at least \(expectedBytes) for the header"
    case .invalidHeader(_, let offset, let expected, let found):
      return "invalid header at offset \(offset): expected \(expected), found \(found)"
    case .unsupportedDType(_, let descr):
      return "dtype '\(descr)' is not supported (supported: f8 f4 f2 i8 i4 i2 i1 u1 b1, either byte order; object arrays are refused)"
    case .dataLengthMismatch(_, let expectedBytes, let foundBytes):
      return "data is \(foundBytes) bytes, expected \(expectedBytes) for the shape and dtype"
    case .overflow(_, let shape): return "shape \(shape) overflows the element count"
    }
  }
}

/// A NumPy `.npy` array (NEP 1 .npy format, numpy.lib.format), converted on reading to C order and little-endian.
public struct NumPyArray: Sendable {
  /// The array, always C order, little-endian.
  public var tensor: RawTensor

  /// The reader's header-length limit (numpy's default `max_header_size`).
  public static let maxHeaderSize = 10_000

  /// Reads a `.npy` file.
  /// - Throws: `NumPyError`.
  public static func read(contentsOf url: URL) throws -> NumPyArray {
    try parse(readFileBytes(url, orThrow: NumPyError.fileAccess), file: url.path)
  }

  /// Parses a `.npy` file held in memory: versions 1.0/2.0/3.0, the descr types listed in
  /// `NumPyError.unsupportedDType`, big-endian data byte-swapped, Fortran order transposed.
  /// - Throws: `NumPyError`.
  /// - Complexity: O(bytes.count).
  public static func parse(_ bytes: [UInt8], file: String) throws -> NumPyArray {
    let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
    guard bytes.matches(magic, at: 0) else {
      throw NumPyError.badMagic(file: file, found: hexPrefix(bytes, count: 6))
    }
    guard bytes.count >= 10 else {
      throw NumPyError.truncated(file: file, expectedBytes: 10, foundBytes: bytes.count)
    }
    let (major, minor) = (Int(bytes[6]), Int(bytes[7]))
    guard minor == 0, (1...3).contains(major) else {
      throw NumPyError.unsupportedVersion(file: file, major: major, minor: minor)
    }
    let lengthWidth = major == 1 ? 2 : 4
    guard let declared = major == 1 ? bytes.le16(at: 8).map(UInt32.init) : bytes.le32(at: 8) else {
      throw NumPyError.truncated(file: file, expectedBytes: 12, foundBytes: bytes.count)
    }
    guard declared <= UInt32(maxHeaderSize) else {
      throw NumPyError.headerTooLarge(file: file, length: Int(declared), limit: maxHeaderSize)
    }
    let headerStart = 8 + lengthWidth
    let dataStart = headerStart + Int(declared)
    guard dataStart <= bytes.count else {
      throw NumPyError.truncated(file: file, expectedBytes: dataStart, foundBytes: bytes.count)
    }
    let header = try HeaderParser.parse(Array(bytes[headerStart..<dataStart]), base: headerStart, file: file)
    guard let (dtype, bigEndian) = dtypeFor(descr: header.descr) else {
      throw NumPyError.unsupportedDType(file: file, descr: header.descr)
    }
    guard let byteCount = checkedByteCount(header.shape, dtype) else {
      throw NumPyError.overflow(file: file, shape: "\(header.shape)")
    }
    guard bytes.count - dataStart == byteCount else {
      throw NumPyError.dataLengthMismatch(
        file: file, expectedBytes: byteCount, foundBytes: bytes.count - dataStart)
    }
    var data = Array(bytes[dataStart...])
    let size = dtype.byteCount
    if bigEndian && size > 1 {
      for start in stride(from: 0, to: data.count, by: size) { data[start..<(start + size)].reverse() }
    }
    if header.fortranOrder && header.shape.count > 1 && byteCount > 0 {
      data = fortranToC(data, shape: header.shape, elementSize: size)
    }
    return NumPyArray(tensor: RawTensor(dtype: dtype, shape: header.shape, bytes: data))
  }

  /// Maps a descr such as `<f4` to a dtype and whether the data is big-endian.
  static func dtypeFor(descr: String) -> (TensorDType, Bool)? {
    guard descr.count == 3, let order = descr.first else { return nil }
    let kind = String(descr.dropFirst())
    let dtype: TensorDType
    switch kind {
    case "f8": dtype = .float64
    case "f4": dtype = .float32
    case "f2": dtype = .float16
    case "i8": dtype = .int64
    case "i4": dtype = .int32
    case "i2": dtype = .int16
    case "i1": dtype = .int8
    case "u1": dtype = .uint8
    case "b1": dtype = .bool
    default: return nil
    }
    switch order {
    case "<", "=": return (dtype, false)
    case ">": return (dtype, true)
    case "|": return dtype.byteCount == 1 ? (dtype, false) : nil
    default: return nil
    }
  }

  /// Reorders column-major bytes into row-major order.
  static func fortranToC(_ data: [UInt8], shape: [Int], elementSize: Int) -> [UInt8] {
    let count = data.count / elementSize
    var output = [UInt8](repeating: 0, count: data.count)
    // Fortran strides (in elements): first dimension fastest.
    var fortranStrides = [Int](repeating: 1, count: shape.count)
    for d in 1..<shape.count { fortranStrides[d] = fortranStrides[d - 1] * shape[d - 1] }
    var index = [Int](repeating: 0, count: shape.count)
    var source = 0
    for element in 0..<count {
      for b in 0..<elementSize { output[element * elementSize + b] = data[source * elementSize + b] }
      var d = shape.count - 1
      while d >= 0 {
        index[d] += 1
        source += fortranStrides[d]
        if index[d] < shape[d] { break }
        source -= fortranStrides[d] * index[d]
        index[d] = 0
        d -= 1
      }
    }
    return output
  }

  /// The `.npy` bytes of a tensor: format 1.0 (2.0 if the header needs it), `descr` `<f4` etc.,
  /// C order, header padded with spaces and `\n` to a multiple of 64 bytes like numpy ≥ 1.x.
  ///
  /// numpy has no bfloat16, so a `bfloat16` tensor is written as `<f4` (an exact conversion).
  public static func serialize(_ tensor: RawTensor) -> [UInt8] {
    if tensor.dtype == .bfloat16 {
      return serialize(RawTensor(floats: tensor.floats(), shape: tensor.shape))
    }
    let descr: String
    switch tensor.dtype {
    case .float64: descr = "<f8"
    case .float32: descr = "<f4"
    case .float16: descr = "<f2"
    case .bfloat16: descr = "<f4"  // unreachable: converted above
    case .int64: descr = "<i8"
    case .int32: descr = "<i4"
    case .int16: descr = "<i2"
    case .int8: descr = "|i1"
    case .uint8: descr = "|u1"
    case .bool: descr = "|b1"
    }
    let shapeText: String
    switch tensor.shape.count {
    case 0: shapeText = "()"
    case 1: shapeText = "(\(tensor.shape[0]),)"
    default: shapeText = "(" + tensor.shape.map(String.init).joined(separator: ", ") + ")"
    }
    var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
    // numpy leaves room to grow the first axis in place (GROWTH_AXIS_MAX_DIGITS = 21).
    if let firstAxis = tensor.shape.first {
      header += String(repeating: " ", count: max(0, 21 - String(firstAxis).count))
    }
    var version: UInt8 = 1
    var preamble = 10
    if (preamble + header.utf8.count + 1 + 63) / 64 * 64 - preamble > 0xFFFF {
      version = 2
      preamble = 12
    }
    let total = (preamble + header.utf8.count + 1 + 63) / 64 * 64
    header += String(repeating: " ", count: total - preamble - header.utf8.count - 1) + "\n"
    var output: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, version, 0]
    if version == 1 {
      appendLittleEndian(UInt16(header.utf8.count), to: &output)
    } else {
      appendLittleEndian(UInt32(header.utf8.count), to: &output)
    }
    output.append(contentsOf: header.utf8)
    output.append(contentsOf: tensor.bytes)
    return output
  }

  /// Writes `serialize(tensor)` atomically (temporary file in the same folder, then rename).
  /// - Throws: `NumPyError.fileAccess`.
  public static func write(_ tensor: RawTensor, to url: URL) throws {
    try writeFileAtomically(serialize(tensor), to: url, orThrow: NumPyError.fileAccess)
  }
}

/// Parses the header's Python dict literal: `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
private struct HeaderParser {
  struct Header {
    var descr: String
    var fortranOrder: Bool
    var shape: [Int]
  }

  enum Literal {
    case string(String)
    case bool(Bool)
    case tuple([Int])
    case other(String)
  }

  let bytes: [UInt8]
  let base: Int
  let file: String
  var position = 0

  static func parse(_ bytes: [UInt8], base: Int, file: String) throws -> Header {
    var parser = HeaderParser(bytes: bytes, base: base, file: file)
    return try parser.parseDict()
  }

  private func error(_ expected: String) -> NumPyError {
    let found: String
    if position < bytes.count {
      let byte = bytes[position]
      found =
        (0x20..<0x7F).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
    } else {
      found = "end of header"
    }
    return .invalidHeader(file: file, offset: base + position, expected: expected, found: found)
  }

  private mutating func skipSpaces() {
    while position < bytes.count,
      bytes[position] == 0x20 || bytes[position] == 0x0A || bytes[position] == 0x09 || bytes[position] == 0x0D
    {
      position += 1
    }
  }

  private mutating func expect(_ character: UInt8, _ description: String) throws {
    skipSpaces()
    guard position < bytes.count, bytes[position] == character else { throw error(description) }
    position += 1
  }

  private mutating func peek(_ character: UInt8) -> Bool {
    skipSpaces()
    return position < bytes.count && bytes[position] == character
  }

  private mutating func parseString() throws -> String {
    skipSpaces()
    guard position < bytes.count, bytes[position] == UInt8(ascii: "'") || bytes[position] == UInt8(ascii: "\"") else {
      throw error("a quoted string")
    }
    let quote = bytes[position]
    position += 1
    let start = position
    while position < bytes.count, bytes[position] != quote {
      guard bytes[position] != UInt8(ascii: "\\") else { throw error("a string without escapes") }
      position += 1
    }
    guard position < bytes.count else { throw error("a closing quote") }
    let text = String(decoding: bytes[start..<position], as: UTF8.self)
    position += 1
    return text
  }

  private mutating func parseInteger() throws -> Int {
    skipSpaces()
    let start = position
    while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
      position += 1
    }
    guard position > start, position - start <= 18,
      let value = Int(String(decoding: bytes[start..<position], as: UTF8.self))
    else {
      position = start
      throw error("a non-negative integer dimension")
    }
    if position < bytes.count, bytes[position] == UInt8(ascii: "L") { position += 1 }  // Python 2 long
    return value
  }

  private mutating func parseValue() throws -> Literal {
    skipSpaces()
    guard position < bytes.count else { throw error("a value") }
    switch bytes[position] {
    case UInt8(ascii: "'"), UInt8(ascii: "\""):
      return .string(try parseString())
    case UInt8(ascii: "("):
      position += 1
      var values: [Int] = []
      while !peek(UInt8(ascii: ")")) {
        values.append(try parseInteger())
        guard values.count <= 64 else { throw error("at most 64 dimensions") }
        if peek(UInt8(ascii: ",")) { position += 1 } else { break }
      }
      try expect(UInt8(ascii: ")"), "')'")
      return .tuple(values)
    case UInt8(ascii: "T"), UInt8(ascii: "F"):
      for (word, value) in [("True", true), ("False", false)] where bytes.matches(Array(word.utf8), at: position) {
        position += word.utf8.count
        return .bool(value)
      }
      throw error("True or False")
    case UInt8(ascii: "["), UInt8(ascii: "{"):
      return .other("a structured or nested value")
    default:
      throw error("a string, tuple or bool")
    }
  }

  mutating func parseDict() throws -> Header {
    try expect(UInt8(ascii: "{"), "'{'")
    var descr: String?
    var fortran: Bool?
    var shape: [Int]?
    while !peek(UInt8(ascii: "}")) {
      let keyOffset = position
      let key = try parseString()
      guard ["descr", "fortran_order", "shape"].contains(key) else {
        throw NumPyError.invalidHeader(
          file: file, offset: base + keyOffset, expected: "only descr, fortran_order, shape", found: "key '\(key)'")
      }
      try expect(UInt8(ascii: ":"), "':'")
      let valueOffset = position
      let value = try parseValue()
      func mismatch(_ expected: String) -> NumPyError {
        .invalidHeader(file: file, offset: base + valueOffset, expected: expected, found: "another value for '\(key)'")
      }
      switch key {
      case "descr":
        guard descr == nil else {
          throw NumPyError.invalidHeader(
            file: file, offset: base + keyOffset, expected: "one 'descr'", found: "a duplicate")
        }
        switch value {
        case .string(let text): descr = text
        case .other: throw NumPyError.unsupportedDType(file: file, descr: "structured")
        default: throw mismatch("a descr string")
        }
      case "fortran_order":
        guard fortran == nil, case .bool(let flag) = value else { throw mismatch("one True/False") }
        fortran = flag
      case "shape":
        guard shape == nil, case .tuple(let dims) = value else { throw mismatch("one tuple of ints") }
        shape = dims
      default:
        throw NumPyError.invalidHeader(
          file: file, offset: base + keyOffset, expected: "only descr, fortran_order, shape", found: "key '\(key)'")
      }
      if peek(UInt8(ascii: ",")) { position += 1 } else { break }
    }
    try expect(UInt8(ascii: "}"), "'}'")
    skipSpaces()
    guard position == bytes.count else { throw error("only spaces and a newline after the dict") }
    guard let descr, let fortran, let shape else {
      throw NumPyError.invalidHeader(
        file: file, offset: base, expected: "keys descr, fortran_order and shape", found: "a missing key")
    }
    return Header(descr: descr, fortranOrder: fortran, shape: shape)
  }
}

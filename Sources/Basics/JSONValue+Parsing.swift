import Foundation

/// Malformed or oversized JSON text: where it went wrong, what was expected and what was found.
public struct JSONParseError: Error, Equatable, CustomStringConvertible {
  /// The byte offset into the parsed bytes.
  public var offset: Int
  /// What the parser expected there.
  public var expected: String
  /// What it found (a quoted character, `end of input`, or a description).
  public var found: String
  /// Set when the problem is a repeated object key (the key, unescaped).
  public var duplicateKey: String? = nil

  /// One human-readable line.
  public var description: String {
    "invalid JSON at byte \(offset): expected \(expected), found \(found)"
  }
}

extension JSONValue {
  /// Bounds on what `parse` accepts, so hostile input cannot exhaust the stack or memory.
  public struct ParseLimits: Equatable, Sendable {
    /// The deepest nesting of arrays and objects accepted (the top-level container is depth 1).
    public var maximumDepth: Int
    /// The longest input accepted, in bytes.
    public var maximumBytes: Int

    /// Limits with the given bounds; the defaults suit headers, metadata and report files.
    public init(maximumDepth: Int = 64, maximumBytes: Int = 64 << 20) {
      self.maximumDepth = maximumDepth
      self.maximumBytes = maximumBytes
    }
  }

  /// Parses JSON text (RFC 8259) strictly; see `parse(_:limits:)` for bytes.
  /// - Throws: `JSONParseError`.
  /// - Complexity: O(length of the text).
  public static func parse(_ text: String, limits: ParseLimits = ParseLimits()) throws -> JSONValue {
    try parse(Array(text.utf8), limits: limits)
  }

  /// Parses UTF-8 JSON bytes (RFC 8259) strictly and within `limits`.
  ///
  /// Exactly one value surrounded by optional whitespace (space, tab, LF, CR). Numbers without a
  /// fraction or exponent that fit in `Int` become `.integer`, all others `.number`; a number
  /// whose magnitude overflows `Double` is refused. Object keys keep their order; a repeated key
  /// is refused (`JSONParseError.duplicateKey` names it), unlike `JSONSerialization`, which keeps
  /// one of them silently. Strings must be valid UTF-8, control characters must be escaped, and
  /// `\u` escapes must form Unicode scalars (surrogates only in valid pairs). Inputs longer than
  /// `limits.maximumBytes` or nested deeper than `limits.maximumDepth` are refused.
  /// - Throws: `JSONParseError` at the first problem, with its byte offset.
  /// - Complexity: O(bytes.count) on average.
  public static func parse<Bytes: Collection>(
    _ bytes: Bytes, limits: ParseLimits = ParseLimits()
  ) throws -> JSONValue where Bytes.Element == UInt8 {
    guard bytes.count <= limits.maximumBytes else {
      throw JSONParseError(
        offset: 0, expected: "at most \(limits.maximumBytes) bytes", found: "\(bytes.count) bytes")
    }
    var parser = JSONParser(bytes: Array(bytes), maximumDepth: limits.maximumDepth)
    parser.skipWhitespace()
    let value = try parser.parseValue(depth: 0)
    parser.skipWhitespace()
    if parser.position < parser.bytes.count {
      throw parser.error(expected: "end of input")
    }
    return value
  }
}

/// A recursive-descent parser over UTF-8 bytes; recursion depth is bounded by `maximumDepth`.
private struct JSONParser {
  let bytes: [UInt8]
  let maximumDepth: Int
  var position = 0

  init(bytes: [UInt8], maximumDepth: Int) {
    self.bytes = bytes
    self.maximumDepth = maximumDepth
  }

  func error(expected: String) -> JSONParseError {
    let found: String
    if position >= bytes.count {
      found = "end of input"
    } else {
      let byte = bytes[position]
      found =
        byte >= 0x20 && byte < 0x7F
        ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
    }
    return JSONParseError(offset: position, expected: expected, found: found)
  }

  mutating func skipWhitespace() {
    while position < bytes.count,
      bytes[position] == 0x20 || bytes[position] == 0x0A || bytes[position] == 0x0D
        || bytes[position] == 0x09
    {
      position += 1
    }
  }

  mutating func consume(_ literal: String, as value: JSONValue) throws -> JSONValue {
    for byte in literal.utf8 {
      guard position < bytes.count, bytes[position] == byte else {
        throw error(expected: "'\(literal)'")
      }
      position += 1
    }
    return value
  }

  /// Parses the value at `position`; `depth` counts the containers around it.
  mutating func parseValue(depth: Int) throws -> JSONValue {
    guard position < bytes.count else { throw error(expected: "a value") }
    switch bytes[position] {
    case UInt8(ascii: "{"), UInt8(ascii: "["):
      guard depth < maximumDepth else {
        throw error(expected: "at most \(maximumDepth) levels of nesting")
      }
      return bytes[position] == UInt8(ascii: "{")
        ? try parseObject(depth: depth + 1) : try parseArray(depth: depth + 1)
    case UInt8(ascii: "\""): return .string(try parseString())
    case UInt8(ascii: "t"): return try consume("true", as: .bool(true))
    case UInt8(ascii: "f"): return try consume("false", as: .bool(false))
    case UInt8(ascii: "n"): return try consume("null", as: .null)
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
    default: throw error(expected: "a value")
    }
  }

  mutating func parseObject(depth: Int) throws -> JSONValue {
    position += 1  // {
    var members: [(key: String, value: JSONValue)] = []
    var keys = Set<String>()
    if consume("}") { return .object(members) }
    while true {
      skipWhitespace()
      guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
        throw error(expected: "a string key")
      }
      let keyOffset = position
      let key = try parseString()
      guard keys.insert(key).inserted else {
        throw JSONParseError(
          offset: keyOffset, expected: "a unique key", found: "repeated key \"\(key)\"",
          duplicateKey: key)
      }
      guard consume(":") else { throw error(expected: "':'") }
      skipWhitespace()
      members.append((key, try parseValue(depth: depth)))
      if try consumeSeparator(orEnd: "}") { return .object(members) }
    }
  }

  mutating func parseArray(depth: Int) throws -> JSONValue {
    position += 1  // [
    var elements: [JSONValue] = []
    if consume("]") { return .array(elements) }
    while true {
      skipWhitespace()
      elements.append(try parseValue(depth: depth))
      if try consumeSeparator(orEnd: "]") { return .array(elements) }
    }
  }

  /// Skips whitespace, then consumes `scalar` if it comes next.
  mutating func consume(_ scalar: Unicode.Scalar) -> Bool {
    skipWhitespace()
    guard position < bytes.count, bytes[position] == UInt8(ascii: scalar) else { return false }
    position += 1
    return true
  }

  /// After an object member or array element: consumes `,` (false: another follows) or `closer`
  /// (true: the object or array ends).
  /// - Throws: `JSONParseError` expecting either when something else follows.
  mutating func consumeSeparator(orEnd closer: Unicode.Scalar) throws -> Bool {
    if consume(",") { return false }
    if consume(closer) { return true }
    throw error(expected: "',' or '\(closer)'")
  }

  mutating func parseHex4() throws -> UInt32 {
    var value: UInt32 = 0
    for _ in 0..<4 {
      guard position < bytes.count else { throw error(expected: "4 hexadecimal digits") }
      let byte = bytes[position]
      let digit: UInt32
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
      default: throw error(expected: "a hexadecimal digit")
      }
      value = value * 16 + digit
      position += 1
    }
    return value
  }

  /// Parses a string literal: unescaped runs are checked to be valid UTF-8 and copied whole.
  mutating func parseString() throws -> String {
    position += 1  // opening quote
    var scalars = String.UnicodeScalarView()
    var runStart = position
    func flushRun(_ end: Int) throws {
      guard end > runStart else { return }
      guard let run = String(validating: bytes[runStart..<end], as: UTF8.self) else {
        throw JSONParseError(
          offset: runStart, expected: "valid UTF-8 in a string", found: "invalid UTF-8")
      }
      scalars.append(contentsOf: run.unicodeScalars)
    }
    while true {
      guard position < bytes.count else { throw error(expected: "'\"'") }
      let byte = bytes[position]
      if byte == UInt8(ascii: "\"") {
        try flushRun(position)
        position += 1
        return String(scalars)
      }
      if byte < 0x20 { throw error(expected: "an escaped control character") }
      if byte != UInt8(ascii: "\\") {
        position += 1
        continue
      }
      try flushRun(position)
      position += 1
      guard position < bytes.count else { throw error(expected: "an escape character") }
      let escape = bytes[position]
      position += 1
      switch escape {
      case UInt8(ascii: "\""): scalars.append("\"")
      case UInt8(ascii: "\\"): scalars.append("\\")
      case UInt8(ascii: "/"): scalars.append("/")
      case UInt8(ascii: "b"): scalars.append("\u{08}")
      case UInt8(ascii: "f"): scalars.append("\u{0C}")
      case UInt8(ascii: "n"): scalars.append("\n")
      case UInt8(ascii: "r"): scalars.append("\r")
      case UInt8(ascii: "t"): scalars.append("\t")
      case UInt8(ascii: "u"):
        var code = try parseHex4()
        if (0xD800...0xDBFF).contains(code) {
          guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
            bytes[position + 1] == UInt8(ascii: "u")
          else { throw error(expected: "a low surrogate escape") }
          position += 2
          let low = try parseHex4()
          guard (0xDC00...0xDFFF).contains(low) else {
            position -= 6
            throw error(expected: "a low surrogate escape")
          }
          code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00...0xDFFF).contains(code) {
          position -= 6
          throw error(expected: "a high surrogate before a low surrogate")
        }
        guard let scalar = Unicode.Scalar(code) else { throw error(expected: "a Unicode scalar") }
        scalars.append(scalar)
      default:
        position -= 1
        throw error(expected: "a valid escape character")
      }
      runStart = position
    }
  }

  mutating func parseNumber() throws -> JSONValue {
    let start = position
    var isInteger = true
    if bytes[position] == UInt8(ascii: "-") { position += 1 }
    func digits() -> Int {
      let begin = position
      while position < bytes.count, bytes[position] >= UInt8(ascii: "0"),
        bytes[position] <= UInt8(ascii: "9")
      {
        position += 1
      }
      return position - begin
    }
    guard position < bytes.count else { throw error(expected: "a digit") }
    if bytes[position] == UInt8(ascii: "0") {
      position += 1
    } else if digits() == 0 {
      throw error(expected: "a digit")
    }
    if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
      isInteger = false
      position += 1
      guard digits() > 0 else { throw error(expected: "a digit after '.'") }
    }
    if position < bytes.count,
      bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E")
    {
      isInteger = false
      position += 1
      if position < bytes.count,
        bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-")
      {
        position += 1
      }
      guard digits() > 0 else { throw error(expected: "a digit in the exponent") }
    }
    let text = String(decoding: bytes[start..<position], as: UTF8.self)
    if isInteger, let value = Int(text) { return .integer(value) }
    guard let value = Double(text), value.isFinite else {
      throw JSONParseError(
        offset: start, expected: "a number within the range of Double", found: text)
    }
    return .number(value)
  }
}

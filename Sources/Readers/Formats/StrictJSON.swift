/// A parsed JSON value that keeps object member order and number spelling.
enum JSONValue {
  case object([(key: String, value: JSONValue, offset: Int)])
  case array([JSONValue])
  case string(String)
  /// The number as written (validated against the JSON grammar).
  case number(String)
  case bool(Bool)
  case null

  /// A short name of the value's kind, for error messages.
  var kindName: String {
    switch self {
    case .object: return "object"
    case .array: return "array"
    case .string: return "string"
    case .number(let text): return "number \(text)"
    case .bool(let flag): return flag ? "true" : "false"
    case .null: return "null"
    }
  }
}

/// Why `StrictJSONParser` refused its input; `offset` is relative to the parsed bytes.
struct JSONSyntaxError: Error {
  var offset: Int
  var expected: String
  var found: String
  /// Set when the problem is a repeated object key.
  var duplicateKey: String? = nil
}

/// A small strict JSON (RFC 8259) parser that rejects duplicate object keys.
///
/// `JSONSerialization` silently keeps one of two equal keys; a safetensors header with a
/// repeated tensor name must be refused instead.
struct StrictJSONParser {
  private let bytes: [UInt8]
  private var position = 0
  private let maxDepth: Int

  /// Parses `bytes` as exactly one JSON value surrounded by optional whitespace.
  /// - Throws: `JSONSyntaxError` at the first problem, including duplicate keys.
  /// - Complexity: O(n) on average.
  static func parse(_ bytes: [UInt8], maxDepth: Int = 64) throws -> JSONValue {
    var parser = StrictJSONParser(bytes: bytes, maxDepth: maxDepth)
    parser.skipWhitespace()
    let value = try parser.parseValue(depth: 0)
    parser.skipWhitespace()
    if parser.position != bytes.count {
      throw parser.error(expected: "end of JSON text")
    }
    return value
  }

  private init(bytes: [UInt8], maxDepth: Int) {
    self.bytes = bytes
    self.maxDepth = maxDepth
  }

  private func error(expected: String) -> JSONSyntaxError {
    let found: String
    if position >= bytes.count {
      found = "end of header"
    } else {
      let byte = bytes[position]
      found =
        (0x20..<0x7F).contains(byte)
        ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
    }
    return JSONSyntaxError(offset: position, expected: expected, found: found)
  }

  private mutating func skipWhitespace() {
    while position < bytes.count {
      switch bytes[position] {
      case 0x20, 0x09, 0x0A, 0x0D: position += 1
      default: return
      }
    }
  }

  private mutating func parseValue(depth: Int) throws -> JSONValue {
    guard position < bytes.count else { throw error(expected: "a JSON value") }
    switch bytes[position] {
    case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
    case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
    case UInt8(ascii: "\""): return .string(try parseString())
    case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
    case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
    case UInt8(ascii: "n"): try expectLiteral("null"); return .null
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
    default: throw error(expected: "a JSON value")
    }
  }

  private mutating func expectLiteral(_ literal: String) throws {
    for byte in literal.utf8 {
      guard position < bytes.count, bytes[position] == byte else {
        throw error(expected: "'\(literal)'")
      }
      position += 1
    }
  }

  private mutating func parseObject(depth: Int) throws -> JSONValue {
    guard depth <= maxDepth else { throw error(expected: "nesting at most \(maxDepth) deep") }
    position += 1  // {
    var members: [(key: String, value: JSONValue, offset: Int)] = []
    var seen = Set<String>()
    skipWhitespace()
    if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
      position += 1
      return .object(members)
    }
    while true {
      skipWhitespace()
      guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
        throw error(expected: "a string key")
      }
      let keyOffset = position
      let key = try parseString()
      guard seen.insert(key).inserted else {
        throw JSONSyntaxError(
          offset: keyOffset, expected: "unique keys", found: "duplicate key \"\(key)\"",
          duplicateKey: key)
      }
      skipWhitespace()
      guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else {
        throw error(expected: "':'")
      }
      position += 1
      skipWhitespace()
      let value = try parseValue(depth: depth)
      members.append((key, value, keyOffset))
      skipWhitespace()
      guard position < bytes.count else { throw error(expected: "',' or '}'") }
      if bytes[position] == UInt8(ascii: ",") {
        position += 1
        continue
      }
      if bytes[position] == UInt8(ascii: "}") {
        position += 1
        return .object(members)
      }
      throw error(expected: "',' or '}'")
    }
  }

  private mutating func parseArray(depth: Int) throws -> JSONValue {
    guard depth <= maxDepth else { throw error(expected: "nesting at most \(maxDepth) deep") }
    position += 1  // [
    var elements: [JSONValue] = []
    skipWhitespace()
    if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
      position += 1
      return .array(elements)
    }
    while true {
      skipWhitespace()
      elements.append(try parseValue(depth: depth))
      skipWhitespace()
      guard position < bytes.count else { throw error(expected: "',' or ']'") }
      if bytes[position] == UInt8(ascii: ",") {
        position += 1
        continue
      }
      if bytes[position] == UInt8(ascii: "]") {
        position += 1
        return .array(elements)
      }
      throw error(expected: "',' or ']'")
    }
  }

  private mutating func parseNumber() throws -> String {
    let start = position
    func digit(_ i: Int) -> Bool {
      i < bytes.count && bytes[i] >= UInt8(ascii: "0") && bytes[i] <= UInt8(ascii: "9")
    }
    if bytes[position] == UInt8(ascii: "-") { position += 1 }
    guard digit(position) else { throw error(expected: "a digit") }
    if bytes[position] == UInt8(ascii: "0") {
      position += 1
    } else {
      while digit(position) { position += 1 }
    }
    if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
      position += 1
      guard digit(position) else { throw error(expected: "a digit after '.'") }
      while digit(position) { position += 1 }
    }
    if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
      position += 1
      if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
        position += 1
      }
      guard digit(position) else { throw error(expected: "an exponent digit") }
      while digit(position) { position += 1 }
    }
    return String(decoding: bytes[start..<position], as: UTF8.self)
  }

  private mutating func parseHex4() throws -> UInt32 {
    var value: UInt32 = 0
    for _ in 0..<4 {
      guard position < bytes.count else { throw error(expected: "4 hex digits") }
      let byte = bytes[position]
      let nibble: UInt8
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte - UInt8(ascii: "a") + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = byte - UInt8(ascii: "A") + 10
      default: throw error(expected: "a hex digit")
      }
      value = value << 4 | UInt32(nibble)
      position += 1
    }
    return value
  }

  /// Parses a string literal; the input has already been checked to be valid UTF-8.
  private mutating func parseString() throws -> String {
    position += 1  // opening quote
    var scalars = String.UnicodeScalarView()
    var runStart = position
    func flushRun(_ end: Int) {
      if end > runStart {
        scalars.append(contentsOf: String(decoding: bytes[runStart..<end], as: UTF8.self).unicodeScalars)
      }
    }
    while true {
      guard position < bytes.count else { throw error(expected: "closing '\"'") }
      let byte = bytes[position]
      if byte == UInt8(ascii: "\"") {
        flushRun(position)
        position += 1
        return String(scalars)
      }
      if byte < 0x20 { throw error(expected: "an escaped control character") }
      if byte != UInt8(ascii: "\\") {
        position += 1
        continue
      }
      flushRun(position)
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
        let first = try parseHex4()
        var code = first
        if (0xD800..<0xDC00).contains(first) {
          guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
            bytes[position + 1] == UInt8(ascii: "u")
          else { throw error(expected: "a low surrogate escape") }
          position += 2
          let second = try parseHex4()
          guard (0xDC00..<0xE000).contains(second) else {
            throw error(expected: "a low surrogate")
          }
          code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        }
        guard let scalar = Unicode.Scalar(code) else {
          throw error(expected: "a Unicode scalar (unpaired surrogate)")
        }
        scalars.append(scalar)
      default:
        position -= 1
        throw error(expected: "a valid escape")
      }
      runStart = position
    }
  }
}

/// Appends `text` as a JSON string literal, escaping like serde_json (quote, backslash,
/// control characters; everything else verbatim).
func appendJSONString(_ text: String, to output: inout String) {
  output.append("\"")
  for scalar in text.unicodeScalars {
    switch scalar {
    case "\"": output.append("\\\"")
    case "\\": output.append("\\\\")
    case "\n": output.append("\\n")
    case "\r": output.append("\\r")
    case "\t": output.append("\\t")
    case "\u{08}": output.append("\\b")
    case "\u{0C}": output.append("\\f")
    default:
      if scalar.value < 0x20 {
        let hex = String(scalar.value, radix: 16)
        output.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
      } else {
        output.unicodeScalars.append(scalar)
      }
    }
  }
  output.append("\"")
}

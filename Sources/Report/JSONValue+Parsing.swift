import Foundation

/// Malformed JSON text: where it went wrong, what was expected and what was found.
public struct JSONParseError: Error, Equatable, CustomStringConvertible {
  /// The byte offset into the UTF-8 text.
  public let offset: Int
  /// What the parser expected there.
  public let expected: String
  /// What it found (a quoted character, `end of input`, or a description).
  public let found: String

  /// One human-readable line.
  public var description: String {
    "invalid JSON at byte \(offset): expected \(expected), found \(found)"
  }
}

extension JSONValue {
  /// Parses JSON text (RFC 8259).
  ///
  /// Numbers without a fraction or exponent that fit in `Int` become `.integer`, all others
  /// `.number`. Object keys keep their order; a repeated key is rejected. Nesting deeper than 512
  /// levels is rejected. Surrounding whitespace is allowed, anything else after the value is not.
  /// - Throws: `JSONParseError`.
  /// - Complexity: O(length of the text).
  public static func parse(_ text: String) throws -> JSONValue {
    try parse(Data(text.utf8))
  }

  /// Parses UTF-8 JSON bytes; see `parse(_:)` for the rules.
  ///
  /// - Throws: `JSONParseError`.
  public static func parse(_ data: Data) throws -> JSONValue {
    var parser = JSONParser(bytes: [UInt8](data))
    parser.skipWhitespace()
    let value = try parser.parseValue(depth: 0)
    parser.skipWhitespace()
    if parser.position < parser.bytes.count {
      throw parser.error(expected: "end of input")
    }
    return value
  }
}

/// A recursive-descent parser over UTF-8 bytes.
private struct JSONParser {
  let bytes: [UInt8]
  var position = 0
  static let maximumDepth = 512

  init(bytes: [UInt8]) { self.bytes = bytes }

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

  mutating func parseValue(depth: Int) throws -> JSONValue {
    guard depth < JSONParser.maximumDepth else {
      throw error(expected: "at most \(JSONParser.maximumDepth) levels of nesting")
    }
    guard position < bytes.count else { throw error(expected: "a value") }
    switch bytes[position] {
    case UInt8(ascii: "{"): return try parseObject(depth: depth)
    case UInt8(ascii: "["): return try parseArray(depth: depth)
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
      guard keys.insert(key).inserted else {
        throw JSONParseError(
          offset: keyOffset, expected: "a unique key", found: "repeated key \"\(key)\"")
      }
      skipWhitespace()
      guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else {
        throw error(expected: "':'")
      }
      position += 1
      skipWhitespace()
      members.append((key, try parseValue(depth: depth + 1)))
      skipWhitespace()
      guard position < bytes.count else { throw error(expected: "',' or '}'") }
      if bytes[position] == UInt8(ascii: ",") {
        position += 1
      } else if bytes[position] == UInt8(ascii: "}") {
        position += 1
        return .object(members)
      } else {
        throw error(expected: "',' or '}'")
      }
    }
  }

  mutating func parseArray(depth: Int) throws -> JSONValue {
    position += 1  // [
    var elements: [JSONValue] = []
    skipWhitespace()
    if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
      position += 1
      return .array(elements)
    }
    while true {
      skipWhitespace()
      elements.append(try parseValue(depth: depth + 1))
      skipWhitespace()
      guard position < bytes.count else { throw error(expected: "',' or ']'") }
      if bytes[position] == UInt8(ascii: ",") {
        position += 1
      } else if bytes[position] == UInt8(ascii: "]") {
        position += 1
        return .array(elements)
      } else {
        throw error(expected: "',' or ']'")
      }
    }
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

  mutating func parseString() throws -> String {
    position += 1  // opening quote
    var utf8: [UInt8] = []
    while true {
      guard position < bytes.count else { throw error(expected: "'\"'") }
      let byte = bytes[position]
      if byte == UInt8(ascii: "\"") {
        position += 1
        break
      }
      if byte < 0x20 { throw error(expected: "an escaped control character") }
      if byte != UInt8(ascii: "\\") {
        utf8.append(byte)
        position += 1
        continue
      }
      position += 1
      guard position < bytes.count else { throw error(expected: "an escape character") }
      let escape = bytes[position]
      position += 1
      switch escape {
      case UInt8(ascii: "\""): utf8.append(UInt8(ascii: "\""))
      case UInt8(ascii: "\\"): utf8.append(UInt8(ascii: "\\"))
      case UInt8(ascii: "/"): utf8.append(UInt8(ascii: "/"))
      case UInt8(ascii: "b"): utf8.append(0x08)
      case UInt8(ascii: "f"): utf8.append(0x0C)
      case UInt8(ascii: "n"): utf8.append(0x0A)
      case UInt8(ascii: "r"): utf8.append(0x0D)
      case UInt8(ascii: "t"): utf8.append(0x09)
      case UInt8(ascii: "u"):
        var code = try parseHex4()
        if (0xD800...0xDBFF).contains(code) {
          guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
            bytes[position + 1] == UInt8(ascii: "u")
          else { throw error(expected: "a low surrogate escape") }
          position += 2
          let low = try parseHex4()
          guard (0xDC00...0xDFFF).contains(low) else {
            throw error(expected: "a low surrogate escape")
          }
          code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00...0xDFFF).contains(code) {
          throw error(expected: "a high surrogate before a low surrogate")
        }
        guard let scalar = Unicode.Scalar(code) else { throw error(expected: "a Unicode scalar") }
        utf8.append(contentsOf: Array(String(Character(scalar)).utf8))
      default:
        position -= 1
        throw error(expected: "a valid escape character")
      }
    }
    guard let text = String(bytes: utf8, encoding: .utf8) else {
      throw JSONParseError(
        offset: position, expected: "valid UTF-8", found: "invalid UTF-8 in a string")
    }
    return text
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
    guard let value = Double(text) else {
      return JSONValue.number(text.hasPrefix("-") ? -.infinity : .infinity)
    }
    return .number(value)
  }
}

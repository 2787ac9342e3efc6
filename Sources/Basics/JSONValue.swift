import Foundation

/// A JSON document with object keys kept in the order they were given, so output is deterministic.
///
/// The project's one JSON implementation: reports, sidecars and model-file metadata are written
/// with `encoded(pretty:indent:)`, and safetensors headers and metadata are read with the strict,
/// bounded parser `parse(_:limits:)` (see JSONValue+Parsing.swift).
///
/// Integers and floating-point numbers are distinct cases: `integer(3)` encodes as `3`,
/// `number(3)` as `3.0` (Swift's shortest round-trip form, `Double.description`); non-finite
/// numbers encode as `null`. Dictionary literals keep their written order:
/// ```swift
/// let value: JSONValue = ["model": "resnet110", "blocks": [1, 2, 3], "error": .number(0.061)]
/// ```
public enum JSONValue: Equatable, Sendable, CustomStringConvertible {
  /// An object; keys appear in this order when encoded. Keys should be unique.
  case object([(key: String, value: JSONValue)])
  /// An array.
  case array([JSONValue])
  /// A string.
  case string(String)
  /// A floating-point number.
  case number(Double)
  /// An integer.
  case integer(Int)
  /// `true` or `false`.
  case bool(Bool)
  /// `null`.
  case null

  /// Structural equality; objects compare keys and values in order.
  public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
    switch (lhs, rhs) {
    case (.object(let a), .object(let b)):
      return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    case (.array(let a), .array(let b)): return a == b
    case (.string(let a), .string(let b)): return a == b
    case (.number(let a), .number(let b)): return a == b || (a.isNaN && b.isNaN)
    case (.integer(let a), .integer(let b)): return a == b
    case (.bool(let a), .bool(let b)): return a == b
    case (.null, .null): return true
    default: return false
    }
  }

  // MARK: Access

  /// The value for `key` in an object (the first one if repeated), or `nil`.
  public subscript(key: String) -> JSONValue? {
    guard case .object(let members) = self else { return nil }
    return members.first { $0.key == key }?.value
  }

  /// The element at `index` of an array, or `nil` when out of range or not an array.
  public subscript(index: Int) -> JSONValue? {
    guard case .array(let elements) = self, elements.indices.contains(index) else { return nil }
    return elements[index]
  }

  /// The string, if this is a string.
  public var stringValue: String? {
    if case .string(let value) = self { return value }
    return nil
  }

  /// The number as a `Double`, if this is a number or an integer.
  public var doubleValue: Double? {
    switch self {
    case .number(let value): return value
    case .integer(let value): return Double(value)
    default: return nil
    }
  }

  /// The integer, if this is an integer or a number with an exact integer value.
  public var intValue: Int? {
    switch self {
    case .integer(let value): return value
    case .number(let value): return Int(exactly: value)
    default: return nil
    }
  }

  /// A short name of the value's kind for error messages: `object`, `array`, `string`,
  /// `number 2.5`, `integer 3`, `true`, `false` or `null`.
  public var kindName: String {
    switch self {
    case .object: return "object"
    case .array: return "array"
    case .string: return "string"
    case .number(let value): return "number \(value)"
    case .integer(let value): return "integer \(value)"
    case .bool(let flag): return flag ? "true" : "false"
    case .null: return "null"
    }
  }

  /// The Boolean, if this is `true` or `false`.
  public var boolValue: Bool? {
    if case .bool(let value) = self { return value }
    return nil
  }

  /// The elements, if this is an array.
  public var arrayValue: [JSONValue]? {
    if case .array(let value) = self { return value }
    return nil
  }

  /// The members in order, if this is an object.
  public var objectValue: [(key: String, value: JSONValue)]? {
    if case .object(let value) = self { return value }
    return nil
  }

  // MARK: Encoding

  /// The compact encoding (no whitespace).
  public var description: String { encoded(pretty: false) }

  /// Encodes the value as JSON text.
  ///
  /// Pretty output indents nested objects and arrays by `indent` spaces, writes `"key": value`,
  /// and keeps arrays whose elements are all scalars on one line (`[1, 2, 3]`) so per-length or
  /// per-block series stay readable. Empty containers are `{}` and `[]`. No trailing newline.
  /// - Complexity: O(size of the output).
  public func encoded(pretty: Bool = true, indent: Int = 2) -> String {
    var output = ""
    write(to: &output, pretty: pretty, indent: indent, level: 0)
    return output
  }

  /// The pretty encoding followed by a newline, as UTF-8, ready for a file.
  public func fileData() -> Data {
    Data((encoded(pretty: true) + "\n").utf8)
  }

  private var isScalar: Bool {
    switch self {
    case .object, .array: return false
    default: return true
    }
  }

  private func write(to output: inout String, pretty: Bool, indent: Int, level: Int) {
    switch self {
    case .null: output += "null"
    case .bool(let value): output += value ? "true" : "false"
    case .integer(let value): output += String(value)
    case .number(let value): output += value.isFinite ? value.description : "null"
    case .string(let value): JSONValue.writeString(value, to: &output)
    case .array(let elements):
      JSONValue.writeContainer(
        elements, open: "[", close: "]", multiline: pretty && !elements.allSatisfy(\.isScalar),
        separator: pretty ? ", " : ",", indent: indent, level: level, to: &output
      ) { element, output in
        element.write(to: &output, pretty: pretty, indent: indent, level: level + 1)
      }
    case .object(let members):
      JSONValue.writeContainer(
        members, open: "{", close: "}", multiline: pretty, separator: ",", indent: indent, level: level, to: &output
      ) { member, output in
        JSONValue.writeString(member.key, to: &output)
        output += pretty ? ": " : ":"
        member.value.write(to: &output, pretty: pretty, indent: indent, level: level + 1)
      }
    }
  }

  /// Appends `items` between `open` and `close`: on one line joined by `separator`, or (when
  /// `multiline`) one item per line indented one level deeper than `level`; empty as `[]`/`{}`.
  private static func writeContainer<Item>(
    _ items: [Item], open: String, close: String, multiline: Bool, separator: String, indent: Int, level: Int,
    to output: inout String, item writeItem: (Item, inout String) -> Void
  ) {
    if items.isEmpty {
      output += open + close
    } else if !multiline {
      output += open
      for (index, item) in items.enumerated() {
        if index > 0 { output += separator }
        writeItem(item, &output)
      }
      output += close
    } else {
      let inner = String(repeating: " ", count: indent * (level + 1))
      output += open + "\n"
      for (index, item) in items.enumerated() {
        output += inner
        writeItem(item, &output)
        output += index + 1 < items.count ? ",\n" : "\n"
      }
      output += String(repeating: " ", count: indent * level) + close
    }
  }

  /// Appends `text` as a JSON string literal, escaping only what RFC 8259 requires, as
  /// serde_json (the safetensors reference writer) does: `"` and `\` escaped, control characters
  /// below U+0020 as `\b \f \n \r \t` or `\u00xx`; everything else written as UTF-8.
  static func writeString(_ text: String, to output: inout String) {
    output += "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": output += "\\\""
      case "\\": output += "\\\\"
      case "\n": output += "\\n"
      case "\r": output += "\\r"
      case "\t": output += "\\t"
      case "\u{08}": output += "\\b"
      case "\u{0C}": output += "\\f"
      default:
        if scalar.value < 0x20 {
          output += "\\u00" + Hex.bytes([UInt8(scalar.value)])
        } else {
          output.unicodeScalars.append(scalar)
        }
      }
    }
    output += "\""
  }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
  ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral, ExpressibleByNilLiteral,
  ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
  /// A string literal.
  public init(stringLiteral value: String) { self = .string(value) }
  /// An integer literal.
  public init(integerLiteral value: Int) { self = .integer(value) }
  /// A floating-point literal.
  public init(floatLiteral value: Double) { self = .number(value) }
  /// `true` or `false`.
  public init(booleanLiteral value: Bool) { self = .bool(value) }
  /// `nil` as `null`.
  public init(nilLiteral: ()) { self = .null }
  /// An array literal.
  public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
  /// A dictionary literal; the written order of keys is kept.
  public init(dictionaryLiteral elements: (String, JSONValue)...) {
    self = .object(elements.map { (key: $0.0, value: $0.1) })
  }
}

extension JSONValue {
  /// An array of numbers.
  public static func numbers(_ values: [Double]) -> JSONValue { .array(values.map { .number($0) }) }
  /// An array of integers.
  public static func integers(_ values: [Int]) -> JSONValue { .array(values.map { .integer($0) }) }
}

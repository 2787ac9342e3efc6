import Foundation

/// JSON text for the string-valued `__metadata__` entries of model files.
///
/// Output is deterministic (sorted keys, no escaped slashes); floats are written in Swift's
/// shortest round-trip form and read back with `Float(String)`, so values survive exactly.
enum MetadataJSON {
  /// `[0.485,0.456,0.406]`.
  static func floats(_ values: [Float]) -> String {
    "[" + values.map { "\($0)" }.joined(separator: ",") + "]"
  }

  /// A JSON array of strings.
  static func strings(_ values: [String]) -> String {
    "[" + values.map(quoted).joined(separator: ",") + "]"
  }

  /// A JSON object of strings with sorted keys.
  static func object(_ values: [String: String]) -> String {
    "{"
      + values.keys.sorted().map { quoted($0) + ":" + quoted(values[$0] ?? "") }
      .joined(separator: ",") + "}"
  }

  /// A JSON string literal.
  static func quoted(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": result += "\\\""
      case "\\": result += "\\\\"
      case "\n": result += "\\n"
      case "\r": result += "\\r"
      case "\t": result += "\\t"
      default:
        if scalar.value < 0x20 {
          let hex = String(scalar.value, radix: 16)
          result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        } else {
          result.unicodeScalars.append(scalar)
        }
      }
    }
    return result + "\""
  }

  /// Parses `[a, b, …]` of numbers; nil if the text is not such an array.
  static func parseFloats(_ text: String) -> [Float]? {
    let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
    guard trimmed.hasPrefix("["), trimmed.hasSuffix("]") else { return nil }
    let body = trimmed.dropFirst().dropLast().trimmingCharacters(in: .whitespacesAndNewlines)
    if body.isEmpty { return [] }
    var values: [Float] = []
    for item in body.split(separator: ",", omittingEmptySubsequences: false) {
      guard let value = Float(item.trimmingCharacters(in: .whitespacesAndNewlines)), value.isFinite
      else { return nil }
      values.append(value)
    }
    return values
  }

  /// Parses a JSON array of strings; nil otherwise.
  static func parseStrings(_ text: String) -> [String]? {
    guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: []),
      let array = object as? [Any]
    else { return nil }
    var result: [String] = []
    for element in array {
      guard let string = element as? String else { return nil }
      result.append(string)
    }
    return result
  }

  /// Parses a JSON object; non-string values are kept as their compact JSON text. Nil if the
  /// text is not an object.
  static func parseObject(_ text: String) -> [String: String]? {
    guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: []),
      let dictionary = object as? [String: Any]
    else { return nil }
    var result: [String: String] = [:]
    for (key, value) in dictionary {
      if let string = value as? String {
        result[key] = string
      } else if JSONSerialization.isValidJSONObject([value]),
        let data = try? JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys]),
        let wrapped = String(data: data, encoding: .utf8)
      {
        result[key] = String(wrapped.dropFirst().dropLast())
      } else {
        result[key] = "\(value)"
      }
    }
    return result
  }
}

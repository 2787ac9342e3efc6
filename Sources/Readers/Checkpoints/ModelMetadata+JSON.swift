import Basics

/// The JSON texts stored in a model file's string-valued `__metadata__` entries, written and
/// read through the one `JSONValue`.
///
/// Floats are written as the `Double` nearest to the `Float`'s shortest decimal (`0.485`, not
/// `0.48500001430511475`), so the text is Swift's shortest form of the `Float`, and read back
/// with `Float(_:)`. Objects have sorted keys, so output is deterministic.
extension JSONValue {
  /// `[0.485,0.456,0.406]` for `[0.485, 0.456, 0.406]`.
  static func metadataFloats(_ values: [Float]) -> String {
    JSONValue.array(values.map { .number(Double($0.description) ?? Double($0)) }).description
  }

  /// A JSON array of strings.
  static func metadataStrings(_ values: [String]) -> String {
    JSONValue.array(values.map { .string($0) }).description
  }

  /// A JSON object of strings with sorted keys.
  static func metadataObject(_ values: [String: String]) -> String {
    JSONValue.object(values.keys.sorted().map { (key: $0, value: .string(values[$0] ?? "")) })
      .description
  }

  /// The finite numbers of a JSON array text, as Floats; nil if the text is anything else.
  static func metadataFloats(parsing text: String) -> [Float]? {
    guard let elements = (try? JSONValue.parse(text))?.arrayValue else { return nil }
    var values: [Float] = []
    for element in elements {
      guard let number = element.doubleValue, number.isFinite, Float(number).isFinite else {
        return nil
      }
      values.append(Float(number))
    }
    return values
  }

  /// The strings of a JSON array text; nil if the text is anything else.
  static func metadataStrings(parsing text: String) -> [String]? {
    guard let elements = (try? JSONValue.parse(text))?.arrayValue else { return nil }
    var values: [String] = []
    for element in elements {
      guard let string = element.stringValue else { return nil }
      values.append(string)
    }
    return values
  }

  /// The members of a JSON object text; values that are not strings are kept as their compact
  /// JSON text. Nil if the text is not an object.
  static func metadataObject(parsing text: String) -> [String: String]? {
    guard let members = (try? JSONValue.parse(text))?.objectValue else { return nil }
    var result: [String: String] = [:]
    for member in members {
      result[member.key] = member.value.stringValue ?? member.value.description
    }
    return result
  }
}

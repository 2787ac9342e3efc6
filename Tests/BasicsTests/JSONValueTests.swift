import Basics
import Foundation
import XCTest

/// The one JSON value: writer snapshots, round trips, and every error of the strict parser.
final class JSONValueTests: XCTestCase {
  func testPrettyEncodingSnapshotKeepsKeyOrder() {
    let value: JSONValue = [
      "model": "resnet110",
      "blocks": [5, 9],
      "error": 0.0625,
      "interval": ["low": 0.058, "high": .number(.nan)],
      "runs": [["seed": 1], ["seed": 2]],
      "empty": [:],
      "none": [],
      "ok": true,
      "note": nil,
    ]
    XCTAssertEqual(
      value.encoded(),
      """
      {
        "model": "resnet110",
        "blocks": [5, 9],
        "error": 0.0625,
        "interval": {
          "low": 0.058,
          "high": null
        },
        "runs": [
          {
            "seed": 1
          },
          {
            "seed": 2
          }
        ],
        "empty": {},
        "none": [],
        "ok": true,
        "note": null
      }
      """)
    XCTAssertEqual(
      value.encoded(pretty: false),
      #"{"model":"resnet110","blocks":[5,9],"error":0.0625,"interval":{"low":0.058,"high":null},"runs":[{"seed":1},{"seed":2}],"empty":{},"none":[],"ok":true,"note":null}"#
    )
  }

  func testStringEscaping() {
    // Only what RFC 8259 requires is escaped (as serde_json, the safetensors writer, does).
    let text =
      "quote \" backslash \\ newline \n tab \t bell \u{07} bs \u{08} ff \u{0C} cr \r del \u{7F} é 😀 \u{2028} </script>"
    let encoded = JSONValue.string(text).encoded()
    XCTAssertEqual(
      encoded,
      #""quote \" backslash \\ newline \n tab \t bell \u0007 bs \b ff \f cr \r del \#u{7F} é 😀 \#u{2028} </script>""#)
    XCTAssertEqual(try JSONValue.parse(encoded), .string(text))
    // Foundation agrees on the decoded value.
    let decoded = try? JSONSerialization.jsonObject(with: Data("[\(encoded)]".utf8)) as? [String]
    XCTAssertEqual(decoded, [text])
  }

  func testRoundTrip() throws {
    let value: JSONValue = [
      "integers": .integers([0, -1, Int.max, Int.min]),
      "numbers": .numbers([0.1, -2.5e-8, 1e300, 3]),
      "nested": [[[]], ["a": ["b": ["c": "d"]]]],
      "unicode": "naïve ∑ 日本",
      "flags": [true, false, nil],
    ]
    XCTAssertEqual(try JSONValue.parse(value.encoded()), value)
    XCTAssertEqual(try JSONValue.parse(value.encoded(pretty: false)), value)
    XCTAssertEqual(try JSONValue.parse(Data(value.fileData())), value)
  }

  func testParsingDetails() throws {
    XCTAssertEqual(
      try JSONValue.parse(" \n\t[1, 1.0, -0, 2e3, 1E-2]\r\n "),
      [.integer(1), .number(1), .integer(0), .number(2000), .number(0.01)])
    XCTAssertEqual(try JSONValue.parse(#""\ud83d\ude00 \u00e9 \/""#), .string("😀 é /"))
    let object = try JSONValue.parse(#"{"b": 1, "a": {"c": [true]}}"#)
    XCTAssertEqual(object.objectValue?.map(\.key), ["b", "a"])
    XCTAssertEqual(object["a"]?["c"]?[0]?.boolValue, true)
    XCTAssertEqual(object["b"]?.intValue, 1)
    XCTAssertEqual(object["b"]?.doubleValue, 1)
    XCTAssertNil(object["missing"])
    XCTAssertEqual(
      try JSONValue.parse("123456789012345678901234567890"), .number(1.2345678901234568e29))
  }

  func testParseErrors() {
    let cases: [(String, Int, String)] = [
      ("", 0, "a value"),
      ("[1, 2,]", 6, "a value"),
      (#"{"a": 1,}"#, 8, "a string key"),
      (#"{"a" 1}"#, 5, "':'"),
      ("[1 2]", 3, "',' or ']'"),
      ("tru", 3, "'true'"),
      (#""abc"#, 4, "'\"'"),
      (#""\x""#, 2, "a valid escape character"),
      (#""\ud800""#, 7, "a low surrogate escape"),
      ("01", 1, "end of input"),
      ("-", 1, "a digit"),
      ("1.", 2, "a digit after '.'"),
      ("{} x", 3, "end of input"),
      (#"{"k": 1, "k": 2}"#, 9, "a unique key"),
    ]
    for (text, offset, expected) in cases {
      XCTAssertThrowsError(try JSONValue.parse(text), text) { error in
        guard let error = error as? JSONParseError else { return XCTFail("\(error)") }
        XCTAssertEqual(error.offset, offset, text)
        XCTAssertEqual(error.expected, expected, text)
      }
    }
    XCTAssertThrowsError(try JSONValue.parse("[1 2]")) { error in
      XCTAssertEqual("\(error)", "invalid JSON at byte 3: expected ',' or ']', found '2'")
    }
    XCTAssertThrowsError(try JSONValue.parse(String(repeating: "[", count: 600)))
  }

  func testStrictnessErrors() {
    func check(
      _ bytes: [UInt8], limits: JSONValue.ParseLimits = .init(), offset: Int, expected: String,
      file: StaticString = #filePath, line: UInt = #line
    ) {
      XCTAssertThrowsError(try JSONValue.parse(bytes, limits: limits), file: file, line: line) {
        guard let error = $0 as? JSONParseError else {
          return XCTFail("\($0)", file: file, line: line)
        }
        XCTAssertEqual(error.offset, offset, file: file, line: line)
        XCTAssertEqual(error.expected, expected, file: file, line: line)
      }
    }
    // Control characters must be escaped; strings must be valid UTF-8.
    check(Array("[\"a\u{01}\"]".utf8), offset: 3, expected: "an escaped control character")
    check([0x5B, 0x22, 0x61, 0xC3, 0x28, 0x22, 0x5D], offset: 2, expected: "valid UTF-8 in a string")
    check([0x22, 0xFF, 0x22], offset: 1, expected: "valid UTF-8 in a string")
    check([0xEF, 0xBB, 0xBF, 0x31], offset: 0, expected: "a value")  // no byte-order mark
    // Surrogates only in pairs.
    check(Array(#""\udc00""#.utf8), offset: 1, expected: "a high surrogate before a low surrogate")
    check(Array(#""\ud800\u0041""#.utf8), offset: 7, expected: "a low surrogate escape")
    check(Array(#""\u12G4""#.utf8), offset: 5, expected: "a hexadecimal digit")
    // Numbers: the JSON grammar, and nothing that overflows Double.
    check(Array("1e999".utf8), offset: 0, expected: "a number within the range of Double")
    check(Array("-1e400".utf8), offset: 0, expected: "a number within the range of Double")
    check(Array("+1".utf8), offset: 0, expected: "a value")
    check(Array(".5".utf8), offset: 0, expected: "a value")
    check(Array("1e".utf8), offset: 2, expected: "a digit in the exponent")
    check(Array("-a".utf8), offset: 1, expected: "a digit")
    check(Array("NaN".utf8), offset: 0, expected: "a value")
    check(Array("[1,]".utf8), offset: 3, expected: "a value")
    check(Array("nul".utf8), offset: 3, expected: "'null'")
    check(Array("[1".utf8), offset: 2, expected: "',' or ']'")
    check(Array(#"{"a":1"#.utf8), offset: 6, expected: "',' or '}'")
    check(Array(#"{"a":1 "b":2}"#.utf8), offset: 7, expected: "',' or '}'")
    check(Array("1 2".utf8), offset: 2, expected: "end of input")
    check(Array("\u{0B}1".utf8), offset: 0, expected: "a value")  // vertical tab is not whitespace
    // Bounds: depth and size.
    let limits = JSONValue.ParseLimits(maximumDepth: 3, maximumBytes: 20)
    XCTAssertEqual(try JSONValue.parse(Array("[[[1]]]".utf8), limits: limits), [[[1]]])
    check(Array("[[[[1]]]]".utf8), limits: limits, offset: 3, expected: "at most 3 levels of nesting")
    check(Array(#"{"a":{"b":{"c":{}}}}"#.utf8), limits: limits, offset: 15, expected: "at most 3 levels of nesting")
    check(Array(repeating: 0x20, count: 21), limits: limits, offset: 0, expected: "at most 20 bytes")
    XCTAssertEqual(try JSONValue.parse(String(repeating: "[", count: 64) + String(repeating: "]", count: 64)).arrayValue?.count, 1)
    check(Array((String(repeating: "[", count: 65) + String(repeating: "]", count: 65)).utf8), offset: 64, expected: "at most 64 levels of nesting")
    // A repeated key names the key, even when spelled with escapes.
    XCTAssertThrowsError(try JSONValue.parse(#"{"tensor": 1, "ten\u0073or": 2}"#)) {
      XCTAssertEqual(($0 as? JSONParseError)?.duplicateKey, "tensor")
      XCTAssertEqual(($0 as? JSONParseError)?.offset, 14)
    }
    XCTAssertEqual(try JSONValue.parse(#"{"a": {"k": 1}, "b": {"k": 2}}"#)["b"]?["k"], 2)
  }

  func testIntegersAndNumbersStayDistinct() throws {
    XCTAssertEqual(try JSONValue.parse("9223372036854775807"), .integer(Int.max))
    XCTAssertEqual(try JSONValue.parse("-9223372036854775808"), .integer(Int.min))
    XCTAssertEqual(try JSONValue.parse("9223372036854775808"), .number(9223372036854775808))
    XCTAssertEqual(try JSONValue.parse("-0.0"), .number(-0.0))
    XCTAssertEqual(JSONValue.number(3).description, "3.0")
    XCTAssertEqual(JSONValue.integer(3).description, "3")
    XCTAssertEqual(JSONValue.number(1e-7).description, "1e-07")
    XCTAssertEqual(JSONValue.number(-.infinity).description, "null")
    XCTAssertEqual(JSONValue.integer(3).kindName, "integer 3")
    XCTAssertEqual(JSONValue.number(2.5).kindName, "number 2.5")
    // Every finite double survives a round trip exactly.
    var generator = SplitMix64(seed: 4)
    for _ in 0..<2_000 {
      let value = Double(bitPattern: generator.next())
      guard value.isFinite else { continue }
      XCTAssertEqual(try JSONValue.parse(JSONValue.number(value).description), .number(value))
    }
  }
}

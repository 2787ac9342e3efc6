import Foundation
import XCTest

@testable import Report

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
    let text = "quote \" backslash \\ newline \n tab \t bell \u{07} del \u{7F} é 😀 </script>"
    let encoded = JSONValue.string(text).encoded()
    XCTAssertEqual(
      encoded,
      #""quote \" backslash \\ newline \n tab \t bell \u0007 del \u007f é 😀 </script>""#)
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
}

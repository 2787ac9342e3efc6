import Basics
import Report
import XCTest

/// One schema, three renderings: the text table, CSV and JSON of a `ResultTable` agree.
final class ResultTableTests: XCTestCase {
  func sample() -> ResultTable {
    var table = ResultTable(columns: [
      .init("deleted_blocks", .text), .init("images", .integer), .init("error_fraction", .fraction),
      .init("mcnemar_p", .significant(3)), .init("mean_loss_nats", .fixed(4)),
    ])
    table.addRow([.integers([5, 9]), .integer(1000), .number(0.021), .number(0.000012345), .number(0.08)])
    table.addRow([.integers([]), .integer(1000), .number(0.02), .number(1), .missing])
    table.notes = ["method note"]
    table.metadata = [("seed", .integer(0))]
    return table
  }

  func testTextCSVAndJSONShareTheSchema() {
    let table = sample()
    XCTAssertEqual(
      table.renderedText(),
      """
      deleted_blocks  images  error_fraction  mcnemar_p  mean_loss_nats
      --------------  ------  --------------  ---------  --------------
      5 9               1000          0.0210   1.23e-05          0.0800
                        1000          0.0200       1.00
      method note

      """)
    XCTAssertEqual(
      table.csv().rendered(),
      """
      deleted_blocks,images,error_fraction,mcnemar_p,mean_loss_nats
      5 9,1000,0.021000,1.2345e-05,0.0800
      ,1000,0.020000,1.0,

      """)
    XCTAssertEqual(
      table.json().encoded(pretty: false),
      #"{"seed":0,"rows":[{"deleted_blocks":[5,9],"images":1000,"error_fraction":0.021,"mcnemar_p":1.2345e-05,"mean_loss_nats":0.08},{"deleted_blocks":[],"images":1000,"error_fraction":0.02,"mcnemar_p":1.0,"mean_loss_nats":null}],"notes":["method note"]}"#)
  }

  func testPrefixedAndStackedTablesKeepOneHeader() {
    let network = ResultTable.Column("network", .text)
    var stacked = sample().prefixed(network, value: .text("residual"))
    stacked.append(rowsOf: sample().prefixed(network, value: .text("plain")))
    let lines = stacked.csv().rendered().split(separator: "\n")
    XCTAssertEqual(lines.count, 5)
    XCTAssertEqual(lines[0], "network,deleted_blocks,images,error_fraction,mcnemar_p,mean_loss_nats")
    XCTAssertTrue(lines[3].hasPrefix("plain,5 9,"))
  }

  func testSignificantDigits() {
    XCTAssertEqual(NumberFormat.significant(0.02, digits: 4), "0.02000")
    XCTAssertEqual(NumberFormat.significant(0.10807, digits: 4), "0.1081")
    XCTAssertEqual(NumberFormat.significant(9.99996, digits: 4), "10.00")
    XCTAssertEqual(NumberFormat.significant(123.45, digits: 3), "123")
    XCTAssertEqual(NumberFormat.significant(0.00001234, digits: 3), "1.23e-05")
    XCTAssertEqual(NumberFormat.significant(0, digits: 3), "0")
    XCTAssertEqual(NumberFormat.significant(-0.5, digits: 2), "-0.50")
    XCTAssertEqual(NumberFormat.significant(.nan, digits: 2), "nan")
  }
}

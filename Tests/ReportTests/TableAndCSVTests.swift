import Basics
import Foundation
import XCTest

@testable import Report

final class TableAndCSVTests: XCTestCase {
  func testTextTableAlignmentSnapshot() {
    var table = TextTable(columns: [.number("block"), .text("kind"), .number("error")])
    table.addRow(["1", "downsampling", "0.2012"])
    table.addRow(["28", "basic", "0.0650"])
    table.addRow(["54", "basic"])  // missing cell
    table.footer = ["full model: 0.0610 ± 0.0047"]
    XCTAssertEqual(
      table.rendered(),
      """
      block  kind           error
      -----  ------------  ------
          1  downsampling  0.2012
         28  basic         0.0650
         54  basic
      full model: 0.0610 ± 0.0047

      """)
  }

  func testTextTableCountsCharactersNotBytes() {
    var table = TextTable(columns: [.text("name"), .number("Δ")])
    table.addRow(["σ²", "−1", "dropped extra cell"])
    XCTAssertEqual(table.rendered(), "name   Δ\n----  --\nσ²    −1\n")
  }

  func testNumberFormats() {
    XCTAssertEqual(NumberFormat.fixed(0.06104, decimals: 4), "0.0610")
    XCTAssertEqual(NumberFormat.fixed(2.5, decimals: 0), "2")  // ties to even on the binary value
    XCTAssertEqual(NumberFormat.fixed(-0.00001, decimals: 3), "0.000")
    XCTAssertEqual(NumberFormat.fixed(-0.0015, decimals: 2), "0.00")
    XCTAssertEqual(NumberFormat.fixed(-1.25, decimals: 1), "-1.2")
    XCTAssertEqual(NumberFormat.fixed(1234567.891, decimals: 2), "1234567.89")
    XCTAssertEqual(NumberFormat.shortest(0.1), "0.1")
    XCTAssertEqual(NumberFormat.shortest(1), "1.0")
    XCTAssertEqual(NumberFormat.shortest(0.00001), "1e-05")
    XCTAssertEqual(NumberFormat.shortest(2.5e16), "2.5e+16")
    XCTAssertEqual(NumberFormat.shortest(.nan), "nan")
    XCTAssertEqual(NumberFormat.fixed(-.infinity, decimals: 2), "-inf")
    XCTAssertEqual(NumberFormat.percent(0.0610), "6.10%")
    XCTAssertEqual(NumberFormat.fixed(decimals: 3).string(1.0 / 3), "0.333")
    // Shortest really round-trips.
    for value in [0.1 + 0.2, 1.0 / 3, 6.02214076e23, Double.leastNonzeroMagnitude, -123.456] {
      XCTAssertEqual(Double(NumberFormat.shortest(value)), value)
    }
  }

  func testCSVQuoting() {
    XCTAssertEqual(CSVWriter.escape("plain"), "plain")
    XCTAssertEqual(CSVWriter.escape(" spaced "), " spaced ")
    XCTAssertEqual(CSVWriter.escape("a,b"), "\"a,b\"")
    XCTAssertEqual(CSVWriter.escape("say \"hi\""), "\"say \"\"hi\"\"\"")
    XCTAssertEqual(CSVWriter.escape("two\nlines"), "\"two\nlines\"")
    XCTAssertEqual(CSVWriter.escape("cr\r"), "\"cr\r\"")
    XCTAssertEqual(CSVWriter.escape(""), "")
    XCTAssertEqual(CSVWriter.line(["a", "b,c", ""]), "a,\"b,c\",\n")
  }

  func testCSVTableSnapshot() {
    var table = CSVTable(header: ["blocks", "error", "note"])
    table.addRow(["5,9", .number(0.0625, .fixed(decimals: 4)), "ok"])
    table.addRow([.integer(12), .number(1e-5), .missing])
    table.addRow([.text("x")])
    XCTAssertEqual(
      table.rendered(),
      "blocks,error,note\n\"5,9\",0.0625,ok\n12,1e-05,\nx,,\n")
  }

  func testAtomicWriteCreatesFolderAndLeavesNoTemporaryFile() throws {
    let folder = FileManager.default.temporaryDirectory
      .appendingPathComponent("report-atomic-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    defer { try? FileManager.default.removeItem(at: folder) }
    let file = folder.appendingPathComponent("nested/deeper/result.csv")
    try AtomicFile.write("first\n", to: file)
    XCTAssertEqual(try String(contentsOf: file, encoding: .utf8), "first\n")
    try AtomicFile.write([0x61, 0x62], to: file)  // replaces
    XCTAssertEqual(try Data(contentsOf: file), Data([0x61, 0x62]))
    let listing = try FileManager.default.contentsOfDirectory(
      atPath: folder.appendingPathComponent("nested/deeper").path)
    XCTAssertEqual(listing, ["result.csv"])
    // A destination that is a folder cannot be replaced: error, and no temporary file remains.
    let blocker = folder.appendingPathComponent("nested/deeper/occupied")
    try FileManager.default.createDirectory(
      at: blocker.appendingPathComponent("child"), withIntermediateDirectories: true)
    XCTAssertThrowsError(try AtomicFile.write("x", to: blocker)) { error in
      guard case .cannotRename = error as? AtomicFileError else {
        return XCTFail("unexpected error \(error)")
      }
      XCTAssertTrue("\(error)".hasPrefix("cannot rename "))
    }
    let after = try FileManager.default.contentsOfDirectory(
      atPath: folder.appendingPathComponent("nested/deeper").path
    ).sorted()
    XCTAssertEqual(after, ["occupied", "result.csv"])
  }

  func testProgressReporterLinesModeAndThreadSafety() {
    var time = 0.0
    let lock = NSLock()
    var written: [String] = []
    let reporter = ProgressReporter(
      total: 4, unit: "configurations", mode: .lines, interval: 10,
      output: { text in
        lock.lock()
        written.append(text)
        lock.unlock()
      }, clock: { time })
    time = 5
    reporter.advance(images: 500)
    XCTAssertTrue(written.isEmpty)  // less than `interval` seconds since the start
    time = 12
    reporter.advance(images: 700)
    XCTAssertEqual(
      written, ["progress: 2/4 configurations (50%), 1200 images, 100 images/s, ETA 12s\n"])
    time = 20
    reporter.advance(by: 2)
    reporter.finish()
    XCTAssertEqual(
      written.last, "progress: 4/4 configurations (100%), 1200 images, 60 images/s, in 20s\n")
    reporter.advance()  // ignored after finish
    XCTAssertEqual(written.count, 2)

    // Concurrent advances all count.
    let quiet = ProgressReporter(
      total: 1000, unit: "images", mode: .quiet, interval: 1, output: { _ in XCTFail("quiet") },
      clock: { 0 })
    DispatchQueue.concurrentPerform(iterations: 1000) { _ in quiet.advance() }
    XCTAssertTrue(quiet.barLine(now: 1).contains("1000/1000 images"))
  }

  func testProgressBarLine() {
    let reporter = ProgressReporter(
      total: 10, unit: "configurations", mode: .bar, interval: 1, output: { _ in }, clock: { 0 })
    reporter.advance(by: 5)
    XCTAssertEqual(
      reporter.barLine(now: 50),
      "[██████████░░░░░░░░░░] 5/10 configurations  0.1 configurations/s  ETA 50s   ")
    XCTAssertEqual(ProgressReporter.duration(125), "2m05s")
    XCTAssertEqual(ProgressReporter.duration(3 * 3600 + 7 * 60 + 20), "3h07m")
    XCTAssertEqual(ProgressReporter.duration(.nan), "?")
  }
}

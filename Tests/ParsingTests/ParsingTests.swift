import Foundation
import XCTest

@testable import LesionCLI

/// The argument parser: parse cases, help snapshots, and every error.
final class ParsingTests: XCTestCase {
  enum Format: String, CaseIterable { case csv, json, table }

  let drop = CommandSpec(
    name: "drop", abstract: "Delete residual blocks and measure the error.",
    discussion: "Deletes the residual branch of each listed block, keeping its skip connection.",
    options: [
      .option(
        "blocks", value: "<list>", help: "Blocks to delete, e.g. 5,9 or 10-18.", required: true),
      .option(
        "model", short: "m", value: "<path>", help: "The checkpoint.",
        defaultDescription: "bundled resnet110"),
      .option("batch-size", value: "<n>", help: "Images per batch.", default: "128"),
      .option(
        "format", value: "<format>", help: "Output format: csv, json or table.", default: "table"),
      .option("seed", value: "<n>", help: "Random seed.", repeatable: true),
      .option("offset", value: "<x>", help: "An offset."),
      .flag("quiet", short: "q", help: "Print only the result."),
    ])

  let paths = CommandSpec(
    name: "paths", abstract: "Path-length analysis.",
    subcommands: [
      CommandSpec(
        name: "histogram", abstract: "Print the distribution of path lengths.",
        options: [.option("blocks", value: "<n>", help: "Number of blocks.", default: "54")],
        arguments: [ArgumentSpec("output", help: "Where to write the SVG.", optional: true)]),
      CommandSpec(name: "effective", abstract: "Find the effective paths."),
    ])

  var program: CommandLineProgram {
    CommandLineProgram(
      name: "resnet-lesion", version: "resnet-lesion 0.1.0",
      abstract: "Lesion studies of residual networks.", commands: [drop, paths])
  }

  private func error(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line)
    -> CommandLineError?
  {
    do {
      _ = try program.parse(arguments)
      XCTFail("expected an error for \(arguments)", file: file, line: line)
    } catch let error as CommandLineError {
      return error
    } catch {
      XCTFail("unexpected \(error)", file: file, line: line)
    }
    return nil
  }

  // MARK: Parsing

  func testOptionForms() throws {
    let parsed = try program.parse([
      "drop", "--blocks", "1,3-5", "-m", "model.pt", "--batch-size=64", "--seed", "1", "--seed=2",
      "-q", "--offset", "-3",
    ])
    XCTAssertEqual(parsed.commandPath, ["resnet-lesion", "drop"])
    XCTAssertEqual(parsed.commandName, "drop")
    XCTAssertEqual(try parsed.blockList("blocks")?.blocks, [1, 3, 4, 5])
    XCTAssertEqual(try parsed.string("model"), "model.pt")
    XCTAssertEqual(try parsed.int("batch-size", in: 1...4096), 64)
    XCTAssertEqual(try parsed.strings("seed"), ["1", "2"])
    XCTAssertEqual(try parsed.double("offset"), -3)
    XCTAssertTrue(try parsed.flag("quiet"))
    XCTAssertEqual(try parsed.choice("format", as: Format.self), .table)  // default
    XCTAssertFalse(try parsed.wasGiven("format"))
    XCTAssertTrue(try parsed.wasGiven("model"))
    XCTAssertEqual(try parsed.path("model")?.lastPathComponent, "model.pt")

    let short = try program.parse(["drop", "--blocks=7", "-mother.pt"])
    XCTAssertEqual(try short.string("model"), "other.pt")
    // A description-only default yields no value.
    XCTAssertNil(try program.parse(["drop", "--blocks", "2"]).string("model"))
    XCTAssertEqual(try program.parse(["drop", "--blocks", "2"]).strings("seed"), [])
    XCTAssertFalse(try program.parse(["drop", "--blocks", "2"]).flag("quiet"))
  }

  func testSubcommandsAndPositionalArguments() throws {
    let parsed = try program.parse(["paths", "histogram", "out.svg", "--blocks", "110"])
    XCTAssertEqual(parsed.commandPath, ["resnet-lesion", "paths", "histogram"])
    XCTAssertEqual(parsed.argument("output"), "out.svg")
    XCTAssertEqual(try parsed.int("blocks"), 110)
    let noOutput = try program.parse(["paths", "histogram"])
    XCTAssertNil(noOutput.argument("output"))
    XCTAssertEqual(try noOutput.int("blocks"), 54)
    // "--" ends options: a file literally named "--blocks".
    let dashed = try program.parse(["paths", "histogram", "--", "--blocks"])
    XCTAssertEqual(dashed.argument("output"), "--blocks")
  }

  func testTypedAccessorErrors() throws {
    let parsed = try program.parse([
      "drop", "--blocks", "1", "--batch-size", "0", "--format", "xml", "--offset", "abc",
    ])
    XCTAssertThrowsError(try parsed.int("batch-size", in: 1...4096)) { error in
      XCTAssertEqual(
        "\(error)", "invalid value '0' for '--batch-size': expected an integer in 1…4096")
    }
    XCTAssertThrowsError(try parsed.choice("format", as: Format.self)) { error in
      XCTAssertEqual(
        "\(error)", "invalid value 'xml' for '--format': expected one of csv|json|table")
    }
    XCTAssertThrowsError(try parsed.double("offset")) { error in
      XCTAssertEqual(
        error as? CommandLineError,
        .invalidValue(option: "--offset", value: "abc", expected: "a number"))
    }
    XCTAssertThrowsError(try parsed.double("offset", in: 0...1))
    XCTAssertThrowsError(try parsed.string("nonexistent")) { error in
      XCTAssertEqual(error as? CommandLineError, .undeclaredOption("--nonexistent"))
    }
    let missingFile = try program.parse(["drop", "--blocks", "1", "-m", "/nonexistent/model.pt"])
    XCTAssertThrowsError(try missingFile.path("model", mustExist: true)) { error in
      XCTAssertEqual(
        "\(error)", "invalid value '/nonexistent/model.pt' for '--model': expected an existing file"
      )
    }
    let list = try CommandSpec(
      name: "x", abstract: "", options: [.option("k", value: "<list>", help: "")]
    ).parse(["--k", "0-3,8"])
    XCTAssertEqual(try list.integerList("k", in: 0...20), [0, 1, 2, 3, 8])
    let tooBig = try CommandSpec(
      name: "x", abstract: "", options: [.option("k", value: "<list>", help: "")]
    ).parse(["--k", "5,30"])
    XCTAssertThrowsError(try tooBig.integerList("k", in: 0...20)) { error in
      XCTAssertEqual(
        "\(error)",
        "invalid value '5,30' for '--k': expected a list like 1,2,5-8 of integers in 0…20 (30 is outside)"
      )
    }
  }

  // MARK: Every parse error, with its message

  func testErrors() {
    XCTAssertEqual(error([])?.description, "missing command; expected one of: drop, paths")
    XCTAssertEqual(error(["dorp"]), .unknownCommand("dorp", suggestion: "drop"))
    XCTAssertEqual(error(["dorp"])?.description, "unknown command 'dorp'; did you mean 'drop'?")
    XCTAssertEqual(error(["train"]), .unknownCommand("train", suggestion: nil))
    XCTAssertEqual(error(["--verison"]), .unknownOption("--verison", suggestion: "--version"))
    XCTAssertEqual(
      error(["drop", "--blcks", "5"]), .unknownOption("--blcks", suggestion: "--blocks"))
    XCTAssertEqual(
      error(["drop", "--blcks", "5"])?.description,
      "unknown option '--blcks'; did you mean '--blocks'?")
    XCTAssertEqual(
      error(["drop", "--batch", "5"]), .unknownOption("--batch", suggestion: "--batch-size"))
    XCTAssertEqual(error(["drop", "-x"]), .unknownOption("-x", suggestion: nil))
    XCTAssertEqual(error(["drop", "-qv"]), .unknownOption("-qv", suggestion: "-q"))
    XCTAssertEqual(
      error(["drop", "--blocks"]), .missingValue(option: "--blocks", valueName: "<list>"))
    XCTAssertEqual(error(["drop", "--blocks"])?.description, "missing value for '--blocks <list>'")
    XCTAssertEqual(
      error(["drop", "--blocks", "--quiet"]), .missingValue(option: "--blocks", valueName: "<list>")
    )
    XCTAssertEqual(
      error(["drop", "--quiet"])?.description, "missing required option '--blocks <list>'")
    XCTAssertEqual(error(["drop", "--blocks", "1", "extra"]), .unexpectedArgument("extra"))
    XCTAssertEqual(
      error(["drop", "--blocks", "1", "extra"])?.description, "unexpected argument 'extra'")
    XCTAssertEqual(
      error(["drop", "--blocks", "1", "-m", "a", "--model", "b"]), .duplicateOption("--model"))
    XCTAssertEqual(
      error(["drop", "--blocks", "1", "-q", "--quiet"])?.description,
      "option '--quiet' was given more than once")
    XCTAssertEqual(
      error(["drop", "--blocks", "1", "--quiet=yes"]),
      .invalidValue(option: "--quiet", value: "yes", expected: "no value (it is a flag)"))
    XCTAssertEqual(error(["paths"]), .missingCommand(available: ["histogram", "effective"]))
    XCTAssertEqual(
      error(["paths", "histogramm"]), .unknownCommand("histogramm", suggestion: "histogram"))
    XCTAssertEqual(error(["paths", "histogram", "a", "b"]), .unexpectedArgument("b"))
    XCTAssertEqual(error(["help", "nothing"]), .unknownCommand("nothing", suggestion: nil))
    let required = CommandSpec(
      name: "inspect", abstract: "", arguments: [ArgumentSpec("checkpoint", help: "")])
    XCTAssertThrowsError(try required.parse([])) { error in
      XCTAssertEqual(error as? CommandLineError, .missingArgument("<checkpoint>"))
      XCTAssertEqual("\(error)", "missing argument '<checkpoint>'")
    }
  }

  // MARK: Block lists

  func testBlockListParsing() throws {
    XCTAssertEqual(try BlockList(parsing: "5,9").blocks, [5, 9])
    XCTAssertEqual(try BlockList(parsing: "10-18").blocks, Array(10...18))
    XCTAssertEqual(try BlockList(parsing: "1,3-5,9").blocks, [1, 3, 4, 5, 9])
    XCTAssertEqual(try BlockList(parsing: " 9, 1 ").blocks, [9, 1])  // order kept
    XCTAssertEqual(try BlockList(parsing: "7-7").blocks, [7])
    XCTAssertEqual(try BlockList(parsing: "9,1,2,3,5").description, "1-3,5,9")
    XCTAssertEqual(try BlockList(parsing: "1,3-5,9").zeroBasedIndices, [0, 2, 3, 4, 8])

    let cases: [(String, BlockListProblem, String)] = [
      ("", .empty, "the list is empty"),
      ("1,,3", .emptyItem(position: 2), "item 2 is empty"),
      ("1,", .emptyItem(position: 2), "item 2 is empty"),
      ("a", .notANumber("a"), "'a' is not a number or a range like 10-18"),
      ("1.5", .notANumber("1.5"), "'1.5' is not a number or a range like 10-18"),
      ("1-2-3", .notANumber("1-2-3"), "'1-2-3' is not a number or a range like 10-18"),
      ("3-", .notANumber("3-"), "'3-' is not a number or a range like 10-18"),
      ("0", .belowMinimum(0, minimum: 1), "block 0 is not positive (blocks are numbered from 1)"),
      (
        "-2", .belowMinimum(-2, minimum: 1), "block -2 is not positive (blocks are numbered from 1)"
      ),
      ("5-3", .reversedRange(5, 3), "range 5-3 is reversed (write 3-5)"),
      ("1,3-5,4", .duplicate(4), "4 appears more than once"),
      ("2,2", .duplicate(2), "2 appears more than once"),
    ]
    for (text, problem, message) in cases {
      XCTAssertThrowsError(try BlockList(parsing: text, option: "--blocks"), text) { error in
        XCTAssertEqual(
          error as? CommandLineError,
          .invalidBlockList(option: "--blocks", text: text, problem: problem), text)
        XCTAssertEqual("\(error)", "invalid block list '\(text)' for '--blocks': \(message)")
      }
    }
    // Through the parser, the option name is attached.
    let parsed = try program.parse(["drop", "--blocks", "4,4"])
    XCTAssertThrowsError(try parsed.blockList("blocks")) { error in
      XCTAssertEqual(
        "\(error)", "invalid block list '4,4' for '--blocks': 4 appears more than once")
    }
  }

  func testBlockListValidation() throws {
    let list = try BlockList(parsing: "5,60,70", option: "--blocks")
    XCTAssertThrowsError(try list.validate(blockCount: 54)) { error in
      XCTAssertEqual(
        error as? CommandLineError, .blockOutOfRange(option: "--blocks", block: 60, blockCount: 54))
      XCTAssertEqual("\(error)", "block 60 in '--blocks' is out of range: valid blocks are 1–54")
    }
    XCTAssertNoThrow(try list.validate(blockCount: 70))
    XCTAssertThrowsError(try BlockList(blocks: [1]).validate(blockCount: 0)) { error in
      XCTAssertEqual("\(error)", "block 1 is out of range: the network has no blocks")
    }
  }

  // MARK: Help, version and the run loop

  func testCommandHelpSnapshot() {
    XCTAssertEqual(
      drop.helpText(),
      """
      OVERVIEW: Delete residual blocks and measure the error.

      Deletes the residual branch of each listed block, keeping its skip connection.

      USAGE: resnet-lesion drop --blocks <list> [<options>]

      OPTIONS:
        --blocks <list>         Blocks to delete, e.g. 5,9 or 10-18.
        -m, --model <path>      The checkpoint. (default: bundled resnet110)
        --batch-size <n>        Images per batch. (default: 128)
        --format <format>       Output format: csv, json or table. (default: table)
        --seed <n>              Random seed. (can be repeated)
        --offset <x>            An offset.
        -q, --quiet             Print only the result.
        -h, --help              Show help information.

      """)
  }

  func testProgramHelpSnapshotAndRequests() throws {
    let expected = """
      OVERVIEW: Lesion studies of residual networks.

      USAGE: resnet-lesion <command> [<options>]

      COMMANDS:
        drop                    Delete residual blocks and measure the error.
        paths                   Path-length analysis.

      OPTIONS:
        --version               Show the version.
        -h, --help              Show help information.

        See 'resnet-lesion help <command>' for detailed help.

      """
    XCTAssertEqual(program.helpText(), expected)
    XCTAssertThrowsError(try program.parse(["--help"])) { error in
      XCTAssertEqual(error as? CommandLineExit, .help(expected))
    }
    XCTAssertThrowsError(try program.parse(["help"])) { error in
      XCTAssertEqual(error as? CommandLineExit, .help(expected))
    }
    // Help wins over other mistakes on the same line.
    XCTAssertThrowsError(try program.parse(["drop", "--bogus", "-h"])) { error in
      XCTAssertEqual(error as? CommandLineExit, .help(drop.helpText()))
    }
    XCTAssertThrowsError(try program.parse(["help", "paths", "histogram"])) { error in
      guard case .help(let text) = error as? CommandLineExit else { return XCTFail("\(error)") }
      XCTAssertTrue(text.hasPrefix("OVERVIEW: Print the distribution of path lengths.\n"))
      XCTAssertTrue(
        text.contains("USAGE: resnet-lesion paths histogram [--blocks <n>] [<output>]\n"))
      XCTAssertTrue(
        text.contains("ARGUMENTS:\n  <output>                Where to write the SVG.\n"))
    }
    XCTAssertThrowsError(try program.parse(["paths", "--help"])) { error in
      guard case .help(let text) = error as? CommandLineExit else { return XCTFail("\(error)") }
      XCTAssertTrue(
        text.contains(
          "SUBCOMMANDS:\n  histogram               Print the distribution of path lengths.\n"))
    }
    XCTAssertThrowsError(try program.parse(["--version"])) { error in
      XCTAssertEqual(error as? CommandLineExit, .version("resnet-lesion 0.1.0"))
    }
  }

  func testRunMapsOutcomesToExitStatus() {
    var out = ""
    var err = ""
    func run(_ arguments: [String], _ body: (ParsedArguments) throws -> Void = { _ in }) -> Int32 {
      out = ""
      err = ""
      return program.run(
        arguments, standardOutput: { out += $0 }, standardError: { err += $0 }, body: body)
    }
    XCTAssertEqual(run(["--version"]), 0)
    XCTAssertEqual(out, "resnet-lesion 0.1.0\n")
    XCTAssertEqual(err, "")
    XCTAssertEqual(run(["drop", "-h"]), 0)
    XCTAssertEqual(out, drop.helpText())
    XCTAssertEqual(run(["drop", "--blcks", "3"]), 64)
    XCTAssertEqual(err, "Error: unknown option '--blcks'; did you mean '--blocks'?\n")
    XCTAssertEqual(out, "")
    var ran: [Int] = []
    XCTAssertEqual(
      run(["drop", "--blocks", "3,4"]) { ran = try $0.blockList("blocks")?.blocks ?? [] }, 0)
    XCTAssertEqual(ran, [3, 4])
    XCTAssertEqual(
      run(["drop", "--blocks", "3,60"]) { try $0.blockList("blocks")?.validate(blockCount: 54) }, 64
    )
    XCTAssertEqual(err, "Error: block 60 in '--blocks' is out of range: valid blocks are 1–54\n")
    struct Failure: Error, CustomStringConvertible { var description: String { "disk full" } }
    XCTAssertEqual(run(["drop", "--blocks", "1"]) { _ in throw Failure() }, 1)
    XCTAssertEqual(err, "Error: disk full\n")
  }

  /// A single-command executable (the benchmarks) parses with no parents: its usage line and
  /// examples name the command itself, and errors map to statuses as `run` maps them.
  func testSingleCommandProgram() throws {
    let bench = CommandSpec(
      name: "resnet-lesion-bench", abstract: "Speed.",
      options: [.option("repeats", value: "<n>", help: "Rounds.", default: "5")],
      examples: ["--repeats 3"])
    let help = bench.helpText(parents: [])
    XCTAssertTrue(help.contains("\nUSAGE: resnet-lesion-bench [--repeats <n>]\n"), help)
    XCTAssertTrue(help.hasSuffix("\nEXAMPLES:\n  resnet-lesion-bench --repeats 3\n"), help)
    XCTAssertEqual(try bench.parse(["--repeats", "3"], parents: []).int("repeats", in: 1...9), 3)
    var out = ""
    var err = ""
    func status(_ arguments: [String]) -> Int32 {
      (out, err) = ("", "")
      do {
        _ = try bench.parse(arguments, parents: []).int("repeats", in: 1...9)
        return 0
      } catch {
        return CommandLineProgram.exitStatus(
          reporting: error, standardOutput: { out += $0 }, standardError: { err += $0 })
      }
    }
    XCTAssertEqual(status(["--help"]), 0)
    XCTAssertEqual(out, help)
    XCTAssertEqual(status(["--repeats", "0"]), 64)
    XCTAssertEqual(err, "Error: invalid value '0' for '--repeats': expected an integer in 1…9\n")
  }

  func testSuggestions() {
    XCTAssertEqual(CommandLineError.editDistance("kitten", "sitting"), 3)
    XCTAssertEqual(CommandLineError.editDistance("", "abc"), 3)
    XCTAssertEqual(CommandLineError.closest(to: "reoder", among: ["drop", "reorder"]), "reorder")
    XCTAssertEqual(
      CommandLineError.closest(to: "--mod", among: ["--model", "--mode-x"]), "--model")
    XCTAssertNil(CommandLineError.closest(to: "zzz", among: ["drop", "reorder"]))
  }
}

import Foundation
import Studies
import XCTest

@testable import LesionCLI

/// One flag vocabulary across the registered commands (issue 19): the same idea has the same
/// flag everywhere, older spellings are hidden aliases, and every help page has examples.
final class VocabularyTests: XCTestCase {
  /// Every command spec, subcommands included, with the words that reach it.
  var allSpecs: [(path: [String], spec: CommandSpec)] {
    var result: [(path: [String], spec: CommandSpec)] = []
    for command in LesionProgram.commands {
      result.append(([command.spec.name], command.spec))
      for sub in command.spec.subcommands { result.append(([command.spec.name, sub.name], sub)) }
    }
    return result
  }

  func spec(_ name: String) -> CommandSpec {
    LesionProgram.commands.first { $0.spec.name == name }!.spec
  }

  func option(_ command: String, _ name: String) -> OptionSpec? {
    spec(command).options.first { $0.name == name }
  }

  func testEveryHelpPageHasExamplesThatParse() throws {
    XCTAssertTrue(LesionProgram.program.helpText().contains("\nEXAMPLES:\n  resnet-lesion "))
    for example in LesionProgram.program.examples {
      XCTAssertNoThrow(try LesionProgram.program.parse(words(example)), example)
    }
    for (path, spec) in allSpecs {
      XCTAssertFalse(spec.examples.isEmpty, "\(path.joined(separator: " ")) has no example")
      let help = try LesionProgram.program.helpText(for: path)
      XCTAssertTrue(help.contains("\nEXAMPLES:\n  resnet-lesion "), path.joined(separator: " "))
      for example in spec.examples where spec.subcommands.isEmpty {
        // Every example names this command and parses with its options.
        XCTAssertTrue(example.hasPrefix(path.joined(separator: " ")), example)
        XCTAssertNoThrow(try LesionProgram.program.parse(words(example)), example)
      }
    }
  }

  /// Splits an example on spaces (our examples have no quoted words).
  func words(_ example: String) -> [String] { example.split(separator: " ").map(String.init) }

  func testOneNamePerIdea() {
    let measuring = ["drop", "sweep", "reorder", "paths", "rank", "prune", "interactions"]
    for name in measuring {
      for flag in ["model", "data", "split", "format", "output", "quiet"] {
        XCTAssertNotNil(option(name, flag), "\(name) --\(flag)")
      }
    }
    // Block lists are --blocks; counts of deleted blocks are --deleted.
    for name in ["drop", "interactions", "predict"] {
      XCTAssertEqual(option(name, "blocks")?.valueName, "<list>", name)
    }
    for name in ["drop", "sweep", "figures"] {
      XCTAssertEqual(option(name, "deleted")?.valueName, "<list>", name)
    }
    XCTAssertNil(option("paths", "blocks"), "paths counts blocks with --block-count")
    XCTAssertNotNil(option("paths", "block-count"))
    // The gradient measurement's options have the same names in paths and figures.
    for flag in ["gradient-samples", "gradient-batch", "gradient-mode", "gradient-share", "at"] {
      XCTAssertNotNil(option("paths", flag), "paths --\(flag)")
      XCTAssertNotNil(option("figures", flag), "figures --\(flag)")
    }
    XCTAssertNotNil(option("train", "per-class"))
    XCTAssertNotNil(option("figures", "output"))
    for (path, spec) in allSpecs {
      let names = spec.options.map(\.name) + spec.options.flatMap(\.aliases)
      XCTAssertEqual(names.count, Set(names).count, "\(path): a name or alias is declared twice")
    }
  }

  func testOlderSpellingsAreHiddenAliases() throws {
    let aliases: [(command: [String], old: String, value: String, new: String)] = [
      (["sweep"], "random", "1,3", "deleted"), (["drop"], "random", "3", "deleted"),
      (["figures"], "out", "x", "output"), (["predict", "--model", "m", "--input", "i", "--output", "o"], "drop", "5,9", "blocks"),
      (["paths"], "blocks", "54", "block-count"), (["paths"], "samples", "3", "gradient-samples"),
      (["paths"], "mode", "subsets", "gradient-mode"), (["paths"], "batch-size", "8", "gradient-batch"),
    ]
    for alias in aliases {
      let parsed = try LesionProgram.program.parse(alias.command + ["--" + alias.old, alias.value])
      XCTAssertEqual(try parsed.string(alias.new), alias.value, "--\(alias.old) reaches --\(alias.new)")
      XCTAssertTrue(try parsed.wasGiven(alias.new))
      let help = try LesionProgram.program.helpText(for: [alias.command[0]])
      XCTAssertFalse(help.contains("--\(alias.old) "), "\(alias.command[0]) help shows --\(alias.old)")
      XCTAssertTrue(help.contains("--\(alias.new) "), "\(alias.command[0]) help lacks --\(alias.new)")
    }
    // The equivalent command records the current spelling.
    let parsed = try LesionProgram.program.parse(["sweep", "--random", "1,3"])
    XCTAssertEqual(Provenance.equivalentCommand(parsed), "resnet-lesion sweep --deleted 1,3")
    // An old and a new spelling together are one option given twice.
    XCTAssertThrowsError(try LesionProgram.program.parse(["sweep", "--random", "1", "--deleted", "2"])) { error in
      XCTAssertEqual(error as? CommandLineError, .duplicateOption("--deleted"))
    }
    // train --limit (total, older) is hidden; --per-class is documented.
    let train = try LesionProgram.program.helpText(for: ["train"])
    XCTAssertFalse(train.contains("--limit"))
    XCTAssertTrue(train.contains("--per-class <n>"))
    XCTAssertNoThrow(try LesionProgram.program.parse(["train", "--limit", "100"]))
  }

  func testInfoHelpNamesOptionsDropTakes() throws {
    let info = try LesionProgram.program.helpText(for: ["info"])
    XCTAssertFalse(info.contains("--drop"), "drop takes --blocks")
    XCTAssertTrue(info.contains("--blocks"))
  }
}

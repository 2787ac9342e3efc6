import Foundation
import Studies

/// One `resnet-lesion` command: its specification and what it does.
///
/// Implementations live in `Commands/`; each parses nothing itself (the spec does), loads what
/// it needs through the library targets, and writes through `CommandContext`.
public protocol LesionCommand {
  /// Name, abstract, options and help of the command.
  static var spec: CommandSpec { get }
  /// Runs the command.
  /// - Throws: `CommandLineError` for usage errors (exit 64), anything else for runtime errors
  ///   (exit 1). The program prints `Error: <description>` on standard error.
  static func run(_ arguments: ParsedArguments, context: CommandContext) throws
}

/// Where a command writes, and what it knows about its terminal.
public final class CommandContext: @unchecked Sendable {
  /// Writes to standard output.
  public let write: (String) -> Void
  /// Writes to standard error (progress, notes).
  public let writeError: (String) -> Void
  /// Whether standard error is a terminal (progress bars are drawn only then).
  public let errorIsTerminal: Bool
  /// The checked parts a `merge` replays the command on (nil: compute).
  var mergedParts: PartSet?

  public init(
    write: @escaping (String) -> Void = { FileHandle.standardOutput.write(Data($0.utf8)) },
    writeError: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) },
    errorIsTerminal: Bool = isatty(2) != 0
  ) {
    self.write = write
    self.writeError = writeError
    self.errorIsTerminal = errorIsTerminal
  }
}

/// The `resnet-lesion` program: every command, and the entry point the executable calls.
public enum LesionProgram {
  /// The tool's version, recorded in every output file's metadata.
  public static let version = Provenance.toolVersion

  /// The commands in help order.
  public static var commands: [LesionCommand.Type] { registeredCommands }

  static let program = CommandLineProgram(
    name: "resnet-lesion", version: version,
    abstract: "Lesion studies of residual networks (Veit, Wilber & Belongie, NIPS 2016).",
    discussion:
      "Load a trained ResNet, delete or reorder residual blocks at test time, count the paths of each length exactly (paths) and measure the gradient that flows through paths of each length (paths --gradients), and regenerate the paper's figures. Block numbers are 1-based in forward order, as 'info' prints them. Bundled models and data are found in the notebooks-data folder named by RESNET_LESION_DATA, else the first one above the current folder or the executable.",
    commands: registeredCommands.map { $0.spec },
    examples: [
      "info --model resnet110", "drop --blocks 5,9", "sweep --deleted 1-10 --samples auto --output sweep.csv",
      "paths --gradients --quiet", "figures --quick --output figures",
    ])

  /// Runs the program on `arguments` (without the executable name) and returns the exit status:
  /// 0 on success, 64 for usage errors, 1 for runtime errors.
  public static func main(_ arguments: [String], context: CommandContext = CommandContext()) -> Int32 {
    program.run(arguments, standardOutput: context.write, standardError: context.writeError) { parsed in
      guard let name = parsed.commandPath.dropFirst().first,
        let command = registeredCommands.first(where: { $0.spec.name == name })
      else {
        throw CommandLineError.missingCommand(available: registeredCommands.map { $0.spec.name })
      }
      try command.run(parsed, context: context)
    }
  }
}

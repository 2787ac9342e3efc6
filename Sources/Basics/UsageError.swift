/// An error that is the user's fault: a bad flag value, a block number out of range, an
/// impossible reorder, more deletions than deletable blocks.
///
/// The command line exits with status 64 (`EX_USAGE`) for errors that conform, and 1 for every
/// other error (unreadable or hostile files, model/data mismatches), so the error itself says
/// whose fault it is, as swift-argument-parser's `ValidationError` does. Conform the error type
/// (or wrap a case in a conforming type) where the input is validated; do not decide the exit
/// status from where an error came from.
public protocol UsageError: Error {}

extension UsageError {
  /// `block B in 'OPTION' is out of range: valid blocks are 1–N` (without an option, `block B is
  /// out of range: …`; for a network without blocks, `…: the network has no blocks`): the one
  /// wording for a block number beyond the network, whichever layer checks it.
  public static func blockOutOfRangeMessage(block: Int, option: String?, blockCount: Int) -> String {
    let source = option.map { " in '\($0)'" } ?? ""
    let valid = blockCount >= 1 ? "valid blocks are 1–\(blockCount)" : "the network has no blocks"
    return "block \(block)\(source) is out of range: \(valid)"
  }
}

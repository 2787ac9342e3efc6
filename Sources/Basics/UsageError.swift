/// An error that is the user's fault: a bad flag value, a block number out of range, an
/// impossible reorder, more deletions than deletable blocks.
///
/// The command line exits with status 64 (`EX_USAGE`) for errors that conform, and 1 for every
/// other error (unreadable or hostile files, model/data mismatches), so the error itself says
/// whose fault it is, as swift-argument-parser's `ValidationError` does. Conform the error type
/// (or wrap a case in a conforming type) where the input is validated; do not decide the exit
/// status from where an error came from.
public protocol UsageError: Error {}

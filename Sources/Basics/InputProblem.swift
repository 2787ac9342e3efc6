/// The one-line message forms that the readers' error types share for a problem at a byte of a
/// file, written once so that it reads the same whichever format found it:
/// `cifar-10-binary.tar.gz: truncated at byte 1834: expected a tar header`,
/// `digits.png: byte 33: expected a filter type 0–4, found 7`.
///
/// Each error type keeps its own cases (one type per input family); its `description` renders
/// them with these forms.
public enum InputProblem {
  /// `FILE: byte OFFSET: MESSAGE`.
  public static func at(file: String, offset: Int, _ message: String) -> String {
    "\(file): byte \(offset): \(message)"
  }

  /// `FILE: byte OFFSET: expected EXPECTED, found FOUND`.
  public static func invalid(file: String, offset: Int, expected: String, found: String) -> String {
    at(file: file, offset: offset, "expected \(expected), found \(found)")
  }

  /// `FILE: truncated at byte OFFSET: expected EXPECTED`.
  public static func truncated(file: String, offset: Int, expected: String) -> String {
    "\(file): truncated at byte \(offset): expected \(expected)"
  }
}

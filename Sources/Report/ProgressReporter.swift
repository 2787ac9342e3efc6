import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Reports the progress of a long run on standard error.
///
/// On a terminal it redraws one line with `\r` (at most ten times a second):
/// `[██████░░░░░░░░░░░░░░] 12/54 configurations  120000 images  850 images/s  ETA 2m05s`.
/// When standard error is not a terminal (a log file, CI) it prints a plain line every
/// `interval` seconds instead, and nothing at all when quiet. `advance(by:images:)` may be called
/// from any thread.
public final class ProgressReporter: @unchecked Sendable {
  /// How progress is shown.
  public enum Mode: Sendable {
    /// A redrawn single-line bar (for terminals).
    case bar
    /// A plain line every `interval` seconds (for logs).
    case lines
    /// Nothing.
    case quiet
  }

  /// The number of units (e.g. configurations) in the whole run.
  public let total: Int
  /// The name of a unit, plural (`"configurations"`).
  public let unit: String
  /// How progress is shown.
  public let mode: Mode
  /// Seconds between plain lines in `.lines` mode.
  public let interval: Double

  private let lock = NSLock()
  private let output: (String) -> Void
  private let clock: () -> Double
  private let start: Double
  private var done = 0
  private var images = 0
  private var lastReport: Double
  private var finished = false

  /// Creates a reporter writing to standard error; the mode is `.bar` when stderr is a terminal,
  /// `.lines` otherwise, and `.quiet` when `quiet` is set.
  public convenience init(
    total: Int, unit: String = "configurations", quiet: Bool = false, interval: Double = 10
  ) {
    let mode: Mode = quiet ? .quiet : (isatty(STDERR_FILENO) != 0 ? .bar : .lines)
    self.init(
      total: total, unit: unit, mode: mode, interval: interval,
      output: { text in FileHandle.standardError.write(Data(text.utf8)) },
      clock: { ProcessInfo.processInfo.systemUptime })
  }

  /// Creates a reporter with an explicit mode, output and clock (seconds), e.g. for tests.
  public init(
    total: Int, unit: String, mode: Mode, interval: Double, output: @escaping (String) -> Void,
    clock: @escaping () -> Double
  ) {
    self.total = max(0, total)
    self.unit = unit
    self.mode = mode
    self.interval = interval
    self.output = output
    self.clock = clock
    self.start = clock()
    self.lastReport = start
  }

  /// Records `count` more finished units and `images` more processed images; thread-safe.
  public func advance(by count: Int = 1, images newImages: Int = 0) {
    lock.lock()
    defer { lock.unlock() }
    guard !finished else { return }
    done += count
    images += newImages
    let now = clock()
    switch mode {
    case .quiet: return
    case .bar:
      if now - lastReport >= 0.1 || done >= total {
        lastReport = now
        output("\r" + barLine(now: now))
      }
    case .lines:
      if now - lastReport >= interval {
        lastReport = now
        output(plainLine(now: now) + "\n")
      }
    }
  }

  /// Prints the final state (ending the bar's line) and stops reporting; later calls do nothing.
  public func finish() {
    lock.lock()
    defer { lock.unlock() }
    guard !finished else { return }
    finished = true
    let now = clock()
    switch mode {
    case .quiet: return
    case .bar: output("\r" + barLine(now: now) + "\n")
    case .lines: output(plainLine(now: now) + "\n")
    }
  }

  /// The text of the bar line at time `now` (without `\r`); exposed for tests.
  func barLine(now: Double) -> String {
    let width = 20
    let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 1
    let filled = Int((fraction * Double(width)).rounded(.down))
    let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
    return "[\(bar)] " + details(now: now, separator: "  ") + "   "
  }

  /// The text of a plain progress line at time `now`; exposed for tests.
  func plainLine(now: Double) -> String {
    let percent = total > 0 ? Int((Double(done) / Double(total) * 100).rounded(.down)) : 100
    return "progress: "
      + details(now: now, separator: ", ").replacingOccurrences(
        of: "\(done)/\(total) \(unit)", with: "\(done)/\(total) \(unit) (\(percent)%)")
  }

  private func details(now: Double, separator: String) -> String {
    let elapsed = max(0, now - start)
    var parts = ["\(done)/\(total) \(unit)"]
    if images > 0 { parts.append("\(images) images") }
    if elapsed > 0 {
      let rate = Double(images > 0 ? images : done) / elapsed
      let rateUnit = images > 0 ? "images" : unit
      parts.append(NumberFormat.fixed(rate, decimals: rate >= 10 ? 0 : 1) + " \(rateUnit)/s")
    }
    if done > 0 && done < total && elapsed > 0 {
      let remaining = elapsed / Double(done) * Double(total - done)
      parts.append("ETA " + ProgressReporter.duration(remaining))
    } else if done >= total {
      parts.append("in " + ProgressReporter.duration(elapsed))
    }
    return parts.joined(separator: separator)
  }

  /// A duration as `45s`, `2m05s` or `3h07m`.
  public static func duration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "?" }
    let whole = Int(seconds.rounded())
    if whole < 60 { return "\(whole)s" }
    if whole < 3600 { return "\(whole / 60)m" + twoDigits(whole % 60) + "s" }
    return "\(whole / 3600)h" + twoDigits(whole % 3600 / 60) + "m"
  }

  private static func twoDigits(_ value: Int) -> String {
    value < 10 ? "0\(value)" : "\(value)"
  }
}

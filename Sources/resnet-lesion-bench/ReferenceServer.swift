// The PyTorch and onnxruntime references as a child process that times one run per request, so
// the benchmark can alternate their runs with its own (pytorch_reference.py's protocol).
import Foundation

/// `pytorch_reference.py` running as a server: one run of each reference engine per request.
///
/// On a shared machine the rate of every engine drifts by a third or more between minutes, so
/// the benchmark times its runs and the references' turn about and reports the median of the
/// per-round ratios, instead of timing all of its own runs and then all of theirs.
final class ReferenceServer {
  private let process = Process()
  private let requests = Pipe()
  private let replies = Pipe()
  private var buffered = Data()

  /// Starts `python script arguments` and waits for its ready line; nil (with the reason on
  /// stderr) if the Python cannot run the script, e.g. without torch.
  init?(python: String, script: URL, arguments: [String]) {
    signal(SIGPIPE, SIG_IGN)  // a server that exits early ends our writes with EPIPE, not us
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [python, script.path] + arguments
    process.standardInput = requests
    process.standardOutput = replies
    process.standardError = FileHandle.standardError
    do {
      try process.run()
    } catch {
      FileHandle.standardError.write(Data("(PyTorch reference not available: \(error))\n".utf8))
      return nil
    }
    guard let ready = readReply(), ready["ready"] == 1 else {
      close()
      FileHandle.standardError.write(
        Data("(PyTorch reference not available: \(python) could not start the reference; set RESNET_LESION_PYTHON to a Python with torch)\n".utf8))
      return nil
    }
  }

  /// One run of each engine on `workload` at `batch`: images/s by engine ("eager",
  /// "channels_last", "onnxruntime"), or nil if the server has stopped.
  func run(workload: String, batch: Int) -> [String: Double]? {
    guard process.isRunning,
      let request = try? JSONSerialization.data(withJSONObject: ["workload": workload, "batch": batch])
    else { return nil }
    guard (try? requests.fileHandleForWriting.write(contentsOf: request + Data("\n".utf8))) != nil else { return nil }
    return readReply()
  }

  /// Ends the server's input and waits for it to exit.
  func close() {
    try? requests.fileHandleForWriting.close()
    process.waitUntilExit()
  }

  /// The next line of the server's output as a JSON object of numbers, or nil at its end.
  private func readReply() -> [String: Double]? {
    let handle = replies.fileHandleForReading
    while true {
      if let newline = buffered.firstIndex(of: UInt8(ascii: "\n")) {
        let line = buffered[buffered.startIndex..<newline]
        buffered = Data(buffered[buffered.index(after: newline)...])
        guard let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any] else { return nil }
        return object.compactMapValues { ($0 as? NSNumber)?.doubleValue }
      }
      let chunk = handle.availableData
      if chunk.isEmpty { return nil }
      buffered.append(chunk)
    }
  }
}

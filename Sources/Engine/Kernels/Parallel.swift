import Dispatch
import Foundation

/// How many threads the engine's kernels use.
///
/// Defaults to the number of active processors; set `RESNET_LESION_THREADS` to override. Results do
/// not depend on it: every kernel partitions work so that each output element is computed by one
/// thread in a fixed order.
public enum EngineThreads {
  /// The number of worker threads kernels split their work across (at least 1).
  nonisolated(unsafe) public static var count: Int = {
    if let text = ProcessInfo.processInfo.environment["RESNET_LESION_THREADS"], let n = Int(text),
      n > 0
    {
      return n
    }
    return max(1, ProcessInfo.processInfo.activeProcessorCount)
  }()
}

/// Runs `body(chunk)` for `chunk` in `0..<chunkCount`, spread over `EngineThreads.count` threads.
///
/// Runs inline when there is one chunk or one thread. `body` must write disjoint memory for
/// different chunks.
@inline(__always)
func parallelFor(_ chunkCount: Int, _ body: (Int) -> Void) {
  if chunkCount <= 1 || EngineThreads.count == 1 {
    for chunk in 0..<chunkCount { body(chunk) }
    return
  }
  withoutActuallyEscaping(body) { body in
    DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in body(chunk) }
  }
}

/// Splits `count` items into a fixed number of contiguous ranges (independent of the thread
/// count, so reductions combined in range order are deterministic) and runs `body` on each in
/// parallel. Small inputs run as one range.
@inline(__always)
func parallelRanges(_ count: Int, minimumPerRange: Int = 4096, _ body: (Range<Int>) -> Void) {
  parallelIndexedRanges(count, minimumPerRange: minimumPerRange) { _, range in body(range) }
}

/// Like `parallelRanges`, also passing each range's index in `0..<parallelRangeCount(count)`.
@inline(__always)
func parallelIndexedRanges(_ count: Int, minimumPerRange: Int = 4096, _ body: (Int, Range<Int>) -> Void) {
  let ranges = parallelRangeCount(count, minimumPerRange: minimumPerRange)
  parallelFor(ranges) { r in body(r, (count * r / ranges)..<(count * (r + 1) / ranges)) }
}

/// The number of ranges `parallelRanges` uses for `count` items (for per-range partial results).
@inline(__always)
func parallelRangeCount(_ count: Int, minimumPerRange: Int = 4096) -> Int {
  max(1, min(16, count / max(1, minimumPerRange)))
}

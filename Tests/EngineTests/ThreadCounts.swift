// The engine's thread count set for a test and restored after it.

@testable import Engine

/// Runs `body` once per thread count in `counts` with `EngineThreads.count` set to it, and
/// restores the count the test started with.
func forEachThreadCount(_ counts: [Int] = [1, 2, 3], _ body: (Int) throws -> Void) rethrows {
  let saved = EngineThreads.count
  defer { EngineThreads.count = saved }
  for threads in counts {
    EngineThreads.count = threads
    try body(threads)
  }
}

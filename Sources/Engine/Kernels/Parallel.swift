import Dispatch
import Foundation

#if os(Linux)
  import Glibc
  import Synchronization
#endif

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

  /// Whether kernels hand their chunks to Dispatch (`concurrentPerform`) instead of the engine's
  /// own workers (`WorkerPool`): always off Linux; on Linux with `RESNET_LESION_PARALLEL=dispatch`,
  /// to compare the two in one build. Results are the same either way.
  static let usesDispatch: Bool = {
    #if os(Linux)
      return ProcessInfo.processInfo.environment["RESNET_LESION_PARALLEL"] == "dispatch"
    #else
      return true
    #endif
  }()
}

/// Runs `body(chunk)` for `chunk` in `0..<chunkCount`, spread over `EngineThreads.count` threads.
///
/// Runs inline when there is one chunk or one thread. `body` must write disjoint memory for
/// different chunks. Which thread runs a chunk is decided at run time (chunks are claimed in
/// order by whichever thread is free), so results must not depend on it.
@inline(__always)
func parallelFor(_ chunkCount: Int, _ body: (Int) -> Void) {
  if chunkCount <= 1 || EngineThreads.count == 1 {
    for chunk in 0..<chunkCount { body(chunk) }
    return
  }
  #if os(Linux)
    if !EngineThreads.usesDispatch {
      WorkerPool.shared.run(chunkCount, threads: EngineThreads.count, body)
      return
    }
  #endif
  withoutActuallyEscaping(body) { body in
    DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in body(chunk) }
  }
}

#if os(Linux)
  /// The engine's worker threads: `EngineThreads.count − 1` threads that, with the calling thread,
  /// run the chunks of one `parallelFor` at a time.
  ///
  /// Why not `DispatchQueue.concurrentPerform`: a batch-1 forward pass of CIFAR ResNet-110 is
  /// ~110 parallel loops of ~30 µs each, and waking dispatch's threads for each cost about as
  /// much as the loop (two threads were slower than one). Here a worker that finished a loop
  /// polls for the next one for `spinSeconds` before it sleeps on a condition variable, and
  /// chunks are claimed one at a time from a shared counter, so a worker that is late (asleep,
  /// or descheduled on a loaded machine) never holds up the caller: the caller runs the chunks
  /// nobody claimed, and waits only for chunks already being run, polling for `spinSeconds`,
  /// then asleep. Every polling loop yields the processor now and then: on a loaded machine the
  /// thread it waits for may be queued on the same core.
  ///
  /// One loop runs at a time: a `parallelFor` called while another is running (from a chunk, or
  /// from another thread) runs its chunks inline on its own thread.
  final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    /// How long an idle worker polls for the next loop before sleeping.
    static let spinSeconds = 100e-6

    /// The loop being run: generation (bits 32…63, +1 per loop), chunk count (bits 16…31) and
    /// the next unclaimed chunk (bits 0…15). Claiming a chunk is one compare-and-swap that also
    /// checks the generation, so a late worker can never claim a chunk of a later loop.
    private let state = Atomic<UInt64>(0)
    /// Chunks of the current loop that have finished.
    private let completed = Atomic<Int>(0)
    /// Whether a loop is running (a second caller runs inline).
    private let busy = Atomic<Bool>(false)
    /// Workers blocked (or about to block) on `condition`.
    private let sleepers = Atomic<Int>(0)
    /// Whether the caller is blocked (or about to block) on `finished`.
    private let callerSleeps = Atomic<Bool>(false)
    /// The current loop's body; written before the loop's generation is published, read only by a
    /// thread that claimed one of its chunks (so never after the loop has returned).
    private nonisolated(unsafe) var body: UnsafeRawPointer? = nil
    private nonisolated(unsafe) var generation: UInt32 = 0
    private nonisolated(unsafe) var workers = 0
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    /// Signalled when the last chunk of a loop finishes while the caller sleeps.
    private let finished: UnsafeMutablePointer<pthread_cond_t>

    private init() {
      mutex = .allocate(capacity: 1)
      condition = .allocate(capacity: 1)
      finished = .allocate(capacity: 1)
      pthread_mutex_init(mutex, nil)
      pthread_cond_init(condition, nil)
      pthread_cond_init(finished, nil)
    }

    /// Runs `body(0)`, …, `body(chunkCount − 1)` on the caller and up to `threads − 1` workers.
    func run(_ chunkCount: Int, threads: Int, _ body: (Int) -> Void) {
      guard chunkCount < 1 << 16,
        busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
      else {
        for chunk in 0..<chunkCount { body(chunk) }
        return
      }
      while workers < threads - 1 {
        let thread = Thread { [unowned self] in self.work() }
        thread.start()
        workers += 1
      }
      withoutActuallyEscaping(body) { body in
        var closure = body
        withUnsafePointer(to: &closure) { pointer in
          self.body = UnsafeRawPointer(pointer)
          completed.store(0, ordering: .relaxed)
          generation &+= 1
          let g = generation
          state.store(UInt64(g) << 32 | UInt64(chunkCount) << 16, ordering: .sequentiallyConsistent)
          if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
            pthread_mutex_lock(mutex)
            pthread_cond_broadcast(condition)
            pthread_mutex_unlock(mutex)
          }
          runChunks(of: g)
          // Chunks claimed by workers and still running: poll, then sleep.
          if completed.load(ordering: .acquiring) < chunkCount {
            let deadline = monotonicSeconds() + Self.spinSeconds
            var polls = 0
            while completed.load(ordering: .acquiring) < chunkCount {
              polls += 1
              if polls & 63 == 0 {
                sched_yield()
                if monotonicSeconds() > deadline {
                  pthread_mutex_lock(mutex)
                  callerSleeps.store(true, ordering: .sequentiallyConsistent)
                  while completed.load(ordering: .sequentiallyConsistent) < chunkCount {
                    pthread_cond_wait(finished, mutex)
                  }
                  callerSleeps.store(false, ordering: .relaxed)
                  pthread_mutex_unlock(mutex)
                }
              }
            }
          }
          self.body = nil
        }
      }
      busy.store(false, ordering: .releasing)
    }

    /// Claims and runs chunks of loop `g` until none is left (or a later loop has started).
    private func runChunks(of g: UInt32) {
      var s = state.load(ordering: .relaxed)
      while true {
        guard UInt32(truncatingIfNeeded: s >> 32) == g else { return }
        let count = (s >> 16) & 0xFFFF
        let next = s & 0xFFFF
        guard next < count else { return }
        let (exchanged, original) = state.compareExchange(
          expected: s, desired: s + 1, successOrdering: .acquiring, failureOrdering: .relaxed)
        if !exchanged {
          s = original
          continue
        }
        invoke(Int(next))
        let done = completed.add(1, ordering: .sequentiallyConsistent).newValue
        if done == Int(count), callerSleeps.load(ordering: .sequentiallyConsistent) {
          pthread_mutex_lock(mutex)
          pthread_cond_signal(finished)
          pthread_mutex_unlock(mutex)
        }
        s = state.load(ordering: .relaxed)
      }
    }

    /// Runs one chunk of the current loop (its own function, so the closure copy is released
    /// before the chunk is counted as completed).
    @inline(never)
    private func invoke(_ chunk: Int) {
      body!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(chunk)
    }

    /// A worker thread: waits for each new loop and helps run it.
    private func work() {
      var seen = UInt32(truncatingIfNeeded: state.load(ordering: .acquiring) >> 32)
      while true {
        var s = state.load(ordering: .acquiring)
        if UInt32(truncatingIfNeeded: s >> 32) == seen {
          let deadline = monotonicSeconds() + Self.spinSeconds
          var polls = 0
          while UInt32(truncatingIfNeeded: s >> 32) == seen {
            polls += 1
            if polls & 63 == 0 { sched_yield() }
            if polls & 63 == 0, monotonicSeconds() > deadline {
              pthread_mutex_lock(mutex)
              sleepers.add(1, ordering: .sequentiallyConsistent)
              s = state.load(ordering: .sequentiallyConsistent)
              while UInt32(truncatingIfNeeded: s >> 32) == seen {
                pthread_cond_wait(condition, mutex)
                s = state.load(ordering: .sequentiallyConsistent)
              }
              sleepers.subtract(1, ordering: .sequentiallyConsistent)
              pthread_mutex_unlock(mutex)
              break
            }
            s = state.load(ordering: .acquiring)
          }
        }
        seen = UInt32(truncatingIfNeeded: s >> 32)
        runChunks(of: seen)
      }
    }

    private func monotonicSeconds() -> Double {
      var t = timespec()
      clock_gettime(CLOCK_MONOTONIC, &t)
      return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
  }
#endif

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

// How the C allocator treats the engine's activation buffers.

#if canImport(Glibc)
  import Glibc
#endif

/// The C allocator's settings for the engine's large, short-lived activation buffers.
///
/// Every layer allocates its output (MiBs at batch 128) and frees buffers the next layers no
/// longer need. With glibc's defaults a freed block of that size went back to the kernel, as an
/// unmapped block (above `M_MMAP_THRESHOLD`) or a trimmed heap top (above `M_TRIM_THRESHOLD`),
/// and the next allocation page-faulted fresh zero-filled pages: about a third of the CPU time
/// of forward + input gradient at batch 128 (CIFAR ResNet-110, `perf record`). Fixing both
/// thresholds keeps freed blocks in the heap, so the next layer reuses them: the heap acts as the
/// per-step arena. Peak memory is unchanged; after a pass the process keeps its peak heap.
/// See mallopt(3).
enum AllocatorSettings {
  /// Applies the settings once per process (later calls do nothing); whether glibc took them.
  @discardableResult
  static func apply() -> Bool { applied }

  private static let applied: Bool = {
    #if canImport(Glibc)
      // mallopt(3) from <malloc.h>, which Glibc's Swift module does not export; the parameter
      // numbers are glibc's M_TRIM_THRESHOLD (−1) and M_MMAP_THRESHOLD (−3).
      guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "mallopt") else { return false }
      typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
      let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
      // 32 MiB: the largest mmap threshold glibc accepts on 64-bit systems (HEAP_MAX_SIZE / 2);
      // larger blocks are still mapped and unmapped.
      let mapped = mallopt(-3, 32 << 20)
      let trimmed = mallopt(-1, Int32.max)
      return mapped == 1 && trimmed == 1
    #else
      return false
    #endif
  }()
}

// libFuzzer entry for raw DEFLATE and gzip (Archives). Built by run-fuzzers.sh.
@testable import Archives

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzInflate(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  let limit = 1 << 20
  _ = try? Inflate.decompress(bytes, limit: limit)
  let whole = try? Gzip.decompress(bytes, file: "fuzz", limit: limit)
  if let whole, whole.count > limit { fatalError("gzip output passed its limit") }
  if let prefix = try? Gzip.decompressedPrefix(bytes, file: "fuzz", count: 100), let whole {
    // A stream that decompresses whole must give the same first bytes.
    if prefix != Array(whole.prefix(100)) { fatalError("prefix differs from the whole output") }
  }
  return 0
}

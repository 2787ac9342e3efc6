// libFuzzer entry for the strict JSON parser (safetensors headers). Built by run-fuzzers.sh.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzStrictJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  _ = try? StrictJSONParser.parse(bytes)
  _ = try? StrictJSONParser.parse(bytes, maxDepth: 4)
  return 0
}

// libFuzzer entry for the strict JSON parser (safetensors headers, model metadata). Built by
// run-fuzzers.sh together with the TensorFormats and Basics sources.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzStrictJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  _ = try? JSONValue.parse(bytes)
  _ = try? JSONValue.parse(bytes, limits: JSONValue.ParseLimits(maximumDepth: 4))
  return 0
}

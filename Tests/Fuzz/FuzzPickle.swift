// libFuzzer entry for the restricted unpickler and legacy torch files. Built by
// run-fuzzers.sh with the TensorFormats sources. Inputs must decode or throw.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPickle(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  _ = try? Pickle.load(bytes, file: "fuzz")
  _ = try? TorchCheckpoint.parse(bytes, file: "fuzz")
  return 0
}

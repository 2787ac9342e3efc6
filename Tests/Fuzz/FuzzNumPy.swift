// libFuzzer entry for the .npy reader. Built by run-fuzzers.sh with the TensorFormats sources.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNumPy(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  if let array = try? NumPyArray.parse(bytes, file: "fuzz") {
    let again = NumPyArray.serialize(array.tensor)
    if (try? NumPyArray.parse(again, file: "again"))?.tensor != array.tensor {
      fatalError("npy round trip changed the tensor")  // a finding for the fuzzer, not library code
    }
  }
  return 0
}

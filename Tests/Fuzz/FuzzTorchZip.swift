// libFuzzer entry for torch.save zip archives (zip directory, records, data.pkl, storages).
// Built by run-fuzzers.sh with the TensorFormats sources. Inputs must parse or throw.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTorchZip(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  _ = try? TorchCheckpoint.parse(bytes, file: "fuzz")
  _ = try? ZipDirectory(bytes: bytes, file: "fuzz")
  return 0
}

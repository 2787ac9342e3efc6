// libFuzzer entry for the safetensors reader. Built by run-fuzzers.sh together with the
// TensorFormats sources (one module, so internal API is visible). Any input must either parse
// or throw; a crash, trap or sanitizer report is a bug.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensors(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  if let archive = try? SafeTensors.parse(bytes, file: "fuzz") {
    // A valid file must survive a write/read round trip unchanged.
    if let again = try? SafeTensors.serialize(archive.tensors, metadata: archive.metadata),
      let reread = try? SafeTensors.parse(again, file: "again")
    {
      let before = Dictionary(archive.tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
      for entry in reread.tensors where before[entry.name] != entry.tensor {
        fatalError("round trip changed tensor \(entry.name)")  // a finding for the fuzzer, not library code
      }
    } else {
      fatalError("a parsed archive failed to serialize or re-parse")
    }
  }
  return 0
}

// libFuzzer entry for torch.save zip archives (zip directory, records, data.pkl, storages).
// Built by run-fuzzers.sh with the TensorFormats sources. Inputs must parse or throw.
//
// Each input is parsed twice: as is, and with every central-directory CRC-32 recomputed from
// the entry's data, so that mutations inside data.pkl and the storages get past the checksum
// and exercise the unpickler, the state-dict rules and tensor materialization.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTorchZip(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  _ = try? TorchCheckpoint.parse(bytes, file: "fuzz")
  guard let directory = try? ZipDirectory(bytes: bytes, file: "fuzz") else { return 0 }
  var patched = bytes
  for entry in directory.entries {
    let checksum = CRC32.checksum(bytes[entry.dataStart..<(entry.dataStart + entry.size)])
    for i in 0..<4 { patched[entry.centralHeaderOffset + 16 + i] = UInt8(truncatingIfNeeded: checksum >> (8 * i)) }
  }
  _ = try? TorchCheckpoint.parse(patched, file: "fuzz")
  return 0
}

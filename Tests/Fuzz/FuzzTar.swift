// libFuzzer entry for the tar reader (Archives). Built by run-fuzzers.sh.
@testable import Archives

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTar(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  if let archive = try? TarArchive.parse(bytes, file: "fuzz") {
    let total = archive.entries.reduce(0) { $0 + $1.bytes.count }
    if total > bytes.count { fatalError("entries hold more bytes than the archive") }
    _ = archive.entry(named: archive.entries.first?.name ?? "")
  }
  return 0
}

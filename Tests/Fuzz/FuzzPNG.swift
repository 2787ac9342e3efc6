// libFuzzer entry for the PNG decoder. Built by run-fuzzers.sh with the Images and Archives sources.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPNG(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  if let image = try? PNG.decode(bytes, file: "fuzz") {
    if image.pixels.count != image.width * image.height * 3 {
      fatalError("PNG image size disagrees with its pixels")  // a finding for the fuzzer
    }
  }
  return 0
}

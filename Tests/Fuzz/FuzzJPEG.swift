// libFuzzer entry for the JPEG decoder. Built by run-fuzzers.sh with the Images and Archives sources.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJPEG(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  if let image = try? JPEG.decode(bytes, file: "fuzz") {
    if image.pixels.count != image.width * image.height * 3 {
      fatalError("JPEG image size disagrees with its pixels")  // a finding for the fuzzer
    }
    // The evaluation transform must accept whatever decodes.
    _ = EvaluationTransform(resize: 7, crop: 5).apply(image)
  }
  return 0
}

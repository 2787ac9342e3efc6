// libFuzzer entry for the Torch7 .t7 reader and the fb.resnet.torch network reader. Built by
// run-fuzzers.sh with the TensorFormats sources. Inputs must decode or throw.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTorch7(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  if let document = try? Torch7Document.parse(bytes, file: "fuzz") {
    for object in document.objects.values {
      if case .tensor(let tensor) = object.payload { _ = try? document.floats(tensor) }
    }
  }
  _ = try? Torch7Network.archive(bytes, file: "fuzz")
  return 0
}

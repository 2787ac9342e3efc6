// libFuzzer entry for MNIST IDX files, plain or gzipped (Datasets). Built by run-fuzzers.sh.
// The first byte picks images (odd) or labels (even) and a record limit; the rest is the file.
@testable import Datasets

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIDX(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  guard size > 0 else { return 0 }
  let control = data[0]
  let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
  let images = control & 1 == 1
  let maximum: Int? = control & 2 == 0 ? nil : Int(control >> 2)
  let limit = 1 << 20
  if let array = try? MNIST.parseIDX(
    bytes, file: "fuzz", dimensions: images ? 3 : 1, magic: images ? 0x0803 : 0x0801,
    maximumRecords: maximum, limit: limit)
  {
    let expected = array.shape.reduce(1, *)
    if array.data.count != expected { fatalError("IDX data does not fit its shape") }
    if let maximum, array.shape[0] > maximum { fatalError("more records than asked for") }
    if array.data.count > limit { fatalError("IDX data passed its limit") }
  }
  // Images and labels from the same bytes, as a data set.
  _ = try? MNIST.load(
    imagesData: bytes, imagesFile: "i", labelsData: bytes, labelsFile: "l", name: "fuzz",
    maximumImages: maximum, limit: limit)
  return 0
}

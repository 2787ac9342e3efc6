import TensorFormats

// libFuzzer entry for images and labels in .npy files (Datasets). Built by run-fuzzers.sh.
// The first two bytes give where the images file ends; the rest after it is the labels file.
@testable import Datasets

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNumPyImages(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  guard size > 2 else { return 0 }
  let split = min(size - 2, Int(data[0]) | Int(data[1]) << 8)
  let images = Array(UnsafeBufferPointer(start: data + 2, count: split))
  let labels = Array(UnsafeBufferPointer(start: data + 2 + split, count: size - 2 - split))
  for layout in [nil, NumPyLayout.nchw, .nhwc] {
    if let dataset = try? NumPyImages.assemble(
      images: images, imagesFile: "images.npy", labels: labels, labelsFile: "labels.npy",
      layout: layout)
    {
      if dataset.pixels.count != dataset.count * dataset.imageSize {
        fatalError("pixels do not match the image count")
      }
      _ = dataset.pixelStatistics()
    }
  }
  return 0
}

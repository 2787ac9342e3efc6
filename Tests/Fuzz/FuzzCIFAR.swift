// libFuzzer entry for CIFAR-10/100 binary records (Datasets). Built by run-fuzzers.sh.
import Archives

@testable import Datasets

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCIFAR(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  for variant in [CIFAR.Variant.cifar10, .cifar100] {
    var pixels: [UInt8] = []
    var labels: [Int] = []
    let maximum: Int? = bytes.first.map { Int($0 & 3) }
    if (try? CIFAR.appendRecords(
      bytes, file: "fuzz", variant: variant, pixels: &pixels, labels: &labels,
      maximumImages: maximum)) != nil
    {
      if pixels.count != labels.count * 3072 { fatalError("pixels do not match labels") }
      if labels.contains(where: { $0 < 0 || $0 >= variant.classCount }) {
        fatalError("label out of range accepted")
      }
    }
  }
  _ = CIFAR.variant(forFile: "fuzz.bin", length: bytes.count, siblings: [])
  _ = CIFAR.classNames(fromText: String(decoding: bytes, as: UTF8.self), variant: .cifar10)
  // The same bytes as a CIFAR archive member (tar parsing, then records).
  if let archive = try? TarArchive.parse(bytes, file: "fuzz") {
    for entry in archive.entries {
      var pixels: [UInt8] = []
      var labels: [Int] = []
      _ = try? CIFAR.appendRecords(
        entry.bytes, file: entry.name, variant: .cifar10, pixels: &pixels, labels: &labels)
    }
  }
  return 0
}
